import { isIP } from 'node:net';
import type { RequestHandler } from 'express';
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
