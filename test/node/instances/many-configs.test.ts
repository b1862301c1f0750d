/**
 * Many customers on several processes: three reference server processes on one PostgreSQL database,
 * each request naming its configuration in a header (the host's `configIdOf`), and one sandbox with a
 * tenant, an app registration and a sending mailbox per customer. Messages for all customers are
 * posted to all three processes while one is killed with SIGKILL and started again.
 *
 * The sandbox is the witness: every message delivered exactly once, to its customer's recipient, from
 * its customer's mailbox (the sandbox finds a mailbox only in the token's own tenant, so that also
 * names the app); never more than 4 requests in flight on any mailbox; one token request per
 * customer for three processes and a restart; and each customer's own log says every one of its
 * messages was sent, and holds no other customer's.
 *
 * MANY_CONFIGS_MESSAGES and MANY_CONFIGS change the size (2,000 messages over 50 configurations).
 * Skipped with the reason where no PostgreSQL answers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogPage } from '../../../src/services/contract.js';
import { startPgInstance, type InstanceProcess } from '../helpers/instance-process.js';
import { call as httpCall } from '../sandbox/helpers.js';
import { POSTGRES_URL, postgresUnavailable, scratchSchema } from '../helpers/postgres.js';
import { applicationConfig, startTenantSandbox, type SeededTenant, type TenantSandbox } from '../helpers/tenant-seed.js';

const CONFIGS = Number(process.env.MANY_CONFIGS ?? 50);
const MESSAGES = Number(process.env.MANY_CONFIGS_MESSAGES ?? 2000);
const CONFIG_HEADER = 'x-graph-mail-config';
/** Posts in flight at once from the test, over the instances that are up. */
const POSTERS = 8;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const configIdOf = (tenant: SeededTenant) => `customer-${String(tenant.index).padStart(2, '0')}`;

