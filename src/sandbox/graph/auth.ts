/**
 * Graph's token check: a bearer JWT signed by this sandbox, for the Graph resource (this origin), from
 * a seeded tenant, within its lifetime; then the permissions (`scp` for a user, `roles` for an app)
 * each operation needs, as Graph and Exchange enforce them.
 */
import { errors as joseErrors } from 'jose';
import { isOwnOrigin, type SandboxContext, type SandboxDeps } from '../context.js';
import type { SeedUser } from '../seed.js';
import { graph } from './respond.js';

export interface Caller {
  kind: 'delegated' | 'app';
  tenantId: string;
  appId: string;
  /** The signed-in user (delegated tokens only). */
  user?: SeedUser;
  /** Granted permissions, lowercase. */
  permissions: Set<string>;
}

/** What an operation needs; any one of the listed permissions is enough. */
export type Need = 'readSelf' | 'readUsers' | 'mailRead' | 'mailWrite' | 'mailSend';

const NEEDS: Record<Need, { delegated: string[]; shared: string[]; app: string[] }> = {
  readSelf: {
    delegated: ['user.read', 'user.readwrite', 'user.readbasic.all', 'user.read.all', 'user.readwrite.all', 'directory.read.all', 'directory.readwrite.all'],
    shared: [],
    app: [],
  },
  readUsers: {
    delegated: ['user.readbasic.all', 'user.read.all', 'user.readwrite.all', 'directory.read.all', 'directory.readwrite.all'],
    shared: [],
    app: ['user.read.all', 'user.readwrite.all', 'directory.read.all', 'directory.readwrite.all'],
  },
  mailRead: {
    delegated: ['mail.readbasic', 'mail.read', 'mail.readwrite'],
    shared: ['mail.read.shared', 'mail.readwrite.shared'],
    app: ['mail.readbasic.all', 'mail.read', 'mail.readwrite'],
  },
  mailWrite: { delegated: ['mail.readwrite'], shared: ['mail.readwrite.shared'], app: ['mail.readwrite'] },
  mailSend: { delegated: ['mail.send'], shared: ['mail.send.shared'], app: ['mail.send'] },
};

/** Whether the caller holds a permission for `need` on `owner`'s data (a user's own, or another's). */
export function allows(caller: Caller, need: Need, ownerId?: string): boolean {
  const table = NEEDS[need];
  if (caller.kind === 'app') return table.app.some((name) => caller.permissions.has(name));
  const own = !ownerId || ownerId.toLowerCase() === caller.user?.id.toLowerCase();
  const names = own ? [...table.delegated, ...table.shared] : table.shared;
  return names.some((name) => caller.permissions.has(name));
}

export async function authenticate(c: SandboxContext, deps: SandboxDeps): Promise<Caller> {
  const header = c.req.header('authorization') ?? '';
  const match = /^Bearer\s+(.*)$/i.exec(header.trim());
  const token = match?.[1]?.trim() ?? '';
  if (!token) throw graph.tokenEmpty();
  if (token.split('.').length !== 3) throw graph.tokenMalformed();
  let claims: Awaited<ReturnType<typeof deps.key.verify>>;
  try {
    claims = await deps.key.verify(token);
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw graph.tokenExpired();
    if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JOSEError) {
      throw graph.tokenSignature();
    }
    throw graph.tokenMalformed();
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.some((aud) => typeof aud === 'string' && isOwnOrigin(deps, c, aud))) throw graph.tokenAudience();
  const tenantId = typeof claims.tid === 'string' ? claims.tid : '';
  const tenant = deps.state.directory.tenantById(tenantId);
  if (!tenant || !issuedHere(deps, c, claims.iss, tenant.id)) throw graph.tokenIssuer();
  const appId = typeof claims.appid === 'string' ? claims.appid : typeof claims.azp === 'string' ? claims.azp : '';
  if (claims.idtyp === 'app' || (claims.scp === undefined && Array.isArray(claims.roles))) {
    const roles = Array.isArray(claims.roles) ? claims.roles.map((role) => String(role).toLowerCase()) : [];
    return { kind: 'app', tenantId: tenant.id, appId, permissions: new Set(roles) };
  }
  const user = typeof claims.oid === 'string' ? deps.state.directory.user(claims.oid, tenant.id) : undefined;
  if (!user) throw graph.tokenSignature();
  const scopes = typeof claims.scp === 'string' ? claims.scp.split(' ').filter(Boolean).map((scope) => scope.toLowerCase()) : [];
  return { kind: 'delegated', tenantId: tenant.id, appId, user, permissions: new Set(scopes) };
}

/** `iss` must be this sandbox's issuer for the token's tenant (on any of its origins). */
function issuedHere(deps: SandboxDeps, c: SandboxContext, iss: unknown, tenantId: string): boolean {
  if (typeof iss !== 'string') return false;
  let url: URL;
  try {
    url = new URL(iss);
  } catch {
    return false;
  }
  return url.pathname.toLowerCase() === `/${tenantId.toLowerCase()}/v2.0` && isOwnOrigin(deps, c, url.origin);
}
