/**
 * The whole reference server on PostgreSQL (GRAPH_MAIL_DATABASE_URL, a schema of its own) against the
 * sandbox cloud: a configuration saved through PUT /config, a message sent through POST /send with the
 * service token, delivered once, shown sent by GET /log; the rows are in the database and no SQLite
 * file was made under the data folder. Bad settings stop the start with the variable and the fix.
 * Skipped with the reason where no PostgreSQL answers.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { serverOptionsFromEnv } from '../../../src/server/env.js';
import { createGraphMailServer, loadKeyring, Sealer, startServer } from '../../../src/server/index.js';
import { startSandbox, type SandboxProcess } from '../helpers/mail-sandbox.js';
import { POSTGRES_URL, postgresUnavailable, scratchSchema } from '../helpers/postgres.js';
import { randomKey, startTestServer, type TestServer } from './helpers/server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the server on PostgreSQL (sandbox cloud)', async () => {
  const skip = (await postgresUnavailable()) ?? false;
  const serviceToken = randomBytes(24).toString('base64url');
  let sandbox: SandboxProcess;
  let scratch: ReturnType<typeof scratchSchema>;
  let server: TestServer;
  let database: pg.Pool;

  before(async () => {
    if (skip) return;
    sandbox = await startSandbox();
    scratch = scratchSchema();
    server = await startTestServer({
      databaseUrl: POSTGRES_URL,
      databaseSchema: scratch.schema,
      sandboxOrigins: [sandbox.origin],
      keepDir: false,
      mail: { serviceToken, retentionDays: 0, outbox: { pollMs: 50, sendBudget: 'off' } },
    });
    database = new pg.Pool({ connectionString: POSTGRES_URL, max: 1, options: `-c search_path=${scratch.schema}` });
  });
  after(async () => {
    if (skip) return;
    await server?.close();
    await database?.end();
    await scratch?.drop();
    await sandbox?.stop();
  });

  it('saves a configuration, sends through POST /send once, logs it sent, and writes no SQLite file', { skip, timeout: 60_000 }, async () => {
    const app = sandbox.seed.apps[0];
    const sender = sandbox.seed.users.find((user) => user.tenantId === app.tenantId && user.kind === 'member')!.userPrincipalName;
    const recipient = sandbox.seed.users.find((user) => user.kind === 'member' && user.userPrincipalName !== sender)!.userPrincipalName;
    const saved = await server.call('PUT', '/config', {
      body: {
        mode: 'application',
        cloud: 'sandbox',
        tenantId: app.tenantId,
        clientId: app.clientId,
        clientSecret: app.secrets[0].value,
        fromName: 'On PostgreSQL',
        fromAddress: sender,
        saveToSentItems: true,
      },
    });
    assert.equal(saved.status, 200, saved.text);
    const subject = `PostgreSQL ${randomBytes(3).toString('hex')}`;
    const sent = await server.call('POST', '/send', { body: { to: [recipient], subject, text: 'Hello' }, headers: { authorization: `Bearer ${serviceToken}` }, csrf: false });
    assert.equal(sent.status, 202, sent.text);
    const id = (sent.json as { id: string }).id;

    const deadline = Date.now() + 30_000;
    let delivered: string[] = [];
    while (Date.now() < deadline) {
      delivered = (await sandbox.control.mailbox(recipient)).map((message) => message.subject).filter((text) => text === subject);
      if (delivered.length) break;
      await sleep(100);
    }
    await sleep(1_000); // time for a second delivery, which must not come
    delivered = (await sandbox.control.mailbox(recipient)).map((message) => message.subject).filter((text) => text === subject);
    assert.equal(delivered.length, 1, 'delivered exactly once');

    let log = await server.call('GET', '/log');
    for (let i = 0; i < 40 && log.json?.items?.find((entry: { id: string }) => entry.id === id)?.status !== 'sent'; i += 1) {
      await sleep(100);
      log = await server.call('GET', '/log');
    }
    assert.equal(log.status, 200, log.text);
    const entry = (log.json.items as Array<{ id: string; status: string; subject: string }>).find((item) => item.id === id);
    assert.equal(entry?.status, 'sent', log.text);
    assert.equal(entry?.subject, subject);

    // The rows are in the database (the secret sealed), and the data folder holds no SQLite file.
    const config = await database.query<{ settings_json: unknown }>('SELECT settings_json FROM gm_config');
    assert.equal(config.rows.length, 1);
    assert.ok(!JSON.stringify(config.rows[0].settings_json).includes(app.secrets[0].value), 'the secret is sealed in the database');
    const outbox = await database.query<{ status: string }>('SELECT status FROM mail_outbox WHERE id = $1', [id]);
    assert.deepEqual(outbox.rows, [{ status: 'sent' }]);
    assert.equal(existsSync(join(server.dir, 'graph-mail.sqlite')), false);
    assert.deepEqual(readdirSync(server.dir).filter((name) => name.includes('sqlite')), []);
    assert.equal(server.running.server.mail?.runtime?.options.instances, 'several', 'several instances are implied on a shared database');
  });
});

describe('PostgreSQL settings that cannot work', () => {
  const attempt = async (databaseUrl: string, databaseSchema?: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'gm-pg-bad-'));
    try {
      const running = await startServer({ port: 0, dataDir: dir, key: randomKey(), databaseUrl, databaseSchema, log: () => undefined });
      await running.close();
      return { error: null, files: readdirSync(dir) };
    } catch (error) {
      return { error: error as Error, files: readdirSync(dir) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('refuses a URL that is not PostgreSQL\'s, naming the variable and the form, without its password', async () => {
    const { error, files } = await attempt('mysql://admin:hunter2-secret@db.example.com/mail');
    assert.match(error?.message ?? '', /GRAPH_MAIL_DATABASE_URL .* is not a PostgreSQL URL: use postgres:\/\/user:password@host:5432\/database/);
    assert.doesNotMatch(error!.message, /hunter2-secret/);
    assert.deepEqual(files, []);
  });

  it('refuses a schema name that is not allowed', async () => {
    const { error, files } = await attempt(POSTGRES_URL, 'Mail; DROP TABLE x');
    assert.match(error?.message ?? '', /GRAPH_MAIL_DATABASE_SCHEMA "Mail; DROP TABLE x" is not allowed: use lower-case letters, digits and _/);
    assert.deepEqual(files, []);
  });

  it('says a database that does not answer could not be reached, and what to check', { timeout: 30_000 }, async () => {
    const { error, files } = await attempt('postgres://graph:hunter2-secret@127.0.0.1:1/mail');
    assert.match(error?.message ?? '', /GRAPH_MAIL_DATABASE_URL: the database at postgres:\/\/graph:\*\*\*@127\.0\.0\.1:1\/mail could not be reached .*: start PostgreSQL, or correct/);
    assert.doesNotMatch(error!.message, /hunter2-secret/);
    assert.equal(files.some((name) => name.includes('sqlite')), false, 'no SQLite file in its place');
  });

  it('asks a host that gives no SQLite database for every store engine', () => {
    const sealer = new Sealer(loadKeyring({ key: randomKey(), keyFile: join(tmpdir(), 'unused.key'), production: false }).keyring);
    assert.throws(
      () => createGraphMailServer({ sealer, dataDir: tmpdir(), publicUrl: 'http://127.0.0.1:8787' }),
      /needs the SQLite database `db`, or every store engine: `store`, `connectStates` and `mailStore`/,
    );
  });

  it('refuses a schema without a URL, from the environment', () => {
    assert.throws(() => serverOptionsFromEnv({ GRAPH_MAIL_DATABASE_SCHEMA: 'graph_mail' }), /GRAPH_MAIL_DATABASE_SCHEMA is set without GRAPH_MAIL_DATABASE_URL/);
    const options = serverOptionsFromEnv({ GRAPH_MAIL_DATABASE_URL: 'postgres://mail@db:5432/mail', GRAPH_MAIL_DATABASE_SCHEMA: 'graph_mail' });
    assert.equal(options.databaseUrl, 'postgres://mail@db:5432/mail');
    assert.equal(options.databaseSchema, 'graph_mail');
  });
});
