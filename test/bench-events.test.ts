import { afterAll, describe, expect, it } from 'vitest';
import type { BenchEvent } from '../bench/events.js';
import type { BenchSettings } from '../bench/report.js';
import { runBench } from '../bench/run-bench.js';
import { benchSettings } from '../bench/settings.js';
import { benchDatabases } from '../bench/store.js';
import { createRedis, deleteKeysWithPrefix } from '../src/core/redis.js';
import { silentLog } from '../src/core/log.js';
import { testConfig } from './support/config.js';

const config = testConfig();
afterAll(async () => {
  const redis = createRedis(config.REDIS_URL, { autoPipelining: false, log: silentLog });
  await deleteKeysWithPrefix(redis, config.REDIS_KEY_PREFIX).finally(() => redis.disconnect());
});

/** A race in this process (direct mode): what the events say needs no servers. */
function direct(race: Partial<BenchSettings> = {}): BenchSettings {
  const base = {
    mode: 'direct',
    strategies: ['record-lock', 'lua'],
    instances: [1],
    users: 2_000,
    requestsPerUser: 1,
    quantity: 100,
    concurrency: 100,
    repeat: 1,
  } as const;
  return benchSettings({ ...base, strategies: [...base.strategies], instances: [...base.instances], ...race }, config);
}

describe("the bench's events", () => {
  it('tell each run as it goes, answers growing to what the report holds, and each strategy once its runs are done', async () => {
    const events: BenchEvent[] = [];
    const report = await runBench({ settings: direct(), config, floors: false, onEvent: (event) => events.push(event) });
    for (const result of report.results) {
      const mine = events.filter(
        (event) => ('strategy' in event ? event.strategy : event.type === 'strategy-ended' && event.result.strategy) === result.strategy,
      );
      const types = [...new Set(mine.map((event) => event.type))];
      expect(types).toEqual(['run-started', 'answers', ...(result.strategy === 'lua' ? ['drain-started'] : []), 'run-ended', 'strategy-ended']);
      const answers = mine.flatMap((event) => (event.type === 'answers' ? [event] : []));
      const answered = answers.map(({ answers: a }) => a.success + a.soldOut + a.alreadyIssued);
      expect(answered).toEqual([...answered].sort((a, b) => a - b));
      expect(answers.at(-1)!.answers).toEqual(result.runs[0]!.answers);
      expect(mine.find((event) => event.type === 'run-ended')).toMatchObject({ run: 1, runs: 1, instances: 1, result: result.runs[0] });
      expect(mine.at(-1)).toEqual({ type: 'strategy-ended', result });
    }
  });

  it('stop when the signal aborts: the bench rejects with its reason and leaves no database behind', async () => {
    const stop = new AbortController();
    const events: BenchEvent[] = [];
    const running = runBench({
      settings: direct({ strategies: ['record-lock'], repeat: 5 }),
      config,
      floors: false,
      signal: stop.signal,
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'run-ended') stop.abort();
      },
    });
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    expect(events.filter((event) => event.type === 'run-started')).toHaveLength(1);
    expect(await benchDatabases(config)).toEqual([]);
  });
});
