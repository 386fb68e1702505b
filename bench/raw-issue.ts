import type mysql from 'mysql2/promise';

/**
 * The issue transaction as `record-lock` runs it, written by hand on a bare mysql2 pool, statement
 * for statement: lock the coupon row, then count and insert. It is the floor that strategy is
 * measured against (`--floors`, `bench-micro`), so it does what the strategy does in MySQL and
 * nothing more: no knex, no rules beyond "the coupon exists"; like the strategy, it leaves one
 * per user to the unique key.
 */
export async function rawIssue(pool: mysql.Pool, couponId: number, userId: number): Promise<void> {
  const connection = await pool.getConnection();
  try {
    await connection.beginTransaction();
    const [coupons] = await connection.query('SELECT total_quantity, issued_quantity FROM coupons WHERE id = ? FOR UPDATE', [couponId]);
    if ((coupons as unknown[]).length === 1) {
      await connection.query('UPDATE coupons SET issued_quantity = issued_quantity + 1 WHERE id = ?', [couponId]);
      await connection.query('INSERT INTO coupon_issues (coupon_id, user_id, issued_at) VALUES (?, ?, NOW(3))', [couponId, userId]);
    }
    await connection.commit();
  } catch (error) {
    // Not back to the pool with the row lock held.
    await connection.rollback().catch(() => undefined);
    throw error;
  } finally {
    connection.release();
  }
}
