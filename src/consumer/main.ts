import { loadConfig } from '../core/config.js';
import { prepareDatabase } from '../core/db.js';
import { log } from '../core/log.js';
import { createLab } from '../lab.js';
import { startConsumer } from './start-consumer.js';

const config = loadConfig(process.env);
if (config.MIGRATE_ON_START) await prepareDatabase(config.MYSQL_URL);
const lab = createLab(config);
const consumer = startConsumer(lab);
log.info('consumer started', { name: consumer.name });

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, async () => {
    log.info('consumer stopping', { signal });
    await consumer.stop();
    await lab.close();
    log.info('consumer stopped', { ...consumer.totals });
  });
}
