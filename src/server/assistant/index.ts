/**
 * The administrator's assistant: help beyond the settings themselves. `GET /assistant/restrict-app`
 * answers the Exchange Online PowerShell that limits an application-mode app to its sender mailbox.
 */
import type { Context, Hono } from 'hono';
import { problem } from '../http/problem.js';
import type { ConfigView, LogEntryDetail, TestReport } from '../../services/contract.js';
import type { MailConfig } from '../mail/types.js';
import { RestrictAppInputError, restrictAppScript } from '../../services/restrict-app.js';
import { supportBundle } from '../../services/support-bundle.js';
import { TenantLookupInputError, lookUpTenant, type CloudOrigin } from './tenant-lookup.js';

export { supportBundle, maskAddress } from '../../services/support-bundle.js';
export { lookUpTenant, cloudOfDiscovery, TenantLookupInputError, type CloudOrigin, type TenantLookup } from './tenant-lookup.js';
export { AlertWatcher, classify, stoppedReason, type AlertPayload, type AlertWatcherOptions, type SharedSettings } from './alerts.js';
export { restrictAppScript, psQuote, RestrictAppInputError, type RestrictAppInput, type RestrictAppScript } from '../../services/restrict-app.js';

export interface AssistantDeps {
  /** The configuration a request acts on (the server's hook) [`default`]. */
  configOf?(c: Context): string;
  /** The configuration in effect, or null while nothing usable is saved. */
  effectiveConfig(configId: string): Promise<MailConfig | null>;
  /** The configuration as the admin API shows it (no secret). */
  configView(configId: string): Promise<ConfigView>;
  /** The configuration's last test report and when it ran, if any since the server started. */
  lastTest(configId: string): { at: string; report: TestReport } | null;
  /** The configuration's most recent failed and unknown messages, with their attempts. */
  recentFailures(configId: string, limit: number): Promise<LogEntryDetail[]>;
  versions: Record<string, string>;
  useDrafts: boolean;
  /** The clouds this server offers, by login origin, for the tenant lookup. */
  clouds(): CloudOrigin[];
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  /** Per-cloud time limit of the tenant lookup [5 s]. */
  lookupTimeoutMs?: number;
}

export function mountAssistantRoutes(router: Hono<any>, deps: AssistantDeps): void {
  const configOf = (c: Context) => deps.configOf?.(c) ?? 'default';
  router.get('/assistant/support-bundle', async (c) => {
    const now = new Date();
    const configId = configOf(c);
    const bundle = supportBundle({
      config: await deps.configView(configId),
      lastTest: deps.lastTest(configId),
      failures: await deps.recentFailures(configId, 20),
      versions: deps.versions,
      now,
    });
    return c.json(bundle, 200, {
      'cache-control': 'no-store',
      'content-disposition': `attachment; filename="graph-mail-support-${now.toISOString().slice(0, 10)}.json"`,
    });
  });

  router.get('/assistant/tenant', async (c) => {
    try {
      const result = await lookUpTenant(c.req.query('tenant') ?? '', deps.clouds(), { fetch: deps.fetch, timeoutMs: deps.lookupTimeoutMs });
      return c.json(result, 200, { 'cache-control': 'no-store' });
    } catch (error) {
      if (error instanceof TenantLookupInputError) return problem(400, 'Invalid tenant', error.message, { errors: [{ path: 'tenantId', message: error.message }] });
      throw error;
    }
  });

  router.get('/assistant/restrict-app', async (c) => {
    const config = await deps.effectiveConfig(configOf(c));
    if (!config || config.mode !== 'application') {
      return problem(409, 'Application mode only', 'Restricting the app applies to Exchange Online (application): a signed-in mailbox already sends only as itself.');
    }
    try {
      const result = restrictAppScript({ clientId: config.clientId, mailbox: config.fromAddress, appName: config.fromName || undefined, useDrafts: deps.useDrafts });
      return c.json({ ...result, mailbox: config.fromAddress, clientId: config.clientId }, 200, { 'cache-control': 'no-store' });
    } catch (error) {
      if (error instanceof RestrictAppInputError) return problem(409, 'Settings incomplete', error.message, { errors: [{ path: error.path, message: error.message }] });
      throw error;
    }
  });
}
