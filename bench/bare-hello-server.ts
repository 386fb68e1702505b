import { createServer } from 'node:http';
import { sendText } from '../src/server/send-json.js';

/**
 * `GET /hello` answered by node:http alone, no framework, with the writer the lab's server answers
 * with: the floor the lab's own `/hello` is measured against (`bench --floors`). Run by bare-hello.ts
 * in a process of its own, as the lab's server is, so the bench's event loop does not serve it. It
 * sends its port over the IPC channel, and ends when that channel closes: with the bench, however
 * the bench ends.
 */
const server = createServer((req, res) => {
  if (req.url === '/hello') sendText(res, 200, 'hello');
  else sendText(res, 404, 'not found');
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : undefined });
});
process.once('disconnect', () => process.exit(0));
