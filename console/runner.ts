import { runFaults } from '../bench/faults/run-faults.js';
import { SCENARIOS } from '../bench/faults/scenarios.js';
import { runBench } from '../bench/run-bench.js';
import { benchSettings } from '../bench/settings.js';
import type { Config } from '../src/core/config.js';
import type { Log } from '../src/core/log.js';
import type { ConsoleEvent, FaultRequest, RaceRequest, RunKind, StoredReport } from './contract.js';
import { ConsoleError } from './errors.js';
import type { RunsStore } from './runs-store.js';

/** A `ConsoleEvent` before it is numbered. */
type Unnumbered = ConsoleEvent extends infer E ? (E extends ConsoleEvent ? Omit<E, 'seq'> : never) : never;
type Listener = (event: ConsoleEvent) => void;

interface Current {
  kind: RunKind;
  startedAt: string;
  stop: AbortController;
  done: Promise<void>;
}

/**
 * Runs one race or fault run at a time, with the bench's own engines, in this process; the servers
 * it measures are processes of their own, as the CLI's are. What the engines tell is numbered and
 * passed to every listener; the events of the latest run are kept, so that a page opened (or
 * reconnected) meanwhile sees the run from its start.
 */
export class Runner {
  #current: Current | undefined;
  #events: ConsoleEvent[] = [];
  #seq = 0;
  readonly #listeners = new Set<Listener>();

  constructor(
    private readonly config: Config,
    private readonly store: RunsStore,
    private readonly log: Log,
  ) {}

  race(request: RaceRequest): void {
    this.#start('race', request, async (signal) => {
      const settings = benchSettings({ mode: 'http', ...request }, this.config);
      const report = await runBench({ settings, config: this.config, floors: false, signal, onEvent: (event) => this.#emit({ type: 'race', event }) });
      return { kind: 'race', report };
    });
  }

  faults(request: FaultRequest): void {
    this.#start('faults', request, async (signal) => {
      const scenarios = SCENARIOS.filter((scenario) => scenario.fault === request.fault);
      const report = await runFaults({ scenarios, strategies: request.strategies, signal, onEvent: (event) => this.#emit({ type: 'fault', event }) });
      return { kind: 'faults', report };
    });
  }

  /**
   * Stops the run going on, nothing saved of it: a race's crowd ends at once, a fault run's before its
   * next strategy; then their servers and instances are stopped.
   */
  stop(): void {
    if (!this.#current) throw new ConsoleError('NO_RUN', 'nothing is running');
    this.#current.stop.abort();
  }

  /** Calls `listener` with every event numbered above `afterSeq` kept so far, then with each new one; returns how to stop. */
  listen(listener: Listener, afterSeq = 0): () => void {
    for (const event of this.#events) if (event.seq > afterSeq) listener(event);
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops the run going on, if any, and resolves once its servers are gone. */
  async close(): Promise<void> {
    const current = this.#current;
    current?.stop.abort();
    await current?.done;
  }

  #start(kind: RunKind, request: RaceRequest | FaultRequest, run: (signal: AbortSignal) => Promise<StoredReport>): void {
    if (this.#current) {
      const { kind: running, startedAt } = this.#current;
      throw new ConsoleError(
        'RUN_IN_PROGRESS',
        `a ${running === 'race' ? 'race' : 'fault run'} started at ${startedAt} is still running: wait for it, or stop it`,
      );
    }
    const stop = new AbortController();
    const startedAt = new Date().toISOString();
    this.#events = [];
    this.#emit({ type: 'run-started', kind, request, startedAt });
    // Told only once the run is over, servers stopped: a page may start the next one on hearing it.
    const done = this.#outcome(kind, run, stop.signal).then((last) => {
      this.#current = undefined;
      this.#emit(last);
    });
    this.#current = { kind, startedAt, stop, done };
  }

  async #outcome(kind: RunKind, run: (signal: AbortSignal) => Promise<StoredReport>, signal: AbortSignal): Promise<Unnumbered> {
    try {
      return { type: 'run-saved', saved: await this.store.save(await run(signal)) };
    } catch (error) {
      if (signal.aborted) return { type: 'run-stopped' };
      this.log.error({ error }, `console: the ${kind} failed`);
      return { type: 'run-failed', message: error instanceof Error ? error.message : String(error) };
    }
  }

  #emit(unnumbered: Unnumbered): void {
    const event: ConsoleEvent = { ...unnumbered, seq: ++this.#seq };
    this.#events.push(event);
    for (const listener of this.#listeners) listener(event);
  }
}
