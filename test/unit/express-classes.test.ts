import express from 'express';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { adoptHttpClasses } from '../../src/server/express-classes.js';

describe("the server's request and response classes", () => {
  const app = express();
  const { IncomingMessage: Request, ServerResponse: Response } = adoptHttpClasses(app);
  const request = new Request(new Socket());
  request.url = '/v1/coupons/7/issues?strategy=lua';
  request.headers = { 'content-type': 'application/json' };
  const response = new Response(request);

  it("build objects born with the app's prototypes, so that Express has none to change", () => {
    expect(Object.getPrototypeOf(request)).toBe(app.request);
    expect(Object.getPrototypeOf(response)).toBe(app.response);
  });

  it('give them everything Express gives a request and a response', () => {
    const req = request as unknown as express.Request;
    expect({ app: req.app === app, path: req.path, query: req.query, type: req.get('Content-Type') }).toEqual({
      app: true,
      path: '/v1/coupons/7/issues',
      query: { strategy: 'lua' },
      type: 'application/json',
    });
    const res = response as unknown as express.Response;
    res.set('Retry-After', '1').type('json');
    expect([res.getHeader('retry-after'), res.getHeader('content-type')]).toEqual(['1', 'application/json; charset=utf-8']);
  });
});
