/**
 * The seed: the tenants, app registrations and users the sandbox starts from (DESIGN.md fixes the
 * shape; the fields beyond it are optional). `GET /sandbox/seed` returns it exactly as loaded.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface SeedTenant {
  id: string;
  domain: string;
  displayName?: string;
}

export interface SeedSecret {
  /** The Secret ID (a GUID): what people paste by mistake instead of the value. */
  id: string;
  value: string;
  expiresAt: string;
}

/** A certificate credential: the public certificate only, as PEM. */
export interface SeedCertificate {
  pem: string;
}

export interface SeedAppRole {
  id: string;
  value: string;
  displayName?: string;
  /** Object ids of the users assigned to the role. */
  assignedTo: string[];
}

export type AppKind = 'web' | 'spa' | 'api';

export interface SeedApp {
  tenantId: string;
  clientId: string;
  displayName: string;
  /** `web` (confidential, the default), `spa` (public, PKCE, CORS) or `api` (a resource only). */
  kind?: AppKind;
  secrets: SeedSecret[];
  certificates?: SeedCertificate[];
  redirectUris: string[];
  /** Granted delegated permissions: bare names mean Graph, `api://…/scope` another resource. */
  delegatedPermissions: string[];
  /** Application permissions (Graph app roles) with admin consent. */
  applicationPermissions: string[];
  /** For `api` apps: the app id URI, the scopes it exposes and its app roles. */
  identifierUri?: string;
  scopes?: string[];
  appRoles?: SeedAppRole[];
}

export type UserKind = 'member' | 'guest' | 'shared' | 'no-mailbox';

export interface SeedUser {
  id: string;
  tenantId: string;
  userPrincipalName: string;
  mail: string;
  displayName: string;
  kind: UserKind;
  /** Addresses this user may send as (Send As on those mailboxes). */
  sendAs?: string[];
}

export interface Seed {
  tenants: SeedTenant[];
  apps: SeedApp[];
  users: SeedUser[];
}

export const DEFAULT_SEED_PATH = resolve(import.meta.dirname, 'seed.default.json');

const USER_KINDS: readonly string[] = ['member', 'guest', 'shared', 'no-mailbox'];

/** Reads and checks a seed file; a broken seed stops the start with a message that names the field. */
export function loadSeed(path: string = DEFAULT_SEED_PATH): Seed {
  const text = readFileSync(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`The seed ${path} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  return checkSeed(json, path);
}

export function checkSeed(json: unknown, source = 'the seed'): Seed {
  const fail = (what: string): never => {
    throw new Error(`${source}: ${what}`);
  };
  const seed = json as Partial<Seed> | null;
  if (!seed || typeof seed !== 'object') fail('not an object');
  for (const key of ['tenants', 'apps', 'users'] as const) if (!Array.isArray(seed![key])) fail(`"${key}" must be an array`);
  const tenants = new Set<string>();
  seed!.tenants!.forEach((tenant, i) => {
    if (typeof tenant?.id !== 'string' || typeof tenant.domain !== 'string') fail(`tenants[${i}] needs "id" and "domain"`);
    tenants.add(tenant.id.toLowerCase());
  });
  seed!.apps!.forEach((app, i) => {
    if (typeof app?.clientId !== 'string' || !tenants.has(String(app.tenantId).toLowerCase())) fail(`apps[${i}] needs "clientId" and a seeded "tenantId"`);
    for (const key of ['secrets', 'redirectUris', 'delegatedPermissions', 'applicationPermissions'] as const) {
      if (!Array.isArray(app[key])) fail(`apps[${i}].${key} must be an array`);
    }
  });
  seed!.users!.forEach((user, i) => {
    if (typeof user?.id !== 'string' || typeof user.userPrincipalName !== 'string' || !tenants.has(String(user.tenantId).toLowerCase())) {
      fail(`users[${i}] needs "id", "userPrincipalName" and a seeded "tenantId"`);
    }
    if (!USER_KINDS.includes(user.kind)) fail(`users[${i}].kind must be one of ${USER_KINDS.join(', ')}`);
  });
  return seed as Seed;
}
