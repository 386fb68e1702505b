import { prepareDatabase } from '../src/core/db.js';
import { TEST_MYSQL_URL } from './support/config.js';

/** Creates and migrates the test database once; every test file then brings its own data. */
export default async function setup(): Promise<void> {
  await prepareDatabase(TEST_MYSQL_URL);
}
