/**
 * `GET /health` for monitoring: 200 when sending works, 503 when it does not (not configured, needs
 * reconnect, credential expired), always with the same body shape.
 */
import type { ConnectionView, HealthView } from '../../services/contract.js';
import { secretReminderDays } from '../../services/secret-reminder.js';
import type { MailLog } from './store.js';
import type { MailConfigSource } from './types.js';

const DAY = 86_400_000;

export async function computeHealth(config: MailConfigSource, log: Pick<MailLog, 'outboxHealth'>, configId: string, now = Date.now()): Promise<HealthView> {
  let effective = null;
  let status = null;
  try {
    effective = await config.getEffectiveConfig();
    status = config.getStatus ? await config.getStatus() : null;
  } catch {
    effective = null;
  }
  const connection: ConnectionView =
    status?.connection ??
    (effective
      ? { state: 'connected', account: effective.account || effective.fromAddress, connectedAt: '' }
      : { state: 'disconnected', account: '', connectedAt: '' });
  const expiresAt = status?.secretExpiresAt ? Date.parse(status.secretExpiresAt) : NaN;
  const secretExpiresInDays = Number.isNaN(expiresAt) ? null : Math.floor((expiresAt - now) / DAY);
  const expired = !Number.isNaN(expiresAt) && expiresAt <= now;
  const connectionOk =
    connection.state !== 'needs-reconnect' && connection.state !== 'error' && (effective?.mode !== 'delegated' || connection.state === 'connected');
  const { queued, failedLastHour, lastSentAt } = await log.outboxHealth(configId, now);
  const reminder = secretReminderDays(status?.secretExpiresAt, now);
  return {
    ok: Boolean(effective) && connectionOk && !expired,
    connection,
    secretExpiresInDays,
    ...(reminder ? { secretReminder: reminder } : {}),
    outbox: { queued, failedLastHour },
    lastSentAt,
  };
}
