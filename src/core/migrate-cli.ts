import { loadConfig } from './config.js';
import { prepareDatabase } from './db.js';

const config = loadConfig(process.env);
await prepareDatabase(config.MYSQL_URL);
console.log(`database ready: ${new URL(config.MYSQL_URL).pathname.slice(1)}`);
