/**
 * How the app authenticates at the token endpoint: the client secret, or a client assertion signed
 * with the certificate's private key (RFC 7523; the identity platform's "certificate credential").
 * The assertion is PS256 with the certificate's SHA-256 thumbprint in `x5t#S256`, its audience the
 * token endpoint, valid for ten minutes and never reused (`jti`).
 */
import { createPrivateKey, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Credential } from '../config/service.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ASSERTION_LIFETIME_S = 600;

export async function clientAssertion(
  credential: Extract<Credential, { kind: 'certificate' }>,
  clientId: string,
  tokenEndpoint: string,
  now = Date.now(),
): Promise<string> {
  const key = createPrivateKey(credential.privateKeyPem);
  const issuedAt = Math.floor(now / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'PS256', typ: 'JWT', 'x5t#S256': credential.thumbprintS256 })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(tokenEndpoint)
    .setJti(randomUUID())
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(issuedAt + ASSERTION_LIFETIME_S)
    .sign(key);
}

/** The form parameters that authenticate the client for one request to `tokenEndpoint`. */
export async function clientAuthParams(credential: Credential, clientId: string, tokenEndpoint: string): Promise<Record<string, string>> {
  if (credential.kind === 'secret') return { client_secret: credential.clientSecret };
  return { client_assertion_type: JWT_BEARER, client_assertion: await clientAssertion(credential, clientId, tokenEndpoint) };
}
