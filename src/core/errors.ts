/**
 * Every code a client can see, with its HTTP status. Expected outcomes of an issue
 * (sold out, already issued, ...) are values, not exceptions; the classes below are
 * for failures, and the server maps both through this one table.
 */
export const HTTP_STATUS = {
  INVALID_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  COUPON_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  COUPON_NOT_IN_ISSUE_WINDOW: 409,
  COUPON_SOLD_OUT: 409,
  ALREADY_ISSUED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL_ERROR: 500,
  LOCK_TIMEOUT: 503,
  LEASE_EXPIRED: 503,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof HTTP_STATUS;

export class LabError extends Error {
  override readonly name: string = 'LabError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class InvalidRequestError extends LabError {
  override readonly name = 'InvalidRequestError';
  constructor(message: string) {
    super('INVALID_REQUEST', message);
  }
}

export class LockTimeoutError extends LabError {
  override readonly name = 'LockTimeoutError';
  constructor(
    readonly strategy: string,
    readonly waitedMs: number,
  ) {
    super('LOCK_TIMEOUT', `${strategy}: no lock within ${waitedMs} ms; try again`);
  }
}

/** The lock's lease ran out before the commit: the transaction was rolled back, nothing was written. */
export class LeaseExpiredError extends LabError {
  override readonly name = 'LeaseExpiredError';
  constructor(
    readonly strategy: string,
    readonly leaseMs: number,
  ) {
    super('LEASE_EXPIRED', `${strategy}: the lock's ${leaseMs} ms lease ran out before commit; nothing was written, try again`);
  }
}

/**
 * MySQL refused a fencing token older than the newest it took: another holder took the lock
 * after this one's lease ran out, and wrote first. Rolled back, nothing written.
 */
export class StaleFenceError extends LabError {
  override readonly name = 'StaleFenceError';
  constructor(
    readonly strategy: string,
    readonly token: number,
    readonly newest: number,
  ) {
    super('LEASE_EXPIRED', `${strategy}: the lock was taken over (token ${token}, MySQL holds ${newest}); nothing was written, try again`);
  }
}

export type Service = 'redis' | 'mysql';

export class ServiceUnavailableError extends LabError {
  override readonly name = 'ServiceUnavailableError';
  constructor(
    readonly service: Service,
    cause: unknown,
  ) {
    super('SERVICE_UNAVAILABLE', `${service} is unreachable`, { cause });
  }
}

/**
 * A coupon change committed to MySQL whose copy in Redis (the lua path's terms) could not be
 * brought up to date. The change stands; sending it again bumps the version and refreshes.
 */
export class ChangeNotPropagatedError extends LabError {
  override readonly name = 'ChangeNotPropagatedError';
  constructor(
    readonly couponId: number,
    cause: unknown,
  ) {
    super(
      'SERVICE_UNAVAILABLE',
      `coupon ${couponId}: the change was saved, but Redis could not be updated; send the same change again`,
      { cause },
    );
  }
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
]);

/** Errnos of a server going away: shutting down (1053), a connection killed (1927, MariaDB). */
const CONNECTION_ERRNOS = new Set([1053, 1927]);

/** True for errors that mean "MySQL could not be reached", as opposed to a bad statement. */
export function isMysqlUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'KnexTimeoutError') return true; // no pooled connection could be made in time
  // mysql2 marks every error that ends the connection as fatal, some without a code: "Can't add
  // new command when connection is in closed state", when the server died mid-transaction.
  if ((error as { fatal?: unknown }).fatal === true) return true;
  const code = (error as { code?: unknown }).code;
  const errno = mysqlErrno(error);
  return (typeof code === 'string' && CONNECTION_CODES.has(code)) || (errno !== undefined && CONNECTION_ERRNOS.has(errno));
}

/** True for errors that mean Redis cannot serve now, as opposed to a bad command. */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError' || /^Connection is closed|Stream isn't writeable/.test(error.message)) return true;
  // Replies of a Redis that cannot serve right now: loading its data, a read-only replica, busy
  // with a script, out of memory.
  return error.name === 'ReplyError' && /^(LOADING|READONLY|BUSY|MASTERDOWN|OOM) /.test(error.message);
}

export function mysqlErrno(error: unknown): number | undefined {
  const errno = (error as { errno?: unknown } | undefined)?.errno;
  return typeof errno === 'number' ? errno : undefined;
}

export const MYSQL_ERRNO = {
  DUPLICATE_ENTRY: 1062,
  LOCK_WAIT_TIMEOUT: 1205,
  DEADLOCK: 1213,
} as const;

/**
 * The code a failure is answered with: a LabError's own; LOCK_TIMEOUT for a row lock MySQL gave
 * up on or a deadlock; SERVICE_UNAVAILABLE for Redis or MySQL out of reach; else INTERNAL_ERROR.
 */
export function failureCode(error: unknown): ErrorCode {
  if (error instanceof LabError) return error.code;
  const errno = mysqlErrno(error);
  if (errno === MYSQL_ERRNO.LOCK_WAIT_TIMEOUT || errno === MYSQL_ERRNO.DEADLOCK) return 'LOCK_TIMEOUT';
  if (isRedisUnavailable(error) || isMysqlUnavailable(error)) return 'SERVICE_UNAVAILABLE';
  return 'INTERNAL_ERROR';
}

/**
 * Values MySQL will refuse however often they are sent (out of range, wrong type, too long, a
 * missing parent row). Anything else — an outage, a read-only or full server, a killed query —
 * may pass later, so the consumer keeps those entries pending rather than parking them.
 */
const DATA_ERRNOS = new Set([1048, 1264, 1265, 1292, 1366, 1406, 1452]);

export function isMysqlDataError(error: unknown): boolean {
  const errno = mysqlErrno(error);
  return errno !== undefined && DATA_ERRNOS.has(errno);
}
