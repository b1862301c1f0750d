/**
 * The sandbox's identity platform over a real socket: discovery and JWKS, the authorize pages, codes,
 * PKCE, redirect URI rules, refresh rotation, client credentials and the AADSTS error shape.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SignJWT, createLocalJWKSet, importPKCS8, jwtVerify, type JSONWebKeySet } from 'jose';
import { startSandbox, type SandboxProcess } from '../helpers/mail-sandbox.js';
import { CALLBACK, aadCode, authorizeUrl, call, claimsOf, form, ids, pkce, signIn, token, type TokenAnswer } from './helpers.js';

const ADMIN_API = 'api://debcc735-0589-4dd5-b17c-54877809e421';

describe('sandbox identity platform', { timeout: 60_000 }, () => {
  let sandbox: SandboxProcess;
  before(async () => {
    sandbox = await startSandbox();
  });
  after(async () => {
    await sandbox?.stop();
  });
  beforeEach(async () => {
    await sandbox.control.reset();
  });

  const adele = () => sandbox.seed.users[0].userPrincipalName;

  /** Code exchange for the first app. */
  const redeem = (code: string, verifier?: string, extra: Record<string, string> = {}) => {
    const { clientId, secret } = ids(sandbox);
    return token(sandbox, {
      grant_type: 'authorization_code',
      client_id: clientId,
      client_secret: secret,
      code,
      redirect_uri: CALLBACK,
      ...(verifier ? { code_verifier: verifier } : {}),
      ...extra,
    });
  };

  describe('discovery', () => {
    it('publishes OpenID configuration per tenant, by GUID or domain, and a JWKS', async () => {
      const { tenantId } = ids(sandbox);
      const domain = sandbox.seed.tenants[0].domain;
      const byId = await call(`${sandbox.origin}/${tenantId}/v2.0/.well-known/openid-configuration`);
      const byDomain = await call(`${sandbox.origin}/${domain}/v2.0/.well-known/openid-configuration`);
      assert.equal(byId.status, 200);
      assert.equal(byId.json.token_endpoint, `${sandbox.origin}/${tenantId}/oauth2/v2.0/token`);
      assert.equal(byId.json.authorization_endpoint, `${sandbox.origin}/${tenantId}/oauth2/v2.0/authorize`);
      assert.equal(byDomain.json.token_endpoint, byId.json.token_endpoint, 'endpoints name the tenant by GUID');
      assert.match(String(byId.json.issuer), new RegExp(`/${tenantId}/v2\\.0$`));
      const jwks = await call<JSONWebKeySet>(String(byId.json.jwks_uri));
      assert.equal(jwks.status, 200);
      assert.equal(jwks.json.keys[0].kty, 'RSA');
      assert.ok(jwks.json.keys[0].kid);
    });

    it('answers an unknown tenant with AADSTS90002', async () => {
      const answer = await call<TokenAnswer>(`${sandbox.origin}/nobody.example/v2.0/.well-known/openid-configuration`);
      assert.equal(answer.status, 400);
      assert.equal(answer.json.error, 'invalid_tenant');
      assert.equal(aadCode(answer), 90002);
      assert.deepEqual(answer.json.error_codes, [90002]);
    });
  });

  describe('authorize', () => {
    it('signs in through a page with one button per user and a consent page, then redirects with a code and the state', async () => {
      const state = randomUUID();
      const { signInPage, consentPage, redirect, location } = await signIn(sandbox, adele(), { state, challenge: pkce().challenge });
      assert.equal(signInPage.headers.get('cross-origin-opener-policy'), 'same-origin');
      const buttons = [...signInPage.text.matchAll(/<button type="submit" name="username" value="[^"]*"[^>]*>([^<]*)<\/button>/g)].map((match) => match[1].replace(/&#39;/g, "'"));
      const tenantUsers = sandbox.seed.users.filter((user) => user.tenantId === ids(sandbox).tenantId).map((user) => user.userPrincipalName);
      assert.deepEqual(buttons, tenantUsers);
      assert.equal(consentPage.status, 200);
      assert.equal(consentPage.headers.get('cross-origin-opener-policy'), 'same-origin');
      assert.match(consentPage.text, />Accept</);
      assert.match(consentPage.text, /<li>Mail\.Send<\/li>/);
      assert.equal(redirect.status, 302);
      assert.equal(`${location.origin}${location.pathname}`, CALLBACK);
      assert.equal(location.searchParams.get('state'), state);
      assert.ok(location.searchParams.get('code'));
    });

    it('checks PKCE (S256) and uses each code once', async () => {
      const { verifier, challenge } = pkce();
      const first = await signIn(sandbox, adele(), { challenge });
      const wrong = await redeem(first.location.searchParams.get('code')!, pkce().verifier);
      assert.equal(wrong.status, 400);
      assert.equal(aadCode(wrong), 501481);

      const second = await signIn(sandbox, adele(), { challenge });
      const code = second.location.searchParams.get('code')!;
      const ok = await redeem(code, verifier);
      assert.equal(ok.status, 200, ok.text);
      const claims = claimsOf(ok.json.access_token);
      assert.equal(claims.aud, sandbox.origin);
      assert.equal(claims.upn, adele());
      assert.deepEqual(String(claims.scp).split(' ').sort(), ['Mail.ReadWrite', 'Mail.Send', 'User.Read']);
      assert.ok(ok.json.refresh_token, 'offline_access gives a refresh token');

      const again = await redeem(code, verifier);
      assert.equal(again.status, 400);
      assert.equal(again.json.error, 'invalid_grant');
      assert.equal(aadCode(again), 70008);
    });

    it('lets a code expire', async () => {
      await sandbox.control.settings({ codeLifetimeS: 0 });
      const { verifier, challenge } = pkce();
      const { location } = await signIn(sandbox, adele(), { challenge });
      const answer = await redeem(location.searchParams.get('code')!, verifier);
      assert.equal(aadCode(answer), 70008);
    });

    it('ignores the port of a registered loopback redirect URI, and nothing else', async () => {
      const loopback = 'http://127.0.0.1:45678/api/mail/connect/callback';
      const { location } = await signIn(sandbox, adele(), { redirectUri: loopback, state: 'x' });
      assert.equal(location.origin, 'http://127.0.0.1:45678');
      assert.ok(location.searchParams.get('code'));
      for (const unregistered of ['http://127.0.0.1:45678/other/callback', 'https://127.0.0.1:45678/api/mail/connect/callback', 'http://evil.example/api/mail/connect/callback']) {
        const page = await call(authorizeUrl(sandbox, { redirectUri: unregistered, state: 'x' }));
        assert.equal(page.status, 400, unregistered);
        assert.equal(page.headers.get('location'), null, 'never redirects to an unregistered URI');
        assert.match(page.text, /AADSTS50011/);
        assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      }
    });

    it('sends errors back to a registered redirect URI as parameters, with the state', async () => {
      const answer = await call(authorizeUrl(sandbox, { state: 'st-1', extra: { response_type: 'token' } }));
      assert.equal(answer.status, 302);
      const location = new URL(answer.headers.get('location')!);
      assert.equal(location.searchParams.get('error'), 'unsupported_response_type');
      assert.match(location.searchParams.get('error_description') ?? '', /^AADSTS700054: .*\r\nTrace ID: /s);
      assert.equal(location.searchParams.get('state'), 'st-1');
    });

    it('redirects at once for the control API session user, until reset', async () => {
      await sandbox.control.session(adele());
      const answer = await call(authorizeUrl(sandbox, { state: 'quick' }));
      assert.equal(answer.status, 302);
      assert.equal(new URL(answer.headers.get('location')!).searchParams.get('state'), 'quick');
      await sandbox.control.reset();
      assert.equal((await call(authorizeUrl(sandbox))).status, 200, 'the sign-in page again');
    });
  });

  describe('refresh tokens', () => {
    const refresh = (refreshToken: string) => {
      const { clientId, secret } = ids(sandbox);
      return token(sandbox, { grant_type: 'refresh_token', client_id: clientId, client_secret: secret, refresh_token: refreshToken });
    };
    const first = async () => {
      const { verifier, challenge } = pkce();
      const { location } = await signIn(sandbox, adele(), { challenge });
      return (await redeem(location.searchParams.get('code')!, verifier)).json.refresh_token!;
    };

    it('rotates: every refresh returns a new refresh token', async () => {
      const one = await first();
      const two = await refresh(one);
      assert.equal(two.status, 200, two.text);
      assert.ok(two.json.refresh_token && two.json.refresh_token !== one);
      assert.ok(claimsOf(two.json.access_token).scp);
      const three = await refresh(two.json.refresh_token!);
      assert.ok(three.json.refresh_token && three.json.refresh_token !== two.json.refresh_token);
      assert.equal((await refresh(one)).status, 200, 'reuse is tolerated by default');
    });

    it('revokes the grant when a redeemed refresh token is reused, in that mode', async () => {
      await sandbox.control.settings({ refreshReuseRevokes: true });
      const one = await first();
      const two = (await refresh(one)).json.refresh_token!;
      const reuse = await refresh(one);
      assert.equal(reuse.status, 400);
      assert.equal(aadCode(reuse), 700082);
      assert.equal(aadCode(await refresh(two)), 700082, 'the newest one is gone too');
    });

    it('expires refresh tokens', async () => {
      await sandbox.control.settings({ refreshTokenLifetimeS: 0 });
      assert.equal(aadCode(await refresh(await first())), 700082);
    });
  });

  describe('client credentials', () => {
    const credentials = (params: Record<string, string> = {}, tenant?: string) => {
      const { clientId, secret } = ids(sandbox);
      return token(sandbox, { grant_type: 'client_credentials', client_id: clientId, client_secret: secret, scope: `${sandbox.origin}/.default`, ...params }, tenant);
    };

    it('issues an app token for the Graph resource with the granted roles, by tenant GUID or domain', async () => {
      const answer = await credentials();
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.json.refresh_token, undefined);
      const claims = claimsOf(answer.json.access_token);
      assert.equal(claims.aud, sandbox.origin);
      assert.equal(claims.tid, ids(sandbox).tenantId);
      assert.deepEqual(claims.roles, sandbox.seed.apps[0].applicationPermissions);
      assert.equal(claims.scp, undefined);
      assert.ok(Number(claims.exp) > Date.now() / 1000);
      const byDomain = await credentials({}, sandbox.seed.tenants[0].domain);
      assert.equal(byDomain.status, 200);
    });

    it('answers in the identity platform error shape', async () => {
      const answer = await credentials({ client_secret: 'not-the-secret' });
      assert.equal(answer.status, 401);
      assert.equal(answer.json.error, 'invalid_client');
      assert.match(answer.json.error_description!, /^AADSTS7000215: .+\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
      assert.deepEqual(answer.json.error_codes, [7000215]);
      assert.match(answer.json.timestamp!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
      assert.match(answer.json.trace_id!, /^[0-9a-f-]{36}$/);
      assert.match(answer.json.correlation_id!, /^[0-9a-f-]{36}$/);
      assert.ok(answer.json.error_uri);
    });

    it('accepts either of an app\'s two secrets, as during a rotation', async () => {
      const secrets = sandbox.seed.apps[0].secrets;
      assert.equal(secrets.length, 2);
      for (const secret of secrets) assert.equal((await credentials({ client_secret: secret.value })).status, 200);
    });

    it('refuses the secret ID pasted as the secret, an expired secret, an unknown app, an unknown tenant', async () => {
      assert.equal(aadCode(await credentials({ client_secret: ids(sandbox).secretId })), 7000215);
      const expired = sandbox.seed.apps[1];
      assert.equal(aadCode(await credentials({ client_id: expired.clientId, client_secret: expired.secrets[0].value })), 7000222);
      assert.equal(aadCode(await credentials({ client_id: randomUUID() })), 700016);
      assert.equal(aadCode(await credentials({}, randomUUID())), 90002);
    });

    it('needs /.default, a named tenant, consent and a form body', async () => {
      assert.equal(aadCode(await credentials({ scope: `${sandbox.origin}/Mail.Send` })), 1002012);
      assert.equal(aadCode(await credentials({}, 'common')), 50059);
      const unconsented = sandbox.seed.apps[2];
      assert.equal(aadCode(await credentials({ client_id: unconsented.clientId, client_secret: unconsented.secrets[0].value })), 65001);
      const json = await call<TokenAnswer>(`${sandbox.origin}/${ids(sandbox).tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'client_credentials' }),
      });
      assert.equal(aadCode(json), 9002313);
    });

    it('accepts a client assertion signed with a registered certificate', async () => {
      const pem = readFileSync(resolve(import.meta.dirname, '../../../src/sandbox/demo-client-certificate.pem'), 'utf8');
      const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(pem)![0];
      const certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0];
      const x5tS256 = createHash('sha256').update(new X509Certificate(certPem).raw).digest('base64url');
      const { clientId, tenantId } = ids(sandbox);
      const assertion = await new SignJWT({ jti: randomUUID() })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', 'x5t#S256': x5tS256 })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(`${sandbox.origin}/${tenantId}/oauth2/v2.0/token`)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(await importPKCS8(keyPem, 'RS256'));
      const answer = await token(sandbox, {
        grant_type: 'client_credentials',
        client_id: clientId,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
        scope: `${sandbox.origin}/.default`,
      });
      assert.equal(answer.status, 200, answer.text);
      assert.ok(claimsOf(answer.json.access_token).roles);
    });
  });

  describe('tokens for the admin API', () => {
    it('issues a delegated token for the API app with the user’s app roles, verifiable with the JWKS', async () => {
      const spa = sandbox.seed.apps.find((app) => (app as { kind?: string }).kind === 'spa')!;
      const get = async (username: string) => {
        const { verifier, challenge } = pkce();
        const { location } = await signIn(sandbox, username, { clientId: spa.clientId, redirectUri: 'http://127.0.0.1:5173/', scope: `openid ${ADMIN_API}/access_as_admin`, challenge });
        const answer = await token(sandbox, { grant_type: 'authorization_code', client_id: spa.clientId, code: location.searchParams.get('code')!, redirect_uri: 'http://127.0.0.1:5173/', code_verifier: verifier }, undefined, 'http://127.0.0.1:5173');
        assert.equal(answer.status, 200, answer.text);
        return answer.json.access_token;
      };
      const { tenantId } = ids(sandbox);
      const discovery = await call(`${sandbox.origin}/${tenantId}/v2.0/.well-known/openid-configuration`);
      const jwks = createLocalJWKSet((await call<JSONWebKeySet>(String(discovery.json.jwks_uri))).json);
      const admin = await jwtVerify(await get(adele()), jwks, { issuer: String(discovery.json.issuer), audience: ADMIN_API.replace('api://', '') });
      assert.deepEqual(admin.payload.roles, ['Mail.Admin']);
      assert.equal(admin.payload.scp, 'access_as_admin');
      const other = await jwtVerify(await get(sandbox.seed.users[1].userPrincipalName), jwks, { issuer: String(discovery.json.issuer) });
      assert.equal(other.payload.roles, undefined, 'no role assigned, none in the token');
    });

    it('redeems a SPA\'s code and refresh token only in a cross-origin request (AADSTS9002327), with CORS, and never with a secret', async () => {
      const spa = sandbox.seed.apps.find((app) => (app as { kind?: string }).kind === 'spa')!;
      const redirectUri = 'http://127.0.0.1:5173/redirect.html';
      const code = async (verifier: string, challenge: string) =>
        (await signIn(sandbox, adele(), { clientId: spa.clientId, redirectUri, scope: `openid offline_access ${ADMIN_API}/access_as_admin`, challenge })).location.searchParams.get('code')!;
      const redeem = (params: Record<string, string>, origin?: string) =>
        token(sandbox, { client_id: spa.clientId, redirect_uri: redirectUri, ...params }, undefined, origin);

      const first = pkce();
      const fromServer = await redeem({ grant_type: 'authorization_code', code: await code(first.verifier, first.challenge), code_verifier: first.verifier });
      assert.equal(fromServer.status, 400);
      assert.equal(aadCode(fromServer), 9002327);
      assert.match(fromServer.json.error_description ?? '', /^AADSTS9002327: .*cross-origin requests/);

      const second = pkce();
      const secondCode = await code(second.verifier, second.challenge);
      const withSecret = await redeem({ grant_type: 'authorization_code', code: secondCode, code_verifier: second.verifier, client_secret: 'anything' }, 'http://127.0.0.1:5173');
      assert.equal(aadCode(withSecret), 700025);
      const third = pkce();
      const fromPage = await redeem({ grant_type: 'authorization_code', code: await code(third.verifier, third.challenge), code_verifier: third.verifier }, 'http://127.0.0.1:5173');
      assert.equal(fromPage.status, 200, fromPage.text);
      assert.equal(fromPage.headers.get('access-control-allow-origin'), '*');
      const refreshToken = String(fromPage.json.refresh_token);
      assert.equal(aadCode(await redeem({ grant_type: 'refresh_token', refresh_token: refreshToken })), 9002327);
      const refreshed = await redeem({ grant_type: 'refresh_token', refresh_token: refreshToken, scope: `${ADMIN_API}/access_as_admin` }, 'http://127.0.0.1:5173');
      assert.equal(refreshed.status, 200, refreshed.text);
    });
  });

  it('refuses GET on the token endpoint and an unknown grant type', async () => {
    const get = await call<TokenAnswer>(`${sandbox.origin}/${ids(sandbox).tenantId}/oauth2/v2.0/token`);
    assert.equal(aadCode(get), 900561);
    const { clientId, secret } = ids(sandbox);
    assert.equal(aadCode(await token(sandbox, { grant_type: 'password', client_id: clientId, client_secret: secret })), 70003);
    assert.equal((await call(`${sandbox.origin}/${ids(sandbox).tenantId}/oauth2/v2.0/token`, form({}))).status, 400);
  });
});
