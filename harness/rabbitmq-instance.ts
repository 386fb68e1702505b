import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { requireBinary } from './binaries.js';
import { guardedDir } from './guarded-dir.js';
import { freePort } from './ports.js';
import { superviseServer, type PrivateInstance } from './supervised-server.js';

/**
 * A private RabbitMQ at `amqp://guest:guest@127.0.0.1:<port>`: `start()` resolves once it accepts
 * AMQP connections as itself, and after a kill recovers its queues (quorum queues keep what they
 * confirmed) from the same data directory.
 */
export type PrivateRabbitmq = PrivateInstance;

/**
 * Debian's server script, not /usr/sbin/rabbitmq-server: that wrapper, run as root, switches to the
 * rabbitmq user and writes to the shared server's /var/log/rabbitmq.
 */
const SERVER_SCRIPTS = '/usr/lib/rabbitmq/bin';

/** Boot takes seconds here, and crash recovery of its queues after a SIGKILL a few more. */
const START_TIMEOUT_MS = 90_000;

/**
 * Everything the node is told comes from the RABBITMQ_* variables and files in its own directory,
 * never from /etc/rabbitmq: a node name of its own, its own AMQP and distribution ports (below the
 * ephemeral range, as every private instance's), its data, logs, enabled plugins (none) and
 * configuration file, and an Erlang cookie of its own in its own HOME.
 *
 * EPMD: a node registers its name with an EPMD on ERL_EPMD_PORT (4369 by default, the shared
 * server's, which may be down or not there at all), and erl starts one itself when none answers, as
 * a daemon that would outlive the instance. So each instance runs an EPMD of its own on a private
 * port, in its own process group, started before the node and killed with it; erl is told not to
 * start another (-start_epmd false).
 */
export async function startRabbitmq(): Promise<PrivateRabbitmq> {
  const server = await requireBinary('rabbitmq-server', 'rabbitmq-server', SERVER_SCRIPTS);
  const epmd = await requireBinary('epmd', 'erlang-base');
  const port = await freePort();
  const distPort = await freePort([port]);
  const epmdPort = await freePort([port, distPort]);
  const name = `coupon-lab-${randomBytes(4).toString('hex')}`;
  const dir = await guardedDir('faults-rabbitmq');
  await writeFiles(dir.path, port, name);
  const env = nodeEnv(dir.path, name, port, distPort, epmdPort);
  const supervised = superviseServer(dir, {
    name: `private rabbitmq on 127.0.0.1:${port} (${dir.path})`,
    logPath: join(dir.path, 'rabbitmq.log'),
    command: () => ({
      binary: '/bin/sh',
      args: ['-c', 'epmd -port "$ERL_EPMD_PORT" -address 127.0.0.1 & exec "$0"', server],
      env: { ...env, PATH: pathWith(epmd) },
    }),
    probe: () => servesAs(port, name),
    startTimeoutMs: START_TIMEOUT_MS,
  });
  const rabbitmq: PrivateRabbitmq = {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    port,
    dir: dir.path,
    get pid() {
      return supervised.pid;
    },
    start: () => supervised.start(),
    kill: (signal) => supervised.kill(signal),
    pause: () => supervised.pause(),
    resume: () => supervised.resume(),
    stop: () => supervised.stop(),
  };
  try {
    await rabbitmq.start();
  } catch (error) {
    await rabbitmq.stop();
    throw error;
  }
  return rabbitmq;
}

async function writeFiles(dir: string, port: number, name: string): Promise<void> {
  const config = [
    `listeners.tcp.default = 127.0.0.1:${port}`,
    // What the probe asks for: a server that says this name is this instance, not whatever took the port.
    `cluster_name = ${name}`,
    // The default (50 MB) would stop publishers on a machine whose disk other tests fill.
    'disk_free_limit.absolute = 10MB',
  ];
  await writeFile(join(dir, 'rabbitmq.conf'), `${config.join('\n')}\n`);
  await writeFile(join(dir, 'enabled_plugins'), '[].\n');
  await writeFile(join(dir, 'rabbitmq-env.conf'), '');
}

function nodeEnv(dir: string, name: string, port: number, distPort: number, epmdPort: number): Record<string, string> {
  return {
    HOME: dir, // erl writes the node's .erlang.cookie here
    RABBITMQ_NODENAME: `${name}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    // Else port + 20000, which may fall in the ephemeral range, or on another server's.
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-start_epmd false -kernel inet_dist_use_interface {127,0,0,1}',
    // Not /etc/rabbitmq's files: the shared server's node name and settings must not apply here.
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_LOGS: '-', // standard output: the supervisor's log file, quoted in errors
    RABBITMQ_PLUGINS_EXPAND_DIR: join(dir, 'plugins-expand'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
  };
}

/** This process's PATH, with the directory of `binary` first. */
function pathWith(binary: string): string {
  return [binary.slice(0, binary.lastIndexOf('/')), process.env.PATH ?? ''].filter(Boolean).join(':');
}

/** Our node, not another server on its port, accepts an AMQP connection (a node has no pid to ask for: its cluster name tells). */
async function servesAs(port: number, name: string): Promise<void> {
  const connection = await connect(`amqp://guest:guest@127.0.0.1:${port}`, { timeout: 2_000 });
  try {
    const served = connection.connection.serverProperties.cluster_name;
    if (served !== name) throw new Error(`127.0.0.1:${port} is RabbitMQ ${served}, not ${name}`);
  } finally {
    await connection.close().catch(() => undefined);
  }
}
