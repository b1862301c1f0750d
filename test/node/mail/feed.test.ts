/**
 * The live feed across processes on one database: a second outbox (as a second server process would
 * open it) follows what the first one sends, from `mail_changes`, and each change reaches a listener
 * once, whether it was seen in-process, through the change list, or both.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GraphMailer } from '../../../src/server/mail/graph-mailer.js';
import { Outbox, type OutboxEvent } from '../../../src/server/mail/outbox.js';
import { SqliteMailStore } from '../../../src/server/mail/sqlite-store.js';
import type { Db } from '../../../src/server/mail/types.js';
import { startHarness, type Harness } from '../helpers/mail-harness.js';
import { openMailDb } from '../helpers/mail-db.js';
import { startSandbox, type SandboxProcess } from '../helpers/mail-sandbox.js';

const noTokens = { getAccessToken: async () => Promise.reject(new Error('this outbox only watches')) };

describe('live feed across processes on one database', () => {
  let sandbox: SandboxProcess;
  let sender: Harness;
  let watcherDb: Db;
  let watcher: Outbox;

  before(async () => {
    sandbox = await startSandbox();
    sender = await startHarness(sandbox, { outbox: { singleInstance: false, feedPollMs: 50 } });
    // Its own connection to the same file, never started: it sends nothing, it only follows.
    watcherDb = await openMailDb(sender.store.dir);
    watcher = new Outbox(new SqliteMailStore(watcherDb), new GraphMailer(noTokens, { sandboxOrigin: sandbox.origin }), { getEffectiveConfig: () => null }, {
      dataDir: sender.store.dataDir,
      singleInstance: false,
      feedPollMs: 50,
    });
  });
  after(async () => {
    await sender?.close();
    watcherDb?.close();
    await sandbox?.stop();
  });

  const follow = (outbox: Outbox) => {
    const events: OutboxEvent[] = [];
    const stop = outbox.onChange((event) => events.push(event));
    return { events, stop };
  };
  const statusesOf = (events: OutboxEvent[], id: string) => events.flatMap((event) => (event.type === 'log' && event.entry.id === id ? [event.entry.status] : []));
  const until = async (check: () => boolean, what: string, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it("shows another process's message as it changes, ending sent, each state once", async () => {
    const far = follow(watcher);
    const near = follow(sender.outbox);
    try {
      const id = await sender.outbox.enqueue({ to: ['alex@contoso.onmicrosoft.com'], subject: 'Followed from another process', text: 'Hello' });
      await sender.settle(id);
      await until(() => statusesOf(far.events, id).includes('sent'), 'the sent state in the other process');
      // A few more polls, so that a repeated change would have arrived.
      await new Promise((resolve) => setTimeout(resolve, 300));
      // A poll shows each changed message as it is then: states that came and went between two polls
      // are not replayed, the last one always arrives.
      const far1 = statusesOf(far.events, id);
      assert.equal(far1.at(-1), 'sent');
      assert.equal(new Set(far1).size, far1.length, `each state once in the other process: ${far1.join(', ')}`);
      const near1 = statusesOf(near.events, id);
      assert.equal(near1.filter((status) => status === 'sent').length, 1, `seen here and through the change list, sent once: ${near1.join(', ')}`);
    } finally {
      far.stop();
      near.stop();
    }
  });

  it("passes another process's warnings on once", async () => {
    const far = follow(watcher);
    try {
      const warning = await sender.outbox.warn('TEST_WARNING', 'A warning written by the other process.', 'Nothing to do.');
      await until(() => far.events.some((event) => event.type === 'warning' && event.warning.id === warning.id), 'the warning');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(far.events.filter((event) => event.type === 'warning' && event.warning.id === warning.id).length, 1);
    } finally {
      far.stop();
    }
  });

  it('starts after what changed before anyone listened, and forgets changes older than an hour', async () => {
    const before = (watcherDb.prepare('SELECT count(*) AS n FROM mail_changes').get() as { n: number }).n;
    assert.ok(before > 0);
    const far = follow(watcher);
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(far.events, [], 'nothing from before the listener came');
    } finally {
      far.stop();
    }
    await watcher.prune(Date.now() + 2 * 3_600_000);
    assert.equal((watcherDb.prepare('SELECT count(*) AS n FROM mail_changes').get() as { n: number }).n, 0);
  });
});