describe('three server processes, one PostgreSQL database, many configurations', async () => {
  const skip = (await postgresUnavailable()) ?? false;
  let scratch: ReturnType<typeof scratchSchema> | undefined;
  let cloud: TenantSandbox;
  let dir: string;
  const key = randomBytes(32).toString('base64');
  const serviceToken = randomBytes(24).toString('base64url');
  const instances: InstanceProcess[] = [];

  const startInstance = () =>
    startPgInstance({ key, sandboxOrigin: cloud.sandbox.origin, serviceToken, dir, databaseUrl: POSTGRES_URL, schema: scratch!.schema, configHeader: CONFIG_HEADER });

  const call = <T = any>(instance: InstanceProcess, configId: string | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    httpCall<T>(`${instance.api}${path}`, {
      method,
      headers: {
        'x-requested-with': 'graph-mail',
        ...(configId ? { [CONFIG_HEADER]: configId } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  before(async () => {
    if (skip) return;
    scratch = scratchSchema();
    cloud = await startTenantSandbox(CONFIGS);
    await cloud.sandbox.control.settings({ graphLatencyMs: 25 });
    dir = mkdtempSync(join(tmpdir(), 'gm-many-configs-'));
    instances.push(await startInstance());
    // The first process makes the schema; then the others join it.
    instances.push(...(await Promise.all([startInstance(), startInstance()])));
    // Each configuration saved through one process and read back through another.
    for (const tenant of cloud.tenants) {
      const saved = await call(instances[tenant.index % 3], configIdOf(tenant), 'PUT', '/config', applicationConfig(tenant));
      assert.equal(saved.status, 200, saved.text);
    }
    for (const tenant of cloud.tenants) {
      const view = await call<{ tenantId: string; clientId: string; fromAddress: string }>(instances[(tenant.index + 1) % 3], configIdOf(tenant), 'GET', '/config');
      assert.equal(view.status, 200, view.text);
      assert.deepEqual([view.json.tenantId, view.json.clientId, view.json.fromAddress], [tenant.tenantId, tenant.clientId, tenant.sender]);
    }
  });

  after(async () => {
    await Promise.all(instances.map((instance) => instance.kill()));
    await cloud?.stop();
    await scratch?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`delivers ${MESSAGES} messages of ${CONFIGS} configurations exactly once, each with its own app, through a SIGKILL`, { skip, timeout: 180_000 }, async () => {
    const { sandbox, tenants } = cloud;
    const run = randomBytes(3).toString('hex');
    const tenantOf = (i: number) => tenants[i % tenants.length];
    const subjectOf = (i: number) => `Many ${run} ${configIdOf(tenantOf(i))} #${i}`;
    const posted = new Set<number>();
    let turn = 0;
    const postRange = async (from: number, to: number) => {
      let next = from;
      const poster = async () => {
        while (next < to) {
          const i = next++;
          const up = instances.filter((instance) => instance.alive());
          const target = up[turn++ % up.length];
          const tenant = tenantOf(i);
          const reply = await call(target, configIdOf(tenant), 'POST', '/send', { to: [tenant.recipient], subject: subjectOf(i), text: 'Hello' }, { authorization: `Bearer ${serviceToken}` });
          assert.equal(reply.status, 202, reply.text);
          posted.add(i);
        }
      };
      await Promise.all(Array.from({ length: POSTERS }, poster));
    };

    await postRange(0, MESSAGES / 2);
    // The second process dies in the middle of sending, holding leases and slots, and comes back.
    await instances[1].kill();
    await postRange(MESSAGES / 2, MESSAGES);
    await sleep(500);
    instances[1] = await startInstance();

    const allDeliveries = async () => (await sandbox.control.call<{ messages: Array<{ subject: string; from: string; to: string[] }> }>('GET', '/sandbox/mailbox')).messages.filter((message) => message.subject.startsWith(`Many ${run} `));
    const deadline = Date.now() + 150_000;
    for (;;) {
      const seen = new Set((await allDeliveries()).map((message) => message.subject));
      if (seen.size >= MESSAGES || Date.now() > deadline) break;
      await sleep(500);
    }
    await sleep(2_500); // a lease's time for a second delivery of anything, which must not come
    const deliveries = await allDeliveries();

    assert.equal(posted.size, MESSAGES);
    const bySubject = new Map<string, typeof deliveries>();
    for (const message of deliveries) bySubject.set(message.subject, [...(bySubject.get(message.subject) ?? []), message]);
    const missing = [...posted].filter((i) => !bySubject.has(subjectOf(i)));
    const twice = [...bySubject].filter(([, copies]) => copies.length > 1).map(([subject]) => subject);
    const misrouted = [...posted].flatMap((i) =>
      (bySubject.get(subjectOf(i)) ?? [])
        .filter((message) => message.from.toLowerCase() !== tenantOf(i).sender || message.to.length !== 1 || message.to[0].toLowerCase() !== tenantOf(i).recipient)
        .map((message) => `${subjectOf(i)}: from ${message.from} to ${message.to.join(', ')}`),
    );
    if (missing.length) {
      const counts = await Promise.all(tenants.slice(0, 5).map(async (tenant) => [configIdOf(tenant), (await call<LogPage>(instances[2], configIdOf(tenant), 'GET', `/log?q=${run}&limit=3&status=failed`)).json]));
      console.log(JSON.stringify({ missing: missing.length, firstMissing: missing.slice(0, 5).map(subjectOf), logs: counts }, null, 1).slice(0, 4000));
    }
    assert.deepEqual(missing.slice(0, 10).map(subjectOf), [], `${missing.length} message(s) never delivered`);
    assert.deepEqual(twice.slice(0, 10), [], `${twice.length} message(s) delivered more than once`);
    assert.deepEqual(misrouted.slice(0, 10), [], `${misrouted.length} message(s) from the wrong mailbox or to the wrong recipient`);
    assert.equal(deliveries.length, MESSAGES);

    const stats = await sandbox.control.call<{ mailboxes: Record<string, { maxInFlight: number; throttled: number; requests: number }> }>('GET', '/sandbox/stats');
    assert.equal(Object.keys(stats.mailboxes).length, Math.min(CONFIGS, MESSAGES), 'every sending mailbox was used');
    for (const [mailbox, seen] of Object.entries(stats.mailboxes)) {
      assert.ok(seen.maxInFlight <= 4, `${mailbox}: ${seen.maxInFlight} requests in flight at once`);
      assert.equal(seen.throttled, 0, `${mailbox}: throttled`);
    }

    const requests = await sandbox.control.requests();
    // The ledger keeps the last 10,000 requests: beyond that the first token requests would be gone.
    assert.ok(requests.length < 10_000, `the sandbox's ledger overflowed (${requests.length} requests): run fewer messages`);
    const tokenRequests = new Map<string, number>();
    for (const request of requests) {
      if (request.method !== 'POST' || !/\/oauth2\/v2\.0\/token$/.test(request.path)) continue;
      const tenant = decodeURIComponent(request.path.split('/')[1]).toLowerCase();
      tokenRequests.set(tenant, (tokenRequests.get(tenant) ?? 0) + 1);
    }
    const expected = new Map(tenants.slice(0, Math.min(CONFIGS, MESSAGES)).map((tenant) => [tenant.tenantId.toLowerCase(), 1]));
    assert.deepEqual(Object.fromEntries(tokenRequests), Object.fromEntries(expected), 'one token request per configuration for three processes and a restart');

    // Each configuration's own log, read through each process in turn: all its messages sent, no other's.
    for (const tenant of tenants) {
      const own = [...posted].filter((i) => tenantOf(i) === tenant).length;
      const page = await call<LogPage>(instances[tenant.index % 3], configIdOf(tenant), 'GET', `/log?q=${encodeURIComponent(`Many ${run} `)}&limit=1`);
      assert.equal(page.status, 200, page.text);
      const { counts } = page.json;
      assert.equal(counts.sent, own, `${configIdOf(tenant)}: ${JSON.stringify(counts)}`);
      const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
      assert.equal(total, own, `${configIdOf(tenant)}'s log holds ${total} rows of this run for ${own} messages: ${JSON.stringify(counts)}`);
    }
  });
});
