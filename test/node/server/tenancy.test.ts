/**
 * Many customers in one server (`configIdOf`): two admins, each authorised by a bearer token of their
 * own and mapped by the host's hook to their customer, configure two app registrations in two tenants
 * of the sandbox cloud. Everything either does (configuration, ETags, the audit trail, the test,
 * connect, status and disconnect, the log with its detail, retry, CSV, warnings and live feed, the
 * assistant) stays inside its own customer's configuration; `/send`, with the hook reading a header,
 * sends each message with its own customer's app from its own mailbox; a request the hook gives no
 * configuration is refused. The sandbox is the witness of who sent what.
 *
 * Then the server without a hook: one configuration, 'default', as before.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ConfigView, LogEntry, LogEntryDetail, LogPage } from '../../../src/services/contract.js';
import type { AdminIdentity } from '../../../src/server/index.js';
import type { MailboxMessage, RecordedRequest } from '../helpers/mail-sandbox.js';
import { applicationConfig, startTenantSandbox, type SeededTenant, type TenantSandbox } from '../helpers/tenant-seed.js';
import { startTestServer, type Reply, type TestServer } from './helpers/server.js';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const decoded = (request: RecordedRequest) => decodeURIComponent(request.path).toLowerCase();
const isTokenRequest = (request: RecordedRequest) => request.method === 'POST' && /\/oauth2\/v2\.0\/token$/.test(request.path);
const isMailRequest = (request: RecordedRequest) => /^\/v1\.0\/users\//.test(request.path);

/** A warning of the log (`GET /log/warnings`, the feed's `warning` events). */
interface MailWarning {
  id: number;
  code: string;
  message: string;
}

/** Follows `GET /log/stream` as one admin, collecting its `log` and `warning` events. */
interface Feed {
  logs: LogEntry[];
  warnings: MailWarning[];
  close(): void;
}

