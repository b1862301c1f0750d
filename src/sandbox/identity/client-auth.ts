/**
 * Client authentication at the token endpoint: a secret (form body or HTTP Basic) or a client
 * assertion signed by a certificate registered on the app; public (SPA) clients present neither.
 */
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { Directory } from '../directory.js';
import type { SeedApp } from '../seed.js';
import { aad } from './errors.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface ClientAuthRequest {
  form: URLSearchParams;
  authorization: string | undefined;
  /** The tenant of the URL, or undefined for `common`/`organizations`. */
  tenantId: string | undefined;
  tenantName: string;
  /** The request's `Origin` header: a browser's cross-origin request has one, a server's has none. */
  origin: string | undefined;
  /** Whether a client assertion's `aud` names this sandbox's token endpoint or issuer. */
  isOwnAudience(aud: string, tenantId: string): boolean;
}

export interface AuthenticatedClient {
  app: SeedApp;
  confidential: boolean;
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  // RFC 6749 2.3.1: both parts are form-urlencoded before they are joined.
  const unescape = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));
  return { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
}

export async function authenticateClient(request: ClientAuthRequest, directory: Directory): Promise<AuthenticatedClient> {
  const basic = basicCredentials(request.authorization);
  const clientId = request.form.get('client_id') ?? basic?.id;
  if (!clientId) throw aad.missingParameter('client_id');
  const app = directory.app(clientId, request.tenantId);
  if (!app) throw aad.unknownApp(clientId, request.tenantName);
  if (app.kind === 'api') throw aad.notAClient(clientId);
  const secret = request.form.get('client_secret') ?? basic?.secret;
  const assertion = request.form.get('client_assertion');
  if (app.kind === 'spa') {
    if (secret || assertion) throw aad.publicClientCredential();
    // As the platform does: a SPA's codes and refresh tokens are redeemed by the browser (CORS), so a
    // request without an Origin (a server holding a stolen code) is refused.
    if (!request.origin) throw aad.spaSameOrigin();
    return { app, confidential: false };
  }
  if (secret) {
    checkSecret(app, secret);
  } else if (assertion) {
    if (request.form.get('client_assertion_type') !== JWT_BEARER) throw aad.badAssertionType();
    await checkAssertion(app, assertion, directory, request);
  } else {
    throw aad.noCredential();
  }
  return { app, confidential: true };
}

function checkSecret(app: SeedApp, secret: string): void {
  const match = app.secrets.find((candidate) => candidate.value === secret);
  // A Secret ID in place of the value gets the same answer as a wrong value, as with the real service.
  if (!match) throw aad.badSecret(app.clientId);
  if (Date.parse(match.expiresAt) <= Date.now()) throw aad.expiredSecret(app.clientId);
}

async function checkAssertion(app: SeedApp, assertion: string, directory: Directory, request: ClientAuthRequest): Promise<void> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    throw aad.malformed('The client_assertion is not a JWT.');
  }
  if (header.alg !== 'RS256' && header.alg !== 'PS256') throw aad.badAssertion(`The algorithm '${String(header.alg)}' is not supported; use RS256 or PS256.`);
  const x5t = typeof header.x5t === 'string' ? header.x5t : undefined;
  const x5tS256 = typeof header['x5t#S256'] === 'string' ? (header['x5t#S256'] as string) : undefined;
  const certificate = directory.appCertificates(app.clientId).find((cert) => (x5t && cert.x5t === x5t) || (x5tS256 && cert.x5tS256 === x5tS256));
  if (!certificate) throw aad.badAssertion(`The key was not found., Thumbprint of key used by client: '${x5tS256 ?? x5t ?? ''}'`);
  if (certificate.notAfter.getTime() <= Date.now()) throw aad.badAssertion('The certificate used to sign the assertion has expired.');
  let claims: Awaited<ReturnType<typeof jwtVerify>>['payload'];
  try {
    ({ payload: claims } = await jwtVerify(assertion, certificate.publicKey, { algorithms: [header.alg], clockTolerance: 300 }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired || error instanceof joseErrors.JWTClaimValidationFailed) throw aad.assertionTime();
    throw aad.badAssertion('The signature is invalid.');
  }
  if (typeof claims.exp !== 'number') throw aad.assertionTime();
  if (claims.iss !== app.clientId || claims.sub !== app.clientId) throw aad.assertionSubject();
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.some((aud) => typeof aud === 'string' && request.isOwnAudience(aud, app.tenantId))) {
    throw aad.badAssertion(`The audience '${String(claims.aud)}' is not this token endpoint.`);
  }
}
