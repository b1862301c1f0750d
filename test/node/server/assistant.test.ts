// The assistant's "restrict the app to its sender mailbox": the PowerShell it writes (pure), and the
// route that writes it from the saved configuration, over a real socket and SQLite.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestrictAppInputError, cloudOfDiscovery, psQuote, restrictAppScript } from '../../../src/server/assistant/index.js';
import { appConfig, startTestServer, type TestServer } from './helpers/server.js';
import { startSandbox, type SandboxProcess } from '../helpers/mail-sandbox.js';

const CLIENT_ID = '1f9cc666-14df-40c7-a87e-393e20dcc061';

describe('restrictAppScript', () => {
  it('scopes the app roles to exactly the sender mailbox and checks the result', () => {
    const { script, roles, warnings } = restrictAppScript({ clientId: CLIENT_ID, mailbox: 'payroll@contoso.com', appName: 'Timesheets', useDrafts: true });
    assert.deepEqual(roles, ['Application Mail.Send', 'Application Mail.ReadWrite']);
    assert.match(script, /New-ServicePrincipal -AppId \$appId -ObjectId \$objectId/);
    assert.match(script, new RegExp(`\\$appId = '${CLIENT_ID}'`));
    assert.match(script, /New-ManagementScope -Name 'Timesheets - payroll@contoso.com' -RecipientRestrictionFilter "PrimarySmtpAddress -eq 'payroll@contoso.com'"/);
    assert.equal(script.match(/New-ManagementRoleAssignment -App \$appId -Role '[^']+' -CustomResourceScope 'Timesheets - payroll@contoso.com'/g)?.length, 2);
    assert.match(script, /Test-ServicePrincipalAuthorization -Identity \$appId -Resource 'payroll@contoso.com'/);
    assert.ok(warnings.some((w) => /tenant-wide/.test(w) && /Mail\.Send and Mail\.ReadWrite/.test(w)));
    assert.ok(warnings.some((w) => /30 minutes to 2 hours/.test(w)));
  });

  it('scopes Mail.Send alone when no drafts are used', () => {
    const { script, roles } = restrictAppScript({ clientId: CLIENT_ID, mailbox: 'a@contoso.com', useDrafts: false });
    assert.deepEqual(roles, ['Application Mail.Send']);
    assert.doesNotMatch(script, /Mail\.ReadWrite/);
  });

  it('quotes what it embeds, so an odd name cannot break out of a string', () => {
    assert.equal(psQuote("O'Brien"), "'O''Brien'");
    const { script } = restrictAppScript({ clientId: CLIENT_ID, mailbox: "o'brien@contoso.com", appName: "x'; Remove-Mailbox -Identity *; '", useDrafts: false });
    assert.doesNotMatch(script, /Remove-Mailbox -Identity \*;/);
    assert.match(script, /PrimarySmtpAddress -eq 'o''brien@contoso.com'/);
  });

  it('refuses what it cannot name, saying which setting to save', () => {
    assert.throws(() => restrictAppScript({ clientId: 'not-a-guid', mailbox: 'a@contoso.com', useDrafts: false }), (error: unknown) => error instanceof RestrictAppInputError && error.path === 'clientId');
    assert.throws(() => restrictAppScript({ clientId: CLIENT_ID, mailbox: 'a@b', useDrafts: false }), (error: unknown) => error instanceof RestrictAppInputError && error.path === 'fromAddress');
    assert.throws(() => restrictAppScript({ clientId: CLIENT_ID, mailbox: 'a$(x)@contoso.com', useDrafts: false }), RestrictAppInputError);
  });
});

describe('GET /assistant/restrict-app', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  it('answers 409 while the method is not application mode', async () => {
    const reply = await server.call('GET', '/assistant/restrict-app');
    assert.equal(reply.status, 409);
    assert.match(reply.headers.get('content-type') ?? '', /problem\+json/);
  });

  it('writes the script from the saved configuration', async () => {
    const saved = await server.call('PUT', '/config', { body: appConfig({ fromAddress: 'payroll@contoso.com' }) });
    assert.equal(saved.status, 200, saved.text);
    const reply = await server.call<{ script: string; warnings: string[]; mailbox: string }>('GET', '/assistant/restrict-app');
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json.mailbox, 'payroll@contoso.com');
    assert.match(reply.json.script, /PrimarySmtpAddress -eq 'payroll@contoso.com'/);
    assert.ok(reply.json.warnings.length >= 2);
    assert.equal(reply.headers.get('cache-control'), 'no-store');
  });
});

