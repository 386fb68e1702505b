import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import { changeCoupon, createCoupon, viewCoupon } from '../core/coupon-service.js';
import type { Refusal } from '../core/coupon.js';
import {
  HTTP_STATUS,
  LabError,
  isMysqlUnavailable,
  isRedisUnavailable,
  mysqlErrno,
  MYSQL_ERRNO,
  type ErrorCode,
} from '../core/errors.js';
import { log } from '../core/log.js';
import type { Lab } from '../lab.js';
import type { StrategyName } from '../strategies/index.js';
import { parseCouponChange, parseCouponId, parseIssueBody, parseNewCoupon, parseStrategy } from './validation.js';

const BODY_LIMIT = '16kb';

/** Thin routes: parse, call the domain, map the answer. Failures go to the one error handler. */
export function createApp(lab: Lab): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(express.json({ limit: BODY_LIMIT }));

  app.get('/hello', (_req, res) => {
    res.type('text/plain').send('hello');
  });

  app.get('/health', async (_req, res) => {
    await Promise.all([lab.redis.ping(), lab.db.raw('SELECT 1')]);
    res.json({ status: 'ok' });
  });

  app.post('/v1/coupons', async (req, res) => {
    const coupon = await createCoupon(lab, parseNewCoupon(req.body));
    res.status(201).json(coupon);
  });

  app.get('/v1/coupons/:couponId', async (req, res) => {
    const couponId = parseCouponId(req.params.couponId);
    const coupon = await viewCoupon(lab, couponId);
    if (!coupon) return sendError(res, 'COUPON_NOT_FOUND', refusalMessage('COUPON_NOT_FOUND', couponId));
    res.json(coupon);
  });

  app.patch('/v1/coupons/:couponId', async (req, res) => {
    const couponId = parseCouponId(req.params.couponId);
    const coupon = await changeCoupon(lab, couponId, parseCouponChange(req.body));
    if (!coupon) return sendError(res, 'COUPON_NOT_FOUND', refusalMessage('COUPON_NOT_FOUND', couponId));
    res.json(coupon);
  });

  app.post('/v1/coupons/:couponId/issues', (req, res) =>
    issue(req, res, parseStrategy(req.query.strategy, lab.config.ISSUE_STRATEGY)),
  );
  app.post('/v1/strategies/:strategy/coupons/:couponId/issues', (req, res) =>
    issue(req, res, parseStrategy(req.params.strategy, lab.config.ISSUE_STRATEGY)),
  );

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

/** Codes that pass: the same request may well succeed in a moment. */
const RETRY_LATER = new Set<ErrorCode>(['LOCK_TIMEOUT', 'SERVICE_UNAVAILABLE']);

function sendError(res: Response, code: ErrorCode, message: string): void {
  if (RETRY_LATER.has(code)) res.set('Retry-After', '1');
  res.status(HTTP_STATUS[code]).json({ code, message });
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

const errorHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  if (error instanceof LabError) return sendError(res, error.code, error.message);
  const bodyError = BODY_ERRORS[(error as { type?: string }).type ?? ''];
  if (bodyError) return sendError(res, bodyError.code, bodyError.message);
  // A coupon change that waited on the row's lock longer than MySQL waits, or deadlocked.
  if (mysqlErrno(error) === MYSQL_ERRNO.LOCK_WAIT_TIMEOUT || mysqlErrno(error) === MYSQL_ERRNO.DEADLOCK) {
    return sendError(res, 'LOCK_TIMEOUT', 'mysql: the row lock was contended; try again');
  }
  if (isRedisUnavailable(error) || isMysqlUnavailable(error)) {
    const service = isRedisUnavailable(error) ? 'redis' : 'mysql';
    return sendError(res, 'SERVICE_UNAVAILABLE', `${service} is unreachable`);
  }
  log.error('unhandled error', { method: req.method, path: req.path, error });
  sendError(res, 'INTERNAL_ERROR', 'internal error');
};
