/**
 * One suite, both engines: every behaviour of the store interface the server relies on, run against
 * SQLite (always) and PostgreSQL (where one answers; CI provides it). Concurrent writers are real
 * ones: separate promises on separate connections for PostgreSQL.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CORE_MIGRATIONS, Keyring, Sealer, SqliteStore, migrate, openDatabase, sealedAt, type StoredSettings } from '../../../src/server/index.js';
import { PgStore } from '../../../src/server/store/pg-store.js';
import { PG_CORE_MIGRATIONS, appliedPgMigrations, migratePg } from '../../../src/server/store/pg-migrations.js';
import type { GraphMailStore } from '../../../src/server/store/types.js';
import { POSTGRES_URL, postgresUnavailable, scratchSchema } from '../helpers/postgres.js';

const settings = (overrides: Partial<StoredSettings> = {}): StoredSettings => ({
  mode: 'delegated',
  cloud: 'global',
  tenantId: 'contoso.onmicrosoft.com',
  clientId: '1f9cc666-14df-40c7-a87e-393e20dcc061',
  credential: 'secret',
  secretExpiresAt: '2027-01-31',
  fromName: 'Timesheets',
  fromAddress: 'payroll@contoso.com',
  saveToSentItems: true,
  endpoints: { graphEndpoint: 'https://graph.microsoft.com/v1.0' },
  secretHint: '…abc',
  ...overrides,
});
const audit = (action = 'config.save') => ({ actor: 'admin@contoso.com', action, fields: ['tenantId'] });
const sealer = new Sealer(new Keyring([{ id: 'k1', key: randomBytes(32) }]));

interface Engine {
  name: string;
  skip: () => Promise<string | null>;
  open: () => Promise<{ store: GraphMailStore; close: () => Promise<void> }>;
}

const engines: Engine[] = [
  {
    name: 'SQLite',
    skip: async () => null,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'gm-engines-'));
      const db = openDatabase(join(dir, 'store.sqlite'));
      migrate(db, CORE_MIGRATIONS);
      const store = new SqliteStore(db, true);
      return {
        store,
        async close() {
          await store.close();
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
      const store = await PgStore.open({ connectionString: POSTGRES_URL, schema: scratch.schema, max: 4 });
      return {
        store,
        async close() {
          await store.close();
          await scratch.drop();
        },
      };
    },
  },
];

for (const engine of engines) {
  describe(`store interface on ${engine.name}`, async () => {
    const skip = await engine.skip();
    let store: GraphMailStore;
    let close: () => Promise<void>;
    before(async () => {
      if (skip) return;
      ({ store, close } = await engine.open());
    });
    after(async () => {
      if (!skip) await close();
    });

    it('saves and reads a configuration exactly, with a new revision per write', { skip: skip ?? false }, async () => {
      assert.equal(await store.getConfig('c1'), null);
      const first = await store.saveConfig('c1', { settings: settings(), expectRevision: null, audit: audit() });
      assert.ok(first.ok);
      const read = await store.getConfig('c1');
      assert.deepEqual(read?.settings, settings());
      assert.equal(read?.revision, first.record.revision);
      assert.equal(typeof read?.updatedAt, 'number');
      const second = await store.saveConfig('c1', { settings: settings({ fromName: 'Payroll' }), audit: audit() });
      assert.ok(second.ok);
      assert.notEqual(second.record.revision, first.record.revision);
      assert.equal((await store.getConfig('c1'))?.settings.fromName, 'Payroll');
    });

    it('refuses a stale revision, and "no row yet" when there is one, returning what is there', { skip: skip ?? false }, async () => {
      const current = (await store.getConfig('c1'))!;
      const existing = await store.saveConfig('c1', { settings: settings(), expectRevision: null, audit: audit() });
      assert.equal(existing.ok, false);
      if (!existing.ok) assert.equal(existing.current?.revision, current.revision);
      const stale = await store.saveConfig('c1', { settings: settings({ fromName: 'x' }), expectRevision: 'not-the-revision', audit: audit() });
      assert.equal(stale.ok, false);
      assert.equal((await store.getConfig('c1'))?.settings.fromName, current.settings.fromName, 'nothing of a refused write is kept');
    });

    it('lets exactly one of two concurrent writers from the same revision win', { skip: skip ?? false }, async () => {
      const base = (await store.getConfig('c1'))!;
      const results = await Promise.all(
        ['A', 'B'].map((name) => store.saveConfig('c1', { settings: settings({ fromName: name }), expectRevision: base.revision, audit: audit() })),
      );
      assert.equal(results.filter((result) => result.ok).length, 1, 'one winner');
      const winner = results.find((result) => result.ok);
      assert.equal((await store.getConfig('c1'))?.settings.fromName, winner?.ok ? winner.record.settings.fromName : undefined);
      const creators = await Promise.all([1, 2, 3].map((n) => store.saveConfig('c-new', { settings: settings({ fromName: `n${n}` }), expectRevision: null, audit: audit() })));
      assert.equal(creators.filter((result) => result.ok).length, 1, 'one creator');
    });

    it('stores sealed credentials with the settings in one write, and removes them on request', { skip: skip ?? false }, async () => {
      const sealed = sealer.seal('the-secret-value', sealedAt.secret('c1', 'clientSecret'));
      const next = sealer.seal('the-next-secret', sealedAt.secret('c1', 'nextClientSecret'));
      const saved = await store.saveConfig('c1', { settings: settings(), setSecrets: { clientSecret: sealed, nextClientSecret: next }, audit: audit() });
      assert.ok(saved.ok);
      assert.deepEqual((await store.secretFields('c1')).sort(), ['clientSecret', 'nextClientSecret']);
      assert.equal(sealer.open((await store.getSecret('c1', 'clientSecret'))!, sealedAt.secret('c1', 'clientSecret')), 'the-secret-value');
      await store.saveConfig('c1', { settings: settings(), removeSecrets: ['nextClientSecret'], audit: audit('secret.remove') });
      assert.deepEqual(await store.secretFields('c1'), ['clientSecret']);
      assert.equal(await store.getSecret('c1', 'nextClientSecret'), null);
    });

    it('refuses a credential that is not sealed, and keeps nothing of that write', { skip: skip ?? false }, async () => {
      const before = (await store.getConfig('c1'))!;
      await assert.rejects(store.saveConfig('c1', { settings: settings({ fromName: 'half' }), setSecrets: { clientSecret: 'plain text secret' }, audit: audit() }));
      assert.equal((await store.getConfig('c1'))?.revision, before.revision, 'the settings rolled back with the secret');
      assert.notEqual(await store.getSecret('c1', 'clientSecret'), 'plain text secret');
    });

    it('bumps the token version on every connection write and lets one concurrent refresh win', { skip: skip ?? false }, async () => {
      const refresh = (value: string) => sealer.seal(value, sealedAt.refreshToken('c1'));
      const connection = await store.setConnection('c1', { state: 'connected', account: 'adele@contoso.com', connectedAt: '2026-11-25T10:00:00.000Z', grantedPermissions: ['Mail.Send'], scope: 'Mail.Send offline_access', refreshToken: refresh('r1') }, audit('connect'));
      assert.equal(connection.tokenVersion, 1);
      await assert.rejects(
        store.setConnection('c1', { state: 'connected', account: 'a', connectedAt: 'now', grantedPermissions: [], scope: '', refreshToken: 'a plain refresh token' }),
        'only sealed text fits the refresh token column',
      );
      assert.deepEqual((await store.getConnection('c1'))?.grantedPermissions, ['Mail.Send']);
      const racers = await Promise.all(['r2', 'r3', 'r4'].map((value) => store.updateConnection('c1', { expectVersion: connection.tokenVersion, refreshToken: refresh(value) })));
      const winners = racers.filter((result) => result !== null);
      assert.equal(winners.length, 1, 'one refresh wins');
      const stored = (await store.getConnection('c1'))!;
      assert.equal(stored.tokenVersion, 2);
      assert.equal(stored.refreshToken, winners[0]!.refreshToken);
      const moved = await store.updateConnection('c1', { expectVersion: 2, state: 'needs-reconnect', reason: 'AADSTS700082', refreshToken: null });
      assert.equal(moved?.state, 'needs-reconnect');
      assert.equal(moved?.reason, 'AADSTS700082');
      assert.equal(moved?.refreshToken, null);
      assert.equal(moved?.account, 'adele@contoso.com', 'fields not in the update stay');
      const checked = await store.updateConnection('c1', { expectVersion: 3, sendAs: { mailbox: 'payroll@contoso.com', ok: false, checkedAt: '2026-11-25T10:00:00.000Z' } });
      assert.equal(checked?.sendAs?.mailbox, 'payroll@contoso.com');
      assert.equal(checked?.reason, 'AADSTS700082', 'the reason stays when the update leaves it out');
      const cleared = await store.updateConnection('c1', { expectVersion: 4, reason: null });
      assert.equal(cleared?.reason, undefined);
      assert.equal(cleared?.sendAs?.mailbox, 'payroll@contoso.com', 'the Send As answer stays');
      const again = await store.setConnection('c1', { state: 'connected', account: 'alex@contoso.com', connectedAt: 'later', grantedPermissions: [], scope: '', refreshToken: null });
      assert.equal(again.tokenVersion, 6);
      assert.equal(again.reason, undefined);
      assert.equal(again.sendAs, undefined, 'a new sign-in forgets the last Send As answer');
    });

    it('keeps configurations apart: one configuration\'s writes never touch another\'s', { skip: skip ?? false }, async () => {
      await store.saveConfig('c2', { settings: settings({ tenantId: 'fabrikam.com' }), setSecrets: { clientSecret: sealer.seal('c2-secret', sealedAt.secret('c2', 'clientSecret')) }, audit: audit() });
      await store.setConnection('c2', { state: 'connected', account: 'c2@fabrikam.com', connectedAt: 'now', grantedPermissions: [], scope: '', refreshToken: null });
      await store.clearConfig('c2', audit('config.clear'));
      assert.equal(await store.getConfig('c2'), null);
      assert.equal(await store.getConnection('c2'), null);
      assert.deepEqual(await store.secretFields('c2'), []);
      assert.ok(await store.getConfig('c1'), 'c1 stays');
      assert.ok(await store.getConnection('c1'));
      assert.deepEqual(await store.secretFields('c1'), ['clientSecret']);
      assert.ok((await store.listAudit('c1')).every((entry) => entry.action !== 'config.clear'));
      assert.equal((await store.listAudit('c2'))[0].action, 'config.clear', 'the audit trail stays after a clear');
    });

    it('pages the audit trail newest first, names only', { skip: skip ?? false }, async () => {
      for (let i = 0; i < 5; i += 1) await store.appendAudit('c3', { actor: 'admin', action: `step.${i}`, fields: [`f${i}`] });
      const first = await store.listAudit('c3', { limit: 3 });
      assert.deepEqual(first.map((entry) => entry.action), ['step.4', 'step.3', 'step.2']);
      const rest = await store.listAudit('c3', { limit: 3, beforeId: first[2].id });
      assert.deepEqual(rest.map((entry) => entry.action), ['step.1', 'step.0']);
      assert.deepEqual(rest[1].fields, ['f0']);
      assert.match(rest[1].at, /^\d{4}-\d{2}-\d{2}T/);
    });

    it('lends the right to ask for a token to one instance at a time, until its lease runs out', { skip: skip ?? false }, async () => {
      const now = Date.parse('2026-11-25T12:00:00Z');
      const racers = await Promise.all(['i1', 'i2', 'i3', 'i4'].map((holder) => store.leaseTokenRequest('c5', holder, now + 45_000, now)));
      assert.equal(racers.filter(Boolean).length, 1, 'one lease');
      const holder = ['i1', 'i2', 'i3', 'i4'][racers.indexOf(true)];
      const other = holder === 'i1' ? 'i2' : 'i1';
      assert.equal(await store.leaseTokenRequest('c5', holder, now + 45_000, now + 1), true, 'the holder may renew it');
      assert.equal(await store.leaseTokenRequest('c5', other, now + 90_000, now + 44_000), false);
      assert.equal(await store.leaseTokenRequest('c5', other, now + 90_000, now + 45_000), true, "a dead holder's lease runs out");
      await store.releaseTokenLease('c5', holder);
      assert.equal(await store.leaseTokenRequest('c5', 'i3', now + 90_000, now + 46_000), false, "only the holder's own release counts");
      await store.releaseTokenLease('c5', other);
      assert.equal(await store.leaseTokenRequest('c5', 'i3', now + 90_000, now + 46_000), true);
    });

    it('shares a sealed access token, stored and released in one write, and drops it on request', { skip: skip ?? false }, async () => {
      assert.equal(await store.getCachedToken('c6'), null);
      assert.equal(await store.leaseTokenRequest('c6', 'i1', Date.now() + 45_000, Date.now()), true);
      const token = { stamp: 'stamp-1', accessToken: sealer.seal('eyJ.access.token', sealedAt.accessToken('c6')), scopes: ['Mail.Send'], expiresAt: Date.now() + 3_600_000, storedAt: Date.now() };
      await store.putCachedToken('c6', token, 'i1');
      assert.deepEqual(await store.getCachedToken('c6'), token);
      assert.equal(await store.leaseTokenRequest('c6', 'i2', Date.now() + 45_000, Date.now()), true, 'storing ended the lease');
      await assert.rejects(store.putCachedToken('c6', { ...token, accessToken: 'eyJ.plain' }, 'i2'), 'only sealed text fits the column');
      await store.dropCachedToken('c6');
      assert.equal(await store.getCachedToken('c6'), null);
    });

    it('re-seals every stored value under the current key', { skip: skip ?? false }, async () => {
      const oldKey = { id: 'old', key: randomBytes(32) };
      const before = new Sealer(new Keyring([oldKey]));
      await store.saveConfig('c4', { settings: settings(), setSecrets: { clientSecret: before.seal('s4', sealedAt.secret('c4', 'clientSecret')) }, audit: audit() });
      await store.setConnection('c4', { state: 'connected', account: 'a', connectedAt: 'now', grantedPermissions: [], scope: '', refreshToken: before.seal('r4', sealedAt.refreshToken('c4')) });
      await store.putCachedToken('c4', { stamp: 's', accessToken: before.seal('a4', sealedAt.accessToken('c4')), scopes: [], expiresAt: Date.now() + 60_000, storedAt: Date.now() }, 'x');
      const rotated = new Sealer(new Keyring([{ id: 'new', key: randomBytes(32) }, oldKey]));
      const reseal = (sealed: string, context: string) => (rotated.isStale(sealed) && sealed.startsWith('gm1.old.') ? rotated.reseal(sealed, context) : null);
      assert.equal(await store.resealAll(reseal), 3);
      assert.equal(rotated.open((await store.getCachedToken('c4'))!.accessToken, sealedAt.accessToken('c4')), 'a4');
      assert.equal(rotated.open((await store.getSecret('c4', 'clientSecret'))!, sealedAt.secret('c4', 'clientSecret')), 's4');
      assert.equal(rotated.open((await store.getConnection('c4'))!.refreshToken!, sealedAt.refreshToken('c4')), 'r4');
      assert.equal(await store.resealAll(reseal), 0);
    });
  });
}

describe('PostgreSQL migrations', async () => {
  const skip = await postgresUnavailable();
  it('apply once across instances starting together, and a failing step rolls back alone', { skip: skip ?? false }, async () => {
    const scratch = scratchSchema();
    try {
      const stores = await Promise.all([1, 2, 3].map(() => PgStore.open({ connectionString: POSTGRES_URL, schema: scratch.schema, max: 2 })));
      try {
        assert.deepEqual(await appliedPgMigrations(stores[0].pool), PG_CORE_MIGRATIONS.map((migration) => migration.id));
        assert.deepEqual(await migratePg(stores[0].pool, PG_CORE_MIGRATIONS), [], 'nothing runs twice');
        const failing = { id: 'test-fail', sql: 'CREATE TABLE half_done (x INTEGER); SELECT 1 / 0;' };
        await assert.rejects(migratePg(stores[1].pool, [...PG_CORE_MIGRATIONS, failing]), /division by zero/);
        const half = await stores[1].pool.query("SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'half_done'");
        assert.equal(half.rowCount, 0);
        assert.ok(!(await appliedPgMigrations(stores[1].pool)).includes('test-fail'));
        await assert.rejects(migratePg(stores[2].pool, [PG_CORE_MIGRATIONS[0], PG_CORE_MIGRATIONS[0]]), /share the id/);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    } finally {
      await scratch.drop();
    }
  });

  it('names the fix for a schema name it cannot use', async () => {
    await assert.rejects(PgStore.open({ connectionString: POSTGRES_URL, schema: 'Robert"; DROP' }), /schema .* is not valid: use lower-case letters/);
  });
});
