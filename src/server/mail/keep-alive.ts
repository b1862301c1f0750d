/**
 * A delegated refresh token expires after 90 days without use. An installation that sends nothing for
 * a quarter must not lose its connection for that, so the token is refreshed on a schedule (daily by
 * default). The time of the last refresh is stored, so restarts neither skip nor repeat it. A failure
 * moves the connection to needs-reconnect (the token service does that) and leaves a warning in the log.
 */
import type { Outbox } from './outbox.js';
import type { MailStore } from './store.js';
import type { MailConfigSource, MailLogger, TokenSource } from './types.js';

export interface KeepAliveOptions {
  /** Time between refreshes. */
  intervalMs: number;
  /** How often the schedule is checked (also the wait before a failed refresh is tried again). */
  checkMs: number;
}

const LAST_REFRESH = 'keepalive.lastRefresh';
const LAST_TRY = 'keepalive.lastTry';

export class TokenKeepAlive {
  private timer: ReturnType<typeof setInterval> | undefined;
  private busy = false;

  constructor(
    private readonly store: MailStore,
    private readonly tokens: TokenSource,
    private readonly config: MailConfigSource,
    private readonly outbox: Outbox,
    private readonly options: KeepAliveOptions,
    private readonly logger: MailLogger,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), this.options.checkMs);
    this.timer.unref?.();
    void this.runOnce();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async meta(key: string): Promise<number> {
    const value = await this.store.meta(key);
    return value !== null ? Number(value) || 0 : 0;
  }

  private async setMeta(key: string, value: number): Promise<void> {
    await this.store.setMeta(key, String(value));
  }

  /** Refreshes when due. */
  async runOnce(now = Date.now()): Promise<'skipped' | 'refreshed' | 'failed'> {
    if (this.busy) return 'skipped';
    this.busy = true;
    try {
      const config = await this.config.getEffectiveConfig();
      if (!config || config.mode !== 'delegated') return 'skipped';
      const status = this.config.getStatus ? await this.config.getStatus() : null;
      // Already broken: the admin has to reconnect, and was told.
      if (status && status.connection.state !== 'connected') return 'skipped';
      if (now - (await this.meta(LAST_REFRESH)) < this.options.intervalMs) return 'skipped';
      if (now - (await this.meta(LAST_TRY)) < Math.min(this.options.checkMs, this.options.intervalMs)) return 'skipped';
      await this.setMeta(LAST_TRY, now);
      try {
        await this.tokens.getAccessToken({ forceRefresh: true });
        await this.setMeta(LAST_REFRESH, now);
        return 'refreshed';
      } catch (error) {
        const value = error as { code?: unknown; message?: unknown; hint?: unknown };
        const code = typeof value?.code === 'string' ? value.code : 'REFRESH_FAILED';
        await this.outbox.warn(
          'KEEPALIVE_FAILED',
          `The scheduled refresh of the connected mailbox's sign-in failed (${code}); mail cannot be sent until it works again.`,
          typeof value?.hint === 'string' && value.hint ? value.hint : 'Open the e-mail configuration and connect the mailbox again.',
        );
        return 'failed';
      }
    } catch (error) {
      this.logger.warn('mail: keep-alive check failed', { error: String(error) });
      return 'failed';
    } finally {
      this.busy = false;
    }
  }
}
