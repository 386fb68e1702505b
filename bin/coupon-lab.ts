#!/usr/bin/env node
import { Command } from 'commander';
import { createDemoCommand } from '../demo/command.js';
import { createBenchCommand } from '../bench/command.js';
import { createFaultsCommand } from '../bench/faults/command.js';
import { createConsoleCommand } from '../console/command.js';
import { createLoadAutocannonCommand, createLoadLocustCommand } from '../load-test/command.js';
import { createMicroCommand } from '../bench/micro/command.js';
import { createConsumerCommand } from '../src/consumer/command.js';
import { createMigrateCommand } from '../src/migrate-command.js';
import { createServerCommand } from '../src/server/command.js';

/**
 * The project's one CLI; every npm script is one of its commands (`npm run lab -- --help`). The
 * commands' definitions import little (commander, option parsers, names); each action imports what
 * it runs when it runs, so `--help` and `start` never load the bench's load generators.
 */
await new Command('coupon-lab')
  .description('Coupon Lab: every way of stopping over-issuance, side by side, on real Redis and MySQL.')
  .addCommand(createServerCommand())
  .addCommand(createConsumerCommand())
  .addCommand(createMigrateCommand())
  .addCommand(createDemoCommand())
  .addCommand(createBenchCommand())
  .addCommand(createMicroCommand())
  .addCommand(createFaultsCommand())
  .addCommand(createConsoleCommand())
  .addCommand(createLoadLocustCommand())
  .addCommand(createLoadAutocannonCommand())
  .parseAsync();
