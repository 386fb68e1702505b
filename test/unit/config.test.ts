import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/core/config.js';

/** The message of the ConfigError that loading `env` throws. */
function problems(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('has a default for everything but the optional settings', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 8080,
      MYSQL_URL: 'mysql://root@127.0.0.1:3306/coupon_lab',
      REDIS_URL: 'redis://127.0.0.1:6379',
      AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
      BROKER_PUBLISH_DELAY_MS: 0,
      ISSUE_STRATEGY: 'lua',
      REDIS_KEY_PREFIX: 'coupon-lab:',
      LOCK_WAIT_MS: 10_000,
      LOCK_LEASE_MS: 5_000,
      LOCK_WATCHDOG: false,
      MIGRATE_ON_START: true,
      CONSUMER_IN_PROCESS: true,
      THINK_MS: 0,
      LOG_LEVEL: 'info',
      LOG_REQUESTS: 'failed',
    });
    for (const optional of ['LOCK_REDIS_URLS', 'METRICS_PORT', 'ADMIN_TOKEN'] as const) expect(config[optional], optional).toBeUndefined();
  });

  it('is frozen: a setting cannot change after start-up', () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });

  it('reads numbers and flags from their text, and lets an override win over the environment', () => {
    const config = loadConfig({ PORT: '9000', LOCK_WATCHDOG: '1', MIGRATE_ON_START: 'false', THINK_MS: '0' }, { PORT: '0' });
    expect(config).toMatchObject({ PORT: 0, LOCK_WATCHDOG: true, MIGRATE_ON_START: false, THINK_MS: 0 });
  });

  it('takes an empty value for unset, and ignores what it does not know', () => {
    const config = loadConfig({ PORT: '', REDIS_KEY_PREFIX: '', HOME: '/root', PATH: '/bin' });
    expect(config.PORT).toBe(8080);
    expect(config.REDIS_KEY_PREFIX).toBe('coupon-lab:');
    expect(config).not.toHaveProperty('HOME');
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['LOCK_WAIT_MS', '0'],
    ['LOCK_LEASE_MS', '1.5'],
    ['THINK_MS', '-1'],
    ['LOCK_WATCHDOG', 'yes'],
    ['MYSQL_URL', 'postgres://localhost/coupon_lab'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['AMQP_URL', 'redis://127.0.0.1:5672'],
    ['BROKER_PUBLISH_DELAY_MS', '-1'],
    ['LOG_LEVEL', 'verbose'],
    ['LOG_REQUESTS', 'some'],
    ['ADMIN_TOKEN', 'has spaces'],
    ['REDIS_KEY_PREFIX', 'x'.repeat(65)],
  ])('refuses %s=%s, naming it', (key, value) => {
    expect(problems({ [key]: value })).toMatch(new RegExp(`^invalid configuration:\\n {2}${key}: `));
  });

  it.each([
    ['LOCK_WAIT_MS', 'abc', 'must be a whole number of at least 1'],
    ['THINK_MS', '-1', 'must be a whole number of at least 0'],
    ['PORT', 'eighty', 'must be a whole number from 0 to 65,535'],
    ['MYSQL_URL', 'localhost:3306', 'must be a URL such as mysql://user:password@host:3306/database'],
    ['MYSQL_URL', 'mysql://localhost/coupon-lab', 'must name a database of letters, digits and _: mysql://user:password@host:3306/database'],
    ['REDIS_URL', '127.0.0.1:6379', "must be a URL such as redis://host:6379 (rediss:// for TLS), or a Redis Cluster's nodes, comma-separated"],
    ['LOCK_WATCHDOG', 'yes', 'must be true or false (or 1 or 0)'],
    ['LOG_REQUESTS', 'some', 'must be one of failed, all, none'],
  ])('refuses %s=%s in words, with the form it takes', (key, value, words) => {
    expect(problems({ [key]: value })).toBe(`invalid configuration:\n  ${key}: ${words}`);
  });

  it('names every bad setting at once', () => {
    const message = problems({ PORT: 'x', LOG_LEVEL: 'loud' });
    expect(message).toContain('PORT: ');
    expect(message).toContain('LOG_LEVEL: ');
  });
});

describe('loadConfig: settings that must agree', () => {
  it('wants the headers timeout above the keep-alive timeout', () => {
    expect(problems({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '10000', HTTP_HEADERS_TIMEOUT_MS: '10000' })).toContain(
      'HTTP_HEADERS_TIMEOUT_MS: must be more than HTTP_KEEP_ALIVE_TIMEOUT_MS',
    );
    expect(loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '9999', HTTP_HEADERS_TIMEOUT_MS: '10000' }).HTTP_HEADERS_TIMEOUT_MS).toBe(10_000);
  });

  it('wants the request timeout at least the headers timeout', () => {
    expect(problems({ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '19999' })).toContain(
      'HTTP_REQUEST_TIMEOUT_MS: must be at least HTTP_HEADERS_TIMEOUT_MS',
    );
    expect(loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '20000' }).HTTP_REQUEST_TIMEOUT_MS).toBe(20_000);
  });

  it('wants METRICS_PORT apart from PORT, unless both pick a free port (0)', () => {
    expect(problems({ PORT: '9000', METRICS_PORT: '9000' })).toContain('METRICS_PORT: must differ from PORT');
    expect(loadConfig({ PORT: '0', METRICS_PORT: '0' })).toMatchObject({ PORT: 0, METRICS_PORT: 0 });
  });
});

describe('loadConfig: LOCK_REDIS_URLS', () => {
  it('reads a comma list of Redis URLs, spaces around the commas allowed', () => {
    expect(loadConfig({ LOCK_REDIS_URLS: 'redis://a:6379, redis://b:6379 ,rediss://c:6380' }).LOCK_REDIS_URLS).toEqual([
      'redis://a:6379',
      'redis://b:6379',
      'rediss://c:6380',
    ]);
    expect(loadConfig({ LOCK_REDIS_URLS: 'redis://a:6379' }).LOCK_REDIS_URLS).toEqual(['redis://a:6379']);
  });

  it('takes at most 9 nodes', () => {
    const nodes = (n: number) => Array.from({ length: n }, (_, i) => `redis://node${i}:6379`).join(',');
    expect(loadConfig({ LOCK_REDIS_URLS: nodes(9) }).LOCK_REDIS_URLS).toHaveLength(9);
    expect(problems({ LOCK_REDIS_URLS: nodes(10) })).toMatch(/LOCK_REDIS_URLS: /);
  });

  it.each([['redis://a:6379,http://b:6379'], ['redis://a:6379,'], ['redis://a:6379,,redis://b:6379'], ['not a url']])('refuses %j', (urls) => {
    expect(problems({ LOCK_REDIS_URLS: urls })).toMatch(/LOCK_REDIS_URLS/);
  });
});
