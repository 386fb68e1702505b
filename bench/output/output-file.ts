import { mkdir, mkdtemp, open, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, parse, resolve } from 'node:path';
import type { Command } from 'commander';

/**
 * Makes sure, before a run that may take minutes, that a file can be written where it was asked
 * for: creates its missing folders as `mkdir -p` does, then opens the file for writing — created
 * and removed again if it did not exist. The check is the write itself, not permission bits, which
 * root passes even where nothing can be created (/proc). Throws a one-line error naming the path.
 */
export async function prepareOutputFile(path: string, { fresh = false }: { fresh?: boolean } = {}): Promise<void> {
  if (fresh && (await stat(path).catch(() => undefined))) {
    throw new Error(`cannot write ${path}: it exists, and a results record is written once: name a new file`);
  }
  try {
    await makeFolders(dirname(resolve(path)));
    if ((await stat(path).catch(() => undefined))?.isDirectory()) throw Object.assign(new Error('it is a folder'), { code: 'EISDIR' });
    const created = await open(path, 'wx').catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
      await (await open(path, 'r+')).close(); // there already: writable, and left as it is until the run ends
    });
    if (created) {
      await created.close();
      await unlink(path);
    }
  } catch (error) {
    throw new Error(`cannot write ${path}: ${why(error)}`, { cause: error });
  }
}

/**
 * Ends the command with one line (exit status 2), before it runs, if a file it is to write cannot
 * be written, or if a results record it is to write (`records`) exists already.
 */
export async function prepareOutputFiles(
  command: Command,
  files: readonly (string | undefined)[],
  records: readonly (string | undefined)[] = [],
): Promise<void> {
  const fail = (error: Error) => command.error(error.message, { exitCode: 2 });
  for (const file of files) if (file) await prepareOutputFile(file).catch(fail);
  for (const file of records) if (file) await prepareOutputFile(file, { fresh: true }).catch(fail);
}

/** A file a command writes at the end of its run: where it was asked for (absent: not asked), and what. */
export interface OutputFile {
  path: string | undefined;
  text: string;
  /** A results record: never written over, even a file that appeared during the run. */
  fresh?: boolean;
}

/**
 * Writes each file asked for and says so on stderr (`wrote <path>`), creating its folder again if
 * it was removed during the run. A file that cannot be written there after all is written to a
 * temporary folder instead, and the line says where: a run's results are never lost to a path.
 * Resolves to whether every file went where it was asked for.
 */
export async function writeOutputFiles(
  files: readonly OutputFile[],
  say: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<boolean> {
  let all = true;
  for (const { path, text, fresh = false } of files) {
    if (!path) continue;
    try {
      await makeFolders(dirname(resolve(path)));
      await writeFile(path, text, { flag: fresh ? 'wx' : 'w' });
      say(`wrote ${path}`);
    } catch (error) {
      all = false;
      const instead = join(await mkdtemp(join(tmpdir(), 'coupon-lab-')), basename(path));
      await writeFile(instead, text);
      say(`cannot write ${path}: ${why(error)}; wrote it to ${instead} instead`);
    }
  }
  return all;
}

/**
 * `mkdir -p`, one folder at a time from the deepest that exists: Node 20's recursive mkdir spins
 * for ever on a path it cannot create under /proc.
 */
async function makeFolders(folder: string): Promise<void> {
  const found = await stat(folder).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  if (found?.isDirectory()) return;
  if (found) throw Object.assign(new Error(`${folder} is a file`), { code: 'ENOTDIR' });
  if (folder === parse(folder).root) throw Object.assign(new Error(`${folder} does not exist`), { code: 'ENOENT' });
  await makeFolders(dirname(folder));
  await mkdir(folder).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error; // made meanwhile by another
  });
}

/** What stopped a write, in words. */
function why(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  const words: Record<string, string> = {
    ENOTDIR: 'a part of its path is a file, not a folder',
    EISDIR: 'it is a folder',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOSPC: 'no space left on the device',
    ENOENT: 'nothing can be created there',
    EEXIST: 'it exists, and a results record is written once',
  };
  return (code && words[code]) || message;
}
