import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Config } from '../src/core/config.js';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
}

/**
 * Runs the API server as `npm start` does, in processes of its own (`instances` of them behind
 * one port), and resolves once it listens. Its later log lines go to `onLog` (dropped by default).
 */
export async function spawnServer(
  config: Config,
  options: { instances?: number; onLog?: (line: string) => void } = {},
): Promise<ServerProcess> {
  const env = { ...process.env, ...configEnv(config) };
  const args = ['--import', 'tsx', 'bin/coupon-lab.ts', 'start', '--instances', String(options.instances ?? 1)];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const lines = createInterface({ input: child.stderr! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`server exited with ${code} before listening`);
  });
  const listening = new Promise<string>((resolve) => {
    lines.on('line', (line) => {
      if (line.includes('"server listening"')) resolve((JSON.parse(line) as { url: string }).url);
      else options.onLog?.(line);
    });
  });
  const url = await Promise.race([listening, exited]);
  if (!options.onLog) {
    // Request log lines (LOG_REQUESTS=all) arrive by the thousand a second under load: drained
    // unread, so that splitting them costs the bench process nothing.
    lines.close();
    child.stderr!.resume();
  }
  return { child, url };
}

export async function kill(server: ServerProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.child.exitCode;
  const exited = once(server.child, 'exit');
  server.child.kill(signal);
  const [code] = await exited;
  return code as number | null;
}

/** The configuration as the environment variables a lab process reads it from. */
export function configEnv(config: Config): Record<string, string> {
  const set = Object.entries(config).filter(([, value]) => value !== undefined);
  return Object.fromEntries(set.map(([key, value]) => [key, String(value)]));
}
