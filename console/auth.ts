import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import { LabError } from '../src/core/errors.js';
import { bearerToken, tokenCheck } from '../src/server/admin-token.js';

/** The cookie a page gets once it has shown the token. */
const COOKIE = 'coupon-lab-console';

export interface Guard {
  /** Lets a request through if the console has no token, or it shows it: as a bearer token, or the session cookie. */
  require: RequestHandler;
  /** `POST /api/session` with the bearer token: sets the session cookie, so the page's links and live stream carry it. */
  open: RequestHandler;
}

/**
 * ADMIN_TOKEN guards every API call and the live stream when the console listens beyond this
 * machine. The page asks for the token once and trades it for a session cookie (HttpOnly, so no
 * script reads it; SameSite=Strict, so no other site's page sends it), which an EventSource and a
 * link to a report carry where no header can be added. The session is this process's: restarting
 * the console asks for the token again.
 */
export function consoleGuard(token: string | undefined): Guard {
  if (token === undefined) return { require: (_req, _res, next) => next(), open: (_req, res) => void res.status(204).end() };
  const isToken = tokenCheck(token);
  const session = randomBytes(32).toString('base64url');
  const isSession = tokenCheck(session);
  const presented = (cookies: string | undefined) =>
    cookies
      ?.split(';')
      .map((pair) => pair.trim().split('='))
      .find(([name]) => name === COOKIE)?.[1];
  return {
    require(req, _res, next) {
      const bearer = bearerToken(req.get('authorization'));
      const cookie = presented(req.get('cookie'));
      if (bearer === undefined && cookie === undefined) throw new LabError('UNAUTHORIZED', 'this console needs its ADMIN_TOKEN');
      if (!(bearer !== undefined ? isToken(bearer) : isSession(cookie!))) throw new LabError('FORBIDDEN', 'this is not the console’s ADMIN_TOKEN');
      next();
    },
    open(req, res) {
      const bearer = bearerToken(req.get('authorization'));
      if (bearer === undefined) throw new LabError('UNAUTHORIZED', 'send the ADMIN_TOKEN as Authorization: Bearer <token>');
      if (!isToken(bearer)) throw new LabError('FORBIDDEN', 'this is not the console’s ADMIN_TOKEN');
      res.set('Set-Cookie', `${COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`).status(204).end();
    },
  };
}
