/**
 * Contract behaviours every adapter must show, written once and run twice: against the MemoryAdapter in
 * the browser, and through HttpAdapter against a real HTTP server that serves the contract from a
 * MemoryAdapter (node). Independent of the test framework: each check throws on failure.
 */
import type { EmailBackendAdapter, LogEntry, LogStatus, TestReport } from '../../../src/services/contract.js';
import { TEST_STEP_IDS } from '../../../src/services/contract.js';
import { defaultEndpoints } from '../../../src/services/endpoints.js';
import { AbortedError, BackendError, ConflictError, StaleError, ValidationProblem, isAbort } from '../../../src/services/errors.js';
import { SAMPLE_CONFIG, type MemoryAdapterOptions } from '../../../src/services/memory-adapter.js';

export type Setup = (options?: MemoryAdapterOptions) => Promise<EmailBackendAdapter>;

export interface ContractCheck {
  name: string;
  run(setup: Setup): Promise<void>;
}

class CheckFailed extends Error {
  override name = 'CheckFailed';
}

function ok(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailed(message);
}

function equal<T>(actual: T, expected: T, message: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new CheckFailed(`${message}: expected ${e}, got ${a}`);
}

async function rejects<E extends Error>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E, message: string): Promise<E> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof type) return error;
    throw new CheckFailed(`${message}: expected ${type.name}, got ${(error as Error)?.name}: ${(error as Error)?.message}`);
  }
  throw new CheckFailed(`${message}: expected ${type.name}, but it resolved`);
}

const TENANT = 'b7f0c5d2-3e4a-4c61-9f0e-2a8d6e1c4b93';
const CLIENT = 'c2a9e4f1-7b3d-4e8a-8f26-5d1b0c9e7a14';
const SECRET = 'Zz9~aVeryRealLookingSecret.123';
const input = { mode: 'delegated' as const, cloud: 'global' as const, tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, fromName: 'Contoso', fromAddress: 'mail@contoso.com', saveToSentItems: true };
const connected: MemoryAdapterOptions = { config: SAMPLE_CONFIG, connected: 'admin@contoso.com' };

const stepIds = (report: TestReport) => report.steps.map((step) => step.id);
const stepOf = (report: TestReport, id: string) => report.steps.find((step) => step.id === id)!;

function entry(id: number, minutesAgo: number, status: LogStatus, subject: string, to = [`user${id}@contoso.com`]): LogEntry {
  return {
    id: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    createdAt: new Date(Date.UTC(2025, 0, 15, 12, 0) - minutesAgo * 60_000).toISOString(),
    to,
    subject,
    status,
    attempts: status === 'queued' ? 0 : 1,
    durationMs: 100,
    source: 'app',
    ...(status === 'failed' ? { error: { code: 'ErrorSendAsDenied', message: 'Denied.', hint: 'Grant Send As.' } } : {}),
  };
}

/** A small log with known content: 5 sent, 2 failed, 1 unknown, 1 queued; two rows share a minute. */
const KNOWN_LOG: LogEntry[] = [
  entry(1, 1, 'queued', 'Welcome aboard'),
  entry(2, 10, 'sent', 'Invoice 1001', ['anna@fabrikam.com', 'ben@contoso.com']),
  entry(3, 10, 'failed', 'Invoice 1002'),
  entry(4, 60, 'sent', '=HYPERLINK("https://evil.example","x")'),
  entry(5, 60 * 24, 'sent', 'Password reset'),
  entry(6, 60 * 24 * 2, 'unknown', 'Order shipped'),
  entry(7, 60 * 24 * 3, 'sent', 'Weekly report, "week" 2'),
  entry(8, 60 * 24 * 4, 'failed', '<img src=x onerror=alert(1)>'),
  entry(9, 60 * 24 * 5, 'sent', 'Invoice 1003'),
];

async function collectPages(adapter: EmailBackendAdapter, query: Record<string, unknown>): Promise<LogEntry[]> {
  const all: LogEntry[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page += 1) {
    const result = await adapter.queryLog({ ...query, cursor });
    all.push(...result.items);
    if (!result.nextCursor) return all;
    cursor = result.nextCursor;
  }
  throw new CheckFailed('the pages never ended');
}