describe('many customers in one server (configIdOf)', () => {
  let cloud: TenantSandbox;
  let server: TestServer;
  let a: SeededTenant;
  let b: SeededTenant;
  const serviceToken = randomBytes(24).toString('base64url');
  const token = () => randomBytes(24).toString('base64url');
  const tokens = { a: token(), b: token(), c: token(), d: token() };
  const admins: Record<string, string> = { [tokens.a]: 'admin-a', [tokens.b]: 'admin-b', [tokens.c]: 'admin-c', [tokens.d]: 'admin-d' };
  /** Admin C is a valid admin whose customer the host does not know. */
  const customerOfAdmin: Record<string, string> = { 'admin-a': 'customer-a', 'admin-b': 'customer-b' };
  /** Admin D is the host's support desk: one admin who picks the customer per request (a header). */
  const SUPPORT = 'admin-d';
  /** `/send` and `/health` name their customer in a header, as a host's own gateway might. */
  const customerOfHeader: Record<string, string> = { a: 'customer-a', b: 'customer-b', c: 'customer-c' };
  /** Every call of the hook: which request (by its probe header and path) and which admin. */
  const hookCalls: Array<{ probe: string | null; path: string; admin: AdminIdentity | null }> = [];
  /** Every message id each customer queued. */
  const ids = { a: new Set<string>(), b: new Set<string>() };

  type Call = <T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Reply<T>>;
  const as =
    (token: string): Call =>
    (method, path, body, headers = {}) =>
      server.call(method, path, { body, headers: { authorization: `Bearer ${token}`, ...headers } });
  let asA: Call;
  let asB: Call;
  let asC: Call;
  /** The support desk acting for a customer. */
  const support =
    (customer: string): Call =>
    (method, path, body, headers = {}) =>
      as(tokens.d)(method, path, body, { 'x-customer': customer, ...headers });

  const send = (customer: string | null, message: Record<string, unknown>, token = serviceToken) =>
    server.call<{ id: string }>('POST', '/send', { body: message, headers: { authorization: `Bearer ${token}`, ...(customer ? { 'x-customer': customer } : {}) } });

  const statusOf = async (call: Call, id: string) => (await call<LogEntryDetail>('GET', `/log/${id}`)).json?.status;
  const waitForStatus = (call: Call, id: string, status: string) =>
    eventually(`message ${id} ${status}`, async () => ((await statusOf(call, id)) === status ? true : undefined));
  const delivered = async (to: string, subject: string): Promise<MailboxMessage[]> =>
    (await cloud.sandbox.control.mailbox(to)).filter((message) => message.subject === subject);
  const ledgerMark = async () => (await cloud.sandbox.control.requests()).length;
  const ledgerSince = async (mark: number) => (await cloud.sandbox.control.requests()).slice(mark);
  const view = async (call: Call) => {
    const reply = await call<ConfigView>('GET', '/config');
    assert.equal(reply.status, 200, reply.text);
    return reply.json;
  };
  const logOf = async (call: Call, query = '') => {
    const reply = await call<LogPage>('GET', `/log?limit=200${query}`);
    assert.equal(reply.status, 200, reply.text);
    return reply.json;
  };

  async function follow(token: string): Promise<Feed> {
    const controller = new AbortController();
    const response = await fetch(`${server.running.apiUrl}/log/stream`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: controller.signal });
    if (response.status !== 200) assert.fail(`GET /log/stream answered ${response.status}: ${await response.text()}`);
    const feed: Feed = { logs: [], warnings: [], close: () => controller.abort() };
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.+)$/m.exec(block)?.[1];
            const data = /^data: (.+)$/m.exec(block)?.[1];
            if (!data) continue;
            if (event === 'log') feed.logs.push(JSON.parse(data) as LogEntry);
            if (event === 'warning') feed.warnings.push(JSON.parse(data) as MailWarning);
          }
        }
      } catch {
        // Aborted by close().
      }
    })();
    return feed;
  }

  /** Starts a popup sign-in as an admin; the sign-in is bound to that admin (a bearer, no cookie). */
  const startConnect = async (call: Call) => {
    const reply = await call<{ authorizeUrl: string; state: string }>('POST', '/connect', { mode: 'popup' });
    assert.equal(reply.status, 200, reply.text);
    return reply.json;
  };
  /** The identity platform's redirect and the popup's navigation to the callback (no bearer there). */
  const completeConnect = async (authorizeUrl: string) => {
    const authorize = await fetch(authorizeUrl, { redirect: 'manual' });
    assert.ok(authorize.status >= 300 && authorize.status < 400, `authorize answered ${authorize.status}: ${await authorize.text()}`);
    const callback = await fetch(new URL(authorize.headers.get('location')!, authorizeUrl), { redirect: 'manual' });
    return { status: callback.status, text: await callback.text() };
  };

  before(async () => {
    cloud = await startTenantSandbox(2);
    [a, b] = cloud.tenants;
    server = await startTestServer({
      sandboxOrigins: [cloud.sandbox.origin],
      mail: { serviceToken, outbox: { sendBudget: 'off' } },
      authorize: (request) => {
        const presented = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
        const id = presented ? admins[presented] : undefined;
        return id ? { id, bearer: true } : { deny: 401 };
      },
      configIdOf: (request, admin) => {
        hookCalls.push({ probe: request.headers.get('x-probe'), path: new URL(request.url).pathname, admin });
        if (admin && admin.id !== SUPPORT) return customerOfAdmin[admin.id] ?? null;
        return customerOfHeader[request.headers.get('x-customer') ?? ''] ?? null;
      },
    });
    asA = as(tokens.a);
    asB = as(tokens.b);
    asC = as(tokens.c);
  });
  after(async () => {
    await server?.close();
    await cloud?.stop();
  });

  it('asks the hook after authorisation, with the admin it returned, and not for an unauthorised request', async () => {
    const probe = randomUUID();
    const refused = await server.call('GET', '/config', { headers: { authorization: 'Bearer not-an-admin', 'x-probe': probe } });
    assert.equal(refused.status, 401);
    assert.deepEqual(hookCalls.filter((call) => call.probe === probe), [], 'the hook ran for a request that was not authorised');

    const admitted = randomUUID();
    assert.equal((await asA('GET', '/config', undefined, { 'x-probe': admitted })).status, 200);
    const calls = hookCalls.filter((call) => call.probe === admitted);
    assert.equal(calls.length, 1, JSON.stringify(calls));
    assert.deepEqual(calls[0].admin, { id: 'admin-a', bearer: true });
    assert.equal(calls[0].path, '/api/mail/config');
  });

  it('keeps each admin to its own configuration: GET, PUT, the audit trail and the store', async () => {
    const savedA = await asA('PUT', '/config', applicationConfig(a, { fromName: 'Alpha first' }));
    assert.equal(savedA.status, 200, savedA.text);
    const savedB = await asB('PUT', '/config', applicationConfig(b, { fromName: 'Beta' }));
    assert.equal(savedB.status, 200, savedB.text);
    const againA = await asA('PUT', '/config', applicationConfig(a, { fromName: 'Alpha' }), { 'if-match': savedA.json.etag });
    assert.equal(againA.status, 200, againA.text);

    const viewA = await view(asA);
    const viewB = await view(asB);
    assert.deepEqual([viewA.tenantId, viewA.clientId, viewA.fromAddress, viewA.fromName], [a.tenantId, a.clientId, a.sender, 'Alpha']);
    assert.deepEqual([viewB.tenantId, viewB.clientId, viewB.fromAddress, viewB.fromName], [b.tenantId, b.clientId, b.sender, 'Beta']);
    assert.notEqual(viewA.etag, viewB.etag, 'two saves against one, so the revisions differ');

    // The hook's ids are the configurations' ids in the store; nothing went to the default one.
    const store = server.running.server.store;
    assert.equal((await store.getConfig('customer-a'))?.settings.tenantId, a.tenantId);
    assert.equal((await store.getConfig('customer-b'))?.settings.tenantId, b.tenantId);
    assert.equal(await store.getConfig('default'), null);

    const auditA = await asA<{ items: Array<{ actor: string }> }>('GET', '/audit');
    const auditB = await asB<{ items: Array<{ actor: string }> }>('GET', '/audit');
    assert.equal(auditA.status, 200, auditA.text);
    assert.deepEqual([...new Set(auditA.json.items.map((item) => item.actor))], ['admin-a']);
    assert.equal(auditA.json.items.length, 2);
    assert.deepEqual([...new Set(auditB.json.items.map((item) => item.actor))], ['admin-b']);
    assert.equal(auditB.json.items.length, 1);
  });

  it("refuses the other customer's ETag, and a save or a clear changes only the admin's own configuration", async () => {
    const before = await view(asA);
    const stale = await asB('PUT', '/config', applicationConfig(b, { fromName: 'Beta renamed' }), { 'if-match': before.etag });
    assert.equal(stale.status, 412, stale.text);
    assert.equal(stale.headers.get('etag'), (await view(asB)).etag, "B's own current ETag in the answer");

    const renamed = await asB('PUT', '/config', applicationConfig(b, { fromName: 'Beta renamed' }), { 'if-match': (await view(asB)).etag });
    assert.equal(renamed.status, 200, renamed.text);
    assert.deepEqual(await view(asA), before, "A's configuration did not change");

    assert.equal((await asB('DELETE', '/config')).status, 204);
    assert.deepEqual(await view(asA), before, "B's clear left A's configuration alone");
    assert.equal((await view(asB)).tenantId, '');
    const restored = await asB('PUT', '/config', applicationConfig(b, { fromName: 'Beta' }));
    assert.equal(restored.status, 200, restored.text);
  });

  it("runs POST /test with the admin's own app and mailbox", async () => {
    for (const [call, own, other] of [
      [asA, a, b],
      [asB, b, a],
    ] as const) {
      const mark = await ledgerMark();
      const subject = `[${own.index}] test ${randomUUID()}`;
      const report = await call<{ ok: boolean; steps: Array<{ id: string; status: string }> }>('POST', '/test', { to: own.recipient, subject });
      assert.equal(report.status, 200, report.text);
      assert.equal(report.json.ok, true, JSON.stringify(report.json.steps.filter((step) => step.status !== 'ok')));
      const [message, ...more] = await delivered(own.recipient, subject);
      assert.equal(more.length, 0);
      assert.equal(message?.from.toLowerCase(), own.sender);
      const requests = await ledgerSince(mark);
      const tokenRequests = requests.filter(isTokenRequest);
      assert.ok(tokenRequests.length >= 1, 'the test asked for a token');
      assert.deepEqual(tokenRequests.filter((request) => !decoded(request).startsWith(`/${own.tenantId}/`)), [], "a token request outside the customer's tenant");
      const mail = requests.filter(isMailRequest);
      assert.ok(mail.length > 0);
      const others = [other.domain, ...other.userIds].map((name) => name.toLowerCase());
      assert.deepEqual(mail.filter((request) => others.some((name) => decoded(request).includes(name))), [], "a Graph request for the other customer's mailboxes");
      const owns = [own.domain, ...own.userIds].map((name) => name.toLowerCase());
      assert.deepEqual(mail.filter((request) => !owns.some((name) => decoded(request).includes(name))), [], "a Graph request for a mailbox that is not the customer's");
    }
  });

  it('sends through /send with the customer the hook names: its app, its mailbox, its log', async () => {
    const run = randomUUID().slice(0, 8);
    const subjects = { a: [] as string[], b: [] as string[] };
    for (let i = 0; i < 3; i += 1) {
      for (const [key, tenant] of [
        ['a', a],
        ['b', b],
      ] as const) {
        const subject = `[${key}] send ${run} #${i}`;
        const queued = await send(key, { to: [tenant.recipient], subject, text: 'Hello' });
        assert.equal(queued.status, 202, queued.text);
        ids[key].add(queued.json.id);
        subjects[key].push(subject);
      }
    }
    for (const key of ['a', 'b'] as const) {
      for (const id of ids[key]) await waitForStatus(key === 'a' ? asA : asB, id, 'sent');
    }
    for (const [key, tenant] of [
      ['a', a],
      ['b', b],
    ] as const) {
      const inbox = (await cloud.sandbox.control.mailbox(tenant.recipient)).filter((message) => message.subject.includes(run));
      assert.deepEqual(inbox.map((message) => message.subject).sort(), subjects[key].sort(), `what reached customer ${key}`);
      assert.deepEqual([...new Set(inbox.map((message) => message.from.toLowerCase()))], [tenant.sender], `customer ${key}'s mail came from its own mailbox`);
    }

    // Each log lists its own messages and none of the other's.
    const logA = await logOf(asA);
    const logB = await logOf(asB);
    const listed = (page: LogPage) => new Set(page.items.map((item) => item.id));
    for (const id of ids.a) assert.ok(listed(logA).has(id), `A's log lacks its own ${id}`);
    for (const id of ids.b) assert.ok(listed(logB).has(id), `B's log lacks its own ${id}`);
    assert.deepEqual([...ids.b].filter((id) => listed(logA).has(id)), [], "B's messages in A's log");
    assert.deepEqual([...ids.a].filter((id) => listed(logB).has(id)), [], "A's messages in B's log");
    assert.deepEqual(logA.items.filter((item) => item.subject.startsWith('[b]') || item.subject.startsWith(`[${b.index}]`)), []);
    const searched = await logOf(asA, `&q=${encodeURIComponent(run)}`);
    assert.equal(searched.counts.sent, 3, JSON.stringify(searched.counts));
    assert.deepEqual(searched.items.map((item) => item.subject).sort(), subjects.a.sort());

    // The detail answers its own customer only.
    const [someA] = ids.a;
    const [someB] = ids.b;
    assert.equal((await asA('GET', `/log/${someA}`)).status, 200);
    const foreign = await asA('GET', `/log/${someB}`);
    assert.equal(foreign.status, 404, foreign.text);
    assert.equal((await asB('GET', `/log/${someA}`)).status, 404);

    // The CSV export too.
    const csv = await asA('GET', `/log.csv?q=${encodeURIComponent(run)}`);
    assert.equal(csv.status, 200);
    for (const subject of subjects.a) assert.ok(csv.text.includes(subject), `the CSV lacks ${subject}`);
    for (const subject of subjects.b) assert.ok(!csv.text.includes(subject), `the CSV of A holds B's ${subject}`);
    const csvB = await asB('GET', '/log.csv');
    for (const subject of subjects.a) assert.ok(!csvB.text.includes(subject), `the CSV of B holds A's ${subject}`);
  });

  it('sends through mail.send({ configId }) for a Node host', async () => {
    const api = server.running.server.mailApi!;
    const subject = `[b] node ${randomUUID()}`;
    const { id } = await api.send({ to: [b.recipient], subject, text: 'From the host' }, { configId: 'customer-b' });
    ids.b.add(id);
    await waitForStatus(asB, id, 'sent');
    const [message] = await delivered(b.recipient, subject);
    assert.equal(message?.from.toLowerCase(), b.sender);
    assert.equal((await asA('GET', `/log/${id}`)).status, 404);
  });

  it("retries only the admin's own failed messages", async () => {
    // B's next message fails for good: its mailbox's draft (or sendMail) is refused once with a 400.
    await cloud.sandbox.control.fault({ match: { method: 'POST', path: `/users/(${b.senderId}|[^/]*${b.domain.replace(/\./g, '\\.')})/(messages|sendMail)$` }, status: 400, times: 1 });
    const subject = `[b] fails ${randomUUID()}`;
    const queued = await send('b', { to: [b.recipient], subject, text: 'Hello' });
    assert.equal(queued.status, 202, queued.text);
    const id = queued.json.id;
    ids.b.add(id);
    try {
      await waitForStatus(asB, id, 'failed');
    } finally {
      await cloud.sandbox.control.clearFaults();
    }

    const foreign = await asA('POST', `/log/${id}/retry`);
    assert.equal(foreign.status, 404, foreign.text);
    assert.equal((await asA('GET', `/log/${id}`)).status, 404);
    await sleep(300);
    assert.equal(await statusOf(asB, id), 'failed', "A's retry did not touch B's message");
    assert.deepEqual(await delivered(b.recipient, subject), []);

    const own = await asB('POST', `/log/${id}/retry`);
    assert.equal(own.status, 202, own.text);
    await waitForStatus(asB, id, 'sent');
    const [message, ...more] = await delivered(b.recipient, subject);
    assert.equal(more.length, 0);
    assert.equal(message?.from.toLowerCase(), b.sender);
    // A's own sent row is not retryable (409), which shows the 404 above was about ownership.
    assert.equal((await asA('POST', `/log/${[...ids.a][0]}/retry`)).status, 409);
  });

  it("streams each admin its own customer's log changes only", async () => {
    const feedA = await follow(tokens.a);
    const feedB = await follow(tokens.b);
    try {
      const fromA = await send('a', { to: [a.recipient], subject: `[a] live ${randomUUID()}`, text: 'Hello' });
      const fromB = await send('b', { to: [b.recipient], subject: `[b] live ${randomUUID()}`, text: 'Hello' });
      assert.equal(fromA.status, 202);
      assert.equal(fromB.status, 202);
      ids.a.add(fromA.json.id);
      ids.b.add(fromB.json.id);
      await eventually('both feeds to show their message sent', async () =>
        feedA.logs.some((entry) => entry.id === fromA.json.id && entry.status === 'sent') && feedB.logs.some((entry) => entry.id === fromB.json.id && entry.status === 'sent') ? true : undefined,
      );
      await sleep(300);
      assert.deepEqual(feedA.logs.filter((entry) => ids.b.has(entry.id)), [], "B's rows in A's feed");
      assert.deepEqual(feedB.logs.filter((entry) => ids.a.has(entry.id)), [], "A's rows in B's feed");
    } finally {
      feedA.close();
      feedB.close();
    }
  });

  it("answers the assistant from the admin's own configuration", async () => {
    const bundleA = await asA<Record<string, any>>('GET', '/assistant/support-bundle');
    assert.equal(bundleA.status, 200, bundleA.text);
    assert.equal(bundleA.json.config.tenantId, a.tenantId);
    assert.equal(bundleA.json.config.clientId, a.clientId);
    // The last test of each customer is its own (B's ran after A's); its steps name the tenant.
    const lastTestA = JSON.stringify(bundleA.json.lastTest ?? null);
    assert.ok(lastTestA.includes(a.tenantId), `A's bundle does not show A's last test: ${lastTestA.slice(0, 300)}`);
    assert.ok(!lastTestA.includes(b.tenantId), "A's bundle shows B's last test");
    const bundleB = await asB<Record<string, any>>('GET', '/assistant/support-bundle');
    assert.equal(bundleB.json.config.tenantId, b.tenantId);
    assert.ok(JSON.stringify(bundleB.json.lastTest ?? null).includes(b.tenantId), "B's bundle does not show B's last test");
    const failuresA = bundleA.json.recentFailures as Array<{ id: string }>;
    const failuresB = bundleB.json.recentFailures as Array<{ id: string }>;
    assert.deepEqual(failuresA.filter((failure) => ids.b.has(failure.id)), [], "B's failures in A's bundle");
    assert.deepEqual(failuresB.filter((failure) => ids.a.has(failure.id)), []);

    const restrictA = await asA<{ clientId: string; mailbox: string }>('GET', '/assistant/restrict-app');
    assert.equal(restrictA.status, 200, restrictA.text);
    assert.deepEqual([restrictA.json.clientId, restrictA.json.mailbox], [a.clientId, a.sender]);
    const restrictB = await asB<{ clientId: string; mailbox: string }>('GET', '/assistant/restrict-app');
    assert.deepEqual([restrictB.json.clientId, restrictB.json.mailbox], [b.clientId, b.sender]);
  });

  it("completes a delegated sign-in into its own customer's configuration; status and disconnect touch only their own", async () => {
    const delegated = (tenant: SeededTenant, fromAddress: string) => applicationConfig(tenant, { mode: 'delegated', fromAddress });
    assert.equal((await asA('PUT', '/config', delegated(a, a.signer))).status, 200);
    // B's From address is a shared mailbox its account may not send as: the Send As check will refuse it.
    assert.equal((await asB('PUT', '/config', delegated(b, b.shared))).status, 200);

    const startA = await startConnect(asA);
    const startB = await startConnect(asB);
    const status = (call: Call, state: string) => call<{ state: string; account?: string }>('GET', `/connect/status?state=${state}`);

    // B's disconnect ends B's unfinished sign-in, not A's.
    const disconnected = await asB<ConfigView>('POST', '/disconnect');
    assert.equal(disconnected.status, 200, disconnected.text);
    assert.equal((await status(asB, startB.state)).json.state, 'failed');
    assert.equal((await status(asA, startA.state)).json.state, 'pending');
    assert.equal((await status(asB, startA.state)).status, 404, "B sees A's sign-in");
    assert.equal((await status(asA, startB.state)).status, 404, "A sees B's sign-in");

    // One admin acting for two customers: a sign-in started for A is A's alone, whoever started it.
    const forA = await startConnect(support('a'));
    assert.equal((await status(support('b'), forA.state)).status, 404, "A's sign-in seen as B's");
    assert.equal((await support('b')('POST', '/disconnect')).status, 200);
    assert.equal((await status(support('a'), forA.state)).json.state, 'pending', "B's disconnect ended a sign-in of A");

    // The callback carries no admin: its configuration is the one the sign-in was started for.
    const hookCallsBefore = hookCalls.length;
    await cloud.sandbox.control.session(a.signer);
    const callbackA = await completeConnect(startA.authorizeUrl);
    assert.equal(callbackA.status, 200, callbackA.text);
    assert.deepEqual(hookCalls.slice(hookCallsBefore).filter((call) => call.path.endsWith('/connect/callback')), [], 'the hook was asked about the callback');
    const doneA = await status(asA, startA.state);
    assert.deepEqual([doneA.json.state, doneA.json.account], ['connected', a.signer]);
    const viewA = await view(asA);
    assert.deepEqual([viewA.connection.state, viewA.connection.account], ['connected', a.signer]);
    assert.equal((await view(asB)).connection.state, 'disconnected', "A's sign-in connected B");

    // B signs in with its own account; its refused Send As check is a warning in B's log only.
    const again = await startConnect(asB);
    await cloud.sandbox.control.session(b.signer);
    const callbackB = await completeConnect(again.authorizeUrl);
    assert.equal(callbackB.status, 200, callbackB.text);
    const viewB = await view(asB);
    assert.deepEqual([viewB.connection.state, viewB.connection.account], ['connected', b.signer]);
    assert.equal(viewB.connection.sendAs?.ok, false, JSON.stringify(viewB.connection.sendAs));
    assert.equal(viewB.connection.sendAs?.error?.code, 'ErrorSendAsDenied');
    assert.equal((await view(asA)).connection.account, a.signer, "B's sign-in changed A's connection");
    const warningsB = (await asB<{ items: MailWarning[] }>('GET', '/log/warnings')).json.items;
    const warningsA = (await asA<{ items: MailWarning[] }>('GET', '/log/warnings')).json.items;
    assert.ok(warningsB.some((warning) => warning.code === 'ErrorSendAsDenied'), JSON.stringify(warningsB));
    assert.deepEqual(warningsA.filter((warning) => warning.code === 'ErrorSendAsDenied'), [], "B's warning in A's log");

    // A sends with its own delegated sign-in.
    const subject = `[a] delegated ${randomUUID()}`;
    const queued = await send('a', { to: [a.recipient], subject, text: 'Hello' });
    assert.equal(queued.status, 202, queued.text);
    ids.a.add(queued.json.id);
    await waitForStatus(asA, queued.json.id, 'sent');
    assert.equal((await delivered(a.recipient, subject))[0]?.from.toLowerCase(), a.signer);

    // B's disconnect leaves A connected.
    assert.equal((await asB('POST', '/disconnect')).status, 200);
    assert.equal((await view(asB)).connection.state, 'disconnected');
    assert.deepEqual([(await view(asA)).connection.state, (await view(asA)).connection.account], ['connected', a.signer]);
    assert.equal((await asA('POST', '/disconnect')).status, 200);
    assert.equal((await view(asA)).connection.state, 'disconnected');
  });

  it('refuses a request the hook gives no configuration: 403 for admins and /send, 404 for /health', async () => {
    assert.equal((await asA('POST', '/disconnect')).status, 200);
    const saved = await asA('PUT', '/config', applicationConfig(a));
    assert.equal(saved.status, 200, saved.text);
    const isProblem = (reply: Reply) => assert.match(reply.headers.get('content-type') ?? '', /^application\/problem\+json/);
    for (const [method, path, body] of [
      ['GET', '/config'],
      ['PUT', '/config', applicationConfig(a)],
      ['DELETE', '/config'],
      ['GET', '/audit'],
      ['POST', '/test', { to: a.recipient }],
      ['POST', '/connect', { mode: 'popup' }],
      ['POST', '/disconnect'],
      ['GET', '/log'],
      ['GET', '/log.csv'],
      ['GET', '/log/warnings'],
      ['GET', '/log/stream'],
      ['GET', `/log/${[...ids.a][0]}`],
      ['POST', `/log/${[...ids.a][0]}/retry`],
      ['GET', '/assistant/support-bundle'],
    ] as Array<[string, string, unknown?]>) {
      const reply = await asC(method, path, body);
      assert.equal(reply.status, 403, `${method} ${path} answered ${reply.status}: ${reply.text.slice(0, 200)}`);
      isProblem(reply);
    }
    assert.equal((await view(asA)).tenantId, a.tenantId, "C's PUT and DELETE changed nothing");

    // /send: a wrong service token is a 401 first, whatever the header; then no customer is a 403.
    const wrongToken = await send('a', { to: [a.recipient], subject: 'never', text: 'x' }, 'wrong-service-token');
    assert.equal(wrongToken.status, 401, wrongToken.text);
    assert.equal((await send(null, { to: [a.recipient], subject: 'never', text: 'x' }, 'wrong-service-token')).status, 401);
    const noCustomer = await send(null, { to: [a.recipient], subject: 'never', text: 'x' });
    assert.equal(noCustomer.status, 403, noCustomer.text);
    isProblem(noCustomer);
    const unknownCustomer = await send('z', { to: [a.recipient], subject: 'never', text: 'x' });
    assert.equal(unknownCustomer.status, 403, unknownCustomer.text);
    await sleep(200);
    assert.deepEqual(await delivered(a.recipient, 'never'), []);

    // /health is per customer too.
    const health = (customer?: string) => server.call('GET', '/health', { headers: customer ? { 'x-customer': customer } : {} });
    assert.equal((await health()).status, 404);
    const healthA = await health('a');
    assert.equal(healthA.status, 200, healthA.text);
    assert.equal(healthA.json.ok, true);
    const healthC = await health('c');
    assert.equal(healthC.status, 503, 'customer C has no configuration');
    assert.equal(healthC.json.ok, false);
  });
});

