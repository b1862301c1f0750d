/**
 * OpenID discovery and the JWKS, per tenant, as the identity platform publishes them; readable from
 * any origin (MSAL in a browser fetches both).
 */
import type { Hono } from 'hono';
import { isMultiTenantAlias } from '../directory.js';
import type { SandboxDeps, SandboxEnv } from '../context.js';
import { aad } from './errors.js';
import { CORS_HEADERS, aadJson } from './respond.js';
import { issuerOf } from './issue.js';
import { matchesRegisteredUri } from './redirect-uri.js';
import type { NationalCloud } from '../settings.js';

/** The cloud names of the discovery document: the sandbox's own, or those of the cloud it stands in for. */
const CLOUD_NAMES: Record<Exclude<NationalCloud, 'sandbox'>, { cloud_instance_name: string; msgraph_host: string }> = {
  global: { cloud_instance_name: 'microsoftonline.com', msgraph_host: 'graph.microsoft.com' },
  usgov: { cloud_instance_name: 'microsoftonline.us', msgraph_host: 'graph.microsoft.us' },
  'usgov-dod': { cloud_instance_name: 'microsoftonline.us', msgraph_host: 'dod-graph.microsoft.us' },
  china: { cloud_instance_name: 'partner.microsoftonline.cn', msgraph_host: 'microsoftgraph.chinacloudapi.cn' },
};
const discoveryCloud = (cloud: NationalCloud, origin: string) =>
  cloud === 'sandbox' ? { cloud_instance_name: 'sandbox.invalid', msgraph_host: new URL(origin).host } : CLOUD_NAMES[cloud];

export function discoveryRoutes(app: Hono<SandboxEnv>, deps: SandboxDeps): void {
  const { state, key } = deps;

  app.get('/:tenant/v2.0/.well-known/openid-configuration', (c) => {
    const segment = c.req.param('tenant');
    const alias = isMultiTenantAlias(segment);
    const tenant = alias ? undefined : state.directory.tenant(segment);
    if (!alias && !tenant) return aadJson(c, aad.unknownTenant(segment));
    const origin = c.get('origin');
    // Endpoints name the tenant by GUID even when asked by domain, as the real document does.
    const path = `${origin}/${tenant ? tenant.id : segment.toLowerCase()}`;
    return c.json(
      {
        token_endpoint: `${path}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${path}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: tenant ? issuerOf(state.issuerOrigin(origin), tenant.id) : `${state.issuerOrigin(origin)}/{tenantid}/v2.0`,
        request_uri_parameter_supported: false,
        authorization_endpoint: `${path}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${path}/oauth2/v2.0/logout`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
        code_challenge_methods_supported: ['plain', 'S256'],
        tenant_region_scope: 'EU',
        ...discoveryCloud(state.settings.nationalCloud, origin),
      },
      200,
      CORS_HEADERS,
    );
  });

  app.get('/:tenant/discovery/v2.0/keys', async (c) => c.json({ keys: [await key.publicJwk()] }, 200, CORS_HEADERS));

  app.get('/:tenant/oauth2/v2.0/logout', (c) => {
    const target = c.req.query('post_logout_redirect_uri');
    // Only back to a registered URI: anything else would make this an open redirect.
    if (target && state.seed.apps.some((registration) => matchesRegisteredUri(registration.redirectUris, target))) return c.redirect(target, 302);
    return c.html('<!doctype html><title>Signed out</title><p>You signed out of your account.</p>');
  });
}
