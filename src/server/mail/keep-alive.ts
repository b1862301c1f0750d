/**
 * A delegated refresh token expires after 90 days without use. An installation that sends nothing for
 * a quarter must not lose its connection for that, so the token is refreshed on a schedule (daily by
 * default). The time of the last refresh is stored, so restarts neither skip nor repeat it. A failure
 * moves the connection to needs-reconnect (the token service does that) and leaves a warning in the log.
 */
import type { Outbox } from './outbox.js';
import { ConfigSchedule, configMetaKey } from './schedule.js';
import type { MailStore } from './store.js';
import type { MailConfigs, MailLogger } from './types.js';

export interface KeepAliveOptions {
  /** Time between refreshes. */
  intervalMs: number;
  /** How often the schedule is checked (also the wait before a failed refresh is tried again). */
  checkMs: number;
}

const LAST_REFRESH = 'keepalive.lastRefresh';
const LAST_TRY = 'keepalive.lastTry';

export class TokenKeepAlive extends ConfigSchedule<'skipped' | 'refreshed' | 'failed'> {
  private readonly busy = new Set<string>();

  constructor(
    private readonly store: MailStore,
    configs: MailConfigs,
    private readonly outbox: Outbox,
    private readonly options: KeepAliveOptions,
    logger: MailLogger,
  ) {
    super(configs, options.checkMs, logger, 'keep-alive');
  }

  private async meta(key: string): Promise<number> {
    const value = await this.store.meta(key);
    return value !== null ? Number(value) || 0 : 0;
  }

  private async setMeta(key: string, value: number): Promise<void> {
    await this.store.setMeta(key, String(value));
  }

  /** Refreshes the configuration's connection when due. */
  async runOnce(now = Date.now(), configId = this.outbox.configId): Promise<'skipped' | 'refreshed' | 'failed'> {
    if (this.busy.has(configId)) return 'skipped';
    this.busy.add(configId);
    const lastRefresh = configMetaKey(LAST_REFRESH, configId);
    const lastTry = configMetaKey(LAST_TRY, configId);
    try {
      const { config: source, tokens } = this.configs.get(configId);
      const config = await source.getEffectiveConfig();
      if (!config || config.mode !== 'delegated') return 'skipped';
      const status = source.getStatus ? await source.getStatus() : null;
      // Already broken: the admin has to reconnect, and was told.
      if (status && status.connection.state !== 'connected') return 'skipped';
      if (now - (await this.meta(lastRefresh)) < this.options.intervalMs) return 'skipped';
      if (now - (await this.meta(lastTry)) < Math.min(this.options.checkMs, this.options.intervalMs)) return 'skipped';
      await this.setMeta(lastTry, now);
      try {
        await tokens.getAccessToken({ forceRefresh: true });
        await this.setMeta(lastRefresh, now);
        return 'refreshed';
      } catch (error) {
        const value = error as { code?: unknown; message?: unknown; hint?: unknown };
        const code = typeof value?.code === 'string' ? value.code : 'REFRESH_FAILED';
        await this.outbox.warn(
          'KEEPALIVE_FAILED',
          `The scheduled refresh of the connected mailbox's sign-in failed (${code}); mail cannot be sent until it works again.`,
          typeof value?.hint === 'string' && value.hint ? value.hint : 'Open the e-mail configuration and connect the mailbox again.',
          configId,
        );
        return 'failed';
      }
    } catch (error) {
      this.logger.warn('mail: keep-alive check failed', { error: String(error), configId });
      return 'failed';
    } finally {
      this.busy.delete(configId);
    }
  }
}
