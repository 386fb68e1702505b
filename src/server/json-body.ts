import express, { type NextFunction, type Request, type RequestHandler } from 'express';
import { LabError } from '../core/errors.js';
import { BODY_LIMIT_BYTES, bodyError } from './errors.js';

const NOT_JSON_MESSAGE = 'body: send it as JSON, with Content-Type: application/json';

/**
 * How the body of the one request a crowd sends by the thousand a second arrives: JSON in UTF-8,
 * uncompressed, its length declared. Spellings of that content type outside this set are read
 * by body-parser, as any other body is.
 */
const PLAIN_TYPES = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8', 'application/json; charset=UTF-8']);

/**
 * The JSON body of a route that takes one. A plain body (above) within the limit is read here;
 * body-parser reads every other (compressed, chunked, another charset, declared too large) with
 * its limits, charsets, encodings and errors. Reading the plain ones here rather than through
 * body-parser costs the hot request less CPU (measured: docs/results/2026-12-01-lua-profile.md);
 * the errors are the same either way (errors.ts).
 *
 * Not strict, so that a body of `null` or `[1]` reaches validation, which says what the body
 * must be, instead of being called invalid JSON (it is valid JSON). A body of another type is
 * refused: left unread, it would be reported as missing fields.
 */
export function jsonBody(): RequestHandler {
  const parse = express.json({ limit: BODY_LIMIT_BYTES, strict: false });
  return (req, res, next) => {
    if (!hasContent(req)) {
      req.body = undefined;
      return next();
    }
    if (isPlain(req)) return readPlain(req, next);
    if (!req.is('application/json')) throw new LabError('UNSUPPORTED_MEDIA_TYPE', NOT_JSON_MESSAGE);
    parse(req, res, next);
  };
}

/** Whether the request carries bytes: a length above zero, or a chunked body. */
function hasContent(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) > 0);
}

function isPlain({ headers }: Request): boolean {
  return (
    headers['content-encoding'] === undefined &&
    headers['transfer-encoding'] === undefined &&
    Number(headers['content-length']) <= BODY_LIMIT_BYTES &&
    PLAIN_TYPES.has(headers['content-type'] ?? '')
  );
}

/** Node's parser delivers exactly the declared length, or an error if the client goes away first. */
function readPlain(req: Request, next: NextFunction): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.once('error', () => next(bodyError('request.aborted')));
  req.once('end', () => {
    let body: unknown;
    try {
      body = parseUtf8Json(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    } catch {
      return next(bodyError('entity.parse.failed'));
    }
    req.body = body;
    next();
  });
}

/** As body-parser decodes UTF-8: a byte order mark is dropped, not taken for a character. */
function parseUtf8Json(bytes: Buffer): unknown {
  const text = bytes.toString('utf8');
  return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}
