import { Command } from 'commander';
import { mysqlUrlOption } from './cli-options.js';

/** `migrate`: creates the database named in MYSQL_URL if missing and brings its schema up to date. */
export function createMigrateCommand(): Command {
  return new Command('migrate')
    .description('Create the database named in --mysql-url or MYSQL_URL if it is missing, and bring its schema up to date.')
    .addOption(mysqlUrlOption())
    .action(async (_flags: object, command: Command) => {
      const { loadConfigOrExit, requireServices } = await import('./cli-runtime.js');
      const { prepareDatabase } = await import('./core/db.js');
      const config = loadConfigOrExit(command);
      await requireServices(command, config, ['mysql']);
      await prepareDatabase(config.MYSQL_URL);
      console.log(`database ready: ${new URL(config.MYSQL_URL).pathname.slice(1)}`);
    });
}