describe('GET /assistant/support-bundle', () => {
  let server: TestServer;
  let sandbox: SandboxProcess;
  before(async () => {
    sandbox = await startSandbox();
    server = await startTestServer({ sandboxOrigins: [sandbox.origin] });
  });
  after(async () => {
    await server?.close();
    await sandbox?.stop();
  });

  it('holds the configuration, the last test with its ids and versions, and no secret', async () => {
    const app = sandbox.seed.apps[0];
    const secret = 'Wrong~CanarySecret-7f3a0123456789abcdefXYZ';
    const saved = await server.call('PUT', '/config', {
      body: appConfig({ cloud: 'sandbox', tenantId: app.tenantId, clientId: app.clientId, clientSecret: secret, fromAddress: 'adele.vance@contoso.onmicrosoft.com' }),
    });
    assert.equal(saved.status, 200, saved.text);
    const test = await server.call<{ ok: boolean }>('POST', '/test', { body: { to: 'alex.wilber@contoso.onmicrosoft.com' } });
    assert.equal(test.status, 200, test.text);
    assert.equal(test.json.ok, false);

    const reply = await server.call<Record<string, any>>('GET', '/assistant/support-bundle');
    assert.equal(reply.status, 200, reply.text);
    assert.match(reply.headers.get('content-disposition') ?? '', /attachment; filename="graph-mail-support-\d{4}-\d{2}-\d{2}\.json"/);
    const bundle = reply.json;
    assert.equal(bundle.config.tenantId, app.tenantId);
    assert.equal(bundle.config.fromAddress, 'a…@contoso.onmicrosoft.com');
    assert.equal(bundle.config.secret.set, true);
    assert.equal('hint' in bundle.config.secret, false);
    const token = bundle.lastTest.report.steps.find((step: { id: string }) => step.id === 'token');
    assert.equal(token.status, 'failed');
    assert.ok(token.error.correlationId, 'the correlation id support asks for');
    assert.equal(bundle.versions['graph-mail-elements'], '0.1.0');
    assert.equal(reply.text.includes(secret), false, 'the secret is in the bundle');
    assert.equal(reply.text.includes(secret.slice(-6)), false, 'a piece of the secret is in the bundle');
  });
});

describe('GET /assistant/tenant', () => {
  let server: TestServer;
  let sandbox: SandboxProcess;
  before(async () => {
    sandbox = await startSandbox();
    // Microsoft's clouds are asked too; where they cannot be reached, they answer 'unreachable' quickly.
    server = await startTestServer({ sandboxOrigins: [sandbox.origin], tenantLookupTimeoutMs: 2000 });
  });
  after(async () => {
    await server?.close();
    await sandbox?.stop();
  });

  it('finds the cloud a tenant lives in, by GUID or by domain, before any token request', async () => {
    const tenant = sandbox.seed.tenants[0];
    for (const value of [tenant.id, tenant.domain]) {
      const reply = await server.call<{ found: boolean; cloud: string; tenantId: string; checked: Array<{ cloud: string; outcome: string }> }>('GET', `/assistant/tenant?tenant=${encodeURIComponent(value)}`);
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.json.found, true, value);
      assert.equal(reply.json.cloud, 'sandbox');
      assert.equal(reply.json.tenantId, tenant.id);
      assert.deepEqual(reply.json.checked.map((c) => c.cloud).sort(), ['china', 'global', 'sandbox', 'usgov', 'usgov-dod']);
    }
    const tokenRequests = (await sandbox.control.requests()).filter((r) => r.path.endsWith('/oauth2/v2.0/token'));
    assert.equal(tokenRequests.length, 0);
  });

  it('says so when no cloud knows the tenant, and refuses what is no tenant at all', async () => {
    const reply = await server.call<{ found: boolean; checked: Array<{ cloud: string; outcome: string }> }>('GET', '/assistant/tenant?tenant=0b0b0b0b-1111-4222-8333-444444444444');
    assert.equal(reply.status, 200);
    assert.equal(reply.json.found, false);
    assert.equal(reply.json.checked.find((c) => c.cloud === 'sandbox')?.outcome, 'not-found');
    const bad = await server.call('GET', '/assistant/tenant?tenant=not%20a%20tenant');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /tenantId/);
  });
});

