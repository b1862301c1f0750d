/**
 * The Entra ID token check against a tenant served over real HTTP: discovery, the JWKS and its roll,
 * and every reason a token is refused.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { createEntraAuthenticator, EntraConfigError, type EntraAuthOptions, type EntraAuthResult } from '../../../../src/server/auth/index.js';
import { ADMIN_OID, makeKey, startFakeTenant, type FakeTenant } from './tenant.js';

const AUDIENCE = 'api://0b5e3a52-7d3c-4a8e-9f0e-2f1f6a3c9d11';
const CLIENT_ID = '0b5e3a52-7d3c-4a8e-9f0e-2f1f6a3c9d11';
const bearer = (token: string) => `Bearer ${token}`;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function refused(result: EntraAuthResult): Extract<EntraAuthResult, { ok: false }> {
  assert.equal(result.ok, false, `expected a refusal, got ${JSON.stringify(result)}`);
  return result as Extract<EntraAuthResult, { ok: false }>;
}

describe('createEntraAuthenticator', { timeout: 30_000 }, () => {
  let tenant: FakeTenant;
  let other: FakeTenant;
  const logs: Array<{ message: string; fields?: Record<string, unknown> }> = [];
  const make = (extra: Partial<EntraAuthOptions> = {}) =>
    createEntraAuthenticator({
      tenantId: tenant.tenantId,
      authority: tenant.origin,
      audience: [AUDIENCE, CLIENT_ID],
      logger: { warn: (message, fields) => logs.push({ message, fields }) },
      ...extra,
    });

  before(async () => {
    tenant = await startFakeTenant({ audience: AUDIENCE });
    other = await startFakeTenant({ audience: AUDIENCE });
  });
  after(async () => {
    await tenant?.close();
    await other?.close();
  });

  it('admits an admin with the Mail.Admin role, discovering the issuer and keys once', async () => {
    const auth = make();
    const before = { ...tenant.hits };
    const result = await auth.authenticate(bearer(await tenant.token()));
    assert.deepEqual(result, { ok: true, admin: { id: ADMIN_OID, name: 'Adele Vance', tenantId: tenant.tenantId, via: 'role' } });
    // The v2 audience (the client id) is accepted as well as the app id URI.
    assert.equal((await auth.authenticate(bearer(await tenant.token({ aud: CLIENT_ID })))).ok, true);
    assert.equal(tenant.hits.discovery - before.discovery, 1);
    assert.equal(tenant.hits.jwks - before.jwks, 1, 'the keys are cached');
  });

  it('answers 403 insufficient_scope to a valid token without the role', async () => {
    const result = refused(await make().authenticate(bearer(await tenant.token({ roles: undefined }))));
    assert.equal(result.status, 403);
    assert.equal(result.problem.code, 'not_admin');
    assert.match(result.wwwAuthenticate ?? '', /^Bearer error="insufficient_scope"/);
    assert.match(result.problem.hint ?? '', /Mail\.Admin/);
    const otherRole = refused(await make().authenticate(bearer(await tenant.token({ roles: ['Mail.Reader'] }))));
    assert.equal(otherRole.status, 403);
  });

  it('honours another role name', async () => {
    const auth = make({ requiredRole: 'Mail.Operator' });
    assert.equal((await auth.authenticate(bearer(await tenant.token({ roles: ['Mail.Operator'] })))).ok, true);
    assert.equal(refused(await auth.authenticate(bearer(await tenant.token()))).status, 403);
  });

  it('answers 401 invalid_token to a token for another audience (another API, Microsoft Graph, an ID token)', async () => {
    const auth = make();
    const api = refused(await auth.authenticate(bearer(await tenant.token({ aud: 'api://someone-else' }))));
    assert.equal(api.status, 401);
    assert.equal(api.problem.code, 'wrong_audience');
    assert.match(api.wwwAuthenticate ?? '', /^Bearer error="invalid_token"/);
    const graph = refused(await auth.authenticate(bearer(await tenant.token({ aud: '00000003-0000-0000-c000-000000000000' }))));
    assert.equal(graph.status, 401);
    assert.match(graph.problem.hint ?? '', /Microsoft Graph token/);
    const idToken = refused(await auth.authenticate(bearer(await tenant.token({ aud: randomUUID(), scp: undefined }))));
    assert.equal(idToken.status, 401);
  });

  it('answers 401 to another issuer, another tenant and a token signed by another tenant', async () => {
    const auth = make();
    const issuer = refused(await auth.authenticate(bearer(await tenant.token({ iss: other.issuer }))));
    assert.equal(issuer.status, 401);
    assert.equal(issuer.problem.code, 'wrong_issuer');
    const v1 = refused(await auth.authenticate(bearer(await tenant.token({ iss: `https://sts.windows.net/${tenant.tenantId}/` }))));
    assert.equal(v1.status, 401);
    assert.match(v1.problem.hint ?? '', /requestedAccessTokenVersion/);
    const tid = refused(await auth.authenticate(bearer(await tenant.token({ tid: other.tenantId }))));
    assert.equal(tid.status, 401);
    assert.equal(tid.problem.code, 'wrong_issuer');
    // The other tenant's own, complete token: its key is not in this tenant's JWKS.
    const foreign = refused(await auth.authenticate(bearer(await other.token())));
    assert.equal(foreign.status, 401);
  });

  it('accepts a v1 issuer only when configured', async () => {
    const v1 = `https://sts.windows.net/${tenant.tenantId}/`;
    const auth = make({ issuer: [tenant.issuer, v1] });
    assert.equal((await auth.authenticate(bearer(await tenant.token({ iss: v1, aud: AUDIENCE })))).ok, true);
  });

  it('answers 401 to a token signed by another key, under a published or an unknown kid', async () => {
    const auth = make();
    const stranger = await makeKey();
    const sameKid = refused(await auth.authenticate(bearer(await tenant.token({}, { key: stranger, kid: tenant.keys[0].kid }))));
    assert.equal(sameKid.status, 401);
    assert.equal(sameKid.problem.code, 'bad_signature');
    const unknownKid = refused(await auth.authenticate(bearer(await tenant.token({}, { key: stranger }))));
    assert.equal(unknownKid.status, 401);
    assert.equal(unknownKid.problem.code, 'unknown_key');
  });

  it('tolerates the clock skew on exp and nbf, and no more', async () => {
    const auth = make({ clockSkewS: 60 });
    const now = Math.floor(Date.now() / 1000);
    assert.equal((await auth.authenticate(bearer(await tenant.token({ iat: now - 3600, nbf: now - 3600, exp: now - 30 })))).ok, true);
    const expired = refused(await auth.authenticate(bearer(await tenant.token({ iat: now - 3600, nbf: now - 3600, exp: now - 120 }))));
    assert.equal(expired.status, 401);
    assert.equal(expired.problem.code, 'token_expired');
    assert.equal((await auth.authenticate(bearer(await tenant.token({ nbf: now + 30 })))).ok, true);
    const early = refused(await auth.authenticate(bearer(await tenant.token({ nbf: now + 600 }))));
    assert.equal(early.status, 401);
    assert.equal(early.problem.code, 'token_not_yet_valid');
    const noExp = refused(await auth.authenticate(bearer(await tenant.token({ exp: undefined }))));
    assert.equal(noExp.status, 401);
  });

  it('fetches the JWKS once more for an unknown kid (a key roll), then admits tokens of the new key', async () => {
    const rolling = await startFakeTenant({ audience: AUDIENCE });
    try {
      const auth = createEntraAuthenticator({ tenantId: rolling.tenantId, authority: rolling.origin, audience: AUDIENCE, jwksCooldownMs: 0 });
      assert.equal((await auth.authenticate(bearer(await rolling.token()))).ok, true);
      assert.equal(rolling.hits.jwks, 1);
      await rolling.roll({ retire: true });
      assert.equal((await auth.authenticate(bearer(await rolling.token()))).ok, true, 'the new key is found after one refresh');
      assert.equal(rolling.hits.jwks, 2);
      assert.equal((await auth.authenticate(bearer(await rolling.token()))).ok, true);
      assert.equal(rolling.hits.jwks, 2, 'and kept');
      assert.equal(rolling.hits.discovery, 1);
    } finally {
      await rolling.close();
    }
  });

  it('does not let unknown kids make it fetch the JWKS again within the cooldown', async () => {
    const flooded = await startFakeTenant({ audience: AUDIENCE });
    try {
      const auth = createEntraAuthenticator({ tenantId: flooded.tenantId, authority: flooded.origin, audience: AUDIENCE });
      assert.equal((await auth.authenticate(bearer(await flooded.token()))).ok, true);
      for (let index = 0; index < 5; index += 1) {
        const result = refused(await auth.authenticate(bearer(await flooded.token({}, { kid: randomUUID() }))));
        assert.equal(result.status, 401);
      }
      assert.equal(flooded.hits.jwks, 1);
    } finally {
      await flooded.close();
    }
  });

  it('refuses alg none and HS256 (even keyed with the published modulus) without fetching keys', async () => {
    const fresh = await startFakeTenant({ audience: AUDIENCE });
    try {
      const auth = createEntraAuthenticator({ tenantId: fresh.tenantId, authority: fresh.origin, audience: AUDIENCE });
      const now = Math.floor(Date.now() / 1000);
      const claims = { aud: AUDIENCE, iss: fresh.issuer, tid: fresh.tenantId, oid: ADMIN_OID, scp: 'access_as_admin', roles: ['Mail.Admin'], nbf: now, exp: now + 600 };
      const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
      const noneResult = refused(await auth.authenticate(bearer(none)));
      assert.equal(noneResult.status, 401);
      assert.match(noneResult.problem.detail ?? '', /RS256/);
      const secret = new TextEncoder().encode(String(fresh.keys[0].publicJwk.n));
      const hs256 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: fresh.keys[0].kid }).sign(secret);
      assert.equal(refused(await auth.authenticate(bearer(hs256))).status, 401);
      // RS256 in the header but no signature at all.
      const unsigned = `${b64({ alg: 'RS256', kid: fresh.keys[0].kid })}.${b64(claims)}.`;
      assert.equal(refused(await auth.authenticate(bearer(unsigned))).status, 401);
      assert.equal(fresh.hits.jwks, 1, 'only the unsigned RS256 token needed the keys');
    } finally {
      await fresh.close();
    }
  });

  it('answers a missing or malformed Authorization header with 401', async () => {
    const auth = make();
    const missing = refused(await auth.authenticate(undefined));
    assert.equal(missing.status, 401);
    assert.equal(missing.wwwAuthenticate, 'Bearer', 'no error code when no credentials were sent (RFC 6750 3.1)');
    assert.equal(refused(await auth.authenticate('')).status, 401);
    const token = await tenant.token();
    for (const header of ['Basic YWRtaW46YWRtaW4=', 'Bearer', 'Bearer ', `Token ${token}`, 'Bearer a.b', 'Bearer not-a-jwt', `Bearer ${token} extra`, 'Bearer e30.e30.', `Bearer ${'a'.repeat(40_000)}.b.c`, 'Bearer %%%.abc.def']) {
      const result = refused(await auth.authenticate(header));
      assert.equal(result.status, 401, header.slice(0, 40));
      assert.match(result.wwwAuthenticate ?? '', /^Bearer error="invalid_token"/, header.slice(0, 40));
    }
    // The scheme is case-insensitive.
    assert.equal((await auth.authenticate(`bearer ${token}`)).ok, true);
  });

  it('refuses a token without oid or tid', async () => {
    const auth = make();
    assert.equal(refused(await auth.authenticate(bearer(await tenant.token({ oid: undefined })))).status, 401);
    assert.equal(refused(await auth.authenticate(bearer(await tenant.token({ tid: undefined })))).status, 401);
  });

  it('admits members of a configured group, and says so when the groups overflowed', async () => {
    const group = randomUUID();
    const auth = make({ allowedGroups: [group.toUpperCase()] });
    const member = await auth.authenticate(bearer(await tenant.token({ roles: undefined, groups: [randomUUID(), group] })));
    assert.equal(member.ok, true);
    assert.equal(member.ok && member.admin.via, 'group');
    const nonMember = refused(await auth.authenticate(bearer(await tenant.token({ roles: undefined, groups: [randomUUID()] }))));
    assert.equal(nonMember.status, 403);
    const overage = refused(
      await auth.authenticate(bearer(await tenant.token({ roles: undefined, _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph.microsoft.com/v1.0/users/x/getMemberObjects' } } }))),
    );
    assert.equal(overage.status, 403);
    assert.equal(overage.problem.code, 'group_overage');
    // Groups only: the role no longer admits.
    const groupsOnly = make({ requiredRole: null, allowedGroups: [group] });
    assert.equal(refused(await groupsOnly.authenticate(bearer(await tenant.token()))).status, 403);
    assert.equal((await groupsOnly.authenticate(bearer(await tenant.token({ roles: undefined, groups: [group] })))).ok, true);
  });

  it('refuses app-only tokens unless allowed', async () => {
    const appToken = await tenant.token({ scp: undefined, name: undefined, preferred_username: undefined, idtyp: 'app' });
    const result = refused(await make().authenticate(bearer(appToken)));
    assert.equal(result.status, 403);
    assert.equal(result.problem.code, 'app_token');
    const allowed = await make({ allowAppTokens: true }).authenticate(bearer(appToken));
    assert.deepEqual(allowed, { ok: true, admin: { id: ADMIN_OID, name: ADMIN_OID, tenantId: tenant.tenantId, via: 'role', app: true } });
  });

  it('answers 503 while the keys cannot be fetched, and recovers', async () => {
    const flaky = await startFakeTenant({ audience: AUDIENCE });
    try {
      const auth = createEntraAuthenticator({ tenantId: flaky.tenantId, authority: flaky.origin, audience: AUDIENCE });
      flaky.failJwks(500);
      const down = refused(await auth.authenticate(bearer(await flaky.token())));
      assert.equal(down.status, 503);
      assert.equal(down.problem.code, 'keys_unavailable');
      flaky.failJwks(0);
      assert.equal((await auth.authenticate(bearer(await flaky.token()))).ok, true);
    } finally {
      await flaky.close();
    }
    // A tenant the platform does not know: discovery fails (400), and is tried again next time.
    const asked: string[] = [];
    const unknown = createEntraAuthenticator({
      tenantId: randomUUID(),
      authority: tenant.origin,
      audience: AUDIENCE,
      fetch: (input, init) => {
        asked.push(String(input));
        return fetch(input, init);
      },
    });
    assert.equal(refused(await unknown.authenticate(bearer(await tenant.token()))).status, 503);
    assert.equal(refused(await unknown.authenticate(bearer(await tenant.token()))).status, 503);
    assert.equal(asked.length, 2);
    assert.ok(asked.every((url) => url.endsWith('/v2.0/.well-known/openid-configuration')));
  });

  it('works with a given issuer and JWKS URI, without discovery', async () => {
    const direct = await startFakeTenant({ audience: AUDIENCE });
    try {
      const auth = createEntraAuthenticator({ issuer: direct.issuer, jwksUri: `${direct.origin}/${direct.tenantId}/discovery/v2.0/keys`, audience: AUDIENCE });
      assert.equal((await auth.authenticate(bearer(await direct.token()))).ok, true);
      assert.equal(direct.hits.discovery, 0);
      assert.equal(refused(await auth.authenticate(bearer(await direct.token({ tid: randomUUID() })))).status, 401, 'tid follows the issuer\'s tenant');
    } finally {
      await direct.close();
    }
  });

  it('uses the fetch it is given for discovery and keys', async () => {
    const urls: string[] = [];
    const auth = make({
      fetch: (input, init) => {
        urls.push(String(input));
        return fetch(input, init);
      },
    });
    assert.equal((await auth.authenticate(bearer(await tenant.token()))).ok, true);
    assert.deepEqual(urls, [`${tenant.origin}/${tenant.tenantId}/v2.0/.well-known/openid-configuration`, `${tenant.origin}/${tenant.tenantId}/discovery/v2.0/keys`]);
  });

  it('never logs the token', async () => {
    logs.length = 0;
    const auth = make();
    const tokens = [await tenant.token({ roles: undefined }), await tenant.token({ aud: 'api://x' }), await tenant.token({}, { key: await makeKey() })];
    for (const token of tokens) await auth.authenticate(bearer(token));
    assert.equal(logs.length, 3);
    const text = JSON.stringify(logs);
    for (const token of tokens) {
      for (const part of token.split('.')) assert.ok(!text.includes(part), 'no part of the token is logged');
    }
  });

  it('refuses settings that would admit the wrong people, or no one', () => {
    const base = { audience: AUDIENCE, authority: 'https://login.microsoftonline.com' };
    for (const tenantId of ['common', 'organizations', 'Consumers']) {
      assert.throws(() => createEntraAuthenticator({ ...base, tenantId }), EntraConfigError);
    }
    assert.throws(() => createEntraAuthenticator({ ...base, tenantId: 'not a tenant' }), EntraConfigError);
    assert.throws(() => createEntraAuthenticator({ ...base }), EntraConfigError, 'no tenant');
    assert.throws(() => createEntraAuthenticator({ ...base, tenantId: 'contoso.com', audience: [] }), EntraConfigError);
    assert.throws(() => createEntraAuthenticator({ ...base, tenantId: 'contoso.com', requiredRole: null }), EntraConfigError);
    assert.throws(() => createEntraAuthenticator({ ...base, tenantId: 'contoso.com', authority: 'http://login.example.com' }), EntraConfigError);
    assert.throws(() => createEntraAuthenticator({ ...base, issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0', jwksUri: 'https://login.microsoftonline.com/common/discovery/v2.0/keys' }), EntraConfigError);
    assert.doesNotThrow(() => createEntraAuthenticator({ ...base, tenantId: 'contoso.onmicrosoft.com' }));
  });
});
