/**
 * Alerts: a webhook (`GRAPH_MAIL_ALERT_WEBHOOK`, from the server's own configuration, never from the
 * API) called when sending stops and when it recovers, so nobody learns of a dead connection from the
 * users who did not get their mail. The watcher polls the same health that `GET /health` answers.
 *
 * Sending "works" when the health is ok and the last hour holds fewer than `failureRun` failures. The
 * first observation only sets the baseline (a server that starts unconfigured is not an outage), and
 * each transition is posted once, with a few retries; a webhook that is down never blocks sending.
 * On a server of many configurations each is watched on its own, and the payload names it. Instances
 * that share a store keep each configuration's last state there (`shared`), and one of them at a time
 * looks: the one holding a lease in the store, renewed at every look and taken over by another when
 * it lapses (three intervals). The instance whose compare-and-swap records a change posts it, so the
 * webhook hears each change once, not once per instance, and a restart neither repeats nor forgets an
 * outage; thousands of configurations are read once a minute, not once per instance.
 */
import { randomUUID } from 'node:crypto';
import type { HealthView } from '../../services/contract.js';

export interface AlertPayload {
  event: 'sending-stopped' | 'sending-recovered';
  /** The configuration whose sending stopped or recovered (`default` on a server of one). */
  configId: string;
  /** Why sending stopped, in plain words (empty on recovery). */
  reason: string;
  at: string;
  health: HealthView;
}

export interface AlertWatcherOptions {
  webhookUrl: string;
  /** The health to judge (the mail module's `health(configId)`). */
  health(configId: string): Promise<HealthView>;
  /** The configurations to watch, read at every look [only `default`]. */
  configs?(): Promise<string[]>;
  /** Failures within the last hour that count as "sending stopped" [5]. */
  failureRun?: number;
  /** How often to look [60 s]. */
  intervalMs?: number;
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  logger?: { warn(message: string, fields?: Record<string, unknown>): void; info(message: string, fields?: Record<string, unknown>): void };
  /** Delays between delivery attempts [1 s, 5 s, 30 s]. */
  retryDelaysMs?: number[];
  /** Where instances keep each configuration's last state and the watch lease (the mail store); without it, in memory. */
  shared?: SharedSettings;
  /** The clock of the watch lease [Date.now]. */
  now?: () => number;
}

/** Settings every instance reads, with a compare-and-swap (the mail store's `meta` and `swapMeta`). */
export interface SharedSettings {
  meta(key: string): Promise<string | null>;
  swapMeta(key: string, expected: string | null, value: string): Promise<boolean>;
}

/** Settings of this process only, for a watcher no other instance shares. */
function memorySettings(): SharedSettings {
  const values = new Map<string, string>();
  return {
    meta: async (key) => values.get(key) ?? null,
    swapMeta: async (key, expected, value) => {
      if ((values.get(key) ?? null) !== expected) return false;
      values.set(key, value);
      return true;
    },
  };
}

/** The key of the lease that says which instance watches. */
export const ALERT_WATCH_LEASE_KEY = 'alerts.watcher';

/** The key of a configuration's last judged state in the shared store. */
export const alertStateKey = (configId: string): string => `alerts.state.${configId}`;

export function stoppedReason(health: HealthView, failureRun: number): string {
  if (health.connection.state === 'needs-reconnect') return `The mailbox connection needs to be renewed${health.connection.reason ? `: ${health.connection.reason}` : '.'}`;
  if (health.secretExpiresInDays !== null && health.secretExpiresInDays < 0) return 'The client secret (or certificate) has expired.';
  if (health.connection.state === 'error') return `The connection to Microsoft fails${health.connection.reason ? `: ${health.connection.reason}` : '.'}`;
  if (health.outbox.failedLastHour >= failureRun) return `${health.outbox.failedLastHour} messages failed in the last hour.`;
  return '';
}

