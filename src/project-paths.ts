import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's root, where package.json is: one directory up from this module in src/ (the tests
 * import the sources), two up from its compiled copy in dist/src/ (the CLI, the image).
 */
export const PROJECT_ROOT = findRoot();

/** The compiled CLI, package.json's `coupon-lab` bin, that `npm run build` writes. */
const CLI_PATH = join(PROJECT_ROOT, 'dist', 'bin', 'coupon-lab.js');

/**
 * The command line that runs the CLI with `args` in a process of its own, as `npm start` does:
 * `spawn(...cliCommandLine(['start']), options)`. The bench and the tests start the lab with it.
 */
export function cliCommandLine(args: readonly string[]): [command: string, args: string[]] {
  return [process.execPath, [CLI_PATH, ...args]];
}

function findRoot(): string {
  for (const up of ['..', '../..']) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
}
