import { constants } from 'node:fs';
import { access, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';

/**
 * Makes sure, before a run that may take minutes, that a report can be written where it was asked
 * for: creates the folder as `mkdir -p` does and checks that it (and the file, if it exists) can be
 * written. Throws a one-line error naming the path otherwise, so that the run is not lost at the end.
 */
export async function prepareOutputFile(path: string, { fresh = false }: { fresh?: boolean } = {}): Promise<void> {
  if (fresh && (await stat(path).catch(() => undefined))) {
    throw new Error(`cannot write ${path}: it exists, and a results record is written once: name a new file`);
  }
  try {
    const folder = dirname(path);
    await mkdir(folder, { recursive: true });
    await access(folder, constants.W_OK);
    if ((await stat(path).catch(() => undefined))?.isDirectory()) throw new Error('it is a folder');
    await access(path, constants.W_OK).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a part of its path is a file, not a folder' : message;
    throw new Error(`cannot write ${path}: ${why}`, { cause: error });
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

/**
 * Writes a report, creating its folder if it is missing (it may have been removed during the run).
 * A results record (`fresh`) is never written over, even one that appeared during the run.
 */
export async function writeOutputFile(path: string, text: string, { fresh = false }: { fresh?: boolean } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text, { flag: fresh ? 'wx' : 'w' });
}
