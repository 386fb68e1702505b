import { BlockEndedError } from '../core/errors.js';
import { isMysqlLostRace, MYSQL_ERRNO, mysqlErrno } from '../core/mysql-errors.js';
import { leaseLive, sellUnderLease } from '../core/stock-leases.js';
import { ISSUED, refused, type IssueResult, type StrategyFactory } from './issue-strategy.js';
import type { Block } from './leased-stock/block.js';
import { LeasedBlocks } from './leased-stock/blocks.js';

/** Blocks a request may find ended under it before it answers LEASE_EXPIRED. */
const ATTEMPTS = 5;

type Sale = IssueResult | 'ended';

/**
 * Local stock, "merged deduction": each server process leases a block of a coupon's places
 * (LEASE_BLOCK, for LEASE_TTL_MS) from the coupon's count in one transaction, then hands them out
 * one per request with no round trip for the count. Each request costs one statement: the row is
 * inserted under the block (sellUnderLease), and MySQL refuses it if the block has ended, expired
 * by MySQL's clock or outlived a change of the coupon. So a process paused past its lease, or
 * whose block another process took back, cannot sell what it still counts as its own. One per
 * user stays global: the unique key, as everywhere.
 *
 * What a block did not sell goes back to the coupon when its process ends it (used up, its lease
 * nearly over, the process stopping), when a process finds the coupon's count empty (it takes back
 * every open block of the coupon before saying sold out), and when any process's reclaimer finds
 * its lease expired. Rows under a block are counted, never trusted to the process that wrote them.
 */
export const createLeasedStock: StrategyFactory = (deps) => {
  const blocks = new LeasedBlocks(deps);

  async function sell(couponId: number, block: Block, userId: number): Promise<Sale> {
    let written = false;
    try {
      written = await sellUnderLease(deps.db, block.id, userId, new Date());
      if (written) return ISSUED;
      // Refused: the block is over, or (a block still live) the coupon's window is not open.
      if (await leaseLive(deps.db, block.id)) return refused('COUPON_NOT_IN_ISSUE_WINDOW');
      blocks.end(couponId, block);
      return 'ended';
    } catch (error) {
      if (mysqlErrno(error) === MYSQL_ERRNO.DUPLICATE_ENTRY) return refused('ALREADY_ISSUED');
      if (isMysqlLostRace(error)) return 'ended';
      written = true; // unknown: the row may be there, so the place is not handed out again
      throw error;
    } finally {
      blocks.done(block, written);
    }
  }

  return {
    name: 'leased-stock',
    protection: 'global',
    uses: ['mysql'],
    lockWaits: 'none',
    asynchronous: false,
    card: {
      steps: [
        "each server process leases a block of places from the coupon's count, for a short lease",
        "a request takes the next place of its process's block, with no round trip for the count",
        'one INSERT … SELECT writes the row under the block; MySQL refuses it once the block ended or its lease ran out',
        'unsold places go back when a block ends: used up, lease over, process stopped, or reclaimed',
      ],
      needs: 'MySQL alone: a table of leases, the block on each row',
      pitfall:
        "A killed process strands the rest of its block until another process needs it or its lease runs out; the count's boundary is easy to get wrong by one.",
    },
    async issue({ couponId, userId }) {
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        const block = await blocks.take(couponId);
        if (typeof block === 'string') return refused(block);
        const sale = await sell(couponId, block, userId);
        if (sale !== 'ended') return sale;
        deps.observer.retried('leased-stock');
      }
      throw new BlockEndedError('leased-stock', ATTEMPTS);
    },
    close: () => blocks.close(),
  };
};
