import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/** Linux's default when /proc says nothing. */
const DEFAULT_EPHEMERAL_LOW = 32768;
const LOWEST = 10_000;

/**
 * A port nothing listens on now, below the kernel's ephemeral range.
 *
 * Not port 0's answer: an instance keeps its port across restarts, and while it is down, clients
 * keep reconnecting to it from ephemeral ports. Had the instance's port come from that range, one
 * of those connections could be handed it as its own source port (or connect to itself), and the
 * restart would fail with EADDRINUSE. Below the range only another listener can take it.
 */
export async function freePort(taken: readonly number[] = []): Promise<number> {
  const high = (await ephemeralLow()) - 1;
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (high - LOWEST));
    if (!taken.includes(port) && (await canListen(port))) return port;
  }
  throw new Error(`no free port found between ${LOWEST} and ${high}`);
}

/** The lowest port the kernel hands out as a source port. */
export async function ephemeralLow(): Promise<number> {
  const range = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '');
  const low = Number(range.trim().split(/\s+/)[0]);
  return low > LOWEST + 1000 ? low : DEFAULT_EPHEMERAL_LOW;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
