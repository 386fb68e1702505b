import { E_TIMEOUT, Mutex, withTimeout, type MutexInterface } from 'async-mutex';
import { LockTimeoutError } from './errors.js';

/**
 * One in-process mutex per key (a coupon id), created on first use and dropped when nobody
 * holds or waits for it, so the map does not grow with every coupon ever issued.
 * It serialises callers inside this process only: a second process has mutexes of its own.
 */
export class KeyedMutex {
  readonly #entries = new Map<string, { mutex: MutexInterface; users: number }>();

  constructor(
    private readonly owner: string,
    private readonly waitMs: number,
  ) {}

  async runExclusive<T>(key: string | number, work: () => Promise<T>): Promise<T> {
    const id = String(key);
    let entry = this.#entries.get(id);
    if (!entry) {
      entry = { mutex: withTimeout(new Mutex(), this.waitMs), users: 0 };
      this.#entries.set(id, entry);
    }
    entry.users++;
    try {
      return await entry.mutex.runExclusive(work);
    } catch (error) {
      if (error === E_TIMEOUT) throw new LockTimeoutError(this.owner, this.waitMs);
      throw error;
    } finally {
      if (--entry.users === 0) this.#entries.delete(id);
    }
  }

  /** Keys currently held or waited for (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }
}
