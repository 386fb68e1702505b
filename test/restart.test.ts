import { testConfig } from './support/config.js';
import { describeRestarts } from './support/restarts.js';

/**
 * The promise behind 202: stopped while accepted requests are still queued, the server loses
 * none of them once it is started again.
 */
const config = testConfig({ PORT: '0', CONSUMER_CLAIM_IDLE_MS: '500', ISSUE_STRATEGY: 'lua' });

describeRestarts(() => config);
