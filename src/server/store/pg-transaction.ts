/**
 * One PostgreSQL transaction: BEGIN, optional first statements (a lock, a setting), the work, COMMIT;
 * ROLLBACK when anything throws. node-postgres leaves this to its callers; every PostgreSQL engine of
 * the server runs its transactions through here.
 */
import type pg from 'pg';

/** On a connection the caller holds (and releases). `first` runs right after BEGIN. */
export async function inTransaction<T>(client: pg.PoolClient, fn: () => Promise<T>, first?: string): Promise<T> {
  await client.query(first ? `BEGIN; ${first}` : 'BEGIN');
  try {
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** On a connection of the pool, given back afterwards. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>, first?: string): Promise<T> {
  const client = await pool.connect();
  try {
    return await inTransaction(client, () => fn(client), first);
  } finally {
    client.release();
  }
}
