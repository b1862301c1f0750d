/**
 * HttpAdapter's assistant calls against the reference server itself (real socket, real SQLite, the
 * sandbox as the identity platform), authorised by the access-token provider as a cross-origin host
 * would be: the tenant lookup, the app restriction and the support bundle.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigInput } from '../../../src/services/contract.js';
import { ConflictError, UnauthorizedError, ValidationProblem } from '../../../src/services/errors.js';
import { HttpAdapter } from '../../../src/services/http-adapter.js';
import { startSandbox, type SandboxProcess } from '../helpers/mail-sandbox.js';
import { appConfig, randomKey, startTestServer, type TestServer } from '../server/helpers/server.js';

describe('HttpAdapter assistant calls against the reference server', () => {
  let sandbox: SandboxProcess;
  let server: TestServer;
  let adapter: HttpAdapter;
  const adminToken = randomKey();
  const requests: Array<{ url: string; authorization: string | null }> = [];

  before(async () => {
    sandbox = await startSandbox();
    // Microsoft's own clouds are asked too; where they cannot be reached, they answer 'unreachable'.
    server = await startTestServer({ sandboxOrigins: [sandbox.origin], adminToken, tenantLookupTimeoutMs: 2000 });
    adapter = new HttpAdapter({
      baseUrl: server.running.apiUrl,
      getAccessToken: async () => adminToken,
      fetch: (input, init) => {
        requests.push({ url: String(input), authorization: new Headers(init?.headers).get('authorization') });
        return fetch(input, init);
      },
    });
  });
  after(async () => {
    await server?.close();
    await sandbox?.stop();
  });

  it('looks a tenant up by GUID and by domain, says when none knows it, and maps a bad value to a field error', async () => {
    const tenant = sandbox.seed.tenants[0];
    for (const value of [tenant.id, tenant.domain]) {
      const found = await adapter.lookupTenant(value);
      assert.deepEqual([found.found, found.cloud, found.tenantId], [true, 'sandbox', tenant.id], value);
    }
    const unknown = await adapter.lookupTenant('0b0b0b0b-1111-4222-8333-444444444444');
    assert.equal(unknown.found, false);
    assert.equal(unknown.checked.find((c) => c.cloud === 'sandbox')?.outcome, 'not-found');
    await assert.rejects(adapter.lookupTenant('not a tenant'), (error: unknown) => error instanceof ValidationProblem && error.errors[0]?.path === 'tenantId');
    const lookups = requests.filter((r) => r.url.includes('/assistant/tenant?tenant='));
    assert.ok(lookups.length >= 4 && lookups.every((r) => r.authorization === `Bearer ${adminToken}`), 'every lookup carries the bearer');
  });

  it('gets the app restriction only in application mode, for the saved sender', async () => {
    await assert.rejects(adapter.getAppRestriction(), ConflictError);
    const app = sandbox.seed.apps[0];
    await adapter.saveConfig(appConfig({ cloud: 'sandbox', tenantId: app.tenantId, clientId: app.clientId, fromAddress: 'payroll@contoso.com' }) as unknown as ConfigInput);
    const result = await adapter.getAppRestriction();
    assert.equal(result.mailbox, 'payroll@contoso.com');
    assert.equal(result.clientId, app.clientId);
    assert.match(result.script, /PrimarySmtpAddress -eq 'payroll@contoso.com'/);
    assert.ok(result.warnings.some((w) => /tenant-wide/.test(w)));
  });

  it('downloads the support bundle as a JSON Blob with the bearer, and nothing without it', async () => {
    const blob = await adapter.downloadSupportBundle();
    assert.match(blob.type, /^application\/json/);
    const bundle = JSON.parse(await blob.text()) as { kind: string; config: { mode: string; secret: Record<string, unknown> } };
    assert.equal(bundle.kind, 'graph-mail-support-bundle');
    assert.equal(bundle.config.mode, 'application');
    assert.equal('hint' in bundle.config.secret, false);
    assert.equal((await blob.text()).includes('CanaryValue'), false, 'the secret is in the bundle');
    const anonymous = new HttpAdapter({ baseUrl: server.running.apiUrl, getAccessToken: async () => 'not-the-admin-token' });
    await assert.rejects(anonymous.downloadSupportBundle(), (error: unknown) => error instanceof UnauthorizedError && error.status === 401);
  });
});
