import type { Command } from 'commander';
import { settingsGiven } from './cli-options.js';
import { pingBroker } from './core/broker.js';
import { ConfigError, loadConfig, type Config, type Env } from './core/config.js';
import { pingMysql } from './core/db.js';
import type { Log } from './core/log.js';
import type { PingFailure } from './core/ping-error.js';
import { pingRedis, redactUrl } from './core/redis.js';
import { isStrategyName, STRATEGY_NAMES, usesBroker } from './strategies/names.js';

// What the commands' actions share. Only actions import it, when they run: it loads the configuration's
// schema and both drivers, which a command's definition and `--help` must not pay for.

/**
 * The configuration from the environment, the command's setting options (cli-options.ts
 * settingOption) given on its command line, and `fixed`: what the command itself imposes. A bad
 * value ends the command with one line naming it as the user gave it, flag or environment variable
 * (exit status 2), not a stack trace.
 */
export function loadConfigOrExit(command: Command, fixed: Env = {}): Config {
  const given = Object.fromEntries(settingsGiven(command).map(({ key, value }) => [key, value])) as Env;
  try {
    const config = loadConfig(process.env, { ...given, ...fixed });
    if (!isStrategyName(config.ISSUE_STRATEGY)) {
      throw new ConfigError([{ key: 'ISSUE_STRATEGY', message: `must name a strategy: one of ${STRATEGY_NAMES.join(', ')}` }]);
    }
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const problems = error.problems.map(({ key, message }) => `${settingName(command, key)} ${message}`);
    return command.error(`invalid setting${problems.length > 1 ? 's' : ''}: ${problems.join('; ')}`, { exitCode: 2, code: 'coupon-lab.config' });
  }
}

/** A setting as the user gave it: the flag, if the command line set it, else its environment variable. */
function settingName(command: Command | undefined, key: string): string {
  return (command && settingsGiven(command).find((given) => given.key === key)?.flag) ?? key;
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
 * a stack trace, or a table's header and then a crash. The first that does not answer is named,
 * with the way out that fits why: start it, fix the login, or point the URL at the service.
 */
export async function requireServices(command: Command, config: Config, needed: Service[] = ['mysql', 'redis']): Promise<void> {
  const results = await Promise.allSettled(needed.map((service) => SERVICES[service].ping(config[SERVICES[service].key])));
  const failed = results.findIndex((result) => result.status === 'rejected');
  if (failed === -1) return requireRedisKind(command, config, results[needed.indexOf('redis')]);
  const line = failureLine(config, needed[failed]!, (results[failed] as PromiseRejectedResult).reason, command);
  command.error(line, { exitCode: 2, code: 'coupon-lab.unreachable' });
}

/** Why a service does not answer now, in one line with the way out; undefined if it answers. */
export async function whyUnreachable(config: Config, service: Service): Promise<string | undefined> {
  const { ping, key } = SERVICES[service];
  return ping(config[key]).then(
    () => undefined,
    (error: unknown) => failureLine(config, service, error),
  );
}

/** One line: which service, where, why it did not answer, and the way out that fits why. */
function failureLine(config: Config, service: Service, reason: unknown, command?: Command): string {
  const { name, key, compose } = SERVICES[service];
  const error = reason as Error & { failure?: PingFailure };
  const message = error instanceof Error ? error.message || error.name : String(reason);
  const setting = settingName(command, key);
  const where = `${name} at ${redactUrl(config[key])} (${setting})`;
  const line: Record<PingFailure, string> = {
    unreachable: `cannot reach ${where}: ${message} — start it (docker compose up -d ${compose}) or point ${setting} at yours`,
    'login-refused': `${where} refused the login: ${message} — check the user and password in ${setting}`,
    'not-this-service': `${where} does not answer as ${name} does (${message}) — is ${setting} the address of a ${name} server?`,
  };
  return line[error.failure ?? 'unreachable'];
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
  const url = settingName(command, 'REDIS_URL');
  const where = `Redis at ${redactUrl(config.REDIS_URL)} (${url})`;
  const clusterSet = settingName(command, 'REDIS_CLUSTER') === 'REDIS_CLUSTER' ? 'REDIS_CLUSTER is set: unset it' : '--redis-cluster is given: leave it out';
  command.error(
    cluster
      ? `${where} is a node of a Redis Cluster: set REDIS_CLUSTER=true or give --redis-cluster, and list its nodes in ${url}`
      : `${where} is not a Redis Cluster, but ${clusterSet}, or point ${url} at a cluster's nodes`,
    { exitCode: 2, code: 'coupon-lab.config' },
  );
}

/**
 * Ends the command with one line (exit status 2) if `error` is a listen error another port cures:
 * the port taken, or one this process may not open (below 1024 without privileges). `choose` says
 * how to choose another (`--port or PORT`). Returns if it is another error, for the caller to throw.
 */
export function exitOnListenError(command: Command, error: unknown, port: number | undefined, choose: string): void {
  const { code } = error as { code?: string };
  if (code === 'EADDRINUSE') command.error(`port ${port} is already in use; choose another with ${choose}`, { exitCode: 2 });
  if (code === 'EACCES') command.error(`port ${port} needs privileges this process lacks; choose another with ${choose}`, { exitCode: 2 });
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
