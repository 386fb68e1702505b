import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { LabError } from '../core/errors.js';

/** RFC 6750's `Bearer <token>`; the scheme's case does not matter. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The token of an `Authorization: Bearer <token>` header; undefined for none, or another scheme. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return BEARER.exec(authorization ?? '')?.[1];
}

/**
 * Whether a token presented is `token`. Both sides are hashed before the comparison, so it takes
 * the same time whatever the token's length and however much of it is right: the answer's timing
 * tells nothing about the token.
 */
export function tokenCheck(token: string): (presented: string) => boolean {
  const expected = sha256(token);
  return (presented) => timingSafeEqual(sha256(presented), expected);
}

/**
 * Guards the routes that create and change coupons with ADMIN_TOKEN; without one they are open
 * (the server warns at start). No header, or not a bearer token: 401. Another token: 403.
 */
export function requireAdminToken(token: string | undefined): RequestHandler {
  if (token === undefined) return (_req, _res, next) => next();
  const matches = tokenCheck(token);
  return (req, _res, next) => {
    const presented = bearerToken(req.get('authorization'));
    if (presented === undefined) throw new LabError('UNAUTHORIZED', 'creating or changing a coupon needs Authorization: Bearer <ADMIN_TOKEN>');
    if (!matches(presented)) throw new LabError('FORBIDDEN', 'this bearer token may not create or change coupons');
    next();
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
