/**
 * Three reference server processes on one data folder (GRAPH_MAIL_INSTANCES=several) and one sandbox:
 * messages posted to all three while one is killed with SIGKILL and started again. The sandbox is the
 * witness: every message delivered exactly once, never more than 4 requests in flight on the mailbox,
 * one token request for the configuration, and every row of the log says sent.
 *
 * The same again on one PostgreSQL database (GRAPH_MAIL_DATABASE_URL), each process with a data folder
 * of its own, so that the database is all they share; skipped with the reason where none answers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInstanceProcess, type InstanceProcess } from '../helpers/instance-process.js';
import { startSandbox, type SandboxProcess } from '../helpers/mail-sandbox.js';
import { POSTGRES_URL, postgresUnavailable, scratchSchema } from '../helpers/postgres.js';

const MESSAGES = Number(process.env.INSTANCES_MESSAGES ?? 240);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));


for (const engine of ['sqlite', 'postgres'] as const) {
  describe(engine === 'sqlite' ? 'three server processes on one data folder' : 'three server processes on one PostgreSQL database', async () => {
    const skip = engine === 'postgres' ? ((await postgresUnavailable()) ?? false) : false;
    let scratch: ReturnType<typeof scratchSchema> | undefined;
    let sandbox: SandboxProcess;
    let dir: string;
    const key = randomBytes(32).toString('base64');
    const serviceToken = randomBytes(24).toString('base64url');
    const instances: InstanceProcess[] = [];

    const startInstance = () =>
      startInstanceProcess({
        INSTANCE_KEY: key,
        SANDBOX_ORIGIN: sandbox.origin,
        SERVICE_TOKEN: serviceToken,
        ...(scratch
          ? { INSTANCE_DIR: mkdtempSync(join(dir, 'instance-')), INSTANCE_DATABASE_URL: POSTGRES_URL, INSTANCE_DATABASE_SCHEMA: scratch.schema }
          : { INSTANCE_DIR: dir }),
      });

    const call = async (instance: InstanceProcess, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(`${instance.api}${path}`, {
        method,
        headers: { 'x-requested-with': 'graph-mail', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, json: text ? JSON.parse(text) : undefined, text };
    };

    before(async () => {
      if (skip) return;
      if (engine === 'postgres') scratch = scratchSchema();
      sandbox = await startSandbox();
      await sandbox.control.settings({ graphLatencyMs: 25 });
      dir = mkdtempSync(join(tmpdir(), 'gm-instances-'));
      instances.push(await startInstance());
      const app = sandbox.seed.apps[0];
      const sender = sandbox.seed.users.find((user) => user.tenantId === app.tenantId && user.kind === 'member')!.userPrincipalName;
      const saved = await call(instances[0], 'PUT', '/config', {
        mode: 'application',
        cloud: 'sandbox',
        tenantId: app.tenantId,
        clientId: app.clientId,
        clientSecret: app.secrets[0].value,
        fromName: 'Three instances',
        fromAddress: sender,
        saveToSentItems: true,
      });
      assert.equal(saved.status, 200, saved.text);
      instances.push(await startInstance(), await startInstance());
    });

    after(async () => {
      await Promise.all(instances.map((instance) => instance.kill()));
      await sandbox?.stop();
      await scratch?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('delivers every message exactly once through a SIGKILL, within the mailbox limit, with one token request', { skip, timeout: 180_000 }, async () => {
      const recipient = sandbox.seed.users.find((user) => user.kind === 'member' && user.userPrincipalName !== sandbox.seed.users[0].userPrincipalName)!.userPrincipalName;
      const run = randomBytes(3).toString('hex');
      const posted: string[] = [];
      const post = async (i: number) => {
        // Round robin over the instances that are up.
        const up = instances.filter((instance) => instance.alive());
        const target = up[i % up.length];
        const reply = await call(target, 'POST', '/send', { to: [recipient], subject: `Instances ${run} #${i}`, text: 'Hello' }, { authorization: `Bearer ${serviceToken}` });
        assert.equal(reply.status, 202, reply.text);
        posted.push(`Instances ${run} #${i}`);
      };
      for (let i = 0; i < MESSAGES / 2; i += 1) await post(i);

      // The second instance dies in the middle of sending, holding leases and slots, and comes back.
      const victim = instances[1];
      await victim.kill();
      for (let i = MESSAGES / 2; i < MESSAGES; i += 1) await post(i);
      await sleep(500);
      instances[1] = await startInstance();

      const deadline = Date.now() + 150_000;
      let delivered: string[] = [];
      for (;;) {
        delivered = (await sandbox.control.mailbox(recipient)).map((message) => message.subject).filter((subject) => subject.startsWith(`Instances ${run}`));
        if (new Set(delivered).size >= MESSAGES || Date.now() > deadline) break;
        await sleep(250);
      }
      await sleep(2_500); // a lease's time for a second delivery of anything, which must not come
      delivered = (await sandbox.control.mailbox(recipient)).map((message) => message.subject).filter((subject) => subject.startsWith(`Instances ${run}`));

      if (new Set(delivered).size < MESSAGES) {
        const page = await call(instances[2], 'GET', `/log?q=${encodeURIComponent(`Instances ${run}`)}&limit=5&status=queued`);
        const failed = await call(instances[2], 'GET', `/log?q=${encodeURIComponent(`Instances ${run}`)}&limit=5&status=failed`);
        console.log(JSON.stringify({ delivered: new Set(delivered).size, counts: page.json.counts, queued: page.json.items, failed: failed.json.items }, null, 1).slice(0, 3000));
      }
      assert.equal(posted.length, MESSAGES);
      assert.deepEqual([...new Set(delivered)].sort(), [...posted].sort(), 'every message delivered');
      assert.equal(delivered.length, MESSAGES, 'none twice');
      const stats = await sandbox.control.call<{ mailboxes: Record<string, { maxInFlight: number; throttled: number }> }>('GET', '/sandbox/stats');
      for (const [mailbox, seen] of Object.entries(stats.mailboxes)) {
        assert.ok(seen.maxInFlight <= 4, `${mailbox}: ${seen.maxInFlight} requests in flight at once`);
        assert.equal(seen.throttled, 0, `${mailbox}: throttled`);
      }
      const tokenRequests = (await sandbox.control.requests()).filter((request) => request.method === 'POST' && /\/oauth2\/v2\.0\/token$/.test(request.path)).length;
      assert.equal(tokenRequests, 1, 'one token request for three instances and a restart');
      const log = await call(instances[2], 'GET', `/log?q=${encodeURIComponent(`Instances ${run}`)}&limit=1`);
      assert.equal(log.json.counts.sent, MESSAGES, JSON.stringify(log.json.counts));
      if (engine === 'postgres') assert.deepEqual(readdirSync(dir, { recursive: true }).filter((name) => String(name).includes('sqlite')), [], 'no SQLite file in any data folder');
    });
  });
}
