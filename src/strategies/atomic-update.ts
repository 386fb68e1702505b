import { checkCoupon } from '../core/coupon.js';
import { findCoupon, insertIssue, takePlace } from '../core/coupon-repository.js';
import { ISSUED, refused, type StrategyFactory } from './issue-strategy.js';
import { inTransaction } from './issue-transaction.js';

/** A change between the update that took nothing and the read of why (a quantity raised) is met by trying again. */
const ATTEMPTS = 3;

/**
 * "Just make the update conditional": one `UPDATE … SET issued_quantity = issued_quantity + 1
 * WHERE id = ? AND issued_quantity < total_quantity AND <in the window>` takes the place, then
 * the insert, whose unique key is the one-per-user check (a duplicate rolls the update back).
 * No lock before it: the row is locked only from the update to the commit. When the update
 * takes nothing, the coupon is read to say why, with the rules every strategy applies.
 */
export const createAtomicUpdate: StrategyFactory = (deps) => ({
  name: 'atomic-update',
  protection: 'global',
  uses: ['mysql'],
  lockWaits: 'none',
  asynchronous: false,
  card: {
    steps: [
      'UPDATE coupons SET issued = issued + 1 WHERE there is a place and it is in the window',
      'no row changed: read why (sold out, not in the window)',
      'insert the row; a duplicate user rolls the update back',
      'commit',
    ],
    needs: 'MySQL alone; rules that fit one UPDATE',
    pitfall: 'Only rules that fit one conditional UPDATE; the row is still locked from the update to the commit.',
  },
  issue: ({ couponId, userId }) =>
    inTransaction(deps, 'atomic-update', async (trx) => {
      for (let attempt = 1; ; attempt++) {
        const now = new Date();
        if (await takePlace(trx, couponId, now)) {
          await insertIssue(trx, couponId, userId, now);
          return ISSUED;
        }
        // Nothing taken: the coupon's rules say why. Whether the user holds one is the unique key's to say.
        const coupon = await findCoupon(trx, couponId);
        const refusal = checkCoupon(coupon, coupon?.issuedQuantity ?? 0, now);
        if (refusal || attempt === ATTEMPTS) return refused(refusal ?? 'COUPON_SOLD_OUT');
      }
    }),
});
