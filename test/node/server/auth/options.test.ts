// The server's own `entra` option (GRAPH_MAIL_ENTRA_*): a JWT bearer is judged by Entra, with the
// precise challenge on a 401; a request without one still meets the default rule.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startFakeTenant, type FakeTenant } from './tenant.js';

const AUDIENCE = 'api://graph-mail-admin';

describe('createGraphMailServer({ entra })', { timeout: 30_000 }, () => {
  let tenant: FakeTenant;
  let server: TestServer;

  before(async () => {
    tenant = await startFakeTenant({ audience: AUDIENCE });
    server = await startTestServer({ entra: { tenantId: tenant.tenantId, authority: tenant.origin, audience: AUDIENCE }, adminToken: 'admin-token-for-scripts-0123456789' });
  });
  after(async () => {
    await server?.close();
    await tenant?.close();
  });

  it('admits an admin token from Entra, and refuses a broken one with an invalid_token challenge', async () => {
    const ok = await server.call('GET', '/config', { headers: { authorization: `Bearer ${await tenant.token()}` } });
    assert.equal(ok.status, 200, ok.text);
    const forged = await server.call('GET', '/config', { headers: { authorization: `Bearer ${(await tenant.token()).slice(0, -4)}AAAA` } });
    assert.equal(forged.status, 401);
    assert.match(forged.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });

  it('leaves requests without a JWT to the default rule (here: the admin token)', async () => {
    assert.equal((await server.call('GET', '/config')).status, 401);
    assert.equal((await server.call('GET', '/config', { headers: { authorization: 'Bearer admin-token-for-scripts-0123456789' } })).status, 200);
  });
});
