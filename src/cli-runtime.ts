import type { Command } from 'commander';
import { pingBroker } from './core/broker.js';
import { ConfigError, loadConfig, type Config, type Env } from './core/config.js';
import { pingMysql } from './core/db.js';
import type { Log } from './core/log.js';
import { pingRedis, redactUrl } from './core/redis.js';
import { isStrategyName, STRATEGY_NAMES, usesBroker } from './strategies/names.js';

// What the commands' actions share. Only actions import it, when they run: it loads the configuration's
// schema and both drivers, which a command's definition and `--help` must not pay for.

/**
 * The configuration from the environment and the command's flags. A bad value ends the command
 * with the message naming it (exit status 2), not a stack trace.
 */
export function loadConfigOrExit(command: Command, overrides: Env = {}): Config {
  try {
    const config = loadConfig(process.env, overrides);
    if (!isStrategyName(config.ISSUE_STRATEGY)) {
      throw new ConfigError(
        `invalid configuration:\n  ISSUE_STRATEGY: unknown strategy "${config.ISSUE_STRATEGY}"; choose one of ${STRATEGY_NAMES.join(', ')}`,
      );
    }
    return config;
  } catch (error) {
    if (error instanceof ConfigError) command.error(error.message, { exitCode: 2, code: 'coupon-lab.config' });
    throw error;
  }
}

/** Each service: its name, its setting, how to ask it, and the compose services that start it. */
const SERVICES = {
  mysql: { name: 'MySQL', key: 'MYSQL_URL', ping: pingMysql, compose: 'mysql redis' },
  redis: { name: 'Redis', key: 'REDIS_URL', ping: pingRedis, compose: 'mysql redis' },
  broker: { name: 'RabbitMQ', key: 'AMQP_URL', ping: pingBroker, compose: 'rabbitmq' },
} as const satisfies Record<string, { name: string; key: keyof Config; ping: (url: string) => Promise<unknown>; compose: string }>;

export type Service = keyof typeof SERVICES;

/** What issuing through these strategies needs: MySQL and Redis, and RabbitMQ when one of them is a broker strategy. */
export function servicesFor(strategies: readonly string[]): Service[] {
  return ['mysql', 'redis', ...(strategies.some(usesBroker) ? (['broker'] as const) : [])];
}

/**
 * Ends the command with one line, exit status 2 as for a bad setting, if a service it needs does
 * not answer: checked before the command starts work, so that it fails with a way out instead of
 * a stack trace, or a table's header and then a crash. The first that does not answer is named.
 */
export async function requireServices(command: Command, config: Config, needed: Service[] = ['mysql', 'redis']): Promise<void> {
  const results = await Promise.allSettled(needed.map((service) => SERVICES[service].ping(config[SERVICES[service].key])));
  const failed = results.findIndex((result) => result.status === 'rejected');
  if (failed === -1) return requireRedisKind(command, config, results[needed.indexOf('redis')]);
  command.error(unreachable(config, needed[failed]!, (results[failed] as PromiseRejectedResult).reason), { exitCode: 2, code: 'coupon-lab.unreachable' });
}

/** Why a service does not answer now, in one line with the way out; undefined if it answers. */
export async function whyUnreachable(config: Config, service: Service): Promise<string | undefined> {
  const { ping, key } = SERVICES[service];
  return ping(config[key]).then(
    () => undefined,
    (error: unknown) => unreachable(config, service, error),
  );
}

function unreachable(config: Config, service: Service, error: unknown): string {
  const { name, key, compose } = SERVICES[service];
  return `cannot reach ${name} at ${redactUrl(config[key])} (${key}): ${reason(error)} — start it (docker compose up -d ${compose}) or point ${key} at yours`;
}

/**
 * Ends the command with one line if Redis is not the kind REDIS_CLUSTER says: a cluster's node
 * taken for a lone Redis would answer every key of another node's slots with a redirection, and
 * a lone Redis taken for a cluster would never be ready.
 */
function requireRedisKind(command: Command, config: Config, pinged: PromiseSettledResult<unknown> | undefined): void {
  if (pinged?.status !== 'fulfilled') return;
  const { cluster } = pinged.value as Awaited<ReturnType<typeof pingRedis>>;
  if (cluster === undefined || cluster === config.REDIS_CLUSTER) return;
  const where = `Redis at ${redactUrl(config.REDIS_URL)} (REDIS_URL)`;
  command.error(
    cluster
      ? `${where} is a node of a Redis Cluster: set REDIS_CLUSTER=true (the bench: --redis-cluster), and list its nodes in REDIS_URL`
      : `${where} is not a Redis Cluster, but REDIS_CLUSTER is set: unset it, or point REDIS_URL at a cluster's nodes`,
    { exitCode: 2, code: 'coupon-lab.config' },
  );
}

/** A driver's error in a few words. A host name with several addresses fails with one error per address. */
function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length) return [...new Set(error.errors.map(reason))].join('; ');
  if (error instanceof Error) {
    const { code } = error as { code?: unknown };
    return error.message || (typeof code === 'string' || typeof code === 'number' ? String(code) : error.name);
  }
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
