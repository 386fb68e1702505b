import type express from 'express';
import type { Request, Response } from 'express';
import type { Refusal } from '../core/coupon.js';
import { LabError, type ErrorCode } from '../core/errors.js';
import { asLabError } from '../core/failures.js';
import type { Log } from '../core/log.js';
import { sendJson } from './send-json.js';

/** The HTTP status of every code a client can see. */
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
  CONTENDED: 503,
  SERVICE_UNAVAILABLE: 503,
} as const satisfies Record<ErrorCode, number>;

/** Codes that pass: the same request may well succeed in a moment. */
const RETRY_LATER = new Set<ErrorCode>(['LOCK_TIMEOUT', 'LEASE_EXPIRED', 'CONTENDED', 'SERVICE_UNAVAILABLE']);

export const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * body-parser's failures carry a `type`; each becomes a client error with a code. The body
 * reader of json-body.ts fails with the same, so a body is told the same whoever read it.
 */
const BODY_ERRORS = {
  'entity.parse.failed': { code: 'INVALID_REQUEST', message: 'body: not valid JSON' },
  'entity.too.large': { code: 'PAYLOAD_TOO_LARGE', message: `body: larger than ${BODY_LIMIT_BYTES / 1024}kb` },
  'encoding.unsupported': { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'body: unsupported content encoding' },
  'charset.unsupported': { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'body: unsupported charset' },
  'request.aborted': { code: 'INVALID_REQUEST', message: 'request: request aborted' },
} as const satisfies Record<string, { code: ErrorCode; message: string }>;

export function bodyError(type: keyof typeof BODY_ERRORS): LabError {
  const { code, message } = BODY_ERRORS[type];
  return new LabError(code, message);
}

export interface Responder {
  /** Answers `{code, message}` with the code's status, and logs the failure if asked to. */
  sendError: (res: Response, code: ErrorCode, message: string) => void;
  /** The last handler of every path: 405 for a method the path does not take. */
  methodNotAllowed: express.RequestHandler;
  /** The one error handler: every failure a route throws is answered here. */
  errorHandler: express.ErrorRequestHandler;
}

/**
 * How the server answers what went wrong. `logFailed`: a log line for each failure, written where
 * it is answered, which costs the normal answers nothing, as a middleware around every request
 * would (measured: docs/results/2026-11-25-metrics-and-logs-cost.md). 409 is not a failure but an issue's expected "no" (sold out,
 * already issued), which a flash crowd gets by the thousand a second.
 */
export function createResponder(log: Log, logFailed: boolean): Responder {
  function sendError(res: Response, code: ErrorCode, message: string): void {
    const status = HTTP_STATUS[code];
    if (RETRY_LATER.has(code)) res.set('Retry-After', '1');
    if (code === 'UNAUTHORIZED') res.set('WWW-Authenticate', 'Bearer'); // the scheme a 401 must name (RFC 9110)
    sendJson(res, status, { code, message });
    if (status !== 409 && logFailed) {
      const fields = { method: res.req.method, url: res.req.originalUrl, status, code };
      if (status >= 500) log.error(fields, 'request');
      else log.info(fields, 'request');
    }
  }

  /**
   * 405 with the methods the path does take (RFC 9110), read off the route itself so the list
   * cannot drift from the handlers. HEAD goes with GET, as Express answers HEAD with the GET
   * handler. Last rather than first, so the answers of the methods a path does take pass
   * through nothing more.
   */
  const methodNotAllowed: express.RequestHandler = (req, res) => {
    const methods = Object.keys((req.route as { methods: Record<string, boolean> }).methods).filter((method) => method !== '_all');
    const allowed = methods.flatMap((method) => (method === 'get' && !methods.includes('head') ? ['GET', 'HEAD'] : [method.toUpperCase()]));
    res.set('Allow', allowed.join(', '));
    sendError(res, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${req.path}; it takes ${allowed.join(', ')}`);
  };

  const errorHandler: express.ErrorRequestHandler = (error: unknown, req, res, _next) => {
    const known = asLabError(error) ?? clientError(error, req);
    if (known) return sendError(res, known.code, known.message);
    log.error({ method: req.method, path: req.path, error }, 'unhandled error');
    sendError(res, 'INTERNAL_ERROR', 'internal error');
  };

  return { sendError, methodNotAllowed, errorHandler };
}

export function refusalMessage(code: Refusal, couponId: number): string {
  switch (code) {
    case 'COUPON_NOT_FOUND':
      return `coupon ${couponId} does not exist`;
    case 'COUPON_NOT_IN_ISSUE_WINDOW':
      return `coupon ${couponId} is not being issued now`;
    case 'COUPON_SOLD_OUT':
      return `coupon ${couponId} is sold out`;
    case 'ALREADY_ISSUED':
      return `this user already holds coupon ${couponId}`;
  }
}

/**
 * A failure of the request itself, raised before any route ran: by body-parser (with a `type`,
 * or without one when a compressed body does not decompress) or by the router (a path parameter
 * that is not valid percent-encoding). They carry an http-errors style 4xx `status`.
 */
function clientError(error: unknown, req: Request): { code: ErrorCode; message: string } | undefined {
  const { type, status, expose } = (error ?? {}) as { type?: unknown; status?: unknown; expose?: unknown };
  const known = typeof type === 'string' && Object.hasOwn(BODY_ERRORS, type) ? BODY_ERRORS[type as keyof typeof BODY_ERRORS] : undefined;
  if (known) return known;
  if (error instanceof URIError && status === 400) {
    return { code: 'INVALID_REQUEST', message: `path: ${req.path} is not valid percent-encoding` };
  }
  if (typeof status !== 'number' || status < 400 || status > 499 || expose !== true) return undefined;
  const encoding = req.get('content-encoding');
  if (type === undefined && encoding) return { code: 'INVALID_REQUEST', message: `body: not valid ${encoding} data` };
  // Any other error body-parser deems fit for the client: its message, under the one code for bad requests.
  return { code: 'INVALID_REQUEST', message: `request: ${(error as Error).message}` };
}
