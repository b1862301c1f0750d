/**
 * `POST /test` against the sandbox cloud in its own process: every step's success, and the common
 * mistakes each caught at its step with the fix (wrong secret, Secret ID pasted, expired secret,
 * unknown tenant, wrong cloud, app not found, no consent, missing permission, mailbox not found, no
 * mailbox, a failed send with its request id), in both modes; the message goes through the real
 * outbox into the log and the sandbox's mailbox.
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TEST_STEP_IDS, type TestReport, type TestStepId } from '../../../../src/services/contract.js';
import { attachmentContent, TEST_ATTACHMENT_NAME } from '../../../../src/server/test-settings/index.js';
import { startSandbox, type SandboxProcess, type SandboxSeed } from '../../helpers/mail-sandbox.js';
import { configState, SandboxTokenSource, sandboxConfig, signIn, startTestApp, type TestApp } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const CANARY = 'UPSTREAM-CANARY-5d2e';
/** Apps added to the default seed: consented to fewer permissions than the modes need. */
const PARTIAL_APP = { clientId: '5a0b6f4e-7c1d-4e2f-9a3b-8c7d6e5f4a3b', secret: 'Pp7Q~PartialConsentSecretValue0123456789' };

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function partialSeed(dir: string): string {
  const seed = JSON.parse(readFileSync(join(ROOT, 'src/sandbox/seed.default.json'), 'utf8')) as SandboxSeed & { apps: Array<Record<string, unknown>> };
  const tenantId = seed.tenants[0].id;
  seed.apps.push({
    tenantId,
    clientId: PARTIAL_APP.clientId,
    displayName: 'Graph Mail Connector (partial consent)',
    kind: 'web',
    secrets: [{ id: randomUUID(), value: PARTIAL_APP.secret, expiresAt: '2099-12-31T00:00:00Z' }],
    redirectUris: ['http://127.0.0.1/api/mail/connect/callback'],
    delegatedPermissions: ['openid', 'profile', 'offline_access', 'User.Read'],
    applicationPermissions: ['Mail.Send'],
  });
  const file = join(dir, 'seed.json');
  writeFileSync(file, JSON.stringify(seed, null, 2));
  return file;
}

