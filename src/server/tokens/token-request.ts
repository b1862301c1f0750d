/**
 * One request to a token endpoint.
 *
 * Plain `fetch` with a form body rather than openid-client: the endpoint comes from the admin's
 * templates (not from discovery), the sandbox speaks plain http on loopback (openid-client refuses it
 * unless told to allow insecure requests everywhere), and the three grants are three small forms. What
 * matters is kept in sight here: `redirect: 'manual'` (a 307 would resend the secret elsewhere:
 * SECURITY.md 7), a time-out, and errors explained from their codes (src/services/diagnostics.ts),
 * never by copying the upstream text. @azure/msal-node was not chosen: it insists on https authorities
 * and keeps refresh tokens to itself, so they could be neither sealed in our store nor rotated by us.
 */
import { explainIdentityError, explainNetworkError, type DiagnosisContext } from '../../services/diagnostics.js';
import type { FetchLike } from '../mail/types.js';
import { TokenRequestError, TokenServiceError } from './errors.js';

export interface TokenAnswer {
  access_token: string;
  token_type?: string;
  expires_in?: number | string;
  refresh_token?: string;
  scope?: string;
  id_token?: string;
}

export interface TokenRequestOptions {
  fetch: FetchLike;
  timeoutMs: number;
  diagnosis?: DiagnosisContext;
}

export async function postTokenRequest(url: string, form: Record<string, string>, options: TokenRequestOptions): Promise<TokenAnswer> {
  let response: Response;
  try {
    response = await options.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const diagnosis = explainNetworkError(error);
    throw new TokenServiceError(diagnosis.code, diagnosis.message, diagnosis.hint, diagnosis);
  }
  // `redirect: 'manual'` gives a 3xx (or an opaque redirect with status 0): refused, never followed.
  if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
    await response.body?.cancel();
    const diagnosis = explainNetworkError(new Error('redirect refused'));
    throw new TokenServiceError('TOKEN_REDIRECT_REFUSED', diagnosis.message, diagnosis.hint, diagnosis);
  }
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) throw new TokenRequestError(response.status, body, explainIdentityError(body, response.status, options.diagnosis));
  const answer = body as Partial<TokenAnswer> | undefined;
  if (!answer || typeof answer.access_token !== 'string' || answer.access_token === '') {
    throw new TokenServiceError(
      'TOKEN_ANSWER_INVALID',
      'The token endpoint answered without an access token.',
      'Check that the Token endpoint template points at the identity platform of the chosen Domain.',
    );
  }
  return answer as TokenAnswer;
}

/** `scp` (delegated) or `roles` (application) of an access token, read without verifying it (for display and permission checks only). */
export function permissionsOfToken(accessToken: string): string[] {
  try {
    const payload = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as { scp?: unknown; roles?: unknown };
    if (Array.isArray(payload.roles)) return payload.roles.filter((role): role is string => typeof role === 'string');
    if (typeof payload.scp === 'string') return payload.scp.split(' ').filter(Boolean);
  } catch {
    // Not a JWT (some national-cloud tokens are opaque): the answer's `scope` stands in.
  }
  return [];
}

/** Permission names from a `scope` answer, resource prefixes and OIDC scopes removed. */
export function permissionsOfScope(scope: string | undefined): string[] {
  const oidc = new Set(['openid', 'profile', 'email', 'offline_access']);
  return (scope ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((item) => item.slice(item.lastIndexOf('/') + 1))
    .filter((item) => item && !oidc.has(item.toLowerCase()) && item !== '.default');
}
