import type express from 'express';
import { LabError } from '../src/core/errors.js';
import type { Log } from '../src/core/log.js';
import { HTTP_STATUS } from '../src/server/errors.js';
import { sendJson } from '../src/server/send-json.js';

/** What the console answers besides the API server's codes (src/core/errors.ts). */
const CONSOLE_STATUS = {
  INVALID_REQUEST: 400,
  /** A Host that is not the console's own name, and a POST from another site's page (other-sites.ts). */
  HOST_NOT_ALLOWED: 403,
  CROSS_ORIGIN: 403,
  NOT_FOUND: 404,
  /** One run at a time: the console drives real server processes on the same cores. */
  RUN_IN_PROGRESS: 409,
  NO_RUN: 409,
} as const;

export type ConsoleCode = keyof typeof CONSOLE_STATUS;

/** A request the console refuses, with the code and the sentence the page shows. */
export class ConsoleError extends Error {
  override readonly name = 'ConsoleError';
  constructor(
    readonly code: ConsoleCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The one error handler: a refusal is `{code, message}` with its status, a body the parser could not
 * read is 400, anything else is logged and answered 500 without its stack.
 */
export function consoleErrorHandler(log: Log): express.ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    if (error instanceof ConsoleError) return sendJson(res, CONSOLE_STATUS[error.code], { code: error.code, message: error.message });
    if (error instanceof LabError) {
      if (error.code === 'UNAUTHORIZED') res.set('WWW-Authenticate', 'Bearer');
      return sendJson(res, HTTP_STATUS[error.code], { code: error.code, message: error.message });
    }
    const { status, type } = (error ?? {}) as { status?: unknown; type?: unknown };
    if (typeof type === 'string' && typeof status === 'number' && status >= 400 && status < 500) {
      return sendJson(res, 400, { code: 'INVALID_REQUEST', message: `body: ${(error as Error).message}` });
    }
    log.error({ method: req.method, path: req.path, error }, 'console: unhandled error');
    sendJson(res, 500, { code: 'INTERNAL_ERROR', message: 'internal error' });
  };
}
