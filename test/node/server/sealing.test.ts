import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { KeyConfigurationError, Keyring, SealError, Sealer, derivedKeyId, loadKeyring, parseKeyring, sealContext, startServer } from '../../../src/server/index.js';

const key = () => randomBytes(32);
const ring = (...keys: Array<[string, Buffer]>) => new Keyring(keys.map(([id, k]) => ({ id, key: k })));
const ctx = sealContext('config/default', 'clientSecret');
const tempDir = () => mkdtempSync(join(tmpdir(), 'gm-seal-'));

/** Flips one bit of one base64url part of a sealed value. */
function tamper(sealed: string, part: 2 | 3, index = 3): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part], 'base64url');
  bytes[index % bytes.length] ^= 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('sealing (AES-256-GCM)', () => {
  it('opens what it sealed, with a fresh IV every time and the key id in front', () => {
    const sealer = new Sealer(ring(['k1', key()]));
    const a = sealer.seal('canary-secret-value', ctx);
    const b = sealer.seal('canary-secret-value', ctx);
    assert.notEqual(a, b);
    assert.match(a, /^gm1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    assert.notEqual(a.split('.')[2], b.split('.')[2], 'the IVs differ');
    assert.equal(Buffer.from(a.split('.')[2], 'base64url').length, 12, '96-bit IV');
    assert.ok(!a.includes('canary'));
    assert.equal(sealer.open(a, ctx), 'canary-secret-value');
    assert.equal(sealer.open(b, ctx), 'canary-secret-value');
  });

  it('fails closed on a changed ciphertext, tag or IV', () => {
    const sealer = new Sealer(ring(['k1', key()]));
    const sealed = sealer.seal('value', ctx);
    assert.throws(() => sealer.open(tamper(sealed, 3, 0), ctx), SealError);
    assert.throws(() => sealer.open(tamper(sealed, 3, -1 >>> 0), ctx), SealError);
    assert.throws(() => sealer.open(tamper(sealed, 2), ctx), SealError);
    assert.throws(() => sealer.open(sealed.slice(0, -2), ctx), SealError);
    assert.throws(() => sealer.open('not sealed at all', ctx), SealError);
    assert.throws(() => sealer.open('', ctx), SealError);
  });

  it('binds record and field: a value moved to another field or record does not open', () => {
    const sealer = new Sealer(ring(['k1', key()]));
    const secret = sealer.seal('value', sealContext('config/default', 'clientSecret'));
    assert.throws(() => sealer.open(secret, sealContext('config/default', 'privateKey')), SealError);
    assert.throws(() => sealer.open(secret, sealContext('config/other', 'clientSecret')), SealError);
    assert.throws(() => sealer.open(secret, sealContext('connection/default', 'refreshToken')), SealError);
  });

  it('rotates keys: the first key seals, older ones still open, and reseal moves a value to the new key', () => {
    const oldKey = key();
    const before = new Sealer(ring(['old', oldKey]));
    const sealed = before.seal('value', ctx);
    const after = new Sealer(ring(['new', key()], ['old', oldKey]));
    assert.equal(after.open(sealed, ctx), 'value');
    assert.equal(after.isStale(sealed), true);
    const resealed = after.reseal(sealed, ctx);
    assert.match(resealed, /^gm1\.new\./);
    assert.equal(after.isStale(resealed), false);
    assert.equal(after.open(resealed, ctx), 'value');
    // The old key alone cannot open the re-sealed value; a ring without the old key cannot open the old one.
    assert.throws(() => before.open(resealed, ctx), SealError);
    assert.throws(() => new Sealer(ring(['new', key()])).open(sealed, ctx), SealError);
  });

  it('refuses a key id whose key is different (same id, other key)', () => {
    const sealed = new Sealer(ring(['k1', key()])).seal('value', ctx);
    assert.throws(() => new Sealer(ring(['k1', key()])).open(sealed, ctx), SealError);
  });
});

describe('GRAPH_MAIL_KEY', () => {
  it('takes one base64 key of 32 bytes, with an id derived from it', () => {
    const raw = key();
    const parsed = parseKeyring(raw.toString('base64'));
    assert.equal(parsed.keys.length, 1);
    assert.equal(parsed.current.id, derivedKeyId(raw));
    assert.ok(parsed.current.key.equals(raw));
    assert.equal(parseKeyring(raw.toString('base64url')).current.id, derivedKeyId(raw));
  });

  it('takes a list id:key,… whose first entry seals', () => {
    const a = key();
    const b = key();
    const parsed = parseKeyring(`2025:${a.toString('base64')}, 2024:${b.toString('base64')}`);
    assert.deepEqual(parsed.keys.map((k) => k.id), ['2025', '2024']);
    assert.ok(parsed.current.key.equals(a));
  });

  it('refuses wrong lengths, lists without ids, duplicate ids, and never echoes the key', () => {
    const short = randomBytes(16).toString('base64');
    assert.throws(() => parseKeyring(short), (error: Error) => /32 bytes/.test(error.message) && !error.message.includes(short));
    assert.throws(() => parseKeyring(`${key().toString('base64')},${key().toString('base64')}`), /give each an id/);
    const k = key().toString('base64');
    assert.throws(() => parseKeyring(`a:${k},a:${k}`), /twice/);
    assert.throws(() => parseKeyring('not*base64'), /not base64/);
    assert.throws(() => parseKeyring('  '), /empty/);
  });
});

describe('the key source', () => {
  it('creates a key file with mode 0600 outside production and says so; reuses it next time', () => {
    const dir = tempDir();
    try {
      const file = join(dir, 'graph-mail.key');
      const messages: string[] = [];
      const first = loadKeyring({ keyFile: file, production: false, log: (m) => messages.push(m) });
      assert.equal(first.source, 'created-file');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(messages.length, 1);
      assert.match(messages[0], /created a new sealing key/);
      assert.ok(messages[0].includes(file));
      assert.ok(!messages[0].includes(readFileSync(file, 'utf8').trim()), 'the key itself is not logged');
      const second = loadKeyring({ keyFile: file, production: false, log: (m) => messages.push(m) });
      assert.equal(second.source, 'file');
      assert.ok(second.keyring.current.key.equals(first.keyring.current.key));
      assert.equal(messages.length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tightens a key file that others can read', () => {
    const dir = tempDir();
    try {
      const file = join(dir, 'graph-mail.key');
      writeFileSync(file, key().toString('base64'));
      chmodSync(file, 0o644);
      const messages: string[] = [];
      loadKeyring({ keyFile: file, production: false, log: (m) => messages.push(m) });
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.match(messages.join('\n'), /0600/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prefers GRAPH_MAIL_KEY and creates no file then', () => {
    const dir = tempDir();
    try {
      const file = join(dir, 'graph-mail.key');
      const loaded = loadKeyring({ key: key().toString('base64'), keyFile: file, production: false });
      assert.equal(loaded.source, 'environment');
      assert.equal(existsSync(file), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start in production without a key, and creates nothing', async () => {
    const dir = tempDir();
    try {
      assert.throws(() => loadKeyring({ keyFile: join(dir, 'graph-mail.key'), production: true }), KeyConfigurationError);
      await assert.rejects(startServer({ port: 0, dataDir: join(dir, 'data'), production: true, log: () => {} }), (error: Error) => error instanceof KeyConfigurationError && /GRAPH_MAIL_KEY/.test(error.message));
      assert.equal(existsSync(join(dir, 'data', 'graph-mail.key')), false);
      assert.equal(existsSync(join(dir, 'data', 'graph-mail.sqlite')), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('main.ts exits with status 1 in production without GRAPH_MAIL_KEY', () => {
    const dir = tempDir();
    try {
      const env: Record<string, string> = { ...(process.env as Record<string, string>), NODE_ENV: 'production', PORT: '0', GRAPH_MAIL_DATA_DIR: dir };
      delete env.GRAPH_MAIL_KEY;
      const root = resolve(import.meta.dirname, '../../..');
      const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], { cwd: root, env, encoding: 'utf8', timeout: 30_000 });
      assert.equal(result.status, 1, result.stdout + result.stderr);
      assert.match(result.stderr, /cannot start: GRAPH_MAIL_KEY is not set/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
