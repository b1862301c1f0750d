/**
 * The Entra check against the sandbox cloud's identity platform, reached over HTTP only: a SPA signs a
 * user in with PKCE and asks for the admin API's scope; the token's `roles` come from the API's app
 * role assignments.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, decodeJwt } from 'jose';
import { createEntraAuthenticator, type EntraAuthenticator } from '../../../../src/server/auth/index.js';
import { startSandbox, type SandboxProcess } from '../../helpers/mail-sandbox.js';
import { makeKey } from './tenant.js';

interface SeedApp {
  tenantId: string;
  clientId: string;
  kind?: string;
  identifierUri?: string;
}

const SPA_REDIRECT = 'http://127.0.0.1:5173/';

describe('Entra tokens from the sandbox cloud', { timeout: 60_000 }, () => {
  let sandbox: SandboxProcess;
  let api: SeedApp;
  let spa: SeedApp;
  let auth: EntraAuthenticator;

  before(async () => {
    sandbox = await startSandbox();
    const apps = sandbox.seed.apps as SeedApp[];
    api = apps.find((app) => app.kind === 'api')!;
    spa = apps.find((app) => app.kind === 'spa')!;
    assert.ok(api?.identifierUri && spa, 'the seed registers the admin API and its SPA');
    auth = createEntraAuthenticator({ tenantId: api.tenantId, authority: sandbox.origin, audience: [api.identifierUri!, api.clientId] });
  });
  after(async () => {
    await sandbox?.stop();
  });

  const user = (kind: 'admin' | 'member') => {
    // The API's seed assigns Mail.Admin to the first user only.
    const users = sandbox.seed.users.filter((candidate) => candidate.tenantId === api.tenantId && candidate.kind === 'member');
    return kind === 'admin' ? users[0] : users[1];
  };

  /** Signs `username` in as the SPA does (session, authorize with PKCE, code redemption with no secret). */
  async function tokensFor(username: string, scope: string): Promise<{ access_token: string; id_token?: string }> {
    await sandbox.control.session(username);
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const authorize = new URL(`${sandbox.origin}/${spa.tenantId}/oauth2/v2.0/authorize`);
    authorize.search = new URLSearchParams({
      client_id: spa.clientId,
      response_type: 'code',
      redirect_uri: SPA_REDIRECT,
      scope,
      state: randomBytes(16).toString('hex'),
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    const redirect = await fetch(authorize, { redirect: 'manual' });
    await redirect.arrayBuffer();
    const location = new URL(redirect.headers.get('location') ?? '', SPA_REDIRECT);
    const code = location.searchParams.get('code');
    assert.ok(code, `no code: ${location}`);
    const answer = await fetch(`${sandbox.origin}/${spa.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://127.0.0.1:5173' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: spa.clientId, code, redirect_uri: SPA_REDIRECT, code_verifier: verifier }),
    });
    const body = (await answer.json()) as { access_token: string; id_token?: string };
    assert.equal(answer.status, 200, JSON.stringify(body));
    return body;
  }

  const apiScope = () => `openid ${api.identifierUri}/access_as_admin`;

  it('admits the user the API\'s Mail.Admin role is assigned to', async () => {
    const admin = user('admin');
    const { access_token } = await tokensFor(admin.userPrincipalName, apiScope());
    const result = await auth.authenticate(`Bearer ${access_token}`);
    assert.deepEqual(result, { ok: true, admin: { id: admin.id, name: admin.displayName, tenantId: api.tenantId, via: 'role' } });
  });

  it('finds the tenant by its domain too', async () => {
    const domain = sandbox.seed.tenants.find((tenant) => tenant.id === api.tenantId)!.domain;
    const byDomain = createEntraAuthenticator({ tenantId: domain, authority: sandbox.origin, audience: api.clientId });
    const { access_token } = await tokensFor(user('admin').userPrincipalName, apiScope());
    assert.equal((await byDomain.authenticate(`Bearer ${access_token}`)).ok, true);
  });

  it('answers 403 to a signed-in user without the role', async () => {
    const { access_token } = await tokensFor(user('member').userPrincipalName, apiScope());
    const result = await auth.authenticate(`Bearer ${access_token}`);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.status, 403);
  });

  it('answers 401 to the admin\'s Graph token and ID token (other audiences)', async () => {
    const graph = await tokensFor(user('admin').userPrincipalName, 'openid User.Read');
    const graphResult = await auth.authenticate(`Bearer ${graph.access_token}`);
    assert.equal(!graphResult.ok && graphResult.status, 401);
    assert.equal(!graphResult.ok && graphResult.problem.code, 'wrong_audience');
    assert.ok(graph.id_token);
    const idResult = await auth.authenticate(`Bearer ${graph.id_token}`);
    assert.equal(!idResult.ok && idResult.status, 401);
  });

  it('answers 401 to the same claims signed by another key', async () => {
    const { access_token } = await tokensFor(user('admin').userPrincipalName, apiScope());
    const forged = await new SignJWT(decodeJwt(access_token)).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign((await makeKey()).privateKey);
    const result = await auth.authenticate(`Bearer ${forged}`);
    assert.equal(!result.ok && result.status, 401);
  });

  it('answers 401 when the server is set up for another tenant', async () => {
    const fabrikam = sandbox.seed.tenants.find((tenant) => tenant.id !== api.tenantId)!;
    const elsewhere = createEntraAuthenticator({ tenantId: fabrikam.id, authority: sandbox.origin, audience: api.clientId });
    const { access_token } = await tokensFor(user('admin').userPrincipalName, apiScope());
    const result = await elsewhere.authenticate(`Bearer ${access_token}`);
    assert.equal(!result.ok && result.status, 401);
    assert.equal(!result.ok && result.problem.code, 'wrong_issuer');
  });
});
