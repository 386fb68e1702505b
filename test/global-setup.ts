import { prepareDatabase } from '../src/core/db.js';
import { assertBuilt } from './support/built.js';
import { TEST_MYSQL_URL } from './support/config.js';

/** Checks that dist/ is current (the CLI the tests spawn), then creates and migrates the test database once; every test file then brings its own data. */
export default async function setup(): Promise<void> {
  assertBuilt();
  await prepareDatabase(TEST_MYSQL_URL);
}
