import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/project-paths.js';

export interface BareHello {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/** bare-hello-server.ts in a process of its own, compiled as the lab's server is run (dist/), once it listens. */
export async function startBareHello(): Promise<BareHello> {
  const child = fork(join(PROJECT_ROOT, 'dist', 'bench', 'bare-hello-server.js'), [], { stdio: 'ignore', execArgv: [] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port: number }) => resolve(message.port));
    child.once('exit', (code) => reject(new Error(`the bare node:http hello server exited with ${code} before it listened`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const ended = once(child, 'exit');
      child.disconnect();
      await ended;
    },
  };
}
