import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { wholeNumber } from '../src/cli-options.js';

interface Flags {
  port: number;
  host: string;
  runs?: string;
}

/** Addresses only this machine can reach. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** `console`: a local web page that races strategies and injects faults live, and compares saved runs. */
export function createConsoleCommand(): Command {
  return new Command('console')
    .description('A web page that races strategies and injects faults live, with the bench and fault bench engines, and compares saved runs.')
    .option('-p, --port <port>', 'HTTP port; 0 picks a free one', wholeNumber(0, 65_535), 8090)
    .option('--host <address>', 'address to listen on; beyond this machine it needs ADMIN_TOKEN, which the page then asks for', '127.0.0.1')
    .option('--runs <folder>', 'where runs are saved and read, as JSON reports (default: bench-results/ in the project)')
    .action(async (flags: Flags, command: Command) => {
      const { exitOnListenError, loadConfigOrExit, requireServices, stopOnSignals } = await import('../src/cli-runtime.js');
      const { createLog } = await import('../src/core/log.js');
      const { PROJECT_ROOT } = await import('../src/project-paths.js');
      const { PageNotBuiltError, startConsole } = await import('./serve.js');
      const config = loadConfigOrExit(command);
      if (!isLoopback(flags.host) && !config.ADMIN_TOKEN) {
        command.error(
          `--host ${flags.host} lets anyone who reaches it start runs on this machine: set ADMIN_TOKEN (the page asks for it), or leave --host at 127.0.0.1`,
          {
            exitCode: 2,
          },
        );
      }
      await requireServices(command, config);
      const log = createLog(config.LOG_LEVEL);
      const runsFolder = flags.runs ? resolve(flags.runs) : join(PROJECT_ROOT, 'bench-results');
      const started = await startConsole({ config, host: flags.host, port: flags.port, runsFolder, log }).catch((error: unknown) => {
        if (error instanceof PageNotBuiltError) command.error(error.message, { exitCode: 2 });
        const { code } = error as { code?: string };
        exitOnListenError(command, error, flags.port, '--port');
        if (code === 'EADDRNOTAVAIL') command.error(`--host ${flags.host} is not an address of this machine`, { exitCode: 2 });
        throw error;
      });
      stopOnSignals(log, 'console', () => started.stop());
      process.stdout.write(`Coupon Lab console: ${started.url}  (runs saved in ${runsFolder})\n`);
    });
}
