import type { Config } from '../src/core/config.js';
import { startServer, type RunningServer } from '../src/server/server.js';
import { STRATEGY_NAMES, type StrategyName } from '../src/strategies/index.js';
import { Tally } from './load.js';
import { drained, verifyCoupon } from './verify.js';

export interface DemoFlags {
  quantity: number;
  users: number;
  requestsPerUser: number;
}

/**
 * Starts the lab in this process, races a crowd for one small coupon through each strategy over
 * real HTTP — every request sent at once — and prints what MySQL holds afterwards.
 */
export async function runDemo(config: Config, flags: DemoFlags): Promise<void> {
  const server = await startServer(config);
  try {
    console.log(`Coupon Lab demo: ${flags.users} users × ${flags.requestsPerUser} requests at once for ${flags.quantity} coupons, per strategy\n`);
    console.log(row('strategy', 'protection', 'issued', 'sold out', 'already', 'other', 'rows', 'verdict'));
    for (const strategy of STRATEGY_NAMES) console.log(await race(server, strategy, flags));
  } finally {
    await server.stop();
  }
}

async function race(server: RunningServer, strategy: StrategyName, flags: DemoFlags): Promise<string> {
  const couponId = await createCoupon(server, `demo ${strategy}`, flags.quantity);
  const tally = new Tally();
  const sends = Array.from({ length: flags.users * flags.requestsPerUser }, async (_, i) => {
    const userId = (i % flags.users) + 1;
    const response = await fetch(`${server.url}/v1/strategies/${strategy}/coupons/${couponId}/issues`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId }),
    });
    tally.record(userId, response.ok ? 'success' : ((await response.json()) as { code: string }).code);
  });
  await Promise.all(sends);
  await drained(server.lab, couponId);
  const { answers, successfulUsers } = tally;
  const found = await verifyCoupon(server.lab.db, couponId, flags.quantity, answers, successfulUsers);
  const other = Object.values(answers.errors).reduce((sum, n) => sum + n, 0);
  const verdict = found.verdict === 'OVER-ISSUED' ? `OVER-ISSUED by ${found.overIssued}` : found.verdict;
  const { protection } = server.lab.strategies[strategy];
  return row(strategy, protection, answers.success, answers.soldOut, answers.alreadyIssued, other, found.rows, verdict);
}

/** Over the API, as an admin client: with the bearer token when the lab has one (ADMIN_TOKEN). */
async function createCoupon(server: RunningServer, title: string, totalQuantity: number): Promise<number> {
  const token = server.lab.config.ADMIN_TOKEN;
  const response = await fetch(`${server.url}/v1/coupons`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ title, totalQuantity }),
  });
  const body = (await response.json()) as { id: number; code?: string };
  if (response.status !== 201) throw new Error(`the demo's coupon was not created: ${response.status} ${body.code}`);
  return body.id;
}

function row(...cells: (string | number)[]): string {
  const widths = [12, 11, 7, 9, 8, 6, 6, 20];
  return cells.map((cell, i) => String(cell).padEnd(widths[i] ?? 10)).join(' ').trimEnd();
}
