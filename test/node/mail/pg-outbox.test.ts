/**
 * The outbox on the PostgreSQL mail store, against the sandbox cloud: two outboxes (as two instances,
 * each with connections of its own) on one database send every message once, the log on that database
 * shows each sent after one attempt, and the send budget counted every recipient once. Skipped with
 * the reason where no PostgreSQL answers. And a message with attachments taken in by one instance is
 * sent by another that shares only the database.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { GraphMailer } from '../../../src/server/mail/graph-mailer.js';
import { Outbox } from '../../../src/server/mail/outbox.js';
import { PG_MAIL_MIGRATIONS } from '../../../src/server/mail/pg-migrations.js';
import { PgMailStore } from '../../../src/server/mail/pg-store.js';
import { budgetMailbox } from '../../../src/server/mail/send-budget.js';
import { PgStore } from '../../../src/server/store/pg-store.js';
import { SandboxAppTokens, sandboxAppConfig } from '../helpers/mail-core-fakes.js';
import { FAST_OUTBOX } from '../helpers/mail-harness.js';
import { startSandbox, type SandboxProcess } from '../helpers/mail-sandbox.js';
import { POSTGRES_URL, postgresUnavailable, scratchSchema } from '../helpers/postgres.js';
import { DEFAULT_CONFIG_ID } from '../../../src/server/store/types.js';

describe('outbox on PostgreSQL (sandbox cloud)', async () => {
  const skip = (await postgresUnavailable()) ?? false;
  let sandbox: SandboxProcess;
  let core: PgStore;
  let scratch: ReturnType<typeof scratchSchema>;
  let dir: string;
  const pools: pg.Pool[] = [];
  const outboxes: Outbox[] = [];

  before(async () => {
    if (skip) return;
    sandbox = await startSandbox();
    scratch = scratchSchema();
    core = await PgStore.open({ connectionString: POSTGRES_URL, schema: scratch.schema, max: 4, migrations: PG_MAIL_MIGRATIONS });
    dir = mkdtempSync(join(tmpdir(), 'gm-pg-outbox-'));
  });
  after(async () => {
    if (skip) return;
    await Promise.all(outboxes.map((outbox) => outbox.stop(2000)));
    await Promise.all(pools.map((pool) => pool.end()));
    await core.close();
    await scratch.drop();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends each message once from two instances, and logs each sent after one attempt', { skip }, async () => {
    const config = sandboxAppConfig(sandbox);
    for (let i = 0; i < 2; i += 1) {
      const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4, options: `-c search_path=${scratch.schema}` });
      pools.push(pool);
      const mailer = new GraphMailer(new SandboxAppTokens(sandbox), { sandboxOrigin: sandbox.origin });
      outboxes.push(new Outbox(new PgMailStore(pool), mailer, { getEffectiveConfig: () => config }, { ...FAST_OUTBOX, dataDir: dir, singleInstance: false }));
    }
    const recipient = sandbox.seed.users.find((user) => user.kind === 'member' && user.userPrincipalName !== config.fromAddress)!.userPrincipalName;
    const run = Math.random().toString(36).slice(2, 8);
    const count = 16;
    const subjects = Array.from({ length: count }, (_, i) => `On PostgreSQL ${run} #${i}`);
    // Queued through both before either starts, so both claim at once.
    const ids = await Promise.all(subjects.map((subject, i) => outboxes[i % 2].enqueue({ to: [recipient], subject, text: 'Hello' })));
    for (const outbox of outboxes) outbox.start();

    const log = new PgMailStore(core.pool);
    const deadline = Date.now() + 60_000;
    while ((await log.counts(DEFAULT_CONFIG_ID)).sent < count) {
      if (Date.now() > deadline) throw new Error(`not all sent in time: ${JSON.stringify(await log.counts(DEFAULT_CONFIG_ID))}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // A moment for a second delivery of anything, which must not come.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const delivered = (await sandbox.control.mailbox(recipient)).filter((message) => message.subject.startsWith(`On PostgreSQL ${run}`)).map((message) => message.subject);
    assert.deepEqual(delivered.sort(), [...subjects].sort(), 'each message delivered once');
    assert.deepEqual(await log.counts(DEFAULT_CONFIG_ID), { queued: 0, sending: 0, sent: count, failed: 0, unknown: 0 });
    for (const id of ids) {
      const detail = (await log.detail(DEFAULT_CONFIG_ID, id))!;
      assert.deepEqual(
        detail.history.map((attempt) => attempt.outcome),
        ['sent'],
        `${id}: one attempt`,
      );
    }
    assert.equal(await log.recipientsUsed(budgetMailbox(config, DEFAULT_CONFIG_ID), Date.now()), count, 'the budget counted each recipient once');
    const page = await log.query(DEFAULT_CONFIG_ID, { q: `on postgresql ${run}`, limit: 5 });
    assert.equal(page.counts.sent, count);
    assert.equal(page.items.length, 5);
  });

  it('sends the attachments of a message taken in by another instance that shares only the database', { skip }, async () => {
    // Only the two instances below run: the first test's are stopped.
    await Promise.all(outboxes.splice(0).map((outbox) => outbox.stop(2000)));
    const config = sandboxAppConfig(sandbox);
    const [folderA, folderB] = [mkdtempSync(join(dir, 'a-')), mkdtempSync(join(dir, 'b-'))];
    const instance = (dataDir: string) => {
      const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4, options: `-c search_path=${scratch.schema}` });
      pools.push(pool);
      const mailer = new GraphMailer(new SandboxAppTokens(sandbox), { sandboxOrigin: sandbox.origin, uploadChunkBytes: 320 * 1024 });
      const outbox = new Outbox(new PgMailStore(pool), mailer, { getEffectiveConfig: () => config }, { ...FAST_OUTBOX, dataDir, singleInstance: false });
      outboxes.push(outbox);
      return outbox;
    };
    const [a, b] = [instance(folderA), instance(folderB)];
    const recipient = sandbox.seed.users.find((user) => user.kind === 'member' && user.userPrincipalName !== config.fromAddress)!.userPrincipalName;
    const small = randomBytes(20_000);
    // Over 3 MB: an upload session in 320 KiB ranges, read from the file written back, and 5 chunks in the database.
    const big = randomBytes(4 * 1024 * 1024 + 123);
    const bigPath = join(dir, 'big.bin');
    writeFileSync(bigPath, big);
    const subject = `Across instances ${Math.random().toString(36).slice(2, 8)}`;
    const id = await a.enqueue({ to: [recipient], subject, text: 'Files' }, [
      { name: 'small.bin', contentBase64: small.toString('base64') },
      { name: 'big.bin', path: bigPath },
      { name: 'empty.txt', contentBase64: '' },
    ]);
    const chunks = async () => Number((await core.pool.query('SELECT count(*) AS n FROM mail_attachment_chunks WHERE message_id = $1', [id])).rows[0].n);
    assert.equal(await chunks(), 1 + 5 + 1, 'the copy is in the database before anyone can claim the message');

    // Only B sends; A took the message in and never starts.
    b.start();
    const log = new PgMailStore(core.pool);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const status = (await log.entry(DEFAULT_CONFIG_ID, id))?.status;
      if (status === 'sent') break;
      if (status === 'failed' || status === 'unknown' || Date.now() > deadline) throw new Error(`not sent in time: ${JSON.stringify(await log.detail(DEFAULT_CONFIG_ID, id))}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
    const [message] = (await sandbox.control.mailbox(recipient)).filter((item) => item.subject === subject);
    assert.deepEqual(
      message.attachments.map((attachment) => [attachment.name, attachment.size, attachment.sha256]).sort(),
      [
        ['big.bin', big.length, sha(big)],
        ['empty.txt', 0, sha(Buffer.alloc(0))],
        ['small.bin', small.length, sha(small)],
      ].sort(),
      'every file arrives whole, written back from the database',
    );
    assert.equal(await chunks(), 0, 'the copy goes once Graph has the message');
    assert.ok(!existsSync(join(folderB, 'attachments', id)), 'and so do the files written back');
    assert.ok(existsSync(join(folderA, 'attachments', id)), 'the instance that took it in still has its files');
    assert.equal(await a.removeOrphanFiles(0), 1, 'which are only a cache: tidied up');
    assert.deepEqual(readdirSync(join(folderA, 'attachments')), []);

    // A local folder that is the only copy of an unsent message's files (queued before the database
    // kept copies) is no cache: tidying leaves it, and the message still goes out with its files.
    // B stops first: it must not take the message while it still has its database copy.
    await b.stop(2000);
    const onlyLocal = await a.enqueue({ to: [recipient], subject: `${subject} local`, text: 'Files' }, [{ name: 'small.bin', contentBase64: small.toString('base64') }]);
    await core.pool.query('DELETE FROM mail_attachment_chunks WHERE message_id = $1', [onlyLocal]);
    assert.equal(await a.removeOrphanFiles(0), 0, 'the only copy stays');
    assert.ok(existsSync(join(folderA, 'attachments', onlyLocal)));
    a.start();
    for (const until = Date.now() + 30_000; (await log.entry(DEFAULT_CONFIG_ID, onlyLocal))?.status !== 'sent'; ) {
      if (Date.now() > until) throw new Error(`not sent: ${JSON.stringify(await log.detail(DEFAULT_CONFIG_ID, onlyLocal))}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const [local] = (await sandbox.control.mailbox(recipient)).filter((item) => item.subject === `${subject} local`);
    assert.deepEqual(local.attachments.map((attachment) => attachment.sha256), [sha(small)]);

    // A crash between the copy and the row leaves chunks no message owns: they go after the age given.
    await log.attachments.put('never-committed', [{ part: 0, path: bigPath }], Date.now() - 7_200_000);
    assert.equal(await log.attachments.removeOrphans(Date.now() - 3_600_000), 5);
    assert.equal(Number((await core.pool.query("SELECT count(*) AS n FROM mail_attachment_chunks WHERE message_id = 'never-committed'")).rows[0].n), 0);
  });
});
