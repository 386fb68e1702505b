import { connect, type ChannelModel } from 'amqplib';
import type { Log } from './log.js';
import { PingError, type PingFailure } from './ping-error.js';
import { redactUrl } from './redis.js';

/** A connection to RabbitMQ (amqplib's promise API). */
export type BrokerConnection = ChannelModel;

/** Longest a connection attempt may take before it counts as refused. */
const CONNECT_TIMEOUT_MS = 5_000;
/**
 * Seconds between heartbeats, unless AMQP_URL asks for others. RabbitMQ suggests 60: a broker that
 * stopped answering (paused, cut off) would hold unconfirmed publishes for two minutes before the
 * connection is called dead; with 5 that takes about ten seconds.
 */
const HEARTBEAT_S = 5;

/**
 * Opens a connection to RabbitMQ. Its failures are reported on `log` once per connection, and its
 * 'error' events never reach the process as unhandled: the 'close' that follows is what callers watch.
 */
export async function connectBroker(url: string, log: Log): Promise<BrokerConnection> {
  const connection = await connect(withHeartbeat(url), { timeout: CONNECT_TIMEOUT_MS });
  connection.on('error', (error: Error) => log.warn({ url: redactUrl(url), error }, 'rabbitmq connection problem'));
  return connection;
}

/** Opens and closes a connection of its own: whether RabbitMQ answers now. Fails with a PingError saying why. */
export async function pingBroker(url: string): Promise<void> {
  try {
    const connection = await connect(url, { timeout: CONNECT_TIMEOUT_MS });
    await connection.close();
  } catch (error) {
    throw new PingError(brokerFailure(error), error);
  }
}

/**
 * Why a connection to RabbitMQ failed: refused credentials (the handshake's 403 ACCESS-REFUSED), a
 * socket that never connected (an errno code), or something that answered in another protocol
 * (amqplib then reads its bytes as an absurd frame, or the socket closes mid-handshake).
 */
function brokerFailure(error: unknown): PingFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (/ACCESS[-_]REFUSED/.test(message)) return 'login-refused';
  if ((error as { code?: unknown }).code !== undefined || error instanceof AggregateError || /\bE[A-Z]{4,}\b/.test(message)) return 'unreachable';
  return 'not-this-service';
}

/** Closes a connection, or does nothing if it is closed already. */
export async function closeBroker(connection: BrokerConnection | undefined): Promise<void> {
  await connection?.close().catch(() => undefined);
}

function withHeartbeat(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(HEARTBEAT_S));
  return parsed.toString();
}
