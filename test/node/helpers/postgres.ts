/**
 * The PostgreSQL the engine tests run against: GRAPH_MAIL_TEST_DATABASE_URL, or the local server's
 * `test` database. Where none answers, the PostgreSQL half of a suite is skipped with the reason,
 * unless GRAPH_MAIL_REQUIRE_POSTGRES is set (CI sets it after starting one), which makes it a failure.
 * Each suite works in a schema of its own, dropped when it ends.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_URL = process.env.GRAPH_MAIL_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<string | null> | undefined;

/** Null when PostgreSQL answers; otherwise why not (a skip reason). Throws when it is required. */
export function postgresUnavailable(): Promise<string | null> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return null;
    } catch (error) {
      const reason = `no PostgreSQL at ${POSTGRES_URL.replace(/:[^:@/]*@/, ':***@')} (${(error as Error).message}); set GRAPH_MAIL_TEST_DATABASE_URL`;
      if (process.env.GRAPH_MAIL_REQUIRE_POSTGRES) throw new Error(reason, { cause: error });
      return reason;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

/** A fresh schema name, and a function that drops it with everything in it. */
export function scratchSchema(): { schema: string; drop: () => Promise<void> } {
  const schema = `gm_test_${randomBytes(6).toString('hex')}`;
  return {
    schema,
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
