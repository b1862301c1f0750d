/**
 * The Entra check as the server's admin authorisation hook (`authorize` of `createGraphMailServer`).
 *
 * A bearer that looks like a JWT is judged by Entra alone: a presented token that fails is never
 * admitted by another rule (the loopback admission, say). Anything else (no Authorization header, the
 * opaque admin token) goes to `fallback` when one is given, so the same-origin demo page and the admin
 * token keep working beside cross-origin hosts.
 */
import type { AdminIdentity, AuthorizeDenial, AuthorizeHook } from '../http/security.js';
import type { EntraAdmin, EntraAuthenticator } from './entra.js';

/** The admitted admin, as the server's routes see it (`bearer`: no anti-forgery header needed). */
export interface EntraAdminIdentity extends AdminIdentity {
  bearer: true;
  name: string;
  tenantId: string;
  entra: EntraAdmin;
}

/** A refusal with the RFC 6750 challenge, for a core that sends it. */
export interface EntraDenial extends AuthorizeDenial {
  wwwAuthenticate?: string;
  code?: string;
}

/** Thrown when the signing keys cannot be fetched: the token was not judged, so neither 401 nor 403. */
export class EntraUnavailableError extends Error {
  override name = 'EntraUnavailableError';
  readonly status = 503;
}

const JWT_BEARER = /^\s*Bearer\s+[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\s*$/i;

/** Whether an Authorization header carries a JWT (as opposed to nothing, or an opaque token). */
export const carriesJwtBearer = (header: string | null | undefined): boolean => JWT_BEARER.test(header ?? '');

export interface EntraHookOptions {
  /** Judges requests without a JWT bearer (e.g. the default loopback / admin-token hook). */
  fallback?: AuthorizeHook;
}

export function entraAuthorizeHook(authenticator: EntraAuthenticator, options: EntraHookOptions = {}): AuthorizeHook {
  return async (request, info) => {
    const header = request.headers.get('authorization');
    if (options.fallback && !carriesJwtBearer(header)) return options.fallback(request, info);
    const result = await authenticator.authenticate(header);
    if (result.ok) {
      const identity: EntraAdminIdentity = { id: result.admin.id, bearer: true, name: result.admin.name, tenantId: result.admin.tenantId, entra: result.admin };
      return identity;
    }
    if (result.status === 503) throw new EntraUnavailableError(result.problem.detail ?? 'The signing keys could not be fetched.');
    const denial: EntraDenial = {
      deny: result.status,
      detail: result.problem.hint ? `${result.problem.detail} ${result.problem.hint}` : result.problem.detail,
      ...(result.wwwAuthenticate ? { wwwAuthenticate: result.wwwAuthenticate } : {}),
      ...(result.problem.code ? { code: result.problem.code } : {}),
    };
    return denial;
  };
}