describe('one server without configIdOf', () => {
  let cloud: TenantSandbox;
  let server: TestServer;
  const serviceToken = randomBytes(24).toString('base64url');
  before(async () => {
    cloud = await startTenantSandbox(1);
    server = await startTestServer({ sandboxOrigins: [cloud.sandbox.origin], mail: { serviceToken, outbox: { sendBudget: 'off' } } });
  });
  after(async () => {
    await server?.close();
    await cloud?.stop();
  });

  it("is one configuration, 'default', for every route and mail.send", async () => {
    const [tenant] = cloud.tenants;
    const saved = await server.call<ConfigView>('PUT', '/config', { body: applicationConfig(tenant) });
    assert.equal(saved.status, 200, saved.text);
    assert.equal((await server.running.server.store.getConfig('default'))?.settings.tenantId, tenant.tenantId);
    assert.equal((await server.call<ConfigView>('GET', '/config')).json.clientId, tenant.clientId);

    const viaHttp = await server.call<{ id: string }>('POST', '/send', { body: { to: [tenant.recipient], subject: 'default over HTTP', text: 'x' }, headers: { authorization: `Bearer ${serviceToken}` } });
    assert.equal(viaHttp.status, 202, viaHttp.text);
    const api = server.running.server.mailApi!;
    const plain = await api.send({ to: [tenant.recipient], subject: 'default without a configId', text: 'x' });
    const named = await api.send({ to: [tenant.recipient], subject: "default named 'default'", text: 'x' }, { configId: 'default' });
    for (const id of [viaHttp.json.id, plain.id, named.id]) {
      await eventually(`${id} sent`, async () => ((await server.call<LogEntryDetail>('GET', `/log/${id}`)).json?.status === 'sent' ? true : undefined));
    }
    const inbox = await cloud.sandbox.control.mailbox(tenant.recipient);
    assert.deepEqual(inbox.map((message) => message.subject).sort(), ["default named 'default'", 'default over HTTP', 'default without a configId'].sort());
    assert.deepEqual([...new Set(inbox.map((message) => message.from.toLowerCase()))], [tenant.sender]);
    const log = (await server.call<LogPage>('GET', '/log')).json;
    assert.equal(log.counts.sent, 3, JSON.stringify(log.counts));
    const health = await server.call('GET', '/health');
    assert.equal(health.status, 200, health.text);
  });
});
