import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import { performance } from 'node:perf_hooks';
import { changeCoupon, createCoupon, viewCoupon } from '../core/coupon-service.js';
import type { Refusal } from '../core/coupon.js';
import { HTTP_STATUS, LabError, failureCode, isRedisUnavailable, type ErrorCode } from '../core/errors.js';
import { log } from '../core/log.js';
import type { Lab } from '../lab.js';
import type { StrategyName } from '../strategies/index.js';
import { requireAdminToken } from './admin-token.js';
import { parseCouponChange, parseCouponId, parseIssueBody, parseNewCoupon, parseStrategy } from './validation.js';

const BODY_LIMIT = '16kb';

export interface AppOptions {
  /** What `/metrics` answers; without it there is no `/metrics` here (it is on a port of its own). */
  metricsText?: () => Promise<string>;
}

/** Thin routes: parse, call the domain, map the answer. Failures go to the one error handler. */
export function createApp(lab: Lab, { metricsText }: AppOptions = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  if (lab.config.LOG_REQUESTS === 'all') app.use(requestLogger());
  app.set(LOG_FAILED, lab.config.LOG_REQUESTS === 'failed');
  app.use(express.json({ limit: BODY_LIMIT }));
  const admin = requireAdminToken(lab.config.ADMIN_TOKEN);

  app
    .route('/hello')
    .get((_req, res) => {
      res.type('text/plain').send('hello');
    })
    .all(methodNotAllowed);

  if (metricsText) {
    app
      .route('/metrics')
      .get(async (_req, res) => {
        res.type(lab.metrics.registry.contentType).send(await metricsText());
      })
      .all(methodNotAllowed);
  }

  app
    .route('/health')
    .get(async (_req, res) => {
      await Promise.all([lab.redis.ping(), lab.db.raw('SELECT 1')]);
      res.json({ status: 'ok' });
    })
    .all(methodNotAllowed);

  app
    .route('/v1/coupons')
    .post(admin, async (req, res) => {
      const coupon = await createCoupon(lab, parseNewCoupon(req.body));
      res.status(201).json(coupon);
    })
    .all(methodNotAllowed);

  app
    .route('/v1/coupons/:couponId')
    .get(async (req, res) => {
      const couponId = parseCouponId(req.params.couponId);
      const coupon = await viewCoupon(lab, couponId);
      if (!coupon) return sendError(res, 'COUPON_NOT_FOUND', refusalMessage('COUPON_NOT_FOUND', couponId));
      res.json(coupon);
    })
    .patch(admin, async (req, res) => {
      const couponId = parseCouponId(req.params.couponId);
      const coupon = await changeCoupon(lab, couponId, parseCouponChange(req.body));
      if (!coupon) return sendError(res, 'COUPON_NOT_FOUND', refusalMessage('COUPON_NOT_FOUND', couponId));
      res.json(coupon);
    })
    .all(methodNotAllowed);

  app
    .route('/v1/coupons/:couponId/issues')
    .post((req, res) => issue(req, res, parseStrategy(req.query.strategy, lab.config.ISSUE_STRATEGY)))
    .all(methodNotAllowed);
  app
    .route('/v1/strategies/:strategy/coupons/:couponId/issues')
    .post((req, res) => issue(req, res, parseStrategy(req.params.strategy, lab.config.ISSUE_STRATEGY)))
    .all(methodNotAllowed);

  async function issue(req: Request, res: Response, strategy: StrategyName): Promise<void> {
    const couponId = parseCouponId(req.params.couponId);
    const { userId } = parseIssueBody(req.body);
    const result = await lab.strategies[strategy].issue({ couponId, userId });
    if (result.outcome === 'refused') return sendError(res, result.code, refusalMessage(result.code, couponId));
    const status = result.outcome === 'issued' ? 201 : 202;
    res.status(status).json({ couponId, userId, strategy, status: result.outcome });
  }

  app.use((req, res) => sendError(res, 'ROUTE_NOT_FOUND', `no route for ${req.method} ${req.path}`));
  app.use(errorHandler);
  return app;
}

/**
 * One line per request, once answered: method, path, status and time taken; `aborted` if the
 * client went away before the answer was sent.
 */
