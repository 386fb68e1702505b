import { isIP } from 'node:net';
import type { RequestHandler } from 'express';
import { LabError } from '../src/core/errors.js';
import { ConsoleError } from './errors.js';

/** This machine's own names: no other site's page can be served under them. */
const OWN_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** What `--host` says to listen on every address of this machine. */
const EVERY_ADDRESS = new Set(['0.0.0.0', '::']);

/** A Host header: a name or IPv4 address, or an IPv6 address in brackets, then perhaps a port. */
const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i;

/**
 * Refuses a request under any name but the console's own (DNS rebinding): a page of another site
 * can point its own name at 127.0.0.1, and its requests then reach the console as that page's own,
 * answers readable; only their Host header still names that site. The console answers as this
 * machine and as the address it listens on; listening on every address, as any address, since an
 * address cannot be pointed elsewhere as a name can. The port is not compared, as Vite and
 * webpack-dev-server do not: a rebound page names the console's port anyway, and a tunnel or a
 * container's published port may put another one in front of it.
 */
export function answerOnlyAsThisMachine(listensOn: string): RequestHandler {
  const listening = (isIP(listensOn) === 6 ? `[${listensOn}]` : listensOn).toLowerCase();
  const names = new Set([...OWN_NAMES, listening]);
  const anyAddress = EVERY_ADDRESS.has(listensOn);
  const shown = [...names].filter((name) => !EVERY_ADDRESS.has(unbracketed(name)));
  const said = `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)!}${anyAddress ? ', or any address of this machine' : ''}`;
  return (req, _res, next) => {
    const host = req.get('host') ?? '';
    const name = HOST.exec(host)?.[1]?.toLowerCase();
    if (name !== undefined && (names.has(name) || (anyAddress && isIP(unbracketed(name)) !== 0))) return next();
    throw new ConsoleError(
      'HOST_NOT_ALLOWED',
      `this console answers as ${said}, not as ${host || 'no Host'}: a page of another site can reach it under a name of its own pointed at this machine`,
    );
  };
}

const unbracketed = (name: string) => name.replace(/^\[|\]$/g, '');

/** Methods that change nothing: a page of another site may send them, but cannot read their answers. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A request that changes something (any method but GET, HEAD and OPTIONS; the console's are POSTs)
 * is taken in JSON only, and from the console's own page. A form of another site can send only
 * urlencoded, multipart or plain text, and a script of another site that sends JSON is first asked
 * about in a preflight the console answers with no CORS header, so the browser never sends it: the
 * content type holds where no Origin is sent (curl, an older browser posting a form). The Origin,
 * which browsers now send with every POST, must be the page's own too: for a page of another site
 * that gets JSON through without a preflight, as browser bugs have let happen.
 */
export const takeChangesOnlyFromThisPage: RequestHandler = (req, _res, next) => {
  if (SAFE_METHODS.has(req.method)) return next();
  const type = req.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new LabError('UNSUPPORTED_MEDIA_TYPE', `${req.method} ${req.path} takes Content-Type: application/json only, which no form of another site can send`);
  }
  const origin = req.get('origin');
  if (origin !== undefined && origin.toLowerCase() !== `${req.protocol}://${req.get('host')?.toLowerCase()}`) {
    throw new ConsoleError('CROSS_ORIGIN', `${req.method} ${req.path} is taken from the console's own page only, not from ${origin}`);
  }
  next();
};
