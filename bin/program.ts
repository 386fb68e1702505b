import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, type CommanderError } from 'commander';
import { createDemoCommand } from '../demo/command.js';
import { createBenchCommand } from '../bench/command.js';
import { createFaultsCommand } from '../bench/faults/command.js';
import { createConsoleCommand } from '../console/command.js';
import { createLoadAutocannonCommand, createLoadLocustCommand } from '../load-test/command.js';
import { createMicroCommand } from '../bench/micro/command.js';
import { createBrokerConsumerCommand, createConsumerCommand } from '../src/consumer/command.js';
import { createMigrateCommand } from '../src/migrate-command.js';
import { PROJECT_ROOT } from '../src/project-paths.js';
import { createServerCommand } from '../src/server/command.js';

/**
 * The project's one CLI; every npm script is one of its commands, of the same name (`npm run lab --
 * --help`). The commands' definitions import little (commander, option parsers, names); each action
 * imports what it runs when it runs, so `--help` and `start` never load the bench's load generators.
 */
export function createProgram(): Command {
  const program = new Command('coupon-lab')
    .description('Coupon Lab: every way of stopping over-issuance, side by side, on real Redis and MySQL.')
    .version(packageVersion())
    .addCommand(createServerCommand())
    .addCommand(createConsumerCommand())
    .addCommand(createBrokerConsumerCommand())
    .addCommand(createMigrateCommand())
    .addCommand(createDemoCommand())
    .addCommand(createBenchCommand())
    .addCommand(createMicroCommand())
    .addCommand(createFaultsCommand())
    .addCommand(createConsoleCommand())
    .addCommand(createLoadLocustCommand())
    .addCommand(createLoadAutocannonCommand());
  for (const command of [program, ...program.commands]) command.exitOverride(exitWithUsageStatus).addHelpText('after', FOOTER);
  return program;
}

const FOOTER = `
Settings: a flag wins over its environment variable (env:), which wins over the default.

Exit status:
  0  done (bench, faults, load-*: every verdict one its strategy may show)
  1  a run found what it should not, or failed
  2  a usage error: a bad argument or setting, a file that cannot be written,
     MySQL, Redis or (for the broker strategies) RabbitMQ not answering`;

/** Commander's errors for a command line it cannot take. */
const USAGE_ERRORS = new Set([
  'commander.unknownCommand',
  'commander.unknownOption',
  'commander.missingArgument',
  'commander.optionMissingArgument',
  'commander.missingMandatoryOptionValue',
  'commander.conflictingOption',
  'commander.invalidArgument',
  'commander.excessArguments',
  'commander.help', // with status 1: help shown for want of a command
]);

/**
 * Exits as commander would, but with status 2 for a bad argument as for a bad setting: one status
 * for every usage error, so a script tells "you called it wrong" from "the run failed" (1).
 */
function exitWithUsageStatus(error: CommanderError): never {
  process.exit(error.exitCode === 1 && USAGE_ERRORS.has(error.code) ? 2 : error.exitCode);
}

/** package.json's version, read rather than imported: Node 20 warns of JSON modules as experimental. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}
