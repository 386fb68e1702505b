import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { createDemoCommand } from '../demo/command.js';
import { createBenchCommand } from '../bench/command.js';
import { createFaultsCommand } from '../bench/faults/command.js';
import { createLoadAutocannonCommand, createLoadLocustCommand } from '../load-test/command.js';
import { createMicroCommand } from '../bench/micro/command.js';
import { createConsumerCommand } from '../src/consumer/command.js';
import { createMigrateCommand } from '../src/migrate-command.js';
import { PROJECT_ROOT } from '../src/project-paths.js';
import { createServerCommand } from '../src/server/command.js';

/**
 * The project's one CLI; every npm script is one of its commands, of the same name (`npm run lab --
 * --help`). The commands' definitions import little (commander, option parsers, names); each action
 * imports what it runs when it runs, so `--help` and `start` never load the bench's load generators.
 */
export function createProgram(): Command {
  return new Command('coupon-lab')
    .description('Coupon Lab: every way of stopping over-issuance, side by side, on real Redis and MySQL.')
    .version(packageVersion())
    .addCommand(createServerCommand())
    .addCommand(createConsumerCommand())
    .addCommand(createMigrateCommand())
    .addCommand(createDemoCommand())
    .addCommand(createBenchCommand())
    .addCommand(createMicroCommand())
    .addCommand(createFaultsCommand())
    .addCommand(createLoadLocustCommand())
    .addCommand(createLoadAutocannonCommand());
}

/** package.json's version, read rather than imported: Node 20 warns of JSON modules as experimental. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}
