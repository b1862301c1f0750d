/**
 * Which Graph permissions a mode needs, what an access token carries, and the difference. The token is
 * only read, not verified: it came straight from the token endpoint over the connection the test made,
 * and Graph verifies it on every call.
 */
import type { AuthMode } from '../../services/contract.js';

/** Attachments from this size go through an upload session, which needs a draft (Mail.ReadWrite). */
export const UPLOAD_SESSION_THRESHOLD = 3 * 1024 * 1024;

export interface PermissionNeeds {
  /** Drafts are used: a large attachment, or exactly-once sending required by the host. */
  drafts: boolean;
}

/**
 * The permissions a mode needs (DESIGN.md "Two auth modes"). `offline_access` is left out: it is asked
 * for at sign-in but never appears in a token's `scp`.
 */
export function requiredPermissions(mode: AuthMode, needs: PermissionNeeds): string[] {
  if (mode === 'delegated') return needs.drafts ? ['User.Read', 'Mail.Send', 'Mail.ReadWrite'] : ['User.Read', 'Mail.Send'];
  return needs.drafts ? ['Mail.Send', 'Mail.ReadWrite', 'User.Read.All'] : ['Mail.Send', 'User.Read.All'];
}

/** Wider permissions that include a needed one (Graph accepts either for the same call). */
const SATISFIED_BY: Readonly<Record<string, readonly string[]>> = {
  'user.read': ['user.readwrite', 'user.readbasic.all', 'user.read.all', 'user.readwrite.all', 'directory.read.all', 'directory.readwrite.all'],
  'user.read.all': ['user.readwrite.all', 'directory.read.all', 'directory.readwrite.all'],
};

export function hasPermission(granted: readonly string[], needed: string): boolean {
  const lower = new Set(granted.map((item) => item.toLowerCase()));
  const key = needed.toLowerCase();
  return lower.has(key) || (SATISFIED_BY[key] ?? []).some((wider) => lower.has(wider));
}

export function missingPermissions(granted: readonly string[], required: readonly string[]): string[] {
  return required.filter((needed) => !hasPermission(granted, needed));
}

export interface TokenClaims {
  /** `scp` split on spaces (delegated), else `roles` (application). */
  permissions: string[];
  /** Which claim the permissions came from. */
  source: 'scp' | 'roles' | 'none';
  tenantId?: string;
  audience?: string;
  expiresAt?: number;
}

/**
 * Reads the claims of a JWT access token. Returns null for a token that is not a readable JWT (an
 * opaque token); the caller then falls back to the scopes the token service reported.
 */
export function readTokenClaims(token: string): TokenClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  let payload: Record<string, unknown>;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (!decoded || typeof decoded !== 'object' || Array.isArray(decoded)) return null;
    payload = decoded as Record<string, unknown>;
  } catch {
    return null;
  }
  const scp = typeof payload.scp === 'string' ? payload.scp.split(' ').filter(Boolean) : [];
  const roles = Array.isArray(payload.roles) ? payload.roles.filter((role): role is string => typeof role === 'string') : [];
  const source = scp.length ? 'scp' : roles.length ? 'roles' : 'none';
  const claims: TokenClaims = { permissions: source === 'scp' ? scp : roles, source };
  if (typeof payload.tid === 'string') claims.tenantId = payload.tid;
  if (typeof payload.aud === 'string') claims.audience = payload.aud;
  if (typeof payload.exp === 'number') claims.expiresAt = payload.exp * 1000;
  return claims;
}
