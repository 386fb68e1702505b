import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { relativeImports, root } from '../support/repository.js';

/** Every .ts file under a folder of the repository, as a path from the root. */
function sources(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

interface Import {
  file: string;
  target: string;
}

/** A rule: what the files under `from` may not import. */
interface Rule {
  from: string;
  /** Folders (ending in /) the files under `from` must not import from. */
  notFrom?: string[];
  /** Folders they may import from; anything else is a violation. */
  onlyFrom?: string[];
}

/**
 * The layers, one way down: the programs (bin, server, consumer, bench, …) over the harness and
 * the composition root, over the strategies, over core. An arrow that runs up is a design bug.
 */
const RULES: Rule[] = [
  // Product code knows nothing of the programs around it: bench, demo, load test, lab client, harness, tests, CLI.
  { from: 'src/', onlyFrom: ['src/'] },
  // The domain and the contracts two programs share import none of the layers above them.
  { from: 'src/core/', onlyFrom: ['src/core/'] },
  { from: 'src/redis-scripts/', onlyFrom: ['src/core/', 'src/redis-scripts/'] },
  { from: 'src/strategies/', onlyFrom: ['src/core/', 'src/redis-scripts/', 'src/strategies/'] },
  // The consumer meets the lua strategy in the issue stream's contract (src/core/issue-stream), never in its insides.
  { from: 'src/consumer/', notFrom: ['src/strategies/'] },
  // What tests and the fault bench share serves both, and knows neither.
  { from: 'harness/', notFrom: ['bench/', 'test/', 'demo/', 'load-test/', 'console/'] },
  // The console drives the bench's engines; nothing below it knows the console.
  { from: 'bench/', notFrom: ['console/'] },
  { from: 'console/', notFrom: ['test/', 'demo/', 'load-test/'] },
  // The page runs in a browser: the console's contract (types), the reports' number formats and colours,
  // the verdicts' wording and the events' and reports' shapes; never a module that needs Node or a driver.
  {
    from: 'console/ui/',
    onlyFrom: [
      'console/ui/',
      'console/contract.js',
      'bench/events.js',
      'bench/report.js',
      'bench/faults/events.js',
      'bench/faults/report.js',
      'bench/output/format.js',
      'bench/output/html-charts.js',
      'lab-client/tally.js',
      'lab-client/verdict.js',
      'src/strategies/issue-strategy.js',
    ],
  },
];

function violations(imports: Import[], rules: Rule[]): string[] {
  return rules.flatMap(({ from, notFrom = [], onlyFrom }) =>
    imports
      .filter(({ file }) => file.startsWith(from))
      .filter(
        ({ target }) =>
          notFrom.some((folder) => target.startsWith(folder)) || (onlyFrom !== undefined && !onlyFrom.some((folder) => target.startsWith(folder))),
      )
      .map(({ file, target }) => `${file} → ${target} (${from} ${onlyFrom ? `imports only from ${onlyFrom.join(', ')}` : `never from ${notFrom.join(', ')}`})`),
  );
}

const imports: Import[] = ['src', 'harness', 'bench', 'console'].flatMap(sources).flatMap((file) => relativeImports(file).map((target) => ({ file, target })));

describe('the layers', () => {
  it('are read from the code at all', () => {
    for (const folder of ['src/core/', 'src/consumer/', 'src/strategies/', 'harness/', 'bench/', 'console/', 'console/ui/']) {
      expect(imports.filter(({ file }) => file.startsWith(folder)).length, folder).toBeGreaterThan(3);
    }
  });

  it('run one way: no file imports from a layer above its own', () => {
    expect(violations(imports, RULES)).toEqual([]);
  });

  it.each([
    ['the consumer importing the lua strategy', { file: 'src/consumer/stream-consumer.ts', target: 'src/strategies/lua/terms.ts' }],
    ['the harness importing the fault bench', { file: 'harness/server-process.ts', target: 'bench/faults/fleet.ts' }],
    ['product code importing the harness', { file: 'src/server/server.ts', target: 'harness/ports.ts' }],
    ['core importing a strategy', { file: 'src/core/coupon.ts', target: 'src/strategies/lua.ts' }],
    ['the bench importing the console', { file: 'bench/run-bench.ts', target: 'console/runner.ts' }],
    ["the console's page importing a driver's module", { file: 'console/ui/race.ts', target: 'src/lab.ts' }],
  ])('would be broken by %s, and the check says so', (_case, wrong) => {
    expect(violations([wrong], RULES)).toHaveLength(1);
  });
});
