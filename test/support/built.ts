import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_ROOT } from '../../src/project-paths.js';

/** What `npm run build` compiles or copies into dist/, and what decides how. */
const INPUTS = [
  'bin',
  'src',
  'harness',
  'bench',
  'demo',
  'load-test',
  'lab-client',
  'console',
  'scripts',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
];
/** Written by scripts/build.js once a build has succeeded. */
const STAMP = join(PROJECT_ROOT, 'dist', '.built');

/**
 * Fails unless dist/ was built after the last change to its inputs: the tests run the compiled CLI
 * (`cliCommandLine`), and a stale dist/ would test old code while the sources look right.
 */
export function assertBuilt(): void {
  const built = mtimeMs(STAMP);
  if (built === undefined) throw new Error('dist/ has not been built: run `npm run build` (`npm test` builds first)');
  const newer = INPUTS.flatMap((input) => files(join(PROJECT_ROOT, input))).find((file) => mtimeMs(file)! > built);
  if (newer) throw new Error(`dist/ is older than ${relative(PROJECT_ROOT, newer)}: run \`npm run build\` (\`npm test\` builds first)`);
}

/** A file, or a directory and everything in it: a directory's time moves when a file is added or removed. */
function files(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return [path, ...readdirSync(path, { recursive: true, encoding: 'utf8' }).map((name) => join(path, name))];
}

function mtimeMs(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}
