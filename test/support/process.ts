import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Config } from '../../src/core/config.js';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
}

/** Runs `src/server/main.ts` as its own process, as `npm start` does, and waits until it listens. */
export async function spawnServer(config: Config): Promise<ServerProcess> {
  const env = { ...process.env, ...Object.fromEntries(Object.entries(config).map(([key, value]) => [key, String(value)])) };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines = createInterface({ input: child.stderr! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`server exited with ${code} before listening`);
  });
  const listening = (async () => {
    for await (const line of lines) {
      if (line.includes('"server listening"')) return (JSON.parse(line) as { url: string }).url;
    }
    throw new Error('server closed its output before listening');
  })();
  const url = await Promise.race([listening, exited]);
  return { child, url };
}

export async function kill(server: ServerProcess, signal: NodeJS.Signals): Promise<number | null> {
  const exited = once(server.child, 'exit');
  server.child.kill(signal);
  const [code] = await exited;
  return code as number | null;
}
