/**
 * Pending sign-ins on both engines: the once-only claim under real concurrency, the sealed verifier
 * that leaves the store only through a claim, expiry and purge, and configurations kept apart.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PG_CONNECT_MIGRATIONS, PgConnectStates } from '../../../../src/server/connect/pg-state-store.js';
import { CONNECT_MIGRATIONS } from '../../../../src/server/connect/migrations.js';
import { SqliteConnectStates, stateId, type ConnectStates, type NewConnectState } from '../../../../src/server/connect/state-store.js';
import { Keyring, PgStore, Sealer, migrate, openDatabase } from '../../../../src/server/index.js';
import { POSTGRES_URL, postgresUnavailable, scratchSchema } from '../../helpers/postgres.js';

const sealer = new Sealer(new Keyring([{ id: 'k1', key: randomBytes(32) }]));
const T0 = Date.parse('2026-11-25T10:00:00Z');
const HOUR = 3_600_000;
const error = { code: 'access_denied', message: 'The admin cancelled the sign-in.', hint: 'Connect again.' };

const newState = (overrides: Partial<NewConnectState> = {}): NewConnectState => ({
  state: randomBytes(32).toString('base64url'),
  bindingKind: 'browser',
  binding: 'cookie-value',
  mode: 'popup',
  cloud: 'global',
  tenantId: 'contoso.onmicrosoft.com',
  clientId: '1f9cc666-14df-40c7-a87e-393e20dcc061',
  tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
  redirectUri: 'https://mail.example.com/api/mail/connect/callback',
  scope: 'offline_access Mail.Send',
  verifier: randomBytes(32).toString('base64url'),
  createdAt: T0,
  expiresAt: T0 + 600_000,
  ...overrides,
});

interface Engine {
  name: string;
  skip: () => Promise<string | null>;
  open: () => Promise<{ states: ConnectStates; storedVerifier: (state: string) => Promise<string | null | undefined>; close: () => Promise<void> }>;
}

const engines: Engine[] = [
  {
    name: 'SQLite',
    skip: async () => null,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'gm-states-'));
      const db = openDatabase(join(dir, 'states.sqlite'));
      migrate(db, CONNECT_MIGRATIONS);
      return {
        states: new SqliteConnectStates(db, sealer),
        storedVerifier: async (state) => (db.prepare('SELECT verifier FROM connect_states WHERE id = ?').get(stateId(state)) as { verifier: string | null } | undefined)?.verifier,
        async close() {
          db.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    skip: postgresUnavailable,
    async open() {
      const scratch = scratchSchema();
      const store = await PgStore.open({ connectionString: POSTGRES_URL, schema: scratch.schema, max: 6, migrations: PG_CONNECT_MIGRATIONS });
      return {
        states: new PgConnectStates(store.pool, sealer),
        storedVerifier: async (state) => (await store.pool.query<{ verifier: string | null }>('SELECT verifier FROM connect_states WHERE id = $1', [stateId(state)])).rows[0]?.verifier,
        async close() {
          await store.close();
          await scratch.drop();
        },
      };
    },
  },
];

for (const engine of engines) {
  describe(`pending sign-ins on ${engine.name}`, async () => {
    const skip = (await engine.skip()) ?? false;
    let states: ConnectStates;
    let storedVerifier: (state: string) => Promise<string | null | undefined>;
    let close: () => Promise<void>;
    before(async () => {
      if (!skip) ({ states, storedVerifier, close } = await engine.open());
    });
    after(async () => {
      if (!skip) await close();
    });

    it('keeps the verifier sealed and hands it out to exactly one of several concurrent claims', { skip }, async () => {
      const input = newState();
      const row = await states.create('tenant-a', input);
      assert.equal(row.configId, 'tenant-a');
      assert.equal(row.status, 'pending');
      assert.equal(row.id, stateId(input.state), 'the row is keyed by a hash: the state itself is not stored');
      assert.match((await storedVerifier(input.state)) ?? '', /^gm1\./);
      const claims = await Promise.all(Array.from({ length: 5 }, () => states.claim(input.state, T0 + 1000)));
      const won = claims.filter((claim) => claim !== null);
      assert.equal(won.length, 1, 'one claim wins');
      assert.equal(won[0]!.verifier, input.verifier);
      assert.equal(won[0]!.row.status, 'redeeming');
      assert.equal(await storedVerifier(input.state), null, 'the verifier is erased by the claim');
      await states.finishConnected(input.state, 'adele@contoso.com', T0 + 2000);
      const done = await states.get(input.state);
      assert.equal(done?.status, 'connected');
      assert.equal(done?.account, 'adele@contoso.com');
      assert.equal(done?.finishedAt, T0 + 2000);
      assert.equal(await states.claim(input.state, T0 + 3000), null, 'a used state is not claimed again');
    });

    it('refuses an expired state and ends a pending one once', { skip }, async () => {
      const expired = newState();
      await states.create('tenant-a', expired);
      assert.equal(await states.claim(expired.state, expired.expiresAt), null);
      const pending = newState();
      await states.create('tenant-a', pending);
      const ends = await Promise.all([states.failPending(pending.state, error, T0 + 5), states.failPending(pending.state, error, T0 + 6)]);
      assert.deepEqual(ends.sort(), [false, true]);
      const failed = await states.get(pending.state);
      assert.equal(failed?.status, 'failed');
      assert.deepEqual(failed?.error, error);
      assert.equal(await storedVerifier(pending.state), null);
      assert.equal(await states.claim(pending.state, T0 + 7), null);
    });

    it('records a failed redemption', { skip }, async () => {
      const input = newState();
      await states.create('tenant-a', input);
      assert.ok(await states.claim(input.state, T0 + 1));
      await states.finishFailed(input.state, error, T0 + 2);
      assert.equal((await states.get(input.state))?.status, 'failed');
    });

    it('counts the unexpired pending sign-ins of one binding', { skip }, async () => {
      const mine = { bindingKind: 'admin' as const, binding: 'admin@contoso.com' };
      await states.create('tenant-b', newState(mine));
      await states.create('tenant-b', newState(mine));
      await states.create('tenant-b', newState({ ...mine, expiresAt: T0 + 10 }));
      await states.create('tenant-b', newState({ bindingKind: 'admin', binding: 'someone-else' }));
      assert.equal(await states.countPending('admin', 'admin@contoso.com', T0 + 100), 2);
      assert.equal(await states.countPending('browser', 'admin@contoso.com', T0 + 100), 0, 'the kind is part of the binding');
    });

    it("cancels one configuration's sign-ins without touching another's", { skip }, async () => {
      const a = newState();
      const b = newState();
      await states.create('tenant-c', a);
      await states.create('tenant-d', b);
      assert.equal(await states.cancelAll('tenant-c', error, T0 + 1), 1);
      assert.equal((await states.get(a.state))?.status, 'failed');
      assert.equal((await states.get(b.state))?.status, 'pending');
      assert.ok(await states.claim(b.state, T0 + 2), "the other configuration's sign-in still completes");
    });

    it('erases verifiers at expiry and forgets rows an hour later', { skip }, async () => {
      const input = newState({ createdAt: T0 + 10 * HOUR, expiresAt: T0 + 10 * HOUR + 600_000 });
      await states.create('tenant-e', input);
      await states.purge(input.expiresAt);
      assert.equal(await storedVerifier(input.state), null);
      assert.equal((await states.get(input.state))?.status, 'pending', 'still readable for /connect/status');
      await states.purge(input.expiresAt + HOUR);
      assert.equal(await states.get(input.state), null);
    });
  });
}