describe('GET /assistant/tenant with a second cloud', () => {
  // A second sandbox stands in for US Government (its discovery names that cloud) and holds a tenant
  // the first does not: the lookup must place it there, before any token request.
  const northwind = { id: '8a6f2c1e-4b3d-4e5f-9a7b-0c1d2e3f4a5b', domain: 'northwind.us', displayName: 'Northwind (US Government)' };
  let dir: string;
  let server: TestServer;
  let sandbox: SandboxProcess;
  let usgov: SandboxProcess;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gm-second-cloud-'));
    const seedFile = join(dir, 'usgov-seed.json');
    writeFileSync(seedFile, JSON.stringify({ tenants: [northwind], apps: [], users: [] }));
    [sandbox, usgov] = await Promise.all([startSandbox(), startSandbox({ SANDBOX_SEED: seedFile, SANDBOX_NATIONAL_CLOUD: 'usgov' })]);
    server = await startTestServer({
      sandboxOrigins: [sandbox.origin],
      tenantLookupTimeoutMs: 2000,
      // The US Government clouds' login host is the second sandbox; the others stay Microsoft's.
      tenantLookupOrigins: { usgov: usgov.origin, 'usgov-dod': usgov.origin },
    });
  });
  after(async () => {
    await server?.close();
    await Promise.all([sandbox?.stop(), usgov?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds a tenant in the other cloud by domain and by GUID, telling US Government from DoD', async () => {
    for (const value of [northwind.domain, northwind.id]) {
      const reply = await server.call<{ found: boolean; cloud: string; tenantId: string; checked: Array<{ cloud: string; outcome: string }> }>('GET', `/assistant/tenant?tenant=${encodeURIComponent(value)}`);
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.json.found, true);
      assert.equal(reply.json.cloud, 'usgov');
      assert.equal(reply.json.tenantId, northwind.id);
      const outcome = Object.fromEntries(reply.json.checked.map((c) => [c.cloud, c.outcome]));
      assert.equal(outcome.usgov, 'found');
      assert.equal(outcome['usgov-dod'], 'elsewhere', 'the same login host, but its Graph host says US Government');
      assert.equal(outcome.sandbox, 'not-found');
    }
    assert.equal((await usgov.control.requests()).filter((r) => r.path.endsWith('/oauth2/v2.0/token')).length, 0);
  });

  it('still places a sandbox tenant in the sandbox', async () => {
    const reply = await server.call<{ cloud: string }>('GET', `/assistant/tenant?tenant=${sandbox.seed.tenants[0].domain}`);
    assert.equal(reply.json.cloud, 'sandbox');
  });
});

describe('cloudOfDiscovery', () => {
  it('tells the national clouds apart, DoD by its Graph host', () => {
    assert.equal(cloudOfDiscovery({ cloud_instance_name: 'microsoftonline.com', msgraph_host: 'graph.microsoft.com' }), 'global');
    assert.equal(cloudOfDiscovery({ cloud_instance_name: 'microsoftonline.us', msgraph_host: 'graph.microsoft.us' }), 'usgov');
    assert.equal(cloudOfDiscovery({ cloud_instance_name: 'microsoftonline.us', msgraph_host: 'dod-graph.microsoft.us' }), 'usgov-dod');
    assert.equal(cloudOfDiscovery({ cloud_instance_name: 'partner.microsoftonline.cn', msgraph_host: 'microsoftgraph.chinacloudapi.cn' }), 'china');
    assert.equal(cloudOfDiscovery({ cloud_instance_name: 'elsewhere.example' }), null);
  });
});
