import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CORE_MIGRATIONS, Keyring, Sealer, SqliteStore, appliedMigrations, migrate, openDatabase, sealedAt, serverMigrations, type Db, type StoredSettings } from '../../../src/server/index.js';
import { MAIL_MIGRATIONS } from '../../../src/server/mail/migrations.js';
import { randomBytes } from 'node:crypto';

const settings = (overrides: Partial<StoredSettings> = {}): StoredSettings => ({
  mode: 'delegated',
  cloud: 'global',
  tenantId: 'contoso.onmicrosoft.com',
  clientId: '1f9cc666-14df-40c7-a87e-393e20dcc061',
  credential: 'secret',
  secretExpiresAt: '',
  fromName: '',
  fromAddress: '',
  saveToSentItems: true,
  endpoints: {},
  secretHint: '…abc',
  ...overrides,
});
const audit = { actor: 'test', action: 'config.save', fields: ['tenantId'] };

describe('database and migrations', () => {
  let dir: string;
  let db: Db;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gm-store-'));
    db = openDatabase(join(dir, 'nested', 'graph-mail.sqlite'));
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens in WAL mode with synchronous=FULL and foreign keys on', () => {
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('synchronous', { simple: true }), 2);
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  });

  it('runs core and mail migrations once each and records them', () => {
    const all = serverMigrations({ migrations: MAIL_MIGRATIONS });
    const first = migrate(db, all);
    assert.deepEqual(first, all.map((migration) => migration.id));
    assert.deepEqual(migrate(db, all), [], 'nothing runs twice');
    assert.deepEqual(appliedMigrations(db), all.map((migration) => migration.id));
    assert.ok(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'gm_config'").get());
    assert.ok(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'mail_outbox'").get());
    assert.ok(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'connect_states'").get());
  });

  it('rolls a failing migration back alone and stops', () => {
    const failing = [{ id: 'test-fail', up: (d: Db) => { d.exec('CREATE TABLE half_done (x INTEGER)'); throw new Error('boom'); } }];
    assert.throws(() => migrate(db, [...CORE_MIGRATIONS, ...failing]), /boom/);
    assert.equal(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'half_done'").get(), undefined);
    assert.ok(!appliedMigrations(db).includes('test-fail'));
    assert.throws(() => migrate(db, [CORE_MIGRATIONS[0], CORE_MIGRATIONS[0]]), /share the id/);
  });

  it('saves with a compare-and-swap on the revision', async () => {
    const store = new SqliteStore(db);
    const created = await store.saveConfig('default', { settings: settings(), expectRevision: null, audit });
    assert.ok(created.ok);
    const again = await store.saveConfig('default', { settings: settings(), expectRevision: null, audit });
    assert.equal(again.ok, false, 'expected no row, found one');
    if (!created.ok) return;
    const next = await store.saveConfig('default', { settings: settings({ fromName: 'x' }), expectRevision: created.record.revision, audit });
    assert.ok(next.ok);
    const stale = await store.saveConfig('default', { settings: settings({ fromName: 'y' }), expectRevision: created.record.revision, audit });
    assert.equal(stale.ok, false);
    assert.equal((await store.getConfig('default'))?.settings.fromName, 'x');
  });

  it('updates tokens only from the version it read (single writer per refresh)', async () => {
    const store = new SqliteStore(db);
    const connection = await store.setConnection('default', { state: 'connected', account: 'a@b.c', connectedAt: 'now', grantedPermissions: [], scope: 's', refreshToken: 'gm1.x.y.z' });
    const first = await store.updateConnection('default', { expectVersion: connection.tokenVersion, refreshToken: 'gm1.x.y.2' });
    assert.ok(first);
    assert.equal(first!.tokenVersion, connection.tokenVersion + 1);
    const loser = await store.updateConnection('default', { expectVersion: connection.tokenVersion, refreshToken: 'gm1.x.y.3' });
    assert.equal(loser, null);
    assert.equal((await store.getConnection('default'))?.refreshToken, 'gm1.x.y.2');
    assert.throws(() => db.prepare("UPDATE gm_connection SET refresh_sealed = 'plain refresh token'").run(), /CHECK constraint/, 'only sealed text fits the column');
  });

  it('re-seals every stored value with the current key', async () => {
    const store = new SqliteStore(db);
    const oldKey = { id: 'old', key: randomBytes(32) };
    const before = new Sealer(new Keyring([oldKey]));
    const record = (await store.getConfig('default'))!;
    await store.saveConfig('default', { settings: record.settings, setSecrets: { clientSecret: before.seal('secret-value', sealedAt.secret('default', 'clientSecret')) }, audit });
    const connection = (await store.getConnection('default'))!;
    await store.updateConnection('default', { expectVersion: connection.tokenVersion, refreshToken: before.seal('refresh-value', sealedAt.refreshToken('default')) });
    const after = new Sealer(new Keyring([{ id: 'new', key: randomBytes(32) }, oldKey]));
    const changed = await store.resealAll((sealed, context) => (after.isStale(sealed) ? after.reseal(sealed, context) : null));
    assert.equal(changed, 2);
    const secret = (await store.getSecret('default', 'clientSecret'))!;
    assert.match(secret, /^gm1\.new\./);
    assert.equal(after.open(secret, sealedAt.secret('default', 'clientSecret')), 'secret-value');
    const refresh = (await store.getConnection('default'))!.refreshToken!;
    assert.equal(after.open(refresh, sealedAt.refreshToken('default')), 'refresh-value');
    assert.equal(await store.resealAll((sealed, context) => (after.isStale(sealed) ? after.reseal(sealed, context) : null)), 0);
  });
});
