import { afterAll, beforeAll } from 'vitest';
import { STRATEGY_NAMES } from '../src/strategies/index.js';
import { describeContract } from './support/contract.js';
import { startTestServer, type TestServer } from './support/lab.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describeContract(STRATEGY_NAMES, () => server);
