/**
 * Which cloud does a tenant live in? A tenant exists in exactly one national cloud, and a token request
 * to another fails with AADSTS900382 or 90002, which admins read as "wrong secret". Every cloud's
 * OpenID discovery answers for its own tenants, and the global one also names the cloud of a tenant
 * that lives elsewhere (`cloud_instance_name`, `msgraph_host`), so asking each offered cloud in parallel
 * tells, before any token request, where the tenant is.
 */
import type { CloudId, TenantLookup } from '../../services/contract.js';
import { DOMAIN_PATTERN, GUID_PATTERN } from '../../services/schemas.js';

export interface CloudOrigin {
  cloud: CloudId;
  /** The login origin, e.g. `https://login.microsoftonline.com` or the sandbox's. */
  loginOrigin: string;
}

export type { TenantLookup };

export class TenantLookupInputError extends Error {}

/** The cloud that a discovery document describes, by its instance name and Graph host. */
export function cloudOfDiscovery(document: { cloud_instance_name?: string; msgraph_host?: string }, sandbox?: CloudOrigin): CloudId | null {
  const instance = (document.cloud_instance_name ?? '').toLowerCase();
  const graph = (document.msgraph_host ?? '').toLowerCase();
  if (instance === 'microsoftonline.com') return 'global';
  if (instance === 'microsoftonline.us') return graph === 'dod-graph.microsoft.us' ? 'usgov-dod' : 'usgov';
  if (instance === 'partner.microsoftonline.cn' || instance === 'chinacloudapi.cn') return 'china';
  if (sandbox && graph === new URL(sandbox.loginOrigin).host.toLowerCase()) return 'sandbox';
  return null;
}

export async function lookUpTenant(
  tenant: string,
  clouds: CloudOrigin[],
  options: { fetch?: (input: string, init?: RequestInit) => Promise<Response>; timeoutMs?: number } = {},
): Promise<TenantLookup> {
  const value = tenant.trim();
  if (!GUID_PATTERN.test(value) && !DOMAIN_PATTERN.test(value)) throw new TenantLookupInputError('Tenant ID must be a GUID or a domain name such as contoso.onmicrosoft.com.');
  const fetchImpl = options.fetch ?? fetch;
  const sandbox = clouds.find((c) => c.cloud === 'sandbox');
  // US Government and DoD share a login host: one request answers for both.
  const asked = new Map<string, Promise<Response>>();
  const ask = (loginOrigin: string) => {
    let pending = asked.get(loginOrigin);
    if (!pending) {
      pending = fetchImpl(`${loginOrigin}/${encodeURIComponent(value)}/v2.0/.well-known/openid-configuration`, {
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      });
      asked.set(loginOrigin, pending);
    }
    return pending.then((response) => response.clone());
  };
  const answers = await Promise.all(
    clouds.map(async ({ cloud, loginOrigin }) => {
      try {
        const response = await ask(loginOrigin);
        if (!response.ok) return { cloud, outcome: 'not-found' as const };
        const document = (await response.json()) as { issuer?: string; cloud_instance_name?: string; msgraph_host?: string };
        const home = cloudOfDiscovery(document, sandbox);
        const tenantId = /\/([0-9a-f-]{36})\/v2\.0\/?$/i.exec(document.issuer ?? '')?.[1];
        return { cloud, outcome: home === cloud ? ('found' as const) : ('elsewhere' as const), home, tenantId };
      } catch {
        return { cloud, outcome: 'unreachable' as const };
      }
    }),
  );
  const own = answers.find((a) => a.outcome === 'found') ?? answers.find((a) => a.outcome === 'elsewhere' && 'home' in a && a.home);
  const home = own && 'home' in own ? own.home ?? undefined : undefined;
  return {
    tenant: value,
    found: Boolean(home),
    ...(home ? { cloud: home } : {}),
    ...(own && 'tenantId' in own && own.tenantId ? { tenantId: own.tenantId } : {}),
    checked: answers.map(({ cloud, outcome }) => ({ cloud, outcome })),
  };
}
