import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError, loadConfig, type Config, type Env } from './core/config.js';
import { pingMysql } from './core/db.js';
import type { Log } from './core/log.js';
import { pingRedis, redactUrl } from './core/redis.js';
import { isStrategyName, STRATEGY_NAMES } from './strategies/index.js';

/** Parses an option that must be a whole number from `min` to `max`, naming the range if not (no max: no 2^53 − 1). */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  const n = (value: number) => value.toLocaleString('en-US');
  const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${n(min)}` : `from ${n(min)} to ${n(max)}`;
  return (text) => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) throw new InvalidArgumentError(`It must be a whole number ${range}.`);
    return value;
  };
}

/** Parses `a,b,c` or `all` into names from `allowed`, naming the unknown ones and the choices if any. */
export function nameList<T extends string>(allowed: readonly T[]): (text: string) => T[] {
  return (text) => {
    if (text === 'all') return [...allowed];
    const names = text.split(',').map((name) => name.trim());
    const unknown = names.filter((name) => !(allowed as readonly string[]).includes(name));
    if (unknown.length) throw new InvalidArgumentError(`unknown ${unknown.join(', ')}; choose from ${allowed.join(', ')} or all`);
    return names as T[];
  };
}

/**
 * The configuration from the environment and the command's flags. A bad value ends the command
 * with the message naming it (exit status 2), not a stack trace.
 */
export function loadConfigOrExit(command: Command, overrides: Env = {}): Config {
  try {
    const config = loadConfig(process.env, overrides);
    if (!isStrategyName(config.ISSUE_STRATEGY)) {
      throw new ConfigError(`invalid configuration:\n  ISSUE_STRATEGY: unknown strategy "${config.ISSUE_STRATEGY}"; choose one of ${STRATEGY_NAMES.join(', ')}`);
    }
    return config;
  } catch (error) {
    if (error instanceof ConfigError) command.error(error.message, { exitCode: 2, code: 'coupon-lab.config' });
    throw error;
  }
}

const SERVICES = {
  mysql: { name: 'MySQL', key: 'MYSQL_URL', ping: pingMysql },
  redis: { name: 'Redis', key: 'REDIS_URL', ping: pingRedis },
} as const satisfies Record<string, { name: string; key: keyof Config; ping: (url: string) => Promise<void> }>;

export type Service = keyof typeof SERVICES;

/**
 * Ends the command with one line, exit status 2 as for a bad setting, if a service it needs does
 * not answer: checked before the command starts work, so that it fails with a way out instead of
 * a stack trace, or a table's header and then a crash. The first that does not answer is named.
 */
export async function requireServices(command: Command, config: Config, needed: Service[] = ['mysql', 'redis']): Promise<void> {
  const results = await Promise.allSettled(needed.map((service) => SERVICES[service].ping(config[SERVICES[service].key])));
  const failed = results.findIndex((result) => result.status === 'rejected');
  if (failed === -1) return;
  const { name, key } = SERVICES[needed[failed]!];
  const why = reason((results[failed] as PromiseRejectedResult).reason);
  command.error(
    `cannot reach ${name} at ${redactUrl(config[key])} (${key}): ${why} — start it (docker compose up -d mysql redis) or point ${key} at yours`,
    { exitCode: 2, code: 'coupon-lab.unreachable' },
  );
}

/** A driver's error in a few words. A host name with several addresses fails with one error per address. */
function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length) return [...new Set(error.errors.map(reason))].join('; ');
  if (error instanceof Error) return error.message || String((error as { code?: unknown }).code ?? error.name);
  return String(error);
}

/**
 * Stops the program once on SIGTERM or SIGINT. A second signal (the terminal signals a whole
 * process group, and a cluster's primary passes it on) waits for the first stop instead of
 * starting another; a stop that fails is logged and sets the exit status, never left unhandled.
 */
export function stopOnSignals(log: Log, what: string, stop: () => Promise<void>): void {
  let stopping: Promise<void> | undefined;
  const handler = (signal: NodeJS.Signals) => {
    stopping ??= (async () => {
      log.info({ signal }, `${what} stopping`);
      await stop();
      log.info(`${what} stopped`);
    })().catch((error: unknown) => {
      log.error({ error }, `${what}: stopping failed`);
      process.exitCode = 1;
    });
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, handler);
}
