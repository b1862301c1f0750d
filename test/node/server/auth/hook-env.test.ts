/**
 * The Entra check as an authorisation hook (which requests it judges, which it leaves to the fallback)
 * and its settings from the environment.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createEntraAuthenticator,
  EntraConfigError,
  entraAuthorizeHook,
  entraOptionsFromEnv,
  EntraUnavailableError,
  type EntraAdminIdentity,
  type EntraDenial,
} from '../../../../src/server/auth/index.js';
import type { AuthorizeHook, AuthorizeResult } from '../../../../src/server/http/security.js';
import { ADMIN_OID, startFakeTenant, type FakeTenant } from './tenant.js';

const AUDIENCE = 'api://2c4d6e8f-1a3b-4c5d-8e7f-9a0b1c2d3e4f';

describe('entraAuthorizeHook', { timeout: 30_000 }, () => {
  let tenant: FakeTenant;
  before(async () => {
    tenant = await startFakeTenant({ audience: AUDIENCE });
  });
  after(async () => {
    await tenant?.close();
  });

  const request = (authorization?: string) => new Request('http://127.0.0.1/api/mail/config', { headers: authorization ? { authorization } : {} });
  const recordingFallback = () => {
    const seen: Array<string | null> = [];
    const hook: AuthorizeHook = (req) => {
      seen.push(req.headers.get('authorization'));
      return { id: 'loopback' };
    };
    return { seen, hook };
  };
  const make = () => createEntraAuthenticator({ tenantId: tenant.tenantId, authority: tenant.origin, audience: AUDIENCE });

  it('names the admin by object id, as a bearer identity (no anti-forgery header needed)', async () => {
    const identity = (await entraAuthorizeHook(make())(request(`Bearer ${await tenant.token()}`), {})) as EntraAdminIdentity;
    assert.equal(identity.id, ADMIN_OID);
    assert.equal(identity.bearer, true);
    assert.equal(identity.name, 'Adele Vance');
    assert.equal(identity.tenantId, tenant.tenantId);
  });

  it('denies with the status and the RFC 6750 challenge', async () => {
    const hook = entraAuthorizeHook(make());
    const noRole = (await hook(request(`Bearer ${await tenant.token({ roles: undefined })}`), {})) as EntraDenial;
    assert.equal(noRole.deny, 403);
    assert.match(noRole.wwwAuthenticate ?? '', /insufficient_scope/);
    const none = (await hook(request(), {})) as EntraDenial;
    assert.equal(none.deny, 401, 'without a fallback, no token is no admission');
    const audience = (await hook(request(`Bearer ${await tenant.token({ aud: 'api://other' })}`), {})) as EntraDenial;
    assert.equal(audience.deny, 401);
    assert.equal(audience.code, 'wrong_audience');
  });

  it('leaves requests without a JWT bearer to the fallback, and never a failed JWT', async () => {
    const { seen, hook: fallback } = recordingFallback();
    const hook = entraAuthorizeHook(make(), { fallback });
    assert.deepEqual(await hook(request(), {}), { id: 'loopback' });
    assert.deepEqual(await hook(request('Bearer opaque-admin-token'), {}), { id: 'loopback' });
    assert.deepEqual(seen, [null, 'Bearer opaque-admin-token']);
    const bad: AuthorizeResult = await hook(request(`Bearer ${await tenant.token({ aud: 'api://other' })}`), {});
    assert.deepEqual(bad && 'deny' in bad ? bad.deny : bad, 401, 'a presented token that fails is not admitted by the fallback');
    assert.equal(seen.length, 2);
  });

  it('throws when the keys cannot be fetched (the token was not judged)', async () => {
    const flaky = await startFakeTenant({ audience: AUDIENCE });
    try {
      flaky.failJwks(502);
      const hook = entraAuthorizeHook(createEntraAuthenticator({ tenantId: flaky.tenantId, authority: flaky.origin, audience: AUDIENCE }));
      await assert.rejects(async () => hook(request(`Bearer ${await flaky.token()}`), {}), EntraUnavailableError);
    } finally {
      await flaky.close();
    }
  });
});

describe('entraOptionsFromEnv', () => {
  it('is null when not configured', () => {
    assert.equal(entraOptionsFromEnv({}), null);
    assert.equal(entraOptionsFromEnv({ GRAPH_MAIL_ENTRA_TENANT: '  ', GRAPH_MAIL_ENTRA_AUDIENCE: '' }), null);
  });

  it('reads the tenant, audiences, authority, role and groups, with defaults', () => {
    assert.deepEqual(entraOptionsFromEnv({ GRAPH_MAIL_ENTRA_TENANT: 'contoso.onmicrosoft.com', GRAPH_MAIL_ENTRA_AUDIENCE: 'api://x' }), {
      tenantId: 'contoso.onmicrosoft.com',
      audience: ['api://x'],
      authority: 'https://login.microsoftonline.com',
      requiredRole: 'Mail.Admin',
    });
    assert.deepEqual(
      entraOptionsFromEnv({
        GRAPH_MAIL_ENTRA_TENANT: 'cf438cdd-8b68-4ca3-a609-b82f9b4e3164',
        GRAPH_MAIL_ENTRA_AUDIENCE: 'api://debcc735, debcc735-0589-4dd5-b17c-54877809e421',
        GRAPH_MAIL_ENTRA_AUTHORITY: 'http://127.0.0.1:8788',
        GRAPH_MAIL_ENTRA_ROLE: 'Mail.Operator',
        GRAPH_MAIL_ENTRA_GROUPS: 'a1b2, ,c3d4',
        GRAPH_MAIL_ENTRA_ISSUER: 'https://sts.windows.net/cf438cdd-8b68-4ca3-a609-b82f9b4e3164/',
      }),
      {
        tenantId: 'cf438cdd-8b68-4ca3-a609-b82f9b4e3164',
        audience: ['api://debcc735', 'debcc735-0589-4dd5-b17c-54877809e421'],
        authority: 'http://127.0.0.1:8788',
        requiredRole: 'Mail.Operator',
        allowedGroups: ['a1b2', 'c3d4'],
        issuer: ['https://sts.windows.net/cf438cdd-8b68-4ca3-a609-b82f9b4e3164/'],
      },
    );
  });

  it('refuses half a configuration rather than quietly leaving the API on other rules', () => {
    assert.throws(() => entraOptionsFromEnv({ GRAPH_MAIL_ENTRA_TENANT: 'contoso.com' }), EntraConfigError);
    assert.throws(() => entraOptionsFromEnv({ GRAPH_MAIL_ENTRA_AUDIENCE: 'api://x' }), EntraConfigError);
  });
});
