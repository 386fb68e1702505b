import express, { type Request, type RequestHandler } from 'express';
import { LabError } from '../core/errors.js';
import { BODY_LIMIT } from './errors.js';

export const NOT_JSON_MESSAGE = 'body: send it as JSON, with Content-Type: application/json';

/**
 * The JSON body of a route that takes one, read by body-parser: its size limit, charsets,
 * encodings and errors. Not strict, so that a body of `null` or `[1]` reaches validation, which
 * says what the body must be, instead of being called invalid JSON (it is valid JSON). A body of
 * another type is refused: left unread, it would be reported as missing fields.
 */
export function jsonBody(): RequestHandler {
  const parse = express.json({ limit: BODY_LIMIT, strict: false });
  return (req, res, next) => {
    if (!hasContent(req)) {
      req.body = undefined;
      return next();
    }
    if (!req.is('application/json')) throw new LabError('UNSUPPORTED_MEDIA_TYPE', NOT_JSON_MESSAGE);
    parse(req, res, next);
  };
}

/** Whether the request carries bytes: a length above zero, or a chunked body. */
function hasContent(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) > 0);
}
