import type { ChildProcess } from 'node:child_process';
import type { Config } from '../../src/core/config.js';
import { alive } from '../../harness/processes.js';
import { kill, spawnConsumer, spawnServer, type ServerProcess } from '../../harness/server-process.js';

/** Server processes behind the crowd: two, so that one can fail while the other goes on. */
const SERVERS = 2;
/** A process that has not stopped this long after SIGTERM is killed: a fault must not hang the bench. */
const STOP_GRACE_MS = 15_000;

/**
 * The processes of one fault run: two API servers without a consumer inside, and the consumer
 * as a process of its own, so that each can be killed or paused by itself.
 */
export class Fleet {
  private constructor(
    private readonly config: Config,
    readonly servers: ServerProcess[],
    public consumer: ChildProcess,
  ) {}

  static async start(config: Config): Promise<Fleet> {
    const serverConfig = { ...config, PORT: 0, MIGRATE_ON_START: false, CONSUMER_IN_PROCESS: false };
    const started = await Promise.allSettled([
      ...Array.from({ length: SERVERS }, () => spawnServer(serverConfig)),
      spawnConsumer({ ...config, METRICS_PORT: 0, MIGRATE_ON_START: false }),
    ]);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) {
      await Promise.all(started.flatMap((result) => (result.status === 'fulfilled' ? [kill(result.value, 'SIGKILL')] : [])));
      throw failed.reason;
    }
    const values = started.map((result) => (result as PromiseFulfilledResult<ServerProcess | ChildProcess>).value);
    return new Fleet(config, values.slice(0, SERVERS) as ServerProcess[], values[SERVERS] as ChildProcess);
  }

  /** URLs of the servers still running. */
  urls(): string[] {
    return this.servers.filter((server) => alive(server.child)).map((server) => server.url);
  }

  async restartConsumer(): Promise<void> {
    if (alive(this.consumer)) await kill(this.consumer, 'SIGKILL');
    this.consumer = await spawnConsumer({ ...this.config, METRICS_PORT: 0, MIGRATE_ON_START: false });
  }

  /** Starts again what a fault left dead, so the next run meets the whole fleet. */
  async heal(): Promise<void> {
    for (const [i, server] of this.servers.entries()) {
      if (!alive(server.child)) this.servers[i] = await spawnServer({ ...this.config, PORT: 0, MIGRATE_ON_START: false, CONSUMER_IN_PROCESS: false });
    }
    if (!alive(this.consumer)) await this.restartConsumer();
  }

  async stop(): Promise<void> {
    const children = [...this.servers.map((server) => server.child), this.consumer];
    for (const child of children) child.kill('SIGCONT'); // a paused process cannot stop
    await Promise.all(children.map((child) => kill(child, 'SIGTERM', STOP_GRACE_MS)));
  }
}
