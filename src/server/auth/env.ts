/**
 * The Entra settings from the environment:
 *
 * | variable | default | |
 * |---|---|---|
 * | `GRAPH_MAIL_ENTRA_TENANT` | | the tenant's GUID or domain; with the audience, turns the Entra check on |
 * | `GRAPH_MAIL_ENTRA_AUDIENCE` | | the API's app id URI and/or client id, comma-separated |
 * | `GRAPH_MAIL_ENTRA_AUTHORITY` | https://login.microsoftonline.com | a national cloud's sign-in host, or the sandbox's origin |
 * | `GRAPH_MAIL_ENTRA_ROLE` | Mail.Admin | the admin app role |
 * | `GRAPH_MAIL_ENTRA_GROUPS` | | object ids of admin groups, comma-separated |
 * | `GRAPH_MAIL_ENTRA_ISSUER` | (discovered) | accepted issuers, comma-separated (add `https://sts.windows.net/<tenant>/` for v1 tokens) |
 * | `GRAPH_MAIL_ENTRA_JWKS_URI` | (discovered) | |
 */
import { DEFAULT_ADMIN_ROLE, DEFAULT_ENTRA_AUTHORITY, EntraConfigError, type EntraAuthOptions } from './entra.js';

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** The Entra options, or null when the check is not configured (neither tenant nor audience set). */
export function entraOptionsFromEnv(env: Record<string, string | undefined> = process.env): EntraAuthOptions | null {
  const tenantId = env.GRAPH_MAIL_ENTRA_TENANT?.trim() || undefined;
  const audience = list(env.GRAPH_MAIL_ENTRA_AUDIENCE);
  if (!tenantId && !audience.length) return null;
  // Half a configuration must not quietly leave the API on its other admission rules.
  if (!tenantId) throw new EntraConfigError('GRAPH_MAIL_ENTRA_AUDIENCE is set but GRAPH_MAIL_ENTRA_TENANT is not: name the tenant too.');
  if (!audience.length) throw new EntraConfigError('GRAPH_MAIL_ENTRA_TENANT is set but GRAPH_MAIL_ENTRA_AUDIENCE is not: name the API (its app id URI or client id).');
  const issuer = list(env.GRAPH_MAIL_ENTRA_ISSUER);
  const groups = list(env.GRAPH_MAIL_ENTRA_GROUPS);
  return {
    tenantId,
    audience,
    authority: env.GRAPH_MAIL_ENTRA_AUTHORITY?.trim() || DEFAULT_ENTRA_AUTHORITY,
    requiredRole: env.GRAPH_MAIL_ENTRA_ROLE?.trim() || DEFAULT_ADMIN_ROLE,
    ...(groups.length ? { allowedGroups: groups } : {}),
    ...(issuer.length ? { issuer } : {}),
    ...(env.GRAPH_MAIL_ENTRA_JWKS_URI?.trim() ? { jwksUri: env.GRAPH_MAIL_ENTRA_JWKS_URI.trim() } : {}),
  };
}
