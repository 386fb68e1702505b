import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Config } from '../src/core/config.js';
import { cliCommandLine } from '../src/project-paths.js';
import { guardedDir } from './guarded-dir.js';

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
export async function spawnServer(config: Config, options: { instances?: number; onLog?: (line: string) => void } = {}): Promise<ServerProcess> {
  const args = ['start', '--instances', String(options.instances ?? 1)];
  const { child, ready } = await spawnLabCommand(config, args, 'server listening', options.onLog);
  const { url, metrics } = ready as { url: string; metrics: string };
  return { child, url, metricsUrl: metrics };
}

/** Runs `consumer` (the stream consumer as a process of its own) and resolves once it has started. */
export async function spawnConsumer(config: Config, onLog?: (line: string) => void): Promise<ChildProcess> {
  return (await spawnLabCommand(config, ['consumer'], 'consumer started', onLog)).child;
}

/** Runs `broker-consumer` (the broker strategies' consumer as a process of its own) and resolves once it has started. */
export async function spawnBrokerConsumer(config: Config, onLog?: (line: string) => void): Promise<ChildProcess> {
  return (await spawnLabCommand(config, ['broker-consumer'], 'broker-consumer started', onLog)).child;
}

/**
 * A CLI command in a process of its own, resolved with the log line that says it is ready. It
 * leads a process group of its own (its node:cluster workers included) under a guard that kills
 * the group if this process dies without stopping it, so that no server outlives a killed bench.
 */
async function spawnLabCommand(
  config: Config,
  args: string[],
  readyMessage: string,
  onLog?: (line: string) => void,
): Promise<{ child: ChildProcess; ready: unknown }> {
  // Readiness is read from the log line that says so: at least info, whatever the caller's level.
  const level = ['fatal', 'error', 'warn', 'silent'].includes(config.LOG_LEVEL) ? 'info' : config.LOG_LEVEL;
  const env = { ...process.env, ...configEnv({ ...config, LOG_LEVEL: level }) };
  const guard = await guardedDir('process');
  const child = spawn(...cliCommandLine(args), { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  guard.watch(child.pid);
  child.once('exit', () => void guard.remove().catch(() => undefined));
  const lines = createInterface({ input: child.stderr });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${args[0]} exited with ${code} before it was ready`);
  });
  const ready = new Promise<unknown>((resolve) => {
    lines.on('line', (line) => {
      if (line.includes(`"${readyMessage}"`)) resolve(JSON.parse(line));
      else onLog?.(line);
    });
  });
  const readyLine = await Promise.race([ready, exited]);
  if (!onLog) {
    // Request log lines (LOG_REQUESTS=all) arrive by the thousand a second under load: drained
    // unread, so that splitting them costs the bench process nothing.
    lines.close();
    child.stderr.resume();
  }
  return { child, ready: readyLine };
}

/**
 * Signals a process started here and resolves with its exit code once it has exited. With
 * `forceAfterMs`, one that has not exited by then is killed with SIGKILL.
 */
export async function kill(target: { child: ChildProcess } | ChildProcess, signal: NodeJS.Signals, forceAfterMs?: number): Promise<number | null> {
  const child = 'child' in target ? target.child : target;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  child.kill(signal);
  const force = forceAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), forceAfterMs);
  const [code] = (await exited) as [number | null];
  clearTimeout(force);
  return code;
}

/**
 * The configuration as the environment variables a lab process reads it from. An unset key
 * becomes empty, which counts as unset, so that the parent's own environment cannot fill it in.
 */
export function configEnv(config: Config): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, value === undefined ? '' : String(value)]));
}
