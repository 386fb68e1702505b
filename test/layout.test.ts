import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every .ts file under a folder of the repository, as a path from the root. */
function sources(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

/** The files a module imports by relative path, as paths from the root. */
function relativeImports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/^(?:import|export)\b[^'"]*?from '(\.{1,2}\/[^']+)'/gm)].map(([, specifier]) =>
    relative(root, resolve(root, dirname(file), specifier!)),
  );
}

describe('the layers', () => {
  it('keep product code (src/) free of the programs around it: bench, demo, load test, lab client, tests, CLI', () => {
    const imports = sources('src').flatMap((file) => relativeImports(file).map((target) => ({ file, target })));
    expect(imports.length).toBeGreaterThan(20); // the imports are read at all
    const upward = imports.filter(({ target }) => !target.startsWith('src/')).map(({ file, target }) => `${file} → ${target}`);
    expect(upward).toEqual([]);
  });
});
