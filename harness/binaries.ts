import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** Debian puts daemons (mariadbd) in sbin, which is not on every user's PATH. */
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** A server binary the fault bench needs is not installed; says which Debian package brings it. */
export class MissingBinaryError extends Error {
  constructor(
    readonly binary: string,
    readonly debianPackage: string,
  ) {
    super(
      `${binary} is not installed: faults are injected into private instances started with it. ` +
        `Install Debian's ${debianPackage} package: apt-get install -y ${debianPackage}`,
    );
    this.name = 'MissingBinaryError';
  }
}

/**
 * The path of an executable found on `searchPath` (PATH by default) or in sbin, or a
 * MissingBinaryError naming the package to install.
 */
export async function requireBinary(binary: string, debianPackage: string, searchPath: string = process.env.PATH ?? ''): Promise<string> {
  const dirs = [...searchPath.split(delimiter).filter(Boolean), ...SBIN_DIRS];
  for (const dir of dirs) {
    const path = join(dir, binary);
    if (
      await access(path, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return path;
  }
  throw new MissingBinaryError(binary, debianPackage);
}
