/**
 * Every code a client can see. Expected outcomes of an issue (sold out, already issued, ...) are
 * values, not exceptions (`Refusal` in coupon.ts, the first four); the classes below are for
 * failures. The server gives each code its HTTP status (src/server/errors.ts).
 */
export type ErrorCode =
  | 'COUPON_NOT_FOUND'
  | 'COUPON_NOT_IN_ISSUE_WINDOW'
  | 'COUPON_SOLD_OUT'
  | 'ALREADY_ISSUED'
  | 'INVALID_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'ROUTE_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'INTERNAL_ERROR'
  | 'LOCK_TIMEOUT'
  | 'LEASE_EXPIRED'
  | 'CONTENDED'
  | 'SERVICE_UNAVAILABLE';

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

/**
 * No lock within the time a request may wait, nothing written: a lock of the strategy's own, or a
 * MySQL row lock MySQL gave up on (`waitedMs` unknown where the driver's error reached the caller
 * outside a strategy's own timing).
 */
export class LockTimeoutError extends LabError {
  override readonly name = 'LockTimeoutError';
  constructor(
    readonly strategy: string,
    readonly waitedMs: number | undefined,
    options?: ErrorOptions,
  ) {
    super('LOCK_TIMEOUT', `${strategy}: no lock within ${waitedMs === undefined ? 'the time allowed' : `${waitedMs} ms`}; try again`, options);
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
 * Every block of places the request was given (leased-stock) had ended by the time its row
 * reached MySQL (taken back, expired, or the coupon changed), and MySQL refused the row each time.
 */
export class BlockEndedError extends LabError {
  override readonly name = 'BlockEndedError';
  constructor(
    readonly strategy: string,
    readonly attempts: number,
  ) {
    super('LEASE_EXPIRED', `${strategy}: the block of places was taken back before the row was written, ${attempts} times; nothing was written, try again`);
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

/** An optimistic write that lost its race every time it was tried, until its time ran out: nothing was written. */
export class ContendedError extends LabError {
  override readonly name = 'ContendedError';
  constructor(
    readonly strategy: string,
    readonly attempts: number,
    readonly elapsedMs: number,
  ) {
    super('CONTENDED', `${strategy}: ${attempts} attempts in ${elapsedMs} ms, each beaten by another request; nothing was written, try again`);
  }
}

export type Service = 'redis' | 'mysql' | 'broker';

const SERVICE_NAMES: Record<Service, string> = { redis: 'Redis', mysql: 'MySQL', broker: 'RabbitMQ' };

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
 * A coupon change committed to MySQL whose copies (the lua path's terms in Redis) could not be
 * brought up to date. The change stands; sending it again bumps the version and refreshes.
 */
export class ChangeNotPropagatedError extends LabError {
  override readonly name = 'ChangeNotPropagatedError';
  constructor(
    readonly couponId: number,
    cause: unknown,
  ) {
    const where = cause instanceof ServiceUnavailableError ? SERVICE_NAMES[cause.service] : 'a copy of it';
    super('SERVICE_UNAVAILABLE', `coupon ${couponId}: the change was saved, but ${where} could not be updated; send the same change again`, {
      cause,
    });
  }
}