describe('POST /test against the sandbox cloud', { timeout: 180_000 }, () => {
  let sandbox: SandboxProcess;
  let seedDir: string;
  let app: TestApp | undefined;
  let recipient: string;

  before(async () => {
    seedDir = mkdtempSync(join(tmpdir(), 'test-settings-seed-'));
    sandbox = await startSandbox({ SANDBOX_SEED: partialSeed(seedDir), SANDBOX_SEND_LAG_MS: '200' });
    recipient = sandbox.seed.users[1].mail;
  });
  after(async () => {
    await sandbox?.stop();
    rmSync(seedDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await sandbox.control.reset();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const seedApp = () => sandbox.seed.apps[0];
  const tokenUrl = (tenant = seedApp().tenantId) => `${sandbox.origin}/${tenant}/oauth2/v2.0/token`;
  const appTokens = (overrides: { tenant?: string; clientId?: string; secret?: string } = {}) =>
    new SandboxTokenSource({
      tokenUrl: tokenUrl(overrides.tenant),
      clientId: overrides.clientId ?? seedApp().clientId,
      secret: overrides.secret ?? seedApp().secrets[0].value,
      scope: `${sandbox.origin}/.default`,
    });

  async function startApp(options: { tokens?: SandboxTokenSource; config?: Parameters<typeof sandboxConfig>[1]; state?: Parameters<typeof configState>[1] } = {}) {
    app = await startTestApp({
      sandboxOrigin: sandbox.origin,
      tokens: options.tokens ?? appTokens(),
      state: configState(sandboxConfig(sandbox, options.config), options.state),
      settings: { testPerMinute: 100 },
    });
    return app;
  }

  const subject = (label: string) => `${label} ${randomUUID().slice(0, 8)}`;
  const step = (report: TestReport, id: TestStepId) => report.steps.find((item) => item.id === id)!;

  /** Step order, skipped-after-failure, and that nothing secret or upstream-written is in the report. */
  function checkReport(report: TestReport, text: string, failedAt: TestStepId | null) {
    assert.deepEqual(
      report.steps.map((item) => item.id),
      [...TEST_STEP_IDS],
    );
    const index = failedAt ? TEST_STEP_IDS.indexOf(failedAt) : TEST_STEP_IDS.length;
    report.steps.forEach((item, position) => {
      const expected = position < index ? 'ok' : position === index ? 'failed' : 'skipped';
      assert.equal(item.status, expected, `${item.id}: ${JSON.stringify(item)}`);
      if (expected === 'failed') {
        assert.ok(item.error?.code && item.error.message && item.error.hint, `${item.id} explains itself`);
      } else {
        assert.equal(item.error, undefined);
      }
    });
    assert.equal(report.ok, failedAt === null);
    for (const secret of [...sandbox.seed.apps.flatMap((entry) => entry.secrets.map((s) => s.value)), PARTIAL_APP.secret]) {
      assert.ok(!text.includes(secret), 'no secret in the report');
    }
    assert.ok(!/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/.test(text), 'no token in the report');
    assert.ok(!text.includes(CANARY), 'no upstream text in the report');
    assert.ok(!/Invalid client secret provided|was not found in the directory|not consented to use the application/.test(text), 'no upstream description in the report');
  }

  describe('application mode', () => {
    it('passes every step, sends through the outbox into the log and the mailbox, with a fresh token', async () => {
      const tokens = appTokens();
      await startApp({ tokens });
      const title = subject('Settings test');
      const { status, json, text } = await app!.test({ to: recipient, subject: title, body: 'Hello from the test' });
      assert.equal(status, 200);
      checkReport(json, text, null);
      assert.equal(tokens.requests, 1);
      assert.match(step(json, 'tenant').detail!, new RegExp(seedApp().tenantId));
      assert.match(step(json, 'mailbox').detail!, new RegExp(sandbox.seed.users[0].userPrincipalName.replace('.', '\\.')));
      assert.deepEqual(json.permissions.required, ['Mail.Send', 'User.Read.All']);
      assert.deepEqual(json.permissions.missing, []);
      assert.deepEqual([...json.permissions.granted].sort(), ['Mail.ReadWrite', 'Mail.Send', 'User.Read.All']);

      const delivered = (await sandbox.control.mailbox(recipient)).filter((message) => message.subject === title);
      assert.equal(delivered.length, 1);
      assert.equal(delivered[0].from.toLowerCase(), sandbox.seed.users[0].mail.toLowerCase());

      const log = await (await fetch(`${app!.url}/log?q=${encodeURIComponent(title)}`)).json();
      assert.equal(log.items.length, 1);
      assert.equal(log.items[0].source, 'test');
      assert.equal(log.items[0].status, 'sent');
      assert.match(step(json, 'send').detail!, new RegExp(log.items[0].id));

      // A second run asks the identity platform again instead of the cache.
      const again = await app!.test({ to: recipient, subject: subject('Again') });
      checkReport(again.json, again.text, null);
      assert.equal(tokens.requests, 2);
    });

    it('sends a generated attachment of 3 MB or more through an upload session', async () => {
      await startApp();
      const size = 3 * 1024 * 1024 + 4321;
      const title = subject('Large attachment');
      const { json, text } = await app!.test({ to: recipient, subject: title, attachmentBytes: size });
      checkReport(json, text, null);
      assert.deepEqual(json.permissions.required, ['Mail.Send', 'Mail.ReadWrite', 'User.Read.All']);
      assert.match(step(json, 'send').detail!, /upload session/);
      const [message] = (await sandbox.control.mailbox(recipient)).filter((item) => item.subject === title);
      assert.equal(message.attachments.length, 1);
      assert.equal(message.attachments[0].name, TEST_ATTACHMENT_NAME);
      assert.equal(message.attachments[0].size, size);
      assert.equal(message.attachments[0].sha256, sha(attachmentContent(size)));
      const requests = await sandbox.control.requests();
      assert.ok(requests.some((request) => request.method === 'POST' && /createUploadSession$/i.test(request.path)));
    });

    it('fails at token with AADSTS7000215 for a wrong secret value, explaining Secret ID vs Value', async () => {
      await startApp({ tokens: appTokens({ secret: 'Wr0ng~SecretValueThatIsNotRegistered123' }) });
      const { json, text } = await app!.test({ to: recipient });
      checkReport(json, text, 'token');
      const error = step(json, 'token').error!;
      assert.equal(error.code, 'AADSTS7000215');
      assert.match(error.message, /Secret ID was pasted instead of the secret's Value/);
      assert.match(error.hint, /"Value" column/);
      assert.match(error.hint, /"Secret ID" column is not the secret/);
      assert.match(error.requestId ?? '', /^[0-9a-f-]{36}$/, 'the trace id, for support');
      assert.match(error.correlationId ?? '', /^[0-9a-f-]{36}$/);
      assert.ok(error.timestamp);
      assert.equal(json.permissions.granted.length, 0);
    });

    it('fails at token with AADSTS7000215 when the Secret ID was pasted as the secret', async () => {
      await startApp({ tokens: appTokens({ secret: seedApp().secrets[0].id }) });
      const { json, text } = await app!.test({ to: recipient });
      checkReport(json, text, 'token');
      assert.equal(step(json, 'token').error!.code, 'AADSTS7000215');
      assert.ok(!text.includes(seedApp().secrets[0].id), 'not even the Secret ID is echoed');
    });

    it('fails at token with AADSTS7000222 for an expired secret', async () => {
      const expired = sandbox.seed.apps[1];
      await startApp({ tokens: appTokens({ clientId: expired.clientId, secret: expired.secrets[0].value }), config: { clientId: expired.clientId } });
      const { json, text } = await app!.test({ to: recipient });
      checkReport(json, text, 'token');
      assert.equal(step(json, 'token').error!.code, 'AADSTS7000222');
      assert.match(step(json, 'token').error!.hint, /create a new client secret/);
    });

    it('fails at token with AADSTS700016 for an unknown application id', async () => {
      const clientId = randomUUID();
      await startApp({ tokens: appTokens({ clientId }), config: { clientId } });
      const { json, text } = await app!.test({ to: recipient });
      checkReport(json, text, 'token');
      assert.equal(step(json, 'token').error!.code, 'AADSTS700016');
      assert.match(step(json, 'token').error!.hint, /Application \(client\) ID/);
    });

    it('fails at token with AADSTS65001 when admin consent was never given', async () => {
      const unconsented = sandbox.seed.apps[2];
      await startApp({ tokens: appTokens({ clientId: unconsented.clientId, secret: unconsented.secrets[0].value }), config: { clientId: unconsented.clientId } });
      const { json, text } = await app!.test({ to: recipient });
      checkReport(json, text, 'token');
      const error = step(json, 'token').error!;
      assert.equal(error.code, 'AADSTS65001');
      assert.match(error.hint, /Grant admin consent/);
      assert.match(error.hint, /Mail\.Send, User\.Read\.All/, 'names what this mode needs');
    });

    it('fails at permissions when the token lacks a needed role, naming it and admin consent', async () => {
      await startApp({ tokens: appTokens({ clientId: PARTIAL_APP.clientId, secret: PARTIAL_APP.secret }), config: { clientId: PARTIAL_APP.clientId } });
      const { json, text } = await app!.test({ to: recipient });
      checkReport(json, text, 'permissions');
      const error = step(json, 'permissions').error!;
      assert.equal(error.code, 'PERMISSIONS_MISSING');
      assert.match(error.message, /User\.Read\.All/);
      assert.match(error.hint, /application permissions User\.Read\.All/);
      assert.match(error.hint, /Grant admin consent/);
      assert.deepEqual(json.permissions, { granted: ['Mail.Send'], required: ['Mail.Send', 'User.Read.All'], missing: ['User.Read.All'] });
      assert.equal((await sandbox.control.mailbox(recipient)).length, 0, 'nothing was sent');
    });

    it('fails at tenant with AADSTS90002 for a tenant that does not exist, before any token request', async () => {
      const tenantId = randomUUID();
      const tokens = appTokens({ tenant: tenantId });
      await startApp({ tokens, config: { tenantId } });
      const { json, text } = await app!.test({ to: recipient });
      checkReport(json, text, 'tenant');
      const error = step(json, 'tenant').error!;
      assert.equal(error.code, 'AADSTS90002');
      assert.match(error.hint, /Directory \(tenant\) ID/);
      assert.equal(tokens.requests, 0);
      const requests = await sandbox.control.requests();
      assert.ok(requests.some((request) => request.path === `/${tenantId}/v2.0/.well-known/openid-configuration` && request.status === 400));
    });

    it('fails at tenant when the tenant lives in another cloud, and says which', async () => {
      await startApp();
      const tenantId = seedApp().tenantId;
      await sandbox.control.fault({
        match: { method: 'GET', path: '/v2\\.0/\\.well-known/openid-configuration$' },
        status: 200,
        body: {
          issuer: `https://login.microsoftonline.us/${tenantId}/v2.0`,
          token_endpoint: `https://login.microsoftonline.us/${tenantId}/oauth2/v2.0/token`,
          tenant_region_scope: 'USGov',
          cloud_instance_name: 'microsoftonline.us',
          msgraph_host: 'graph.microsoft.us',
        },
      });
      const { json, text } = await app!.test({ to: recipient });
      checkReport(json, text, 'tenant');
      const error = step(json, 'tenant').error!;
      assert.equal(error.code, 'CLOUD_MISMATCH');
      assert.match(error.hint, /The tenant lives in the US Government \(GCC High\) cloud/);
      assert.match(error.hint, /Choose the Domain/);
    });

    it('fails at mailbox when the From address is no user, with the licence hint and request id', async () => {
      await startApp({ config: { fromAddress: 'nobody@contoso.onmicrosoft.com' } });
      const { json, text } = await app!.test({ to: recipient });
      checkReport(json, text, 'mailbox');
      const error = step(json, 'mailbox').error!;
      assert.equal(error.code, 'Request_ResourceNotFound');
      assert.match(error.hint, /Exchange Online licence/);
      assert.match(error.requestId ?? '', /^[0-9a-f-]{36}$/);
      assert.match(error.correlationId ?? '', /^[0-9a-f-]{36}$/);
    });

    it('fails at mailbox for a user without a mailbox', async () => {
      const noMailbox = sandbox.seed.users.find((user) => user.kind === 'no-mailbox')!;
      await startApp({ config: { fromAddress: noMailbox.userPrincipalName } });
      const { json, text } = await app!.test({ to: recipient });
      checkReport(json, text, 'mailbox');
      assert.equal(step(json, 'mailbox').error!.code, 'NO_MAILBOX');
      assert.match(step(json, 'mailbox').error!.hint, /Exchange Online licence/);
    });

    it('looks a $-prefixed UPN up with $filter, and reports it not found', async () => {
      await startApp({ config: { fromAddress: '$ops@contoso.onmicrosoft.com' } });
      const { json, text } = await app!.test({ to: recipient });
      checkReport(json, text, 'mailbox');
      assert.equal(step(json, 'mailbox').error!.code, 'MAILBOX_NOT_FOUND');
      const requests = await sandbox.control.requests();
      const lookup = requests.find((request) => request.method === 'GET' && request.path === '/v1.0/users');
      assert.ok(lookup, JSON.stringify(requests.map((request) => request.path)));
      assert.match(JSON.stringify(lookup.query), /userPrincipalName eq '\$ops@contoso\.onmicrosoft\.com'/);
    });

    it('fails at send with the mapped Graph error and its request id, recorded in the log', async () => {
      await startApp();
      const requestId = randomUUID();
      await sandbox.control.fault({
        match: { method: 'POST', path: '/send$' },
        status: 403,
        headers: { 'request-id': requestId },
        body: { error: { code: 'ErrorMessageSubmissionBlocked', message: `${CANARY} blocked`, innerError: { 'request-id': requestId, date: '2030-01-01T00:00:00' } } },
      });
      const title = subject('Blocked');
      const { json, text } = await app!.test({ to: recipient, subject: title });
      checkReport(json, text, 'send');
      const error = step(json, 'send').error!;
      assert.equal(error.code, 'ErrorMessageSubmissionBlocked');
      assert.match(error.hint, /Restricted entities/);
      assert.match(error.requestId ?? '', /^[0-9a-f-]{36}$/);
      assert.match(error.correlationId ?? '', /^[0-9a-f-]{36}$/, 'the client-request-id of the attempt');
      const log = await (await fetch(`${app!.url}/log?q=${encodeURIComponent(title)}`)).json();
      assert.equal(log.items[0].status, 'failed');
      assert.equal(log.items[0].source, 'test');
      assert.equal(log.items[0].error.requestId, error.requestId, 'the same request id as the log');
      const detail = await (await fetch(`${app!.url}/log/${log.items[0].id}`)).json();
      assert.equal(detail.history.at(-1).clientRequestId, error.correlationId);
      const sent = (await sandbox.control.requests()).filter((request) => request.method === 'POST' && /\/send$/.test(request.path));
      assert.equal(sent.at(-1)?.status, 403);
      assert.match(step(json, 'send').detail!, new RegExp(log.items[0].id));
    });
  });

  describe('delegated mode', () => {
    const signedIn = async (clientId: string, secret: string, scopes = 'offline_access User.Read Mail.Send') => {
      const refreshToken = await signIn(sandbox, { username: sandbox.seed.users[0].userPrincipalName, tenantId: seedApp().tenantId, clientId, secret, scopes });
      return new SandboxTokenSource({ tokenUrl: tokenUrl(), clientId, secret, scope: scopes, refreshToken });
    };
    const connected = { state: 'connected' as const, account: '', connectedAt: new Date().toISOString() };

    it('passes every step with a refreshed token, /me as the mailbox, and sends as the account', async () => {
      const user = sandbox.seed.users[0];
      const tokens = await signedIn(seedApp().clientId, seedApp().secrets[0].value);
      await startApp({ tokens, config: { mode: 'delegated', fromAddress: '', account: user.mail }, state: { connection: { ...connected, account: user.mail } } });
      const title = subject('Delegated test');
      const { json, text } = await app!.test({ to: recipient, subject: title });
      checkReport(json, text, null);
      assert.equal(tokens.requests, 1);
      assert.deepEqual(json.permissions.required, ['User.Read', 'Mail.Send']);
      assert.match(step(json, 'mailbox').detail!, new RegExp(`Connected to ${user.mail.replace('.', '\\.')}`));
      const requests = await sandbox.control.requests();
      assert.ok(requests.some((request) => request.method === 'GET' && request.path === '/v1.0/me'));
      const [message] = (await sandbox.control.mailbox(recipient)).filter((item) => item.subject === title);
      assert.equal(message.from.toLowerCase(), user.mail.toLowerCase());
    });

    it('fails at permissions when the sign-in lacks Mail.Send, naming it and admin consent', async () => {
      // The app is consented to User.Read only, so that is all a sign-in can get.
      const tokens = await signedIn(PARTIAL_APP.clientId, PARTIAL_APP.secret, 'offline_access User.Read');
      await startApp({ tokens, config: { mode: 'delegated', clientId: PARTIAL_APP.clientId, fromAddress: '' }, state: { connection: connected } });
      const { json, text } = await app!.test({ to: recipient });
      checkReport(json, text, 'permissions');
      const error = step(json, 'permissions').error!;
      assert.match(error.message, /Mail\.Send/);
      assert.match(error.hint, /delegated permissions Mail\.Send/);
      assert.match(error.hint, /Grant admin consent/);
      assert.deepEqual(json.permissions.missing, ['Mail.Send']);
    });

    it('fails at token with a reconnect hint when the refresh token is refused (invalid_grant)', async () => {
      const tokens = await signedIn(seedApp().clientId, seedApp().secrets[0].value);
      tokens.options.refreshToken = 'not-a-refresh-token';
      await startApp({ tokens, config: { mode: 'delegated', fromAddress: '' }, state: { connection: connected } });
      const { json, text } = await app!.test({ to: recipient });
      checkReport(json, text, 'token');
      const error = step(json, 'token').error!;
      assert.match(error.code, /^AADSTS\d+$/);
      assert.match(error.message, /no longer valid/);
      assert.match(error.hint, /"Connect" again/);
    });

    it('shows the token service\'s own explanation (needs reconnect) with the ids it carries', async () => {
      const tokens = appTokens();
      await startApp({ tokens, config: { mode: 'delegated', fromAddress: '' }, state: { connection: connected } });
      const correlationId = randomUUID();
      tokens.getAccessToken = async () => {
        throw Object.assign(new Error('The connected mailbox must sign in again.'), {
          code: 'NEEDS_RECONNECT',
          hint: 'Choose "Connect" again and sign in with the mailbox account.',
          diagnosis: { code: 'AADSTS700082', message: 'x', hint: 'y', correlationId },
        });
      };
      const { json, text } = await app!.test({ to: recipient });
      checkReport(json, text, 'token');
      assert.deepEqual(step(json, 'token').error, {
        code: 'NEEDS_RECONNECT',
        message: 'The connected mailbox must sign in again.',
        hint: 'Choose "Connect" again and sign in with the mailbox account.',
        correlationId,
      });
    });

    it('fails at token without a request while no mailbox is connected', async () => {
      const tokens = appTokens();
      await startApp({ tokens, config: { mode: 'delegated', fromAddress: '' }, state: { connection: { state: 'disconnected', account: '', connectedAt: '' } } });
      const { json, text } = await app!.test({ to: recipient });
      checkReport(json, text, 'token');
      assert.equal(step(json, 'token').error!.code, 'NOT_CONNECTED');
      assert.equal(tokens.requests, 0);
    });
  });
});
