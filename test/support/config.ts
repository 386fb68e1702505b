import { randomBytes } from 'node:crypto';
import { loadConfig, type Config, type Env } from '../../src/core/config.js';

/**
 * Tests use a database of their own beside the lab's (`coupon_lab_test` for the default
 * `coupon_lab`), so `npm test` never touches demo data, and two checkouts with different
 * MYSQL_URL databases never share one.
 */
function testDatabaseUrl(): string {
  const url = new URL(loadConfig(process.env).MYSQL_URL);
  url.pathname = `${url.pathname}_test`;
  return url.toString();
}

export const TEST_MYSQL_URL = testDatabaseUrl();

/** A configuration with a Redis key prefix of its own, so tests never see each other's keys. */
export function testConfig(overrides: Env = {}): Config {
  return loadConfig(process.env, {
    MYSQL_URL: TEST_MYSQL_URL,
    REDIS_KEY_PREFIX: `test-${randomBytes(4).toString('hex')}:`,
    PORT: '0',
    MIGRATE_ON_START: 'false',
    // Failed requests by the thousand in some tests, and the warnings of the failures tests cause
    // on purpose: their log lines would bury the report. A test that reads logs asks for them.
    LOG_REQUESTS: 'none',
    LOG_LEVEL: 'silent',
    ...overrides,
  });
}
