import { describe, expect, it } from 'vitest';
import { benchStoreConfig } from '../bench/run-start.js';
import { benchDatabases, benchStore } from '../bench/store.js';
import { parseMysqlUrl } from '../src/core/db.js';
import { silentLog } from '../src/core/log.js';
import { createRedis } from '../src/core/redis.js';
import { testConfig } from './support/config.js';

const config = testConfig();

describe("a bench run's store", () => {
  it('with RabbitMQ unreachable, is still removed from MySQL and Redis, and says what it left instead of throwing', async () => {
    // Nothing listens on port 1.
    const store = benchStore(benchStoreConfig({ ...config, AMQP_URL: 'amqp://guest:guest@127.0.0.1:1' }));
    const { database } = parseMysqlUrl(store.config.MYSQL_URL);
    const prefix = store.config.REDIS_KEY_PREFIX;
    await store.prepare();
    const redis = createRedis(config.REDIS_URL, { autoPipelining: false, log: silentLog });
    try {
      await redis.set(`${prefix}left`, '1');
      const said: string[] = [];
      await store.remove({ broker: true, say: (line) => said.push(line) });
      expect(await benchDatabases(config)).not.toContain(database);
      expect(await redis.keys(`${prefix}*`)).toEqual([]);
      expect(said).toEqual([
        expect.stringMatching(new RegExp(`^the bench run's RabbitMQ queues ${prefix}\\S+ and ${prefix}\\S+ were not deleted: .*ECONNREFUSED`)),
      ]);
    } finally {
      redis.disconnect();
    }
  });
});
