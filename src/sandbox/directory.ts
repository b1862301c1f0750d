/**
 * Read-only lookups over the seed, the way the directory answers them: ids case-insensitively,
 * tenants by GUID or domain, users by object id or UPN.
 */
import { X509Certificate, createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { Seed, SeedApp, SeedTenant, SeedUser } from './seed.js';

export interface AppCertificate {
  /** base64url SHA-1 of the DER certificate (the `x5t` header of a client assertion). */
  x5t: string;
  /** base64url SHA-256 of the DER certificate (`x5t#S256`). */
  x5tS256: string;
  publicKey: KeyObject;
  notAfter: Date;
}

/** Tenant path segments that name no tenant; the tenant then comes from the app or the user. */
export const MULTI_TENANT_ALIASES = ['common', 'organizations'] as const;

export const isMultiTenantAlias = (segment: string): boolean => (MULTI_TENANT_ALIASES as readonly string[]).includes(segment.toLowerCase());

const same = (a: string | undefined, b: string | undefined): boolean => !!a && !!b && a.toLowerCase() === b.toLowerCase();

export class Directory {
  private readonly certificates = new Map<string, AppCertificate[]>();

  constructor(readonly seed: Seed) {
    for (const app of seed.apps) {
      this.certificates.set(
        app.clientId.toLowerCase(),
        (app.certificates ?? []).map(({ pem }) => {
          const cert = new X509Certificate(pem);
          return {
            x5t: createHash('sha1').update(cert.raw).digest('base64url'),
            x5tS256: createHash('sha256').update(cert.raw).digest('base64url'),
            publicKey: createPublicKey(pem),
            notAfter: new Date(cert.validTo),
          };
        }),
      );
    }
  }

  tenant(idOrDomain: string): SeedTenant | undefined {
    return this.seed.tenants.find((tenant) => same(tenant.id, idOrDomain) || same(tenant.domain, idOrDomain));
  }

  tenantById(id: string): SeedTenant | undefined {
    return this.seed.tenants.find((tenant) => same(tenant.id, id));
  }

  /** An app registration; with a tenant, only one registered in that tenant. */
  app(clientId: string, tenantId?: string): SeedApp | undefined {
    return this.seed.apps.find((app) => same(app.clientId, clientId) && (!tenantId || same(app.tenantId, tenantId)));
  }

  /** The `api` app whose app id URI or client id is this resource. */
  apiByResource(resource: string): SeedApp | undefined {
    return this.seed.apps.find((app) => app.kind === 'api' && (same(app.identifierUri, resource) || same(app.clientId, resource)));
  }

  appCertificates(clientId: string): AppCertificate[] {
    return this.certificates.get(clientId.toLowerCase()) ?? [];
  }

  user(idOrUpn: string, tenantId?: string): SeedUser | undefined {
    return this.seed.users.find(
      (user) => (same(user.id, idOrUpn) || same(user.userPrincipalName, idOrUpn)) && (!tenantId || same(user.tenantId, tenantId)),
    );
  }

  usersOf(tenantId: string): SeedUser[] {
    return this.seed.users.filter((user) => same(user.tenantId, tenantId));
  }

  /** A mailbox by its primary address or UPN, within one tenant. */
  mailboxByAddress(address: string, tenantId: string): SeedUser | undefined {
    return this.usersOf(tenantId).find((user) => hasMailbox(user) && (same(user.mail, address) || same(user.userPrincipalName, address)));
  }
}

/** Guests have their mailbox in their home tenant, and some accounts have none at all. */
export const hasMailbox = (user: SeedUser): boolean => user.kind === 'member' || user.kind === 'shared';

export const mailAddressOf = (user: SeedUser): string => user.mail || user.userPrincipalName;

/** Whether `user` may send as `address`: their own, or one the seed grants Send As on. */
export const maySendAs = (user: SeedUser, address: string): boolean =>
  same(address, user.mail) || same(address, user.userPrincipalName) || (user.sendAs ?? []).some((granted) => same(granted, address));

export { same as sameId };
