/**
 * A sandbox seed of many customers, each a tenant of its own with one web app registration (a client
 * secret, every mail permission, delegated and application) and four accounts: a sending mailbox, a
 * recipient, an account to sign in with, and a shared mailbox nobody may send as. The sandbox looks
 * users up only within the caller's tenant, so a message delivered from a customer's sender was sent
 * with a token of that customer's app.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type SandboxProcess } from './mail-sandbox.js';

export interface SeededTenant {
  index: number;
  tenantId: string;
  domain: string;
  clientId: string;
  secret: string;
  /** The application-mode From address. */
  sender: string;
  /** Where this customer's messages go. */
  recipient: string;
  /** A member to sign in with (delegated mode). */
  signer: string;
  /** A shared mailbox without Send As for anyone: a delegated From address the Send As check refuses. */
  shared: string;
  /** The object id of the sending mailbox (Graph paths name it once the server has looked it up). */
  senderId: string;
  /** The object ids of all four accounts. */
  userIds: string[];
}

/** The configuration body (`PUT /config`) of one customer in application mode. */
export function applicationConfig(tenant: SeededTenant, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    mode: 'application',
    cloud: 'sandbox',
    tenantId: tenant.tenantId,
    clientId: tenant.clientId,
    clientSecret: tenant.secret,
    fromName: `Customer ${tenant.index}`,
    fromAddress: tenant.sender,
    saveToSentItems: true,
    ...overrides,
  };
}

export function tenantsSeed(count: number, label = 'customer'): { seed: Record<string, unknown>; tenants: SeededTenant[] } {
  const tenants: SeededTenant[] = [];
  const seed = { tenants: [] as unknown[], apps: [] as unknown[], users: [] as unknown[] };
  for (let index = 0; index < count; index += 1) {
    const domain = `${label}${String(index).padStart(2, '0')}.example.com`;
    const tenant: SeededTenant = {
      index,
      tenantId: randomUUID(),
      domain,
      clientId: randomUUID(),
      secret: `Cs${index}Q~${randomBytes(27).toString('base64url')}`,
      sender: `sender@${domain}`,
      recipient: `reader@${domain}`,
      signer: `signer@${domain}`,
      shared: `shared@${domain}`,
      senderId: randomUUID(),
      userIds: [],
    };
    tenants.push(tenant);
    seed.tenants.push({ id: tenant.tenantId, domain, displayName: `Customer ${index}` });
    seed.apps.push({
      tenantId: tenant.tenantId,
      clientId: tenant.clientId,
      displayName: `Mail connector of customer ${index}`,
      kind: 'web',
      secrets: [{ id: randomUUID(), value: tenant.secret, expiresAt: '2099-12-31T00:00:00Z' }],
      redirectUris: ['http://127.0.0.1/api/mail/connect/callback', 'http://localhost/api/mail/connect/callback'],
      delegatedPermissions: ['openid', 'profile', 'email', 'offline_access', 'User.Read', 'Mail.Send', 'Mail.ReadWrite', 'Mail.Send.Shared', 'Mail.ReadWrite.Shared'],
      applicationPermissions: ['Mail.Send', 'Mail.ReadWrite', 'User.Read.All'],
    });
    const user = (address: string, displayName: string, kind: string) => {
      const id = address === tenant.sender ? tenant.senderId : randomUUID();
      tenant.userIds.push(id);
      return { id, tenantId: tenant.tenantId, userPrincipalName: address, mail: address, displayName, kind };
    };
    seed.users.push(
      user(tenant.sender, `Sender of customer ${index}`, 'member'),
      user(tenant.recipient, `Reader of customer ${index}`, 'member'),
      user(tenant.signer, `Signer of customer ${index}`, 'member'),
      user(tenant.shared, `Shared mailbox of customer ${index}`, 'shared'),
    );
  }
  return { seed, tenants };
}

export interface TenantSandbox {
  sandbox: SandboxProcess;
  tenants: SeededTenant[];
  stop(): Promise<void>;
}

/** The sandbox cloud in a process of its own, seeded with `count` customers. */
export async function startTenantSandbox(count: number, env: Record<string, string> = {}): Promise<TenantSandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'gm-tenants-'));
  const { seed, tenants } = tenantsSeed(count);
  const path = join(dir, 'seed.json');
  writeFileSync(path, JSON.stringify(seed));
  let sandbox: SandboxProcess;
  try {
    sandbox = await startSandbox({ SANDBOX_SEED: path, SANDBOX_DATA_DIR: join(dir, 'sandbox'), ...env });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    sandbox,
    tenants,
    async stop() {
      await sandbox.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
