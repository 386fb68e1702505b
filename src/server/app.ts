import express, { type Request, type Response } from 'express';
import { performance } from 'node:perf_hooks';
import { changeCoupon, createCoupon, viewCoupon } from '../core/coupon-service.js';
import type { Log } from '../core/log.js';
import type { Lab } from '../lab.js';
import type { StrategyName } from '../strategies/index.js';
import { requireAdminToken } from './admin-token.js';
import { createResponder, refusalMessage } from './errors.js';
import { jsonBody } from './json-body.js';
import { sendJson, sendText } from './send-json.js';
import { parseCouponChange, parseCouponId, parseIssueBody, parseNewCoupon, parsePathStrategy, parseQueryStrategy } from './validation.js';

export interface AppOptions {
  /** What `/metrics` answers; without it there is no `/metrics` here (it is on a port of its own). */
  metricsText?: () => Promise<string>;
}

/** Thin routes: parse, call the domain, map the answer. Failures go to the one error handler. */
export function createApp(lab: Lab, { metricsText }: AppOptions = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  const { sendError, methodNotAllowed, errorHandler } = createResponder(lab.log, lab.config.LOG_REQUESTS === 'failed');
  if (lab.config.LOG_REQUESTS === 'all') app.use(requestLogger(lab.log));
  // On the routes that take a body only: the others, /hello among them, need not pass through it.
  const json = jsonBody();
  const admin = requireAdminToken(lab.config.ADMIN_TOKEN);

  app
    .route('/hello')
    .get((_req, res) => {
      sendText(res, 200, 'hello');
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
      // RabbitMQ only when the default strategy publishes to it: a lab that never uses it needs none.
      const broker = lab.strategies[lab.defaultStrategy].uses.includes('broker') ? [lab.broker.ping()] : [];
      await Promise.all([lab.redis.ping(), lab.db.raw('SELECT 1'), ...broker]);
      sendJson(res, 200, { status: 'ok' });
    })
    .all(methodNotAllowed);

  app
    .route('/v1/coupons')
    .post(admin, json, async (req, res) => {
      const coupon = await createCoupon(lab, parseNewCoupon(req.body));
      sendJson(res, 201, coupon);
    })
    .all(methodNotAllowed);

  app
    .route('/v1/coupons/:couponId')
    .get(async (req, res) => {
      const couponId = parseCouponId(req.params.couponId);
      const coupon = await viewCoupon(lab, couponId);
      if (!coupon) return sendError(res, 'COUPON_NOT_FOUND', refusalMessage('COUPON_NOT_FOUND', couponId));
      sendJson(res, 200, coupon);
    })
    .patch(admin, json, async (req, res) => {
      const couponId = parseCouponId(req.params.couponId);
      const coupon = await changeCoupon(lab, couponId, parseCouponChange(req.body));
      if (!coupon) return sendError(res, 'COUPON_NOT_FOUND', refusalMessage('COUPON_NOT_FOUND', couponId));
      sendJson(res, 200, coupon);
    })
    .all(methodNotAllowed);

  app
    .route('/v1/coupons/:couponId/issues')
    .post(json, (req, res) => issue(req, res, parseQueryStrategy(req.query.strategy, lab.defaultStrategy)))
    .all(methodNotAllowed);
  app
    .route('/v1/strategies/:strategy/coupons/:couponId/issues')
    .post(json, (req, res) => issue(req, res, parsePathStrategy(req.params.strategy, req.query.strategy)))
    .all(methodNotAllowed);

  async function issue(req: Request, res: Response, strategy: StrategyName): Promise<void> {
    const couponId = parseCouponId(req.params.couponId);
    const { userId } = parseIssueBody(req.body);
    const result = await lab.strategies[strategy].issue({ couponId, userId });
    if (result.outcome === 'refused') return sendError(res, result.code, refusalMessage(result.code, couponId));
    const status = result.outcome === 'issued' ? 201 : 202;
    sendJson(res, status, { couponId, userId, strategy, status: result.outcome });
  }

  app.use((req, res) => sendError(res, 'ROUTE_NOT_FOUND', `no route for ${req.method} ${req.path}`));
  app.use(errorHandler);
  return app;
}

/**
 * One line per request, once answered: method, path, status and time taken; `aborted` if the
 * client went away before the answer was sent.
 */
function requestLogger(log: Log): express.RequestHandler {
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
