/**
 * Entra ID bearer tokens for the admin API (cross-origin hosts):
 *
 *   import { createEntraAuthenticator, entraAuthorizeHook, entraOptionsFromEnv } from './auth/index.js';
 *   const entra = entraOptionsFromEnv(process.env);
 *   const authorize = entra
 *     ? entraAuthorizeHook(createEntraAuthenticator({ ...entra, logger }), { fallback: defaultAuthorize(…) })
 *     : undefined;
 *
 * CORS for `GRAPH_MAIL_ALLOWED_ORIGINS` is the security middleware's (../http/security.ts); the connect
 * flow binds a sign-in started with a bearer to that admin (../connect/), its state being the one-time,
 * short-lived ticket the popup carries.
 */
export {
  createEntraAuthenticator,
  DEFAULT_ADMIN_ROLE,
  DEFAULT_ENTRA_AUTHORITY,
  EntraConfigError,
  type EntraAdmin,
  type EntraAuthenticator,
  type EntraAuthLogger,
  type EntraAuthOptions,
  type EntraAuthResult,
} from './entra.js';
export { entraOptionsFromEnv } from './env.js';
export { carriesJwtBearer, entraAuthorizeHook, EntraUnavailableError, type EntraAdminIdentity, type EntraDenial, type EntraHookOptions } from './hook.js';
