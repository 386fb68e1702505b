import { expect, it } from 'vitest';
import type { StrategyName } from '../../src/strategies/index.js';
import { crowd, type TestServer } from './lab.js';

/**
 * One contract, every strategy (as async-mutex and redlock run one suite per implementation),
 * on whichever server the caller started: one Redis, or a Redis Cluster. The strategies with no
 * protection must be seen to fail the over-issuance check: that is what shows the check can fail.
 */
const USERS = 1_000;
const QUANTITY = 100;
const SAME_USER_REQUESTS = 50;

export function describeContract(names: readonly StrategyName[], server: () => TestServer): void {
  // The strategy's name opens each test's own name: a reporter that prints a test without the
  // blocks around it (a slow test, a failure's summary) would otherwise show twelve alike.
  for (const name of names) {
    const issueAs = (couponId: number, userId: number) => () => server().post(`/v1/strategies/${name}/coupons/${couponId}/issues`, { userId });

    const settle = async (couponId: number) => {
      await server().drained(couponId); // only the lua path has anything to drain
      return server().rows(couponId);
    };

    it(`${name}: ${USERS} users racing for ${QUANTITY} places: exactly ${QUANTITY} rows, unless it has no protection`, async () => {
      const couponId = await server().createCoupon({ totalQuantity: QUANTITY });
      const tally = await crowd(Array.from({ length: USERS }, (_, i) => issueAs(couponId, i + 1)));
      const { rows, users, issuedQuantity } = await settle(couponId);
      const succeeded = (tally['201'] ?? 0) + (tally['202'] ?? 0);

      // Whatever the strategy: every success is one row, no user holds two, the counter matches.
      expect(rows).toBe(succeeded);
      expect(users).toBe(rows);
      expect(issuedQuantity).toBe(rows);
      expect(succeeded + (tally.COUPON_SOLD_OUT ?? 0)).toBe(USERS);

      if (server().lab.strategies[name].protection === 'none') {
        expect(rows).toBeGreaterThan(QUANTITY);
      } else {
        expect(rows).toBe(QUANTITY);
        expect(tally.COUPON_SOLD_OUT).toBe(USERS - QUANTITY);
      }
    });

    it(`${name}: one user ${SAME_USER_REQUESTS} times at once: one row`, async () => {
      const couponId = await server().createCoupon({ totalQuantity: QUANTITY });
      const tally = await crowd(Array.from({ length: SAME_USER_REQUESTS }, () => issueAs(couponId, 42)));
      const success = server().lab.strategies[name].asynchronous ? '202' : '201';
      expect(tally).toEqual({ [success]: 1, ALREADY_ISSUED: SAME_USER_REQUESTS - 1 });
      expect(await settle(couponId)).toEqual({ rows: 1, users: 1, issuedQuantity: 1 });
    });
  }
}
