/** MySQL's and mysql2's errors, by name: what a failed statement means for the caller. */

/** Server error numbers the lab acts on (mysqld_error.h; MariaDB's where it has its own). */
export const MYSQL_ERRNO = {
  /** MariaDB's snapshot isolation (innodb_snapshot_isolation, on by default from 11.6.2) refusing a write to a row changed since the transaction's snapshot. */
  RECORD_CHANGED: 1020,
  SERVER_SHUTDOWN: 1053,
  DUPLICATE_ENTRY: 1062,
  LOCK_WAIT_TIMEOUT: 1205,
  DEADLOCK: 1213,
  CONNECTION_KILLED: 1927,
  BAD_NULL: 1048,
  OUT_OF_RANGE: 1264,
  DATA_TRUNCATED: 1265,
  WRONG_VALUE: 1292,
  WRONG_VALUE_FOR_FIELD: 1366,
  DATA_TOO_LONG: 1406,
  NO_REFERENCED_ROW: 1452,
} as const;

export function mysqlErrno(error: unknown): number | undefined {
  const errno = (error as { errno?: unknown } | undefined)?.errno;
  return typeof errno === 'number' ? errno : undefined;
}

/** mysql2's and Node's codes for a connection that could not be made or was lost. */
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

const CONNECTION_ERRNOS = new Set<number>([MYSQL_ERRNO.SERVER_SHUTDOWN, MYSQL_ERRNO.CONNECTION_KILLED]);

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

/** A race the transaction lost and MySQL refused: a deadlock it broke, or a write over a row changed since the snapshot. Run again, it may pass. */
export function isMysqlLostRace(error: unknown): boolean {
  const errno = mysqlErrno(error);
  return errno === MYSQL_ERRNO.DEADLOCK || errno === MYSQL_ERRNO.RECORD_CHANGED;
}

/** A row lock MySQL gave up waiting for, or a race it refused (isMysqlLostRace). */
export function isMysqlContention(error: unknown): boolean {
  return mysqlErrno(error) === MYSQL_ERRNO.LOCK_WAIT_TIMEOUT || isMysqlLostRace(error);
}

/**
 * Values MySQL will refuse however often they are sent (out of range, wrong type, too long, a
 * missing parent row). Anything else — an outage, a read-only or full server, a killed query —
 * may pass later, so the consumer keeps those entries pending rather than parking them.
 */
const DATA_ERRNOS = new Set<number>([
  MYSQL_ERRNO.BAD_NULL,
  MYSQL_ERRNO.OUT_OF_RANGE,
  MYSQL_ERRNO.DATA_TRUNCATED,
  MYSQL_ERRNO.WRONG_VALUE,
  MYSQL_ERRNO.WRONG_VALUE_FOR_FIELD,
  MYSQL_ERRNO.DATA_TOO_LONG,
  MYSQL_ERRNO.NO_REFERENCED_ROW,
]);

export function isMysqlDataError(error: unknown): boolean {
  const errno = mysqlErrno(error);
  return errno !== undefined && DATA_ERRNOS.has(errno);
}
