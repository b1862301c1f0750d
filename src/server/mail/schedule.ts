/**
 * The schedules that look after every configuration (token keep-alive, secret reminders): a timer that
 * walks the saved configurations one after another, so that thousands of them never run at once.
 */
import { DEFAULT_CONFIG_ID } from '../store/types.js';
import type { MailConfigs, MailLogger } from './types.js';

export abstract class ConfigSchedule<R> {
  private timer: ReturnType<typeof setInterval> | undefined;
  private walking = false;

  constructor(
    protected readonly configs: MailConfigs,
    private readonly everyMs: number,
    protected readonly logger: MailLogger,
    private readonly name: string,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runAll(), this.everyMs);
    this.timer.unref?.();
    void this.runAll();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The check of every saved configuration; a walk still going when the timer fires again is not doubled. */
  async runAll(now = Date.now()): Promise<void> {
    if (this.walking) return;
    this.walking = true;
    try {
      for (const configId of await this.configs.ids()) await this.runOnce(now, configId);
    } catch (error) {
      this.logger.warn(`mail: the ${this.name} could not list the configurations`, { error: String(error) });
    } finally {
      this.walking = false;
    }
  }

  /** The check of one configuration (default the only one of a single-configuration server). */
  abstract runOnce(now?: number, configId?: string): Promise<R>;
}

/** A stored schedule key of a configuration; the default configuration keeps the keys it had before there were several. */
export const configMetaKey = (name: string, configId: string): string => (configId === DEFAULT_CONFIG_ID ? name : `${name}.${configId}`);
