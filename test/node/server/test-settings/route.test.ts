/**
 * `POST /test` on a real socket without an identity platform to reach: request validation, the
 * per-admin rate limit, the config step's failures and expiry checks, and a login host that refuses
 * connections (a network failure at `tenant`, explained, the rest skipped).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { TEST_STEP_IDS, type TestReport } from '../../../../src/services/contract.js';
import { configState, SandboxTokenSource, sandboxConfig, startTestApp, type TestApp } from './helpers.js';
import type { SandboxProcess } from '../../helpers/mail-sandbox.js';
import type { MailConfig } from '../../../../src/server/mail/types.js';

/** A port nothing listens on (taken and released), so connections to it are refused. */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const DAY = 86_400_000;
const SECRET = 'Qx8Q~CanaryValueThatMustNeverShow12345';

describe('POST /test without a reachable cloud', { timeout: 60_000 }, () => {
  let app: TestApp;
  let origin: string;
  let base: MailConfig;
  let now = Date.parse('2030-01-15T12:00:00Z');

  before(async () => {
    origin = `http://127.0.0.1:${await closedPort()}`;
    // The seed shape only matters for the configuration's ids here.
    const fake = { origin, seed: { apps: [{ tenantId: 'cf438cdd-8b68-4ca3-a609-b82f9b4e3164', clientId: '1f9cc666-14df-40c7-a87e-393e20dcc061' }], users: [{ userPrincipalName: 'adele.vance@contoso.onmicrosoft.com' }] } } as unknown as SandboxProcess;
    const tokens = new SandboxTokenSource({ tokenUrl: `${origin}/x/oauth2/v2.0/token`, clientId: 'c', secret: SECRET, scope: `${origin}/.default` });
    base = sandboxConfig(fake);
    app = await startTestApp({
      sandboxOrigin: origin,
      state: configState(base),
      tokens,
      settings: { testPerMinute: 3, maxAttachmentBytes: 4 * 1024 * 1024, requestTimeoutMs: 5_000 },
      now: () => now,
    });
  });
  after(async () => {
    await app?.close();
  });

  const assertShape = (report: TestReport) => {
    assert.deepEqual(
      report.steps.map((step) => step.id),
      [...TEST_STEP_IDS],
    );
    for (const step of report.steps) {
      assert.equal(typeof step.label, 'string');
      assert.ok(step.label.length > 0);
      assert.ok(Number.isInteger(step.ms) && step.ms >= 0);
      assert.ok(['ok', 'failed', 'skipped'].includes(step.status));
    }
    const failedAt = report.steps.findIndex((step) => step.status === 'failed');
    if (failedAt >= 0) {
      assert.equal(report.ok, false);
      assert.ok(report.steps[failedAt].error, 'a failed step carries its explanation');
      assert.ok(report.steps.slice(failedAt + 1).every((step) => step.status === 'skipped' && step.ms === 0 && !step.error));
      assert.ok(report.steps.slice(0, failedAt).every((step) => step.status === 'ok'));
    }
  };

  it('answers 400 with field errors for bad requests, 415 for other media types', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'to'],
      [{ to: 'a@contoso.com, b@contoso.com' }, 'to'],
      [{ to: 'a@contoso.com\r\nBcc: x@example.com' }, 'to'],
      [{ to: 'a@contoso.com', subject: 'x\nBcc: y@example.com' }, 'subject'],
      [{ to: 'a@contoso.com', attachmentBytes: 4 * 1024 * 1024 + 1 }, 'attachmentBytes'],
      ['{not json', 'to'],
    ];
    for (const [body, path] of cases) {
      const response = await app.test(body, 'validator');
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.deepEqual(
        response.json.errors.map((error: { path: string }) => error.path),
        [path],
      );
    }
    const response = await fetch(`${app.url}/test`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"to":"a@contoso.com"}' });
    assert.equal(response.status, 415);
  });

  it('fails at config when nothing is saved, naming the missing fields, and skips the rest', async () => {
    app.state = configState(null, { missing: ['tenantId', 'clientId', 'fromAddress'], set: false });
    const { status, json, headers } = await app.test({ to: 'someone@contoso.com' }, 'config-1');
    assert.equal(status, 200);
    assert.equal(headers.get('cache-control'), 'no-store');
    assertShape(json);
    assert.equal(json.steps[0].status, 'failed');
    assert.equal(json.steps[0].error.code, 'CONFIG_INCOMPLETE');
    assert.match(json.steps[0].error.message, /Tenant ID, Application \(client\) ID, From address/);
    assert.deepEqual(json.permissions, { granted: [], required: [], missing: [] }, 'no mode, so nothing known to need');
  });

  it('fails at config without a credential', async () => {
    app.state = configState(base, { set: false });
    const { json } = await app.test({ to: 'someone@contoso.com' }, 'config-2');
    assertShape(json);
    assert.equal(json.steps[0].error.code, 'CREDENTIAL_MISSING');
    assert.match(json.steps[0].error.hint, /Value \(not the Secret ID\)/);
  });

  it('fails at config when the secret has expired, with the fix', async () => {
    app.state = configState(base, { expiresAt: new Date(now - DAY).toISOString() });
    const { json } = await app.test({ to: 'someone@contoso.com' }, 'config-3');
    assertShape(json);
    assert.equal(json.steps[0].status, 'failed');
    assert.equal(json.steps[0].error.code, 'SECRET_EXPIRED');
    assert.match(json.steps[0].error.message, /expired on 2030-01-14/);
    assert.match(json.steps[0].error.hint, /create a new client secret/i);
  });

  it('passes config with a warning when the secret expires within 30 days, then explains an unreachable login host', async () => {
    app.state = configState(base, { expiresAt: new Date(now + 12 * DAY + 3_600_000).toISOString() });
    const { json } = await app.test({ to: 'someone@contoso.com' }, 'config-4');
    assertShape(json);
    assert.equal(json.steps[0].status, 'ok');
    assert.match(json.steps[0].detail, /warning: the client secret expires in 12 days \(2030-01-27\)/);
    assert.equal(json.steps[1].status, 'failed');
    assert.equal(json.steps[1].error.code, 'ECONNREFUSED');
    assert.match(json.steps[1].error.message, /connection to the service failed/);
    assert.ok(json.permissions, 'the permissions the mode needs are listed even before a token');
    assert.deepEqual(json.permissions.required, ['Mail.Send', 'User.Read.All']);
    assert.deepEqual(json.permissions.granted, []);
  });

  it('says "within a day" for a secret that ends in hours', async () => {
    app.state = configState(base, { expiresAt: new Date(now + 3 * 3_600_000).toISOString() });
    const { json } = await app.test({ to: 'someone@contoso.com' }, 'config-hours');
    assert.equal(json.steps[0].status, 'ok');
    assert.match(json.steps[0].detail, /warning: the client secret expires within a day/);
  });

  it('says nothing of an expiry far away but its date', async () => {
    app.state = configState(base, { expiresAt: new Date(now + 90 * DAY).toISOString() });
    const { json } = await app.test({ to: 'someone@contoso.com' }, 'config-5');
    assert.equal(json.steps[0].status, 'ok');
    assert.doesNotMatch(json.steps[0].detail, /warning/);
    assert.match(json.steps[0].detail, /expires on 2030-04-15/);
  });

  it('refuses an endpoint outside the cloud\'s hosts at tenant, before any request', async () => {
    const config = base;
    app.state = configState({ ...config, endpoints: { ...config.endpoints, tokenEndpoint: 'https://evil.example/{TenantId}/oauth2/v2.0/token' } });
    const { json } = await app.test({ to: 'someone@contoso.com' }, 'config-6');
    assertShape(json);
    assert.equal(json.steps[1].error.code, 'ENDPOINT_TEMPLATE');
    assert.match(json.steps[1].error.message, /Token endpoint points at evil\.example/);
  });

  it('limits tests per admin per minute with 429 and Retry-After, and frees the slot a minute later', async () => {
    app.state = configState(null, { missing: ['tenantId'] });
    for (let i = 0; i < 3; i += 1) {
      const ok = await app.test({ to: 'someone@contoso.com' }, 'busy-admin');
      assert.equal(ok.status, 200);
      now += 1_000;
    }
    const limited = await app.test({ to: 'someone@contoso.com' }, 'busy-admin');
    assert.equal(limited.status, 429);
    assert.match(limited.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(limited.headers.get('retry-after'), '57');
    assert.equal(limited.json.status, 429);
    assert.match(limited.json.detail, /At most 3 tests a minute/);
    const other = await app.test({ to: 'someone@contoso.com' }, 'other-admin');
    assert.equal(other.status, 200, 'each admin has a limit of their own');
    now += 57_000;
    const again = await app.test({ to: 'someone@contoso.com' }, 'busy-admin');
    assert.equal(again.status, 200);
  });

  it('puts neither the secret nor any token in a report', async () => {
    app.state = configState(base);
    const { text } = await app.test({ to: 'someone@contoso.com' }, 'canary');
    assert.ok(!text.includes(SECRET));
    assert.ok(!/eyJ[A-Za-z0-9_-]{10,}\./.test(text));
  });
});

