import type { ChildProcess } from 'node:child_process';
import type { Config } from '../../src/core/config.js';
import { alive } from '../../harness/processes.js';
import { kill, spawnBrokerConsumer, spawnConsumer, spawnServer, type ServerProcess } from '../../harness/server-process.js';

/** The stream consumer (lua), or the broker strategies' consumer. */
export type ConsumerKind = 'stream' | 'broker';

/** Server processes behind the crowd: two, so that one can fail while the other goes on. */
const SERVERS = 2;
/** A process that has not stopped this long after SIGTERM is killed: a fault must not hang the bench. */
const STOP_GRACE_MS = 15_000;

/**
 * The processes of one fault run: two API servers without a consumer inside, and the consumer
 * as a process of its own (with `broker`, the broker strategies' consumer too), so that each can
 * be killed or paused by itself.
 */
export class Fleet {
  private constructor(
    private readonly config: Config,
    readonly servers: ServerProcess[],
    private readonly consumers: Map<ConsumerKind, ChildProcess>,
  ) {}

  static async start(config: Config, { broker }: { broker: boolean }): Promise<Fleet> {
    const serverConfig = { ...config, PORT: 0, MIGRATE_ON_START: false, CONSUMER_IN_PROCESS: false };
    const kinds: ConsumerKind[] = broker ? ['stream', 'broker'] : ['stream'];
    const started = await Promise.allSettled([
      ...Array.from({ length: SERVERS }, () => spawnServer(serverConfig)),
      ...kinds.map((kind) => spawnConsumerOf(config, kind)),
    ]);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) {
      await Promise.all(started.flatMap((result) => (result.status === 'fulfilled' ? [kill(result.value, 'SIGKILL')] : [])));
      throw failed.reason;
    }
    const values = started.map((result) => (result as PromiseFulfilledResult<ServerProcess | ChildProcess>).value);
    const consumers = new Map(kinds.map((kind, i) => [kind, values[SERVERS + i] as ChildProcess]));
    return new Fleet(config, values.slice(0, SERVERS) as ServerProcess[], consumers);
  }

  /** URLs of the servers still running. */
  urls(): string[] {
    return this.servers.filter((server) => alive(server.child)).map((server) => server.url);
  }

  /** The stream consumer's process, or the broker consumer's. */
  consumerOf(kind: ConsumerKind): ChildProcess {
    const consumer = this.consumers.get(kind);
    if (!consumer) throw new Error(`this fleet runs no ${kind} consumer`);
    return consumer;
  }

  async restartConsumer(kind: ConsumerKind = 'stream'): Promise<void> {
    const consumer = this.consumerOf(kind);
    if (alive(consumer)) await kill(consumer, 'SIGKILL');
    this.consumers.set(kind, await spawnConsumerOf(this.config, kind));
  }

  /** Starts again what a fault left dead, so the next run meets the whole fleet. */
  async heal(): Promise<void> {
    for (const [i, server] of this.servers.entries()) {
      if (!alive(server.child)) this.servers[i] = await spawnServer({ ...this.config, PORT: 0, MIGRATE_ON_START: false, CONSUMER_IN_PROCESS: false });
    }
    for (const [kind, consumer] of this.consumers) if (!alive(consumer)) await this.restartConsumer(kind);
  }

  /** Every process of the fleet: the servers, then the consumers. */
  children(): ChildProcess[] {
    return [...this.servers.map((server) => server.child), ...this.consumers.values()];
  }

  async stop(): Promise<void> {
    const children = this.children();
    for (const child of children) child.kill('SIGCONT'); // a paused process cannot stop
    await Promise.all(children.map((child) => kill(child, 'SIGTERM', STOP_GRACE_MS)));
  }
}

function spawnConsumerOf(config: Config, kind: ConsumerKind): Promise<ChildProcess> {
  const own = { ...config, METRICS_PORT: 0, MIGRATE_ON_START: false };
  return kind === 'broker' ? spawnBrokerConsumer(own) : spawnConsumer(own);
}