/** Every change the live feed pushes, and a way to wait for one. */
function feed(adapter: EmailBackendAdapter) {
  const changes: LogEntry[] = [];
  let wake = () => {};
  ok(adapter.subscribeLog, 'a live feed');
  const stop = adapter.subscribeLog((change) => {
    changes.push(change.entry);
    wake();
  });
  const next = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => (clearTimeout(timer), resolve());
    });
  return {
    changes,
    stop,
    async waitFor(predicate: (entry: LogEntry) => boolean): Promise<void> {
      while (!changes.some(predicate)) await next(5000);
    },
    /** Over HTTP the feed opens asynchronously: send test messages until one is pushed. */
    async live(): Promise<void> {
      while (!changes.some((e) => e.source === 'test')) {
        await adapter.test({ to: 'probe@contoso.com' });
        await next(100);
      }
    },
  };
}

export const CONTRACT_CHECKS: ContractCheck[] = [
  {
    name: 'a fresh backend shows the defaults, every field present, and no secret',
    async run(setup) {
      const view = await (await setup()).getConfig();
      equal([view.mode, view.cloud, view.tenantId, view.clientId, view.fromAddress], ['delegated', 'global', '', '', ''], 'defaults');
      equal(view.endpoints, defaultEndpoints('global'), 'the default endpoints of the global cloud');
      equal(view.secret.set, false, 'no secret');
      equal(view.connection.state, 'disconnected', 'disconnected');
      equal(view.locked, false, 'unlocked');
      ok(typeof view.etag === 'string' && view.etag.length > 0, 'an etag');
      ok(view.redirectUri.endsWith('/connect/callback'), 'the redirect URI');
    },
  },
  {
    name: 'a save keeps the secret write-only: a short hint, never the value; a new etag',
    async run(setup) {
      const adapter = await setup();
      const before = await adapter.getConfig();
      const view = await adapter.saveConfig(input, { etag: before.etag });
      ok(!JSON.stringify(view).includes(SECRET), 'the view never carries the secret');
      ok(!JSON.stringify(await adapter.getConfig()).includes(SECRET), 'nor does a later load');
      equal(view.secret.set, true, 'secret set');
      ok(view.secret.hint.length > 0 && view.secret.hint.length < 8, `a short hint (${view.secret.hint})`);
      ok(view.etag !== before.etag, 'the etag changes');
      equal([view.tenantId, view.clientId, view.fromAddress], [TENANT, CLIENT, 'mail@contoso.com'], 'the saved fields');
      equal((await adapter.getConfig()).etag, view.etag, 'a load shows the same etag');
    },
  },
  {
    name: 'an omitted secret keeps the stored one; removing it without a new one is a field error',
    async run(setup) {
      const adapter = await setup();
      await adapter.saveConfig(input);
      const { clientSecret: _omit, ...rest } = input;
      const kept = await adapter.saveConfig({ ...rest, fromName: 'Renamed' });
      equal([kept.secret.set, kept.fromName], [true, 'Renamed'], 'kept the secret');
      const error = await rejects(adapter.saveConfig({ ...rest, removeSecret: true }), ValidationProblem, 'remove without a replacement');
      equal(error.errors.map((e) => e.path), ['clientSecret'], 'the secret field is named');
    },
  },
  {
    name: 'invalid fields come back as a ValidationProblem with dotted paths and messages',
    async run(setup) {
      const adapter = await setup();
      const error = await rejects(
        adapter.saveConfig({ ...input, tenantId: 'not a tenant', clientId: 'x', endpoints: { graphEndpoint: 'https://graph.microsoft.com.evil.test/v1.0' } }),
        ValidationProblem,
        'invalid fields',
      );
      equal(error.status, 400, 'status');
      const paths = error.errors.map((e) => e.path);
      for (const path of ['tenantId', 'clientId', 'endpoints.graphEndpoint']) ok(paths.includes(path), `${path} is named (got ${paths.join(', ')})`);
      ok(error.errors.every((e) => e.message.length > 0), 'every error has a message');
      equal((await adapter.getConfig()).tenantId, '', 'nothing was saved');
    },
  },
  {
    name: 'a Secret ID pasted for the secret value is refused with its own key',
    async run(setup) {
      const error = await rejects((await setup()).saveConfig({ ...input, clientSecret: '9f8e7d6c-5b4a-4321-8fed-cba987654321' }), ValidationProblem, 'secret id');
      equal(error.errors.map((e) => [e.path, e.key]), [['clientSecret', 'clientSecret.secretId']], 'the secret-id error');
    },
  },
  {
    name: 'a stale etag gets StaleError; a save without an etag wins',
    async run(setup) {
      const adapter = await setup();
      const first = await adapter.getConfig();
      await adapter.saveConfig(input, { etag: first.etag });
      await rejects(adapter.saveConfig({ ...input, fromName: 'Late' }, { etag: first.etag }), StaleError, 'stale etag');
      equal((await adapter.getConfig()).fromName, 'Contoso', 'the stale save changed nothing');
      equal((await adapter.saveConfig({ ...input, fromName: 'Last' })).fromName, 'Last', 'no etag: last write wins');
    },
  },
  {
    name: 'while connected, locked fields give ConflictError, the others stay editable; disconnect unlocks',
    async run(setup) {
      const adapter = await setup(connected);
      const view = await adapter.getConfig();
      equal([view.connection.state, view.connection.account, view.locked], ['connected', 'admin@contoso.com', true], 'connected and locked');
      const { clientSecret: _omit, ...rest } = SAMPLE_CONFIG;
      for (const change of [{ tenantId: 'contoso.onmicrosoft.com' }, { mode: 'application' as const }, { cloud: 'usgov' as const }, { endpoints: { userEndpoint: '/users/{UserPrincipalId}' } }]) {
        const error = await rejects(adapter.saveConfig({ ...rest, fromAddress: 'a@contoso.com', ...change }), ConflictError, `locked ${Object.keys(change)[0]}`);
        equal(error.status, 409, 'status 409');
      }
      const rotated = await adapter.saveConfig({ ...rest, clientSecret: 'Rotated~Secret.Value.0001', fromName: 'New name', saveToSentItems: false });
      equal([rotated.fromName, rotated.saveToSentItems, rotated.locked], ['New name', false, true], 'secret rotation and sender fields are editable');
      const after = await adapter.disconnect();
      equal([after.connection.state, after.locked], ['disconnected', false], 'disconnected and unlocked');
      equal((await adapter.saveConfig({ ...rest, tenantId: 'contoso.onmicrosoft.com' })).tenantId, 'contoso.onmicrosoft.com', 'editable after disconnect');
    },
  },
  {
    name: 'clouds and endpoint defaults; an unknown cloud is a field error',
    async run(setup) {
      const adapter = await setup();
      const clouds = await adapter.getClouds();
      equal(clouds.map((c) => c.id), ['global', 'usgov', 'usgov-dod', 'china'], 'the national clouds');
      equal(clouds[0], { id: 'global', label: 'Global', loginHost: 'login.microsoftonline.com', graphHost: 'graph.microsoft.com' }, 'global');
      equal(await adapter.getEndpointDefaults('china'), { cloud: 'china', endpoints: defaultEndpoints('china') }, 'china defaults');
      const error = await rejects(adapter.getEndpointDefaults('mars' as never), ValidationProblem, 'unknown cloud');
      equal(error.errors.map((e) => e.path), ['cloud'], 'the cloud field');
    },
  },
  {
    name: 'connect: a sign-in that succeeds connects the account and locks the settings',
    async run(setup) {
      const adapter = await setup({ config: SAMPLE_CONFIG, scenario: { connect: { account: 'ops@contoso.com', delayMs: 0 } } });
      const start = await adapter.beginConnect({ mode: 'popup' });
      ok(start.state.length >= 22, 'a state of at least 128 bits');
      ok(Date.parse(start.expiresAt) > Date.now(), 'expires in the future');
      ok(typeof start.authorizeUrl === 'string' && start.authorizeUrl.length > 0, 'an authorize URL');
      equal(await adapter.connectStatus(start.state), { state: 'connected', account: 'ops@contoso.com' }, 'connected');
      const view = await adapter.getConfig();
      equal([view.connection.state, view.connection.account, view.locked], ['connected', 'ops@contoso.com', true], 'the view follows');
    },
  },
  {
    name: 'connect: a blocked popup never finishes; the redirect that replaces it does',
    async run(setup) {
      const adapter = await setup({ config: SAMPLE_CONFIG, scenario: { connect: { outcome: 'popup-blocked', delayMs: 0 } } });
      const popup = await adapter.beginConnect({ mode: 'popup' });
      equal((await adapter.connectStatus(popup.state)).state, 'pending', 'the popup sign-in stays pending');
      const redirect = await adapter.beginConnect({ mode: 'redirect', returnTo: '/admin/mail?tab=connection' });
      ok(redirect.state !== popup.state, 'a new state');
      equal((await adapter.connectStatus(redirect.state)).state, 'connected', 'the redirect sign-in connects');
    },
  },
  {
    name: 'connect: a failed sign-in reports the identity error; an unknown state fails',
    async run(setup) {
      const adapter = await setup({ config: SAMPLE_CONFIG, scenario: { connect: { outcome: 'error', error: 'AADSTS65001: consent required', delayMs: 0 } } });
      const start = await adapter.beginConnect({ mode: 'popup' });
      const status = await adapter.connectStatus(start.state);
      equal(status.state, 'failed', 'failed');
      ok(status.error?.includes('AADSTS65001'), 'the AADSTS code');
      equal((await adapter.getConfig()).connection.state, 'disconnected', 'still disconnected');
      equal((await adapter.connectStatus('not-a-state-this-server-issued')).state, 'failed', 'an unknown state fails');
    },
  },
  {
    name: 'connect: refused before the settings are saved, and with a foreign returnTo',
    async run(setup) {
      await rejects((await setup()).beginConnect({ mode: 'popup' }), ConflictError, 'nothing saved yet');
      const adapter = await setup({ config: SAMPLE_CONFIG });
      const error = await rejects(adapter.beginConnect({ mode: 'redirect', returnTo: '//evil.example/' }), ValidationProblem, 'foreign returnTo');
      equal(error.errors.map((e) => e.path), ['returnTo'], 'the returnTo field');
      const app = await setup({ config: { ...SAMPLE_CONFIG, mode: 'application' } });
      await rejects(app.beginConnect({ mode: 'popup' }), ConflictError, 'application mode needs no sign-in');
    },
  },
  {
    name: 'test: six steps in their fixed order, all ok when connected',
    async run(setup) {
      const report = await (await setup(connected)).test({ to: 'someone@contoso.com' });
      equal(stepIds(report), [...TEST_STEP_IDS], 'step ids');
      equal(report.ok, true, 'ok');
      ok(report.steps.every((s) => s.status === 'ok' && s.label && typeof s.ms === 'number'), 'every step ok, with a label and a duration');
      equal(report.permissions?.missing, [], 'nothing missing');
    },
  },
  {
    name: 'test: a wrong secret fails the token step with AADSTS7000215 and a hint; later steps are skipped',
    async run(setup) {
      const report = await (await setup({ ...connected, scenario: { test: 'wrong-secret' } })).test({ to: 'someone@contoso.com' });
      equal(report.ok, false, 'not ok');
      equal(report.steps.map((s) => s.status), ['ok', 'ok', 'failed', 'skipped', 'skipped', 'skipped'], 'statuses');
      const token = stepOf(report, 'token');
      equal(token.error?.code, 'AADSTS7000215', 'the code');
      ok((token.error?.hint.length ?? 0) > 20, 'a hint');
      ok(token.error?.requestId, 'the request id');
    },
  },
  {
    name: 'test: the other scripted failures land on their steps',
    async run(setup) {
      const cases = [
        ['missing-permission', 'permissions', 'ErrorAccessDenied'],
        ['mailbox-not-found', 'mailbox', 'MailboxNotEnabledForRESTAPI'],
        ['send-failure', 'send', 'ErrorSendAsDenied'],
        ['unknown-tenant', 'tenant', 'AADSTS90002'],
        ['expired-secret', 'token', 'AADSTS7000222'],
      ] as const;
      for (const [test, step, code] of cases) {
        const report = await (await setup({ ...connected, scenario: { test } })).test({ to: 'someone@contoso.com' });
        equal([stepOf(report, step).status, stepOf(report, step).error?.code], ['failed', code], test);
        equal(report.ok, false, `${test}: not ok`);
        if (test === 'missing-permission') equal(report.permissions?.missing, ['Mail.Send'], 'Mail.Send is missing');
      }
    },
  },
  {
    name: 'test: not connected in delegated mode fails at the token step; a bad recipient is a field error',
    async run(setup) {
      const adapter = await setup({ config: SAMPLE_CONFIG });
      const report = await adapter.test({ to: 'someone@contoso.com' });
      equal(stepOf(report, 'token').status, 'failed', 'token step fails without a connection');
      const error = await rejects(adapter.test({ to: 'not an address' }), ValidationProblem, 'bad recipient');
      equal(error.errors.map((e) => e.path), ['to'], 'the to field');
      const empty = await (await setup()).test({ to: 'someone@contoso.com' });
      equal(stepOf(empty, 'config').status, 'failed', 'nothing saved: the config step fails');
    },
  },
  {
    name: 'log: keyset pages cover every row exactly once, newest first',
    async run(setup) {
      const adapter = await setup({ logRows: 250 });
      const all = await collectPages(adapter, { limit: 100 });
      equal(all.length, 250, 'every row');
      equal(new Set(all.map((e) => e.id)).size, 250, 'no row twice');
      for (let i = 1; i < all.length; i += 1) ok(all[i - 1].createdAt >= all[i].createdAt, `newest first at ${i}`);
      const first = await adapter.queryLog({});
      equal(first.items.length, 50, 'the default page size');
      const counts = Object.values(first.counts).reduce((a, b) => a + b, 0);
      equal(counts, 250, 'counts add up to every row');
    },
  },
  {
    name: 'log: status, text and date filters; counts follow every filter but status',
    async run(setup) {
      const adapter = await setup({ logRows: KNOWN_LOG });
      const failed = await adapter.queryLog({ status: 'failed' });
      equal(failed.items.map((e) => e.subject), ['Invoice 1002', '<img src=x onerror=alert(1)>'], 'failed rows');
      equal(failed.counts, { queued: 1, sending: 0, sent: 5, failed: 2, unknown: 1 }, 'counts ignore the status filter');
      const invoice = await adapter.queryLog({ q: 'INVOICE' });
      // Rows 2 and 3 share a time: the higher id comes first, as the server's `ORDER BY created_at DESC, id DESC`.
      equal(invoice.items.map((e) => e.subject), ['Invoice 1002', 'Invoice 1001', 'Invoice 1003'], 'case-insensitive subject match');
      equal(invoice.counts, { queued: 0, sending: 0, sent: 2, failed: 1, unknown: 0 }, 'counts follow the text');
      equal((await adapter.queryLog({ q: 'fabrikam' })).items.map((e) => e.subject), ['Invoice 1001'], 'recipient match');
      const day = await adapter.queryLog({ from: '2025-01-14', to: '2025-01-14' });
      equal(day.items.map((e) => e.subject), ['Password reset'], 'a bare date covers its whole day');
      // Row 4 is at exactly 11:00, rows 2 and 3 at exactly 11:50.
      const range = await adapter.queryLog({ from: '2025-01-15T11:00:00Z', to: '2025-01-15T11:50:00Z' });
      equal(range.items.map((e) => e.subject), ['=HYPERLINK("https://evil.example","x")'], 'from inclusive, to exclusive');
      const wider = await adapter.queryLog({ from: '2025-01-15T11:00:00.001Z', to: '2025-01-15T11:50:00.001Z' });
      equal(wider.items.map((e) => e.subject), ['Invoice 1002', 'Invoice 1001'], 'the bounds move by a millisecond');
      equal((await collectPages(adapter, { limit: 1 })).length, KNOWN_LOG.length, 'rows sharing a time page correctly');
    },
  },
  {
    name: 'log: an over-large limit and a forged cursor are field errors',
    async run(setup) {
      const adapter = await setup({ logRows: 5 });
      equal((await rejects(adapter.queryLog({ limit: 500 }), ValidationProblem, 'limit')).errors.map((e) => e.path), ['limit'], 'limit');
      equal((await rejects(adapter.queryLog({ cursor: 'bm90LWEtY3Vyc29y' }), ValidationProblem, 'cursor')).errors.map((e) => e.path), ['cursor'], 'cursor');
      equal((await rejects(adapter.queryLog({ status: 'lost' as never }), ValidationProblem, 'status')).errors.map((e) => e.path), ['status'], 'status');
    },
  },
  {
    name: 'log: an entry lists its attempts; an unknown id is 404',
    async run(setup) {
      const adapter = await setup({ logRows: 60 });
      const { items } = await adapter.queryLog({ status: 'sent' });
      const detail = await adapter.getLogEntry(items[0].id);
      equal(detail.id, items[0].id, 'the entry');
      equal(detail.history.length, detail.attempts, 'one history item per attempt');
      equal(detail.history[detail.history.length - 1].outcome, 'sent', 'the last attempt sent it');
      const missing = await rejects(adapter.getLogEntry('00000000-0000-4000-8000-00000000dead'), BackendError, 'unknown id');
      equal(missing.status, 404, '404');
    },
  },
  {
    name: 'log: retry queues a failed message, is pushed live until sent, and refuses a sent one',
    async run(setup) {
      const adapter = await setup({ ...connected, logRows: KNOWN_LOG, scenario: { sendDelayMs: 5 } });
      const failedId = KNOWN_LOG[2].id;
      const live = feed(adapter);
      await live.live();
      await adapter.retryLogEntry(failedId);
      await live.waitFor((e) => e.id === failedId && e.status === 'sent');
      live.stop();
      const statuses = live.changes.filter((e) => e.id === failedId).map((e) => e.status);
      equal(statuses, ['queued', 'sending', 'sent'], 'queued, sending, sent');
      const detail = await adapter.getLogEntry(failedId);
      equal([detail.status, detail.attempts, detail.history.length], ['sent', 2, 2], 'one more attempt');
      await rejects(adapter.retryLogEntry(KNOWN_LOG[1].id), ConflictError, 'a sent message');
    },
  },
  {
    name: 'log: the CSV has the byte order mark, the header, one line per filtered row, and neutralised formulas',
    async run(setup) {
      const adapter = await setup({ logRows: KNOWN_LOG });
      const blob = await adapter.downloadLogCsv({ status: 'sent', limit: 1 });
      ok(blob instanceof Blob, 'a Blob');
      const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await blob.arrayBuffer());
      ok(text.startsWith('\uFEFFid,createdAt,status,source,to,subject,'), 'BOM and header');
      const lines = text.trim().split('\r\n');
      equal(lines.length, 1 + 5, 'header plus every sent row (cursor and limit ignored)');
      ok(text.includes(`"'=HYPERLINK(""https://evil.example"",""x"")"`), 'the formula is prefixed and quoted');
      ok(text.includes('"Weekly report, ""week"" 2"'), 'commas and quotes are quoted');
    },
  },
  {
    name: 'assistant: the tenant lookup names the cloud of a GUID or a domain, says when none knows it, and refuses what is no tenant',
    async run(setup) {
      const elsewhere = 'fabrikam.onmicrosoft.us';
      const nowhere = '0b0b0b0b-1111-4222-8333-444444444444';
      const adapter = await setup({ scenario: { tenants: { [elsewhere]: 'usgov', [nowhere]: null } } });
      ok(adapter.lookupTenant, 'a tenant lookup');
      const home = await adapter.lookupTenant(TENANT);
      equal([home.tenant, home.found, home.cloud], [TENANT, true, 'global'], 'a tenant of the chosen cloud');
      equal(home.checked.find((c) => c.cloud === 'global')?.outcome, 'found', 'global found it');
      const away = await adapter.lookupTenant(` ${elsewhere.toUpperCase()} `);
      equal([away.tenant, away.found, away.cloud], [elsewhere.toUpperCase(), true, 'usgov'], 'a tenant of another cloud, trimmed, any case');
      equal(away.checked.find((c) => c.cloud === 'usgov')?.outcome, 'found', 'its own cloud found it');
      equal(away.checked.find((c) => c.cloud === 'china')?.outcome, 'not-found', 'another cloud does not know it');
      const unknown = await adapter.lookupTenant(nowhere);
      equal([unknown.found, unknown.cloud], [false, undefined], 'no cloud knows it');
      ok(unknown.checked.length >= 4 && unknown.checked.every((c) => c.outcome === 'not-found'), 'every offered cloud was asked');
      const error = await rejects(adapter.lookupTenant('not a tenant'), ValidationProblem, 'what is no tenant');
      equal(error.errors.map((e) => e.path), ['tenantId'], 'the tenantId field');
    },
  },
  {
    name: 'assistant: the app restriction is for application mode only, and scopes the saved sender mailbox',
    async run(setup) {
      const adapter = await setup({ config: SAMPLE_CONFIG });
      ok(adapter.getAppRestriction, 'an app restriction');
      await rejects(adapter.getAppRestriction(), ConflictError, 'delegated mode');
      const saved = await adapter.saveConfig({ ...input, mode: 'application', fromName: 'Timesheets', fromAddress: "o'brien@contoso.com" });
      const result = await adapter.getAppRestriction();
      equal([result.mailbox, result.clientId], ["o'brien@contoso.com", saved.clientId], 'the saved values');
      ok(result.script.includes(`$appId = '${CLIENT}'`), 'the app id');
      ok(result.script.includes(`-RecipientRestrictionFilter "PrimarySmtpAddress -eq 'o''brien@contoso.com'"`), 'a scope of exactly the sender, quoted');
      ok(result.script.includes("Test-ServicePrincipalAuthorization -Identity $appId -Resource 'o''brien@contoso.com'"), 'the check');
      ok(result.roles.includes('Application Mail.Send'), 'the Mail.Send role');
      ok(result.warnings.some((w) => /tenant-wide/.test(w)) && result.warnings.some((w) => /30 minutes to 2 hours/.test(w)), 'the warnings that matter');
    },
  },
  {
    name: 'assistant: the support bundle is JSON with the settings, the last test and recent failures, and no secret',
    async run(setup) {
      const adapter = await setup({ ...connected, logRows: KNOWN_LOG, scenario: { test: 'wrong-secret' } });
      ok(adapter.downloadSupportBundle, 'a support bundle');
      await adapter.saveConfig({ ...SAMPLE_CONFIG, clientSecret: SECRET });
      await adapter.test({ to: 'someone@contoso.com' });
      const blob = await adapter.downloadSupportBundle();
      ok(blob instanceof Blob, 'a Blob');
      const text = await blob.text();
      ok(!text.includes(SECRET) && !text.includes(SECRET.slice(-8)), 'no secret, not even a piece');
      const bundle = JSON.parse(text) as Record<string, any>;
      equal([bundle.kind, bundle.config.tenantId, bundle.config.secret.set], ['graph-mail-support-bundle', SAMPLE_CONFIG.tenantId, true], 'the settings');
      equal('hint' in bundle.config.secret, false, 'not even the hint');
      equal(bundle.config.fromAddress, 'n…@contoso.com', 'the sender masked');
      const token = bundle.lastTest.report.steps.find((step: { id: string }) => step.id === 'token');
      equal([token.status, token.error.code], ['failed', 'AADSTS7000215'], 'the last test');
      ok(token.error.requestId, 'with its request id');
      const failed = (bundle.recentFailures as Array<{ status: string; to: string[] }>).filter((f) => f.status === 'failed' || f.status === 'unknown');
      ok(failed.length >= 3, `the recent failures (${failed.length})`);
      ok(failed.every((f) => f.to.every((to) => /^.…@/.test(to))), 'recipients masked');
    },
  },
  {
    name: 'clear removes settings, secret and connection; the log stays',
    async run(setup) {
      const adapter = await setup({ ...connected, logRows: 12 });
      await adapter.clearConfig();
      const view = await adapter.getConfig();
      equal([view.tenantId, view.secret.set, view.connection.state, view.locked], ['', false, 'disconnected', false], 'cleared');
      equal(Object.values((await adapter.queryLog({})).counts).reduce((a, b) => a + b, 0), 12, 'the log stays');
    },
  },
  {
    name: 'an aborted call rejects with AbortedError, before or during the request',
    async run(setup) {
      const adapter = await setup({ latencyMs: 2000 });
      const controller = new AbortController();
      controller.abort();
      await rejects(adapter.getConfig(controller.signal), AbortedError, 'already aborted');
      const during = new AbortController();
      const call = adapter.queryLog({}, during.signal);
      setTimeout(() => during.abort(), 10);
      const error = await rejects(call, AbortedError, 'aborted while waiting');
      ok(isAbort(error), 'isAbort says so');
    },
  },
];
