import { constants } from 'node:fs';
import { access, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';

/**
 * Makes sure, before a run that may take minutes, that a report can be written where it was asked
 * for: creates the folder as `mkdir -p` does and checks that it (and the file, if it exists) can be
 * written. Throws a one-line error naming the path otherwise, so that the run is not lost at the end.
 */
export async function prepareOutputFile(path: string): Promise<void> {
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

/** Ends the command with one line (exit status 2), before it runs, if a file it is to write cannot be written. */
export async function prepareOutputFiles(command: Command, files: readonly (string | undefined)[]): Promise<void> {
  for (const file of files) {
    if (file) await prepareOutputFile(file).catch((error: Error) => command.error(error.message, { exitCode: 2 }));
  }
}

/** Writes a report, creating its folder if it is missing (it may have been removed during the run). */
export async function writeOutputFile(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}
