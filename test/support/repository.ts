import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** A file of the repository, by its path from the root. */
export const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/**
 * The files a module imports by relative path, statically or when it runs (`await import(…)`), as
 * paths from the root (`.js` specifiers as written; the source is the `.ts` beside).
 */
export function relativeImports(file: string): string[] {
  const imports = /^(?:import|export)\b[^'"]*?from '(\.{1,2}\/[^']+)'|\bimport\('(\.{1,2}\/[^']+)'\)/gm;
  return [...read(file).matchAll(imports)].map(([, fromClause, dynamic]) => relative(root, resolve(root, dirname(file), (fromClause ?? dynamic)!)));
}
