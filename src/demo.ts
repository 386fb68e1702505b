import { Command } from 'commander';
import { loadConfig } from './core/config.js';
import { startServer, type RunningServer } from './server/server.js';
import { STRATEGY_NAMES, type StrategyName } from './strategies/index.js';

/**
 * Starts the lab in this process, races a crowd for one small coupon through each strategy
 * over real HTTP, and prints what MySQL holds afterwards.
 */
const options = new Command('demo')
  .description('Race a crowd for a coupon through every strategy and count the rows.')
  .option('--quantity <n>', 'coupons to hand out', '50')
  .option('--users <n>', 'distinct users in the crowd', '400')
  .option('--requests-per-user <n>', 'requests each user sends at once', '2')
  .parse()
  .opts<{ quantity: string; users: string; requestsPerUser: string }>();

const quantity = Number(options.quantity);
const users = Number(options.users);
const perUser = Number(options.requestsPerUser);

const server = await startServer(loadConfig(process.env, { PORT: '0' }));
try {
  console.log(`Coupon Lab demo: ${users} users × ${perUser} requests at once for ${quantity} coupons, per strategy\n`);
  console.log(row('strategy', 'protection', 'issued', 'sold out', 'already', 'other', 'rows', 'verdict'));
  for (const strategy of STRATEGY_NAMES) console.log(await race(server, strategy));
} finally {
  await server.stop();
}

async function race(server: RunningServer, strategy: StrategyName): Promise<string> {
  const { lab } = server;
  const couponId = await createCoupon(server.url, `demo ${strategy}`);
  const sends = Array.from({ length: users * perUser }, (_, i) =>
    fetch(`${server.url}/v1/strategies/${strategy}/coupons/${couponId}/issues`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: (i % users) + 1 }),
    }).then(async (response) => (response.ok ? 'ok' : ((await response.json()) as { code: string }).code)),
  );
  const answers = await Promise.all(sends);
  const count = (code: string) => answers.filter((answer) => answer === code).length;
  await drained(server, couponId);
  const [counted] = await lab.db('coupon_issues').where({ coupon_id: couponId }).count({ rows: '*' });
  const issued = count('ok');
  const other = answers.length - issued - count('COUPON_SOLD_OUT') - count('ALREADY_ISSUED');
  const written = Number(counted?.rows);
  const verdict = written > quantity ? `OVER-ISSUED by ${written - quantity}` : written === quantity ? 'EXACT' : 'UNDER';
  const protection = lab.strategies[strategy].protection;
  return row(strategy, protection, issued, count('COUPON_SOLD_OUT'), count('ALREADY_ISSUED'), other, written, verdict);
}

async function createCoupon(url: string, title: string): Promise<number> {
  const response = await fetch(`${url}/v1/coupons`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title, totalQuantity: quantity }),
  });
  return ((await response.json()) as { id: number }).id;
}

/** The lua path answers before MySQL has the row: wait until the consumer has written it all. */
async function drained({ lab }: RunningServer, couponId: number): Promise<void> {
  while ((await lab.redis.xlen(lab.keys.couponStream(couponId))) > 0) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function row(...cells: (string | number)[]): string {
  const widths = [12, 11, 7, 9, 8, 6, 6, 20];
  return cells.map((cell, i) => String(cell).padEnd(widths[i] ?? 10)).join(' ');
}
