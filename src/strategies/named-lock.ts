import { parseMysqlUrl, type Db } from '../core/db.js';
import { LockTimeoutError } from '../core/errors.js';
import { KeyedMutex } from '../core/keyed-mutex.js';
import type { StrategyFactory } from './issue-strategy.js';
import { lockWait } from './observed.js';
import { transactionalIssue } from './issue-transaction.js';

/**
 * MySQL's named lock: `GET_LOCK(name, timeout)`, the whole transaction inside on the same
 * connection, `RELEASE_LOCK` after the commit. A named lock lives as long as its session, so a
 * holder that dies frees it at once, and one that pauses keeps it: no lease, exact across
 * processes.
 *
 * The same connection, not a second one as the lock-then-transaction pattern often has it: if
 * the lock's session ended (a network cut, wait_timeout, KILL) while the transaction went on
 * elsewhere, another process would take the lock and both would commit. On one session the
 * transaction dies with the lock. It also needs one connection per holder, not two, so a holder
 * never waits for the pool that its waiters fill. Requests of one process queue in-process first,
 * as with redis-lock, so a process keeps one connection waiting in GET_LOCK per coupon, not one
 * per request.
 */
export const createNamedLock: StrategyFactory = (deps) => {
  const { LOCK_WAIT_MS: waitMs, MYSQL_URL: url } = deps.config;
  const pool = connectionsOf(deps.db);
  const queue = new KeyedMutex('named-lock', waitMs);
  // Named locks are the whole MySQL server's: the database's name keeps two labs on one server apart.
  const lockName = (couponId: number) => `${parseMysqlUrl(url).database.slice(0, 40)}:coupon:${couponId}`;

  return {
    name: 'named-lock',
    protection: 'global',
    uses: ['mysql'],
    lockWaits: 'each request',
    asynchronous: false,
    card: {
      steps: ['queue in-process for the coupon', 'GET_LOCK(name) on a connection', 'read, decide, insert, commit on that same connection', 'RELEASE_LOCK'],
      needs: 'MySQL alone; one connection per holder',
      pitfall:
        "The lock lives with its session: running the transaction on a second connection (as often taught) over-issues when the lock's session ends mid-transaction.",
    },
    issue(request) {
      const startedAt = Date.now();
      const acquired = lockWait(deps.observer, 'named-lock'); // the queue in this process, then MySQL
      return queue.runExclusive(request.couponId, async () => {
        const name = lockName(request.couponId);
        const connection = await pool.acquireConnection();
        const onLockConnection = (sql: string, bindings: (string | number)[]) => deps.db.raw(sql, bindings).connection(connection);
        try {
          const waitLeftS = Math.max(0, waitMs - (Date.now() - startedAt)) / 1000;
          const [[{ got }]] = (await onLockConnection('SELECT GET_LOCK(?, ?) AS got', [name, waitLeftS])) as [[{ got: number | null }]];
          if (got !== 1) throw new LockTimeoutError('named-lock', Date.now() - startedAt);
          acquired();
          try {
            return await transactionalIssue(deps, request, { strategy: 'named-lock', connection });
          } finally {
            await onLockConnection('SELECT RELEASE_LOCK(?)', [name]).catch((error: unknown) => {
              // Never back into the pool while it may still hold the lock: closed, the session
              // ends and MySQL frees its locks, and the pool drops the connection.
              (connection as { destroy(): void }).destroy();
              deps.log.warn({ couponId: request.couponId, error }, 'named-lock: release failed; its connection is closed, and the lock with it');
            });
          }
        } finally {
          await pool.releaseConnection(connection);
        }
      });
    },
  };
};

/**
 * One connection held across statements without a transaction: what knex documents for
 * `.connection()` ("the same object that acquireConnection() returns"), typed here, as knex
 * types its client as any.
 */
function connectionsOf(db: Db): { acquireConnection(): Promise<unknown>; releaseConnection(connection: unknown): Promise<void> } {
  return db.client as ReturnType<typeof connectionsOf>;
}
