/**
 * The token signing key: one RSA key per sandbox process, published as a JWKS. Made synchronously so
 * that `createSandbox` needs no await; tokens from an earlier run fail signature checks, as tokens
 * from a rotated key do.
 */
import { generateKeyPairSync, createPublicKey, type KeyObject } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';

export class SigningKey {
  private readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  private jwk?: JWK & { kid: string };

  constructor() {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.publicKey = createPublicKey(privateKey);
  }

  /** The public key as a JWK with its `kid` (the RFC 7638 thumbprint, also used as `x5t`). */
  async publicJwk(): Promise<JWK & { kid: string }> {
    if (!this.jwk) {
      const jwk = await exportJWK(this.publicKey);
      const kid = await calculateJwkThumbprint(jwk);
      this.jwk = { kty: jwk.kty, use: 'sig', kid, x5t: kid, n: jwk.n, e: jwk.e };
    }
    return this.jwk;
  }

  async sign(claims: JWTPayload): Promise<string> {
    const { kid } = await this.publicJwk();
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid }).sign(this.privateKey);
  }

  /** Verifies signature and lifetime; throws jose's errors (their `code` tells expiry from forgery). */
  async verify(token: string): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, this.publicKey, { algorithms: ['RS256'] });
    return payload;
  }
}
