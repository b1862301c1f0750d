/**
 * A tenant's token signing, as the identity platform publishes it: an OpenID configuration and a JWKS
 * served by a real HTTP server (port 0), RSA keys made with jose, a key roll, and a token minter.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload, type CryptoKey } from 'jose';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function makeKey(kid = randomUUID()): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', kty: 'RSA' };
  return { kid, privateKey, publicJwk };
}

export interface FakeTenant {
  origin: string;
  tenantId: string;
  issuer: string;
  /** The published keys (the first signs by default). */
  keys: SigningKey[];
  /** How often each document was fetched. */
  hits: { discovery: number; jwks: number };
  /** Publishes a new key first (Entra's roll); the old ones stay published unless `retire`. */
  roll(options?: { retire?: boolean }): Promise<SigningKey>;
  /** Makes the JWKS answer this status (0: back to normal). */
  failJwks(status: number): void;
  /** Signs claims (defaults: a delegated admin token for `audience`, valid for an hour). */
  token(claims?: JWTPayload, options?: { key?: SigningKey; kid?: string; header?: Record<string, unknown> }): Promise<string>;
  close(): Promise<void>;
}

export const ADMIN_OID = '7aef8b58-3d67-4728-9881-698ade6394a7';

export async function startFakeTenant(options: { tenantId?: string; audience: string }): Promise<FakeTenant> {
  const tenantId = options.tenantId ?? randomUUID();
  const keys: SigningKey[] = [await makeKey()];
  const hits = { discovery: 0, jwks: 0 };
  let jwksStatus = 0;
  let origin = '';
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (path === `/${tenantId}/v2.0/.well-known/openid-configuration`) {
      hits.discovery += 1;
      return send(200, {
        issuer: `${origin}/${tenantId}/v2.0`,
        jwks_uri: `${origin}/${tenantId}/discovery/v2.0/keys`,
        token_endpoint: `${origin}/${tenantId}/oauth2/v2.0/token`,
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (path === `/${tenantId}/discovery/v2.0/keys`) {
      hits.jwks += 1;
      if (jwksStatus) return send(jwksStatus, { error: 'unavailable' });
      return send(200, { keys: keys.map((key) => key.publicJwk) });
    }
    // An unknown tenant, as the platform answers it (AADSTS90002).
    return send(400, { error: 'invalid_tenant', error_codes: [90002] });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${origin}/${tenantId}/v2.0`;

  return {
    origin,
    tenantId,
    issuer,
    keys,
    hits,
    async roll({ retire = false } = {}) {
      const key = await makeKey();
      if (retire) keys.splice(0, keys.length);
      keys.unshift(key);
      return key;
    },
    failJwks(status) {
      jwksStatus = status;
    },
    async token(claims = {}, signOptions = {}) {
      const key = signOptions.key ?? keys[0];
      const now = Math.floor(Date.now() / 1000);
      const payload: JWTPayload = {
        aud: options.audience,
        iss: issuer,
        iat: now,
        nbf: now,
        exp: now + 3600,
        tid: tenantId,
        oid: ADMIN_OID,
        sub: 'pairwise-subject',
        name: 'Adele Vance',
        preferred_username: 'adele.vance@contoso.example',
        scp: 'access_as_admin',
        roles: ['Mail.Admin'],
        ver: '2.0',
        ...claims,
      };
      for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: signOptions.kid ?? key.kid, ...(signOptions.header ?? {}) })
        .sign(key.privateKey);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
