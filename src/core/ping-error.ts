/**
 * Why MySQL or Redis did not answer a ping, in the terms a person can act on: nothing answered at
 * that address, the server refused the login, or something answered that is not the service
 * asked for (a URL pointing at another program's port).
 */
export type PingFailure = 'unreachable' | 'login-refused' | 'not-this-service';

export class PingError extends Error {
  override readonly name = 'PingError';
  constructor(
    readonly failure: PingFailure,
    cause: unknown,
  ) {
    super(reasonOf(cause), { cause });
  }
}

/** A driver's error in a few words. A host name with several addresses fails with one error per address. */
export function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length) return [...new Set(error.errors.map(reasonOf))].join('; ');
  if (error instanceof Error) {
    const { code } = error as { code?: unknown };
    return error.message || (typeof code === 'string' || typeof code === 'number' ? String(code) : error.name);
  }
  return String(error);
}
