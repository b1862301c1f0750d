/**
 * The support bundle: what Microsoft support and a vendor's help desk ask for, in one redacted JSON
 * file. The configuration as the admin API shows it (never a secret: the view has none, and the
 * secret's hint is dropped too), the last test report, recent failures with their request ids,
 * correlation ids and times, and versions. Recipients keep their domain only: the domain tells support
 * which tenant, the mailbox name is nobody's business.
 */
import type { ConfigView, LogEntryDetail, TestReport } from './contract.js';

export interface SupportBundleInput {
  config: ConfigView;
  lastTest: { at: string; report: TestReport } | null;
  failures: LogEntryDetail[];
  versions: Record<string, string>;
  now: Date;
}

/** `adele.vance@contoso.com` → `a…@contoso.com`. */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '…';
  return `${address[0]}…${address.slice(at)}`;
}

export function supportBundle(input: SupportBundleInput): Record<string, unknown> {
  const { config } = input;
  return {
    kind: 'graph-mail-support-bundle',
    createdAt: input.now.toISOString(),
    versions: input.versions,
    config: {
      mode: config.mode,
      cloud: config.cloud,
      tenantId: config.tenantId,
      clientId: config.clientId,
      credential: config.credential,
      secret: { set: config.secret.set, expiresAt: config.secret.expiresAt },
      fromAddress: config.fromAddress ? maskAddress(config.fromAddress) : '',
      saveToSentItems: config.saveToSentItems,
      endpoints: config.endpoints,
      redirectUri: config.redirectUri,
      connection: { ...config.connection, account: config.connection.account ? maskAddress(config.connection.account) : '' },
      locked: config.locked,
      grantedPermissions: config.grantedPermissions ?? [],
    },
    lastTest: input.lastTest,
    recentFailures: input.failures.map((entry) => ({
      id: entry.id,
      createdAt: entry.createdAt,
      status: entry.status,
      to: entry.to.map(maskAddress),
      attempts: entry.attempts,
      error: entry.error ?? null,
      history: entry.history.map((attempt) => ({
        at: attempt.at,
        outcome: attempt.outcome,
        httpStatus: attempt.httpStatus ?? null,
        requestId: attempt.requestId ?? null,
        clientRequestId: attempt.clientRequestId ?? null,
        error: attempt.error ? { code: attempt.error.code, message: attempt.error.message } : null,
      })),
    })),
  };
}
