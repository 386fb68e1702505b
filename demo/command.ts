import { Command } from 'commander';
import { loadConfigOrExit, requireServices, wholeNumber } from '../src/cli-options.js';
import { startServer, type RunningServer } from '../src/server/server.js';
import { STRATEGY_NAMES, type StrategyName } from '../src/strategies/index.js';
import { Tally } from '../lab-client/tally.js';
import { verdictWithFigure, verifyCoupon } from '../lab-client/verdict.js';
import { drainOrThrow, streamBacklog } from '../lab-client/drain.js';
import { createCouponOverHttp, issuePath } from '../lab-client/http.js';

interface Flags {
  quantity: number;
  users: number;
  requestsPerUser: number;
}

/**
 * `demo`: starts the lab in this process, races a crowd for one small coupon through each
 * strategy over real HTTP — every request sent at once — and prints what MySQL holds afterwards.
 */
export function createDemoCommand(): Command {
  return new Command('demo')
    .description('Race a crowd for a coupon through every strategy over HTTP and count the rows in MySQL.')
    .option('--quantity <n>', 'coupons to hand out', wholeNumber(1, 1_000_000), 50)
    .option('--users <n>', 'distinct users in the crowd', wholeNumber(1, 100_000), 400)
    .option('--requests-per-user <n>', 'requests each user sends at once', wholeNumber(1, 100), 2)
    .action(async (flags: Flags, command: Command) => {
      // The demo prints its own table, nothing else.
      const config = loadConfigOrExit(command, { PORT: '0', LOG_REQUESTS: 'none' });
      await requireServices(command, config);
      const server = await startServer(config);
      try {
        console.log(`Coupon Lab demo: ${flags.users} users × ${flags.requestsPerUser} requests at once for ${flags.quantity} coupons, per strategy\n`);
        console.log(row('strategy', 'protection', 'issued', 'sold out', 'already', 'other', 'rows', 'verdict'));
        for (const strategy of STRATEGY_NAMES) console.log(await race(server, strategy, flags));
      } finally {
        await server.stop();
      }
    });
}

async function race(server: RunningServer, strategy: StrategyName, flags: Flags): Promise<string> {
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

function row(...cells: (string | number)[]): string {
  const widths = [12, 11, 7, 9, 8, 6, 6, 20];
  return cells.map((cell, i) => String(cell).padEnd(widths[i] ?? 10)).join(' ').trimEnd();
}
