import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Config } from '../src/core/config.js';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Where `/metrics` is served: on the API's port, or on METRICS_PORT when that is set. */
  metricsUrl: string;
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
  const listening = new Promise<{ url: string; metrics: string }>((resolve) => {
    lines.on('line', (line) => {
      if (line.includes('"server listening"')) resolve(JSON.parse(line) as { url: string; metrics: string });
      else options.onLog?.(line);
    });
  });
  const { url, metrics: metricsUrl } = await Promise.race([listening, exited]);
  if (!options.onLog) {
    // Request log lines (LOG_REQUESTS=all) arrive by the thousand a second under load: drained
    // unread, so that splitting them costs the bench process nothing.
    lines.close();
    child.stderr!.resume();
  }
  return { child, url, metricsUrl };
}

export async function kill(server: ServerProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.child.exitCode;
  const exited = once(server.child, 'exit');
  server.child.kill(signal);
  const [code] = await exited;
  return code as number | null;
}

/**
 * The configuration as the environment variables a lab process reads it from. An unset key
 * becomes empty, which counts as unset, so that the parent's own environment cannot fill it in.
 */
export function configEnv(config: Config): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, value === undefined ? '' : String(value)]));
}