function requestLogger(): express.RequestHandler {
  return (req, res, next) => {
    const startedAt = performance.now();
    res.once('close', () => {
      const ms = Math.round((performance.now() - startedAt) * 10) / 10;
      const fields = { method: req.method, url: req.originalUrl, status: res.statusCode, ms, ...(res.writableFinished ? {} : { aborted: true }) };
      if (res.statusCode >= 500) log.error(fields, 'request');
      else log.info(fields, 'request');
    });
    next();
  };
}

/**
 * The last handler of every path, reached only by a method the path does not take: 405 with the
 * methods it does take (RFC 9110), read off the route itself so the list cannot drift from the
 * handlers. HEAD goes with GET, as Express answers HEAD with the GET handler. Last rather than
 * first, so the answers of the methods a path does take pass through nothing more.
 */
const methodNotAllowed: express.RequestHandler = (req, res) => {
  const methods = Object.keys((req.route as { methods: Record<string, boolean> }).methods).filter((method) => method !== '_all');
  const allowed = methods.flatMap((method) => (method === 'get' && !methods.includes('head') ? ['GET', 'HEAD'] : [method.toUpperCase()]));
  res.set('Allow', allowed.join(', '));
  sendError(res, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${req.path}; it takes ${allowed.join(', ')}`);
};

/**
 * App setting: log a line for each failed request, from `sendError`, where every failure is
 * answered. Costs the normal answers nothing, as a middleware around every request would
 * (~3% of lua's throughput). 409 is not a failure but an issue's expected "no" (sold out,
 * already issued), which a flash crowd gets by the thousand a second.
 */
const LOG_FAILED = 'coupon-lab: log failed requests';

/** Codes that pass: the same request may well succeed in a moment. */
const RETRY_LATER = new Set<ErrorCode>(['LOCK_TIMEOUT', 'LEASE_EXPIRED', 'SERVICE_UNAVAILABLE']);

function sendError(res: Response, code: ErrorCode, message: string): void {
  const status = HTTP_STATUS[code];
  if (RETRY_LATER.has(code)) res.set('Retry-After', '1');
  if (code === 'UNAUTHORIZED') res.set('WWW-Authenticate', 'Bearer'); // the scheme a 401 must name (RFC 9110)
  res.status(status).json({ code, message });
  if (status !== 409 && res.app.get(LOG_FAILED)) {
    const fields = { method: res.req.method, url: res.req.originalUrl, status, code };
    if (status >= 500) log.error(fields, 'request');
    else log.info(fields, 'request');
  }
}

function refusalMessage(code: Refusal, couponId: number): string {
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

/** body-parser's failures carry a `type`; each becomes a client error with a code. */
const BODY_ERRORS: Record<string, { code: ErrorCode; message: string }> = {
  'entity.parse.failed': { code: 'INVALID_REQUEST', message: 'body: not valid JSON' },
  'entity.too.large': { code: 'PAYLOAD_TOO_LARGE', message: `body: larger than ${BODY_LIMIT}` },
  'encoding.unsupported': { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'body: unsupported content encoding' },
  'charset.unsupported': { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'body: unsupported charset' },
};

/**
 * A failure of the request itself, raised before any route ran: by body-parser (with a `type`,
 * or without one when a compressed body does not decompress) or by the router (a path parameter
 * that is not valid percent-encoding). They carry an http-errors style 4xx `status`.
 */
function clientError(error: unknown, req: Request): { code: ErrorCode; message: string } | undefined {
  const { type, status, expose } = (error ?? {}) as { type?: unknown; status?: unknown; expose?: unknown };
  const known = typeof type === 'string' ? BODY_ERRORS[type] : undefined;
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

const errorHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  if (error instanceof LabError) return sendError(res, error.code, error.message);
  const refused = clientError(error, req);
  if (refused) return sendError(res, refused.code, refused.message);
  switch (failureCode(error)) {
    case 'LOCK_TIMEOUT': // a coupon change that waited on the row's lock longer than MySQL waits, or deadlocked
      return sendError(res, 'LOCK_TIMEOUT', 'mysql: the row lock was contended; try again');
    case 'SERVICE_UNAVAILABLE':
      return sendError(res, 'SERVICE_UNAVAILABLE', `${isRedisUnavailable(error) ? 'redis' : 'mysql'} is unreachable`);
    default:
      log.error({ method: req.method, path: req.path, error }, 'unhandled error');
      sendError(res, 'INTERNAL_ERROR', 'internal error');
  }
};
