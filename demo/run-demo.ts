import type { Config } from '../src/core/config.js';
import { startServer, type RunningServer } from '../src/server/server.js';
import { STRATEGY_NAMES, type StrategyName } from '../src/strategies/index.js';
import { usesBroker } from '../src/strategies/names.js';
import { Tally } from '../lab-client/tally.js';
import { verdictWithFigure, verifyCoupon } from '../lab-client/verdict.js';
import { drainOrThrow, streamBacklog } from '../lab-client/drain.js';
import { createCouponOverHttp, issuePath } from '../lab-client/http.js';
import { int, plural } from '../bench/output/format.js';

export interface DemoFlags {
  strategy: StrategyName[];
  quantity: number;
  users: number;
  requestsPerUser: number;
}

/**
 * Starts the lab in this process, races a crowd for one small coupon through each strategy over
 * real HTTP — every request sent at once — and prints what MySQL holds afterwards. `brokerDown`:
 * why RabbitMQ does not answer, if it does not: the broker strategies are then left out, saying so.
 */
export async function runDemo(config: Config, flags: DemoFlags, { brokerDown }: { brokerDown?: string } = {}): Promise<void> {
  const server = await startServer(config);
  try {
    const requests = `${plural(flags.requestsPerUser, 'request')} at once`;
    console.log(`Coupon Lab demo: ${int(flags.users)} users × ${requests} for a coupon of ${plural(flags.quantity, 'place')}, per strategy\n`);
    console.log(row('strategy', 'protection', 'issued', 'sold out', 'already', 'other', 'rows', 'verdict'));
    for (const strategy of flags.strategy) {
      console.log(brokerDown && usesBroker(strategy) ? row(strategy, 'not run: RabbitMQ does not answer') : await race(server, strategy, flags));
    }
    if (brokerDown)
      console.log(`
${brokerDown}`);
  } finally {
    await server.stop();
  }
}

async function race(server: RunningServer, strategy: StrategyName, flags: DemoFlags): Promise<string> {
  // Over the API, as an admin client: with the bearer token when the lab has one (ADMIN_TOKEN).
  const couponId = await createCouponOverHttp(server.url, { title: `demo ${strategy}`, totalQuantity: flags.quantity }, server.lab.config.ADMIN_TOKEN);
  const tally = new Tally();
  const sends = Array.from({ length: flags.users * flags.requestsPerUser }, async (_, i) => {
    const userId = (i % flags.users) + 1;
    const response = await fetch(`${server.url}${issuePath(strategy, couponId)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId }),
    });
    tally.record(userId, response.ok ? 'success' : ((await response.json()) as { code: string }).code);
  });
  await Promise.all(sends);
  await drainOrThrow(streamBacklog(server.lab, couponId), couponId, { timeoutMs: 120_000, stallMs: 15_000 });
  const { answers, successfulUsers } = tally;
  const found = await verifyCoupon(server.lab.db, couponId, flags.quantity, answers, successfulUsers);
  const other = Object.values(answers.errors).reduce((sum, n) => sum + n, 0);
  const { protection } = server.lab.strategies[strategy];
  return row(strategy, protection, answers.success, answers.soldOut, answers.alreadyIssued, other, found.rows, verdictWithFigure(found));
}

/** The first column a space wider than the longest strategy name. */
const WIDTHS = [Math.max(...STRATEGY_NAMES.map((name) => name.length)) + 1, 11, 7, 9, 8, 6, 6, 20];

function row(...cells: (string | number)[]): string {
  return cells
    .map((cell, i) => String(cell).padEnd(WIDTHS[i] ?? 10))
    .join(' ')
    .trimEnd();
}
