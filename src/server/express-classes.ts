import type express from 'express';
import { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Request and response classes of the app's own, for `createServer`: their prototypes hold all
 * that Express puts on a request and a response (the chains of `app.request` and `app.response`,
 * flattened onto a class), and become `app.request` and `app.response`. Express sets those
 * prototypes on every request as it arrives (Object.setPrototypeOf); on objects born with them
 * the call has nothing to do. Changing an object's prototype is what V8 handles worst: a new
 * hidden class for each object, then inline caches missed through the rest of the request, in
 * Node's HTTP code as much as in Express's: the largest item in the server's CPU for every answer.
 */
export function adoptHttpClasses(app: express.Express): { IncomingMessage: typeof IncomingMessage; ServerResponse: typeof ServerResponse } {
  const Request = classWith(IncomingMessage, app.request);
  const Response = classWith(ServerResponse, app.response);
  app.request = Request.prototype as express.Request;
  app.response = Response.prototype as express.Response;
  return { IncomingMessage: Request, ServerResponse: Response };
}

/** A subclass of `Base` whose prototype has every property of `prototype`'s chain down to `Base.prototype`. */
function classWith<C extends typeof IncomingMessage | typeof ServerResponse>(Base: C, prototype: object): C {
  const Class = class extends Base {};
  const chain: object[] = [];
  for (let link = prototype; link !== Base.prototype; link = Object.getPrototypeOf(link) as object) chain.unshift(link);
  for (const link of chain) Object.defineProperties(Class.prototype, Object.getOwnPropertyDescriptors(link));
  return Class;
}
