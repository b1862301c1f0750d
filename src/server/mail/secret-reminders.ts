/**
 * Reminders before the app's credential expires, as warnings in the log: once each at 30, 14 and 3
 * days before the expiry (`/health` and the form show the same thresholds). Each is written once per
 * expiry date, so restarts do not repeat it and a new secret with a new date starts afresh.
 */
import { secretReminderDays, daysLeft } from '../../services/secret-reminder.js';
import type { Outbox } from './outbox.js';
import { ConfigSchedule, configMetaKey } from './schedule.js';
import type { MailStore } from './store.js';
import type { MailConfigs, MailLogger } from './types.js';

export const SECRET_EXPIRES_SOON = 'SECRET_EXPIRES_SOON';

export class SecretReminders extends ConfigSchedule<number | null> {
  constructor(
    private readonly store: MailStore,
    configs: MailConfigs,
    private readonly outbox: Outbox,
    checkMs: number,
    logger: MailLogger,
  ) {
    super(configs, checkMs, logger, 'secret reminders');
  }

  /** Writes the reminder that is due, if it was not written yet; returns its threshold. */
  async runOnce(now = Date.now(), configId = this.outbox.configId): Promise<number | null> {
    try {
      const { config } = this.configs.get(configId);
      const status = config.getStatus ? await config.getStatus() : null;
      const expiresAt = status?.secretExpiresAt;
      const threshold = secretReminderDays(expiresAt, now);
      if (!expiresAt || threshold === null) return null;
      const key = configMetaKey(`secretReminder.${expiresAt}.${threshold}`, configId);
      const written = await this.store.swapMeta(key, null, '1');
      if (!written) return null;
      const days = daysLeft(expiresAt, now) ?? threshold;
      const what = status.credential === 'certificate' ? 'certificate' : 'client secret';
      const date = expiresAt.slice(0, 10);
      await this.outbox.warn(
        SECRET_EXPIRES_SOON,
        `The app's ${what} expires on ${date}, in ${days === 1 ? '1 day' : `${days} days`}; after that no mail can be sent.`,
        status.credential === 'certificate'
          ? 'Upload a new certificate to the app registration (Certificates & secrets) and paste it into the e-mail configuration.'
          : 'Create a new client secret in the app registration (Certificates & secrets) and enter it as the new secret in the e-mail configuration: the server switches to it as soon as it works, without a pause in sending.',
        configId,
      );
      return threshold;
    } catch (error) {
      this.logger.warn('mail: the secret reminder check failed', { error: String(error), configId });
      return null;
    }
  }
}
