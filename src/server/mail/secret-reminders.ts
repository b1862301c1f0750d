/**
 * Reminders before the app's credential expires, as warnings in the log: once each at 30, 14 and 3
 * days before the expiry (`/health` and the form show the same thresholds). Each is written once per
 * expiry date, so restarts do not repeat it and a new secret with a new date starts afresh.
 */
import { secretReminderDays, daysLeft } from '../../services/secret-reminder.js';
import type { Outbox } from './outbox.js';
import type { MailStore } from './store.js';
import type { MailConfigSource, MailLogger } from './types.js';

export const SECRET_EXPIRES_SOON = 'SECRET_EXPIRES_SOON';

export class SecretReminders {
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly store: MailStore,
    private readonly config: MailConfigSource,
    private readonly outbox: Outbox,
    private readonly checkMs: number,
    private readonly logger: MailLogger,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), this.checkMs);
    this.timer.unref?.();
    void this.runOnce();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Writes the reminder that is due, if it was not written yet; returns its threshold. */
  async runOnce(now = Date.now()): Promise<number | null> {
    try {
      const status = this.config.getStatus ? await this.config.getStatus() : null;
      const expiresAt = status?.secretExpiresAt;
      const threshold = secretReminderDays(expiresAt, now);
      if (!expiresAt || threshold === null) return null;
      const key = `secretReminder.${expiresAt}.${threshold}`;
      const written = await this.store.addMetaOnce(key, '1');
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
      );
      return threshold;
    } catch (error) {
      this.logger.warn('mail: the secret reminder check failed', { error: String(error) });
      return null;
    }
  }
}
