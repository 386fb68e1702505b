import type { ServerResponse } from 'node:http';

/**
 * An answer handed to Node as one head and one body: the same bytes as Express's
 * `res.status(status).type(type).send(text)`, which on every call also reads three settings, sets
 * the content type twice through mime-types and content-type, and asks whether the request is
 * fresh: work that showed in the profile of the answers a crowd gets by the thousand a second.
 * Every answer the server gives a crowd goes through here, `/hello` included, so the bench's
 * ratio of an issue to `/hello` compares an answer with an answer written the same way.
 * Headers set before (`Allow`, `Retry-After`) are sent with it; a HEAD request gets the head only
 * (Node leaves the body out).
 */
export function sendText(res: ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A JSON answer, through `sendText`. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, JSON.stringify(body), 'application/json; charset=utf-8');
}
