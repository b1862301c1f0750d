/**
 * Minting tokens: access tokens (delegated with `scp`, application with `roles`), ID tokens and
 * refresh tokens, with the claims the identity platform puts in them.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { SeedApp, SeedUser } from '../seed.js';
import type { SigningKey } from '../signing.js';
import type { Resource, SandboxState } from '../state.js';

export interface TokenResponse {
  token_type: 'Bearer';
  /** Absent for client credentials, as with the service. */
  scope?: string;
  expires_in: number;
  ext_expires_in: number;
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  client_info?: string;
}

/** A stable GUID derived from a name: service principal ids and pairwise subjects. */
export function derivedGuid(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('|')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const issuerOf = (origin: string, tenantId: string): string => `${origin}/${tenantId}/v2.0`;

export class TokenIssuer {
  constructor(
    private readonly state: SandboxState,
    private readonly key: SigningKey,
  ) {}

  private times(): { iat: number; nbf: number; exp: number } {
    const now = Math.floor(Date.now() / 1000);
    return { iat: now, nbf: now, exp: now + this.state.settings.tokenLifetimeS };
  }

  /** The roles of an `api` resource assigned to this user. */
  private userRoles(resource: Resource, user: SeedUser): string[] {
    if (resource.kind !== 'api') return [];
    const api = this.state.directory.app(resource.clientId);
    return (api?.appRoles ?? []).filter((role) => role.assignedTo.some((id) => id.toLowerCase() === user.id.toLowerCase())).map((role) => role.value);
  }

  async delegated(origin: string, app: SeedApp, user: SeedUser, resource: Resource, scp: string[]): Promise<string> {
    const roles = this.userRoles(resource, user);
    return this.key.sign({
      aud: resource.audience,
      iss: issuerOf(this.state.issuerOrigin(origin), user.tenantId),
      ...this.times(),
      tid: user.tenantId,
      oid: user.id,
      sub: derivedGuid('sub', user.id, app.clientId),
      name: user.displayName,
      upn: user.userPrincipalName,
      preferred_username: user.userPrincipalName,
      scp: scp.join(' '),
      ...(roles.length ? { roles } : {}),
      appid: app.clientId,
      azp: app.clientId,
      appidacr: '1',
      azpacr: '1',
      idtyp: 'user',
      ver: '2.0',
      uti: randomBytes(16).toString('base64url'),
    });
  }

  async application(origin: string, app: SeedApp, resource: Resource, roles: string[]): Promise<string> {
    const servicePrincipal = derivedGuid('sp', app.clientId);
    return this.key.sign({
      aud: resource.audience,
      iss: issuerOf(this.state.issuerOrigin(origin), app.tenantId),
      ...this.times(),
      tid: app.tenantId,
      oid: servicePrincipal,
      sub: servicePrincipal,
      roles,
      appid: app.clientId,
      azp: app.clientId,
      appidacr: '1',
      azpacr: '1',
      idtyp: 'app',
      ver: '2.0',
      uti: randomBytes(16).toString('base64url'),
    });
  }

  async idToken(origin: string, app: SeedApp, user: SeedUser, nonce: string | undefined): Promise<string> {
    return this.key.sign({
      aud: app.clientId,
      iss: issuerOf(this.state.issuerOrigin(origin), user.tenantId),
      ...this.times(),
      tid: user.tenantId,
      oid: user.id,
      sub: derivedGuid('sub', user.id, app.clientId),
      name: user.displayName,
      preferred_username: user.userPrincipalName,
      email: user.mail || undefined,
      ...(nonce ? { nonce } : {}),
      ver: '2.0',
    });
  }

  /** A new refresh token in the user's grant to the app. */
  refreshToken(grantId: string, clientId: string, scopes: string[], resource: Resource, permissions: string[]): string {
    const token = `1.Sandbox${randomBytes(48).toString('base64url')}`;
    const now = Date.now();
    this.state.refreshTokens.set(token, {
      grantId,
      clientId,
      scopes,
      resource,
      permissions,
      issuedAt: now,
      expiresAt: now + this.state.settings.refreshTokenLifetimeS * 1000,
      redeemed: false,
    });
    return token;
  }

  /** The user's grant to the app: one per pair, made on first use, replaced when revoked. */
  grantFor(userId: string, clientId: string, tenantId: string): string {
    for (const grant of this.state.grants.values()) {
      if (!grant.revoked && grant.userId === userId && grant.clientId === clientId) return grant.id;
    }
    const id = randomUUID();
    this.state.grants.set(id, { id, userId, clientId, tenantId, revoked: false });
    return id;
  }
}

/** MSAL's `client_info`: base64url JSON of the user's object id and tenant id. */
export const clientInfo = (user: SeedUser): string => Buffer.from(JSON.stringify({ uid: user.id, utid: user.tenantId })).toString('base64url');
