import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Refusal } from '../../core/coupon.js';
import { grantLease, settleLeases, type LeaseSelection } from '../../core/stock-leases.js';
import type { StrategyDeps } from '../issue-strategy.js';
import { Block, UNUSED_END_OF_LEASE } from './block.js';

/** Left in the current block when the next is asked for, as a share of the block: its requests need not wait for it. */
const ASK_AHEAD_AT = 0.25;

/** A grant under way for a coupon: one asked ahead of need (which takes nothing back), or one requests wait for. */
interface Granting {
  done: Promise<Refusal | undefined>;
  ahead: boolean;
}

/**
 * A process's blocks: per coupon a current block, whose places its requests take one at a time
 * with no round trip, and the next, asked for once the current runs low; one grant at a time per
 * coupon, which the requests that find no block wait for together. MySQL, not this count, keeps
 * the coupon exact: the count only stops the process from sending more rows than its block
 * holds, and the fence (sellUnderLease) refuses every row once the block has ended.
 */
export class LeasedBlocks {
  /** host:pid:random, on every block this process takes. */
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  readonly #current = new Map<number, Block>();
  readonly #next = new Map<number, Block>();
  readonly #granting = new Map<number, Granting>();
  #reclaimer: NodeJS.Timeout | undefined;
  #reclaiming: Promise<unknown> | undefined;

  constructor(private readonly deps: Pick<StrategyDeps, 'db' | 'config' | 'log'>) {}

  /** A place of the coupon's blocks, taken for one request; or why there is none. */
  async take(couponId: number): Promise<Block | Refusal> {
    for (;;) {
      const block = this.#usable(couponId);
      if (block) {
        block.left--;
        block.writing++;
        if (block.left <= block.granted * ASK_AHEAD_AT) this.#askAhead(couponId);
        return block;
      }
      const granting = this.#granting.get(couponId);
      const refusal = await (granting?.ahead ? granting.done.then(() => undefined) : this.#grantOnce(couponId, false));
      if (refusal) return refusal;
    }
  }

  /** The current block if it can still hand out a place; else the next, which becomes current. */
  #usable(couponId: number): Block | undefined {
    for (const blocks of [this.#current, this.#next]) {
      const block = blocks.get(couponId);
      if (!block) continue;
      if (block.usable()) {
        this.#next.delete(couponId);
        this.#current.set(couponId, block);
        return block;
      }
      this.end(couponId, block);
    }
    return undefined;
  }

  /** The request is done with its place; `written` false gives it back to the block (no row was written). */
  done(block: Block, written: boolean): void {
    block.writing--;
    if (!written) block.left++;
    if (block.ended) this.#settleWhenIdle(block);
  }

  /** Hands out nothing more from the block; once its writes are done, gives what it did not sell back to the coupon. */
  end(couponId: number, block: Block): void {
    for (const blocks of [this.#current, this.#next]) if (blocks.get(couponId) === block) blocks.delete(couponId);
    if (block.ended) return;
    block.ended = true;
    this.#settleWhenIdle(block);
  }

  #settleWhenIdle(block: Block): void {
    if (block.writing > 0) return;
    void this.#settle({ ids: [block.id] }, 'could not give back an ended block; the reclaimer will, once its lease runs out');
  }

  /** The next block, asked for while the current still has places; a refusal is left to the request that needs one. */
  #askAhead(couponId: number): void {
    if (this.#next.has(couponId) || this.#granting.has(couponId)) return;
    this.#grantOnce(couponId, true).catch((error: unknown) => this.deps.log.warn({ couponId, error }, 'leased-stock: asking ahead for a block failed'));
  }

  #grantOnce(couponId: number, ahead: boolean): Promise<Refusal | undefined> {
    let granting = this.#granting.get(couponId);
    if (!granting) {
      const done = this.#grant(couponId, ahead).finally(() => this.#granting.delete(couponId));
      granting = { done, ahead };
      this.#granting.set(couponId, granting);
    }
    return granting.done;
  }

  /**
   * A new block. When the coupon's count is empty, every open block of the coupon is taken back
   * first (a dead process's, a paused one's, the unsold places of a live one's) and half of what
   * comes back is taken: the coupon is sold out only once no block holds a place either. A grant
   * asked ahead takes nothing back: this process still has places.
   */
  async #grant(couponId: number, ahead: boolean): Promise<Refusal | undefined> {
    const { LEASE_BLOCK: block, LEASE_TTL_MS: ttlMs } = this.deps.config;
    for (let half = false; ; half = true) {
      const askedAt = performance.now();
      const grant = await grantLease(this.deps.db, couponId, { owner: this.owner, block, half, ttlMs, now: new Date() });
      if ('lease' in grant) {
        this.#place(couponId, new Block(grant.lease.id, grant.lease.granted, askedAt + ttlMs * (1 - UNUSED_END_OF_LEASE)));
        this.#startReclaimer();
        return undefined;
      }
      if (ahead || grant.refused !== 'COUPON_SOLD_OUT' || grant.blocksOpen === 0) return grant.refused;
      await settleLeases(this.deps.db, { couponId });
    }
  }

  /** A new block is the next one while the current can still hand out places; else it replaces the current, which ends. */
  #place(couponId: number, block: Block): void {
    const current = this.#current.get(couponId);
    if (current?.usable()) {
      this.#next.set(couponId, block);
      return;
    }
    if (current) this.end(couponId, current);
    this.#current.set(couponId, block);
  }

  /**
   * Every LEASE_RECLAIM_MS, once this process has leased a block: gives back the blocks whose
   * lease ran out by MySQL's clock, whoever held them (a process that died or stopped).
   */
  #startReclaimer(): void {
    this.#reclaimer ??= setInterval(() => {
      this.#reclaiming ??= this.#settle({ expired: true }, 'reclaiming expired blocks failed; trying again', { skipLocked: true }).finally(() => {
        this.#reclaiming = undefined;
      });
    }, this.deps.config.LEASE_RECLAIM_MS).unref();
  }

  #settle(which: LeaseSelection, failure: string, options?: { skipLocked: boolean }): Promise<unknown> {
    return settleLeases(this.deps.db, which, options).catch((error: unknown) => this.deps.log.warn({ which, error }, `leased-stock: ${failure}`));
  }

  /** Stops reclaiming and gives back every block of this process: its places are on sale again at once. */
  async close(): Promise<void> {
    clearInterval(this.#reclaimer);
    await Promise.allSettled([...[...this.#granting.values()].map((granting) => granting.done), this.#reclaiming]);
    this.#current.clear();
    this.#next.clear();
    await this.#settle({ owner: this.owner }, 'could not give back its blocks at stop; the reclaimer of another process will, once they expire');
  }
}
