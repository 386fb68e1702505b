import { LabError, LockTimeoutError, ServiceUnavailableError, type ErrorCode } from './errors.js';
import { isMysqlContention, isMysqlUnavailable } from './mysql-errors.js';
import { isRedisUnavailable } from './redis.js';

/**
 * A failure as the domain names it: a LabError as it is, a driver's error as what it means for the
 * caller (MySQL or Redis out of reach, a MySQL row lock given up on), undefined for anything else,
 * which is a bug.
 */
export function asLabError(error: unknown): LabError | undefined {
  if (error instanceof LabError) return error;
  if (isMysqlContention(error)) return new LockTimeoutError('mysql', undefined, { cause: error });
  if (isRedisUnavailable(error)) return new ServiceUnavailableError('redis', error);
  if (isMysqlUnavailable(error)) return new ServiceUnavailableError('mysql', error);
  return undefined;
}

/** The code a failure is answered with and counted under: INTERNAL_ERROR for what no rule names. */
export function failureCode(error: unknown): ErrorCode {
  return asLabError(error)?.code ?? 'INTERNAL_ERROR';
}
