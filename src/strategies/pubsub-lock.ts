import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockTimeoutError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { closeRedis, createRedis, type Redis } from '../core/redis.js';
import type { StrategyFactory } from './issue-strategy.js';
import { issueUnderLease } from './lease.js';

/**
 * The same `SET NX PX` lock as spin-lock, but waiting the way Redisson does: a request that
 * finds the lock taken subscribes to the lock's channel, and sleeps until a release is
 * published there, or for at most a lease (the fallback for a lost message or a holder that
 * died: no holder keeps the lock longer), then tries again. Each release wakes one waiter of each
 * process, the one that has waited longest; one that loses the race to another process waits
 * again at the head. So Redis sees a try per release per process instead of one per waiter
 * per poll, and a process's waiters are served in the order they came.
 *
 * One subscriber connection per process, opened at the first wait. Exact only while the lease
 * holds, as redis-lock and spin-lock: the lease is checked before commit, which is no fence.
 */
export const createPubsubLock: StrategyFactory = (deps) => {
  const { config, keys, redis } = deps;
  const { LOCK_WAIT_MS: waitMs, LOCK_LEASE_MS: leaseMs } = config;
  const channels = new ReleaseChannels(() => createRedis(config.REDIS_URL, { autoPipelining: false, log: deps.log, cluster: config.REDIS_CLUSTER }), deps.log);

  /** One `SET NX PX`: when the lock was taken (just before the command was sent), or undefined. */
  async function tryLock(key: string, owner: string): Promise<number | undefined> {
    const sentAt = performance.now();
    return (await redis.set(key, owner, 'PX', leaseMs, 'NX')) === 'OK' ? sentAt : undefined;
  }

  /** Until the lock is taken; returns when it was. */
  async function acquire(key: string, channel: string, owner: string, startedAt: number): Promise<number> {
    const taken = await tryLock(key, owner);
    if (taken !== undefined) return taken;
    const { waiters, subscribedNow } = await channels.join(channel, waitMs - (Date.now() - startedAt));
    try {
      // A release published before this process subscribed woke nobody here: try once more. One
      // published since is kept for the next wait (WaitList's permit), so a waiter that joins an
      // existing subscription goes straight to waiting.
      for (let waitedBefore = false, tryFirst = subscribedNow; ; waitedBefore = true, tryFirst = true) {
        const takenNow = tryFirst ? await tryLock(key, owner) : undefined;
        if (takenNow !== undefined) return takenNow;
        const waitLeft = waitMs - (Date.now() - startedAt);
        if (waitLeft <= 0) throw new LockTimeoutError('pubsub-lock', Date.now() - startedAt);
        // No holder keeps the lock longer than a lease: woken or not, by then it is free to try.
        await waiters.wait(Math.min(leaseMs, waitLeft), waitedBefore);
      }
    } finally {
      channels.leave(channel, waiters);
    }
  }

  return {
    name: 'pubsub-lock',
    protection: 'lease',
    uses: ['mysql', 'redis'],
    lockWaits: 'each request',
    asynchronous: false,
    card: {
      steps: [
        'SET lock NX PX lease',
        "if taken, wait for the release message on the lock's channel",
        'read, decide, insert; check the lease, commit',
        'release with a script that publishes the release',
      ],
      needs: 'Redis (a subscriber connection per process), MySQL',
      pitfall: 'Exact only while the lease holds, as spin-lock: the check of the lease before commit is no fence.',
    },
    issue(request) {
      const key = keys.couponLockOf(request.couponId, 'pubsub-lock');
      const channel = `${key}:released`;
      const owner = randomBytes(12).toString('base64');
      return issueUnderLease(deps, request, 'pubsub-lock', {
        acquire: () => acquire(key, channel, owner, Date.now()),
        release: () => redis.releaseLock(key, owner, channel),
      });
    },
    close: () => channels.close(),
  };
};

/**
 * The waiters of one lock in this process, woken one per release message, longest-waiting
 * first. A message that finds nobody waiting (the waiter is between two tries) is kept as a
 * permit for the next wait, so no wake-up is lost in that gap.
 */
class WaitList {
  readonly #waiters: (() => void)[] = [];
  #permit = false;
  users = 0;

  /** Until woken or `timeoutMs` has passed. `again`: back at the head, for a waiter that lost its turn. */
  wait(timeoutMs: number, again: boolean): Promise<void> {
    if (this.#permit) {
      this.#permit = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(wake), 1);
        resolve();
      }, timeoutMs);
      if (again) this.#waiters.unshift(wake);
      else this.#waiters.push(wake);
    });
  }

  wakeOne(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#permit = true;
  }
}

/** The process's subscriptions to release channels: one per lock some request here waits for. */
class ReleaseChannels {
  readonly #lists = new Map<string, { waiters: WaitList; subscribed: Promise<boolean>; failed: boolean }>();
  #subscriber: Redis | undefined;

  constructor(
    private readonly connect: () => Redis,
    private readonly log: Log,
  ) {}

  /**
   * Joins the channel's waiters, subscribing first if nobody here waits on it yet, or if the last
   * try failed (`subscribedNow`: a release published before then woke nobody). Waits for the
   * subscription at most `waitMs`: without it the waiters still wake after a lease.
   */
  async join(channel: string, waitMs: number): Promise<{ waiters: WaitList; subscribedNow: boolean }> {
    const known = this.#lists.get(channel);
    const subscribedNow = !known || known.failed;
    const entry = known ?? { waiters: new WaitList(), subscribed: Promise.resolve(false), failed: false };
    if (subscribedNow) this.#subscribe(channel, entry);
    this.#lists.set(channel, entry);
    entry.waiters.users++;
    const timeout = new AbortController();
    await Promise.race([entry.subscribed, sleep(Math.max(0, waitMs), undefined, { signal: timeout.signal }).catch(() => undefined)]);
    timeout.abort();
    return { waiters: entry.waiters, subscribedNow };
  }

  leave(channel: string, waiters: WaitList): void {
    if (--waiters.users > 0) return;
    this.#lists.delete(channel);
    this.#subscriber?.unsubscribe(channel).catch(() => {
      // Gone with the connection: nothing left to unsubscribe from.
    });
  }

  async close(): Promise<void> {
    if (this.#subscriber) await closeRedis(this.#subscriber);
  }

  #subscribe(channel: string, entry: { subscribed: Promise<boolean>; failed: boolean }): void {
    entry.failed = false;
    entry.subscribed = this.#connection()
      .subscribe(channel)
      .then(
        () => true,
        (error: unknown) => {
          entry.failed = true; // the next waiter to join tries again
          this.log.warn({ channel, error }, 'pubsub-lock: subscribe failed; waiters wake when the lease runs out');
          return false;
        },
      );
  }

  #connection(): Redis {
    if (!this.#subscriber) {
      const subscriber = this.connect();
      subscriber.on('message', (channel: string) => this.#lists.get(channel)?.waiters.wakeOne());
      // Back after an outage (ioredis subscribes again to what it had): a release published
      // meanwhile reached nobody, so one waiter of each lock tries now rather than after a lease,
      // and a subscription that failed while it was down is made again.
      let connectedBefore = false;
      subscriber.on('ready', () => {
        for (const [channel, entry] of this.#lists) {
          if (entry.failed) this.#subscribe(channel, entry);
          if (connectedBefore) entry.waiters.wakeOne();
        }
        connectedBefore = true;
      });
      this.#subscriber = subscriber;
    }
    return this.#subscriber;
  }
}