/** Working, stopped (with why), or not configured: clearing the settings on purpose is no outage. */
export function classify(health: HealthView, failureRun: number): { state: 'working' | 'stopped' | 'unconfigured'; reason: string } {
  const reason = stoppedReason(health, failureRun);
  if (reason) return { state: 'stopped', reason };
  return { state: health.ok ? 'working' : 'unconfigured', reason: '' };
}

type WatchedState = 'unknown' | 'working' | 'stopped' | 'unconfigured';

export class AlertWatcher {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | null = null;
  private readonly failureRun: number;
  /** This instance, as the watch lease names it. */
  private readonly id = randomUUID();

  /** Each configuration's last state and the watch lease: shared with the other instances, or this process's own. */
  private readonly shared: SharedSettings;

  constructor(private readonly options: AlertWatcherOptions) {
    this.failureRun = options.failureRun ?? 5;
    this.shared = options.shared ?? memorySettings();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.options.intervalMs ?? 60_000);
    this.timer.unref?.();
    void this.check();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look at the health; posts when the state changed. Overlapping calls share one look. */
  check(): Promise<void> {
    this.running ??= this.look().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async look(): Promise<void> {
    let configIds: string[];
    try {
      if (!(await this.holdsWatch())) return;
      configIds = this.options.configs ? await this.options.configs() : ['default'];
    } catch {
      return;
    }
    for (const configId of configIds) await this.lookAt(configId);
  }

  private async lookAt(configId: string): Promise<void> {
    let health: HealthView;
    try {
      health = await this.options.health(configId);
    } catch {
      return;
    }
    const { state: next, reason } = classify(health, this.failureRun);
    let previous: WatchedState | null;
    try {
      previous = await this.record(configId, next);
    } catch {
      return;
    }
    // Only a change between working and stopped is news; the first look and the unconfigured state set a baseline.
    const news = (previous === 'working' && next === 'stopped') || (previous === 'stopped' && next === 'working');
    if (!news) return;
    await this.post({ event: next === 'stopped' ? 'sending-stopped' : 'sending-recovered', configId, reason, at: new Date().toISOString(), health });
  }

  /** Whether this instance is the one that watches now: it holds the lease, or took it over once it lapsed. */
  private async holdsWatch(): Promise<boolean> {
    const now = (this.options.now ?? Date.now)();
    const current = await this.shared.meta(ALERT_WATCH_LEASE_KEY);
    const [holder, until] = current ? current.split(' ') : [];
    if (holder && holder !== this.id && Number(until) > now) return false;
    return this.shared.swapMeta(ALERT_WATCH_LEASE_KEY, current, `${this.id} ${now + 3 * (this.options.intervalMs ?? 60_000)}`);
  }

  /** Records `next` as the configuration's state; the state before when this call changed it, else null. */
  private async record(configId: string, next: WatchedState): Promise<WatchedState | null> {
    const key = alertStateKey(configId);
    const previous = (await this.shared.meta(key)) as WatchedState | null;
    if (previous === next) return null;
    // Another instance that saw the same change first wins the swap; this one then stays quiet.
    return (await this.shared.swapMeta(key, previous, next)) ? (previous ?? 'unknown') : null;
  }

  private async post(payload: AlertPayload): Promise<void> {
    const fetchImpl = this.options.fetch ?? fetch;
    const delays = this.options.retryDelaysMs ?? [1000, 5000, 30_000];
    for (let attempt = 0; attempt <= delays.length; attempt += 1) {
      try {
        const response = await fetchImpl(this.options.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(payload),
          redirect: 'manual',
          signal: AbortSignal.timeout(10_000),
        });
        if (response.ok) {
          this.options.logger?.info('graph-mail: alert delivered', { event: payload.event, configId: payload.configId });
          return;
        }
      } catch {
        // retried below
      }
      if (attempt < delays.length) await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
    }
    this.options.logger?.warn('graph-mail: the alert webhook did not accept the alert', { event: payload.event, configId: payload.configId });
  }
}
