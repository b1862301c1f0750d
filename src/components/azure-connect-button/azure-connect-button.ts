import { html, nothing, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import { Task, TaskStatus } from '@lit/task';
import type { ConfigView, ConnectMessage, ConnectStatus, ConnectionView, EmailBackendAdapter } from '../../services/contract.js';
import { BackendError, ConflictError, NetworkError, UnauthorizedError, UpstreamFailure, isAbort } from '../../services/errors.js';
import { azureConnectButtonStyles } from './azure-connect-button.styles.js';
import { azureConnectButtonStrings, type AzureConnectButtonStringKey } from './azure-connect-button.strings.js';
import { PLUMBING, defaultAdapterFor } from '../shared/index.js';

/** What the button is doing, as a host may read it (`status`) and style it (`:state(...)`). */
export type ConnectButtonStatus = 'loading' | 'unavailable' | 'idle' | 'connecting' | 'connected' | 'needs-reconnect' | 'error';

/** Where a connect in progress is remembered across a full-page redirect: the state only, never a code. */
export const CONNECT_STORAGE_KEY = 'graph-mail-elements:connect';
const POPUP_NAME = 'graph-mail-connect';
const POPUP_FEATURES = 'popup,width=520,height=680';

interface PendingConnect {
  state: string;
  /** Epoch ms after which the wait times out. */
  deadline: number;
}

/** One wait for a sign-in to finish: everything it owns is released by `stopWaiting`. */
interface Wait extends PendingConnect {
  popup: Window | null;
  controller: AbortController;
  channel?: BroadcastChannel;
  pollTimer?: ReturnType<typeof setTimeout>;
  timeoutTimer?: ReturnType<typeof setTimeout>;
  inFlight: boolean;
  recheck: boolean;
  redirect: boolean;
}

const isConnectMessage = (data: unknown, state: string): data is ConnectMessage =>
  typeof data === 'object' &&
  data !== null &&
  (data as ConnectMessage).type === 'graph-mail:connect' &&
  (data as ConnectMessage).state === state &&
  typeof (data as ConnectMessage).ok === 'boolean';

/**
 * @summary Connects the mail settings to one Microsoft 365 mailbox: "Connect Azure Email" opens the
 * Microsoft sign-in in a popup (or a full-page redirect when popups are blocked) and waits for the
 * server to report the connection; "Disconnect Azure Email" removes it.
 *
 * @tag azure-connect-button
 *
 * @csspart base - The wrapper of everything.
 * @csspart account - "Connected to …" or "Not connected".
 * @csspart actions - The row of buttons.
 * @csspart button - The main button (connect, disconnect, reconnect, retry).
 * @csspart cancel-button - Cancel, while waiting for the sign-in.
 * @csspart progress - The progress indicator and its text, while waiting.
 * @csspart reason - Why the button cannot be used yet.
 * @csspart warning - The needs-reconnect notice.
 * @csspart error - The error message.
 *
 * @cssproperty --gm-color-primary - Background of the main button. Default #0f6cbd.
 * @cssproperty --gm-color-on-primary - Text on the main button. Default #ffffff.
 * @cssproperty --gm-color-text - Text colour. Default inherit.
 * @cssproperty --gm-color-text-muted - Secondary text. Default #505050.
 * @cssproperty --gm-color-danger-text - Error text. Default #a4262c.
 * @cssproperty --gm-color-danger-background - Error background. Default #fde7e9.
 * @cssproperty --gm-color-warning-text - Warning text. Default #6a4b00.
 * @cssproperty --gm-color-warning-background - Warning background. Default #fff4ce.
 * @cssproperty --gm-border-radius - Corner radius. Default 4px.
 * @cssproperty --gm-spacing-small - Gap between pieces. Default 0.5rem.
 * @cssproperty --gm-button-padding - Padding of buttons. Default 0.375rem 0.875rem.
 * @cssproperty --gm-focus-ring - Focus outline. Default 2px solid #0f6cbd.
 *
 * @event gm-connect - Before the sign-in window opens. Cancelable: `preventDefault()` stops the connect.
 * @event gm-connected - The mailbox is connected. `detail.account` names it.
 * @event gm-disconnected - The connection was removed. `detail.config` is the unlocked configuration.
 * @event gm-connect-error - Connecting failed or timed out. `detail.message` is the message shown.
 */
export class AzureConnectButton extends PLUMBING.Base {
  static override styles = azureConnectButtonStyles;

  /** Registers the element (default tag `azure-connect-button`); a second call warns and does nothing. */
  static define(tagName = 'azure-connect-button'): void {
    PLUMBING.defineElement(tagName, this);
  }

  /** The backend. When not set, the one provided by an ancestor (such as `<email-config-form>`) is used. */
  @property({ attribute: false }) adapter?: EmailBackendAdapter;

  /**
   * The saved configuration, when a container already has it (the form passes it). When not set, the
   * button loads it from the adapter.
   */
  @property({ attribute: false }) config?: ConfigView;

  /** The host has unsaved changes: connecting would use the old settings, so the button says so. */
  @property({ type: Boolean, attribute: 'pending-changes' }) pendingChanges = false;

  /** How long to wait for the sign-in before giving up, in milliseconds. */
  @property({ type: Number }) timeout = 5 * 60 * 1000;

  /** How often to ask the server whether the sign-in finished, in milliseconds. */
  @property({ type: Number, attribute: 'poll-interval' }) pollInterval = 1000;

  @state() private phase: 'idle' | 'connecting' | 'disconnecting' | 'error' = 'idle';
  @state() private errorMessage = '';
  @state() private announcement = '';
  /** The outcome of this element's own connect or disconnect, until a new `config` arrives. */
  @state() private localConnection?: ConnectionView;
  @state() private redirecting = false;

  private wait?: Wait;
  private lastAction: 'connect' | 'disconnect' = 'connect';
  private readonly localize = new PLUMBING.Localize(this, azureConnectButtonStrings);
  private readonly adapterConsumer = PLUMBING.consumeAdapter(this);

  private readonly loadTask = new Task(this, {
    task: async ([adapter, config], { signal }) => {
      if (config || !adapter) return undefined;
      return adapter.getConfig(signal);
    },
    args: () => [this.backend, this.config] as const,
  });

  /** What the button shows now. */
  get status(): ConnectButtonStatus {
    if (this.phase === 'connecting' || this.phase === 'disconnecting') return 'connecting';
    if (this.phase === 'error') return 'error';
    if (!this.backend) return 'unavailable';
    const config = this.currentConfig;
    if (!config) return this.loadTask.status === TaskStatus.ERROR ? 'unavailable' : 'loading';
    const connection = this.localConnection ?? config.connection;
    if (connection.state === 'connected') return 'connected';
    if (connection.state === 'needs-reconnect' || connection.state === 'error') return 'needs-reconnect';
    return 'idle';
  }

  private get backend(): EmailBackendAdapter | undefined {
    return this.adapter ?? this.adapterConsumer.value ?? defaultAdapterFor(this);
  }

  private get currentConfig(): ConfigView | undefined {
    return this.config ?? this.loadTask.value;
  }

  private t(key: AzureConnectButtonStringKey, params?: Record<string, string | number>): string {
    return this.localize.term(key, params);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.resumePending();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    // The pending state stays in sessionStorage: a partial-page update re-adds the element, which resumes.
    if (this.wait) this.stopWaiting(this.wait, { keepPending: true });
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('config') && changed.get('config') !== undefined) this.localConnection = undefined;
  }

  /** Starts the sign-in, as the main button does. Does nothing while it cannot be used. */
  async connect(): Promise<void> {
    const adapter = this.backend;
    if (!adapter || this.wait || this.blockReason()) return;
    if (!this.emit('gm-connect', {}, true)) return;
    this.lastAction = 'connect';
    this.phase = 'connecting';
    this.errorMessage = '';
    this.announcement = '';
    const controller = new AbortController();
    // A placeholder wait, so that Cancel works while the authorize URL is being fetched.
    const wait = this.startWait({ state: '', deadline: Date.now() + this.timeout }, controller, null);
    try {
      const start = await adapter.beginConnect({ mode: 'popup' }, controller.signal);
      if (!this.isCurrent(wait)) return;
      const popup = window.open(start.authorizeUrl, POPUP_NAME, POPUP_FEATURES);
      if (!popup) {
        await this.redirectInstead(adapter, wait);
        return;
      }
      wait.popup = popup;
      wait.state = start.state;
      this.savePending(wait);
      this.listen(wait);
      this.schedulePoll(wait, this.pollInterval);
    } catch (error) {
      if (isAbort(error) || !this.isCurrent(wait)) return;
      this.fail(wait, this.messageFor(error));
    }
  }

  /** Stops waiting for the sign-in and closes the popup when the browser lets us. */
  cancel(): void {
    const wait = this.wait;
    if (!wait) return;
    this.stopWaiting(wait);
    this.closePopup(wait);
    this.phase = 'idle';
    this.announcement = this.t('connect.cancelled');
  }

  /** Removes the connection (the settings unlock), as the main button does while connected. */
  async disconnect(): Promise<void> {
    const adapter = this.backend;
    if (!adapter || this.phase === 'disconnecting' || this.wait) return;
    this.lastAction = 'disconnect';
    this.phase = 'disconnecting';
    this.errorMessage = '';
    try {
      const config = await adapter.disconnect();
      this.localConnection = config.connection ?? { state: 'disconnected', account: '', connectedAt: '' };
      this.phase = 'idle';
      this.announcement = this.t('connect.disconnected');
      this.emit('gm-disconnected', { config });
    } catch (error) {
      this.phase = 'error';
      this.errorMessage = this.messageFor(error);
    }
  }

  /**
   * Leaves the page for the sign-in. Protected so that a host (or a test) can route it differently;
   * the default is `location.assign`.
   */
  protected navigate(url: string): void {
    window.location.assign(url);
  }

  private async redirectInstead(adapter: EmailBackendAdapter, wait: Wait): Promise<void> {
    const returnTo = window.location.pathname + window.location.search;
    const start = await adapter.beginConnect({ mode: 'redirect', returnTo }, wait.controller.signal);
    if (!this.isCurrent(wait)) return;
    wait.state = start.state;
    wait.redirect = true;
    this.savePending(wait);
    this.redirecting = true;
    this.navigate(start.authorizeUrl);
  }

  /** After a redirect (or when the element is added again), keeps waiting for a sign-in in progress. */
  private resumePending(): void {
    if (this.wait) return;
    const pending = this.readPending();
    if (!pending) return;
    if (pending.deadline <= Date.now()) {
      this.clearPending();
      return;
    }
    this.lastAction = 'connect';
    this.phase = 'connecting';
    this.redirecting = true;
    const wait = this.startWait(pending, new AbortController(), null);
    this.listen(wait);
    // Ask at once: coming back from a redirect, the sign-in has usually finished.
    this.schedulePoll(wait, 0);
  }

  /** Whether a wait is still the one in progress (a cancel, time-out or new wait supersedes it). */
  private isCurrent(wait: Wait): boolean {
    return this.wait === wait;
  }

  private startWait(pending: PendingConnect, controller: AbortController, popup: Window | null): Wait {
    const wait: Wait = { ...pending, popup, controller, inFlight: false, recheck: false, redirect: false };
    this.wait = wait;
    wait.timeoutTimer = setTimeout(() => this.onTimeout(wait), Math.max(0, pending.deadline - Date.now()));
    return wait;
  }

  private listen(wait: Wait): void {
    window.addEventListener('message', this.onWindowMessage);
    if (typeof BroadcastChannel === 'function') {
      wait.channel = new BroadcastChannel(wait.state);
      wait.channel.onmessage = (event: MessageEvent) => {
        if (isConnectMessage(event.data, wait.state)) this.recheckNow(wait);
      };
    }
  }

  private readonly onWindowMessage = (event: MessageEvent): void => {
    const wait = this.wait;
    const adapter = this.backend;
    if (!wait || !adapter || !wait.state) return;
    if (event.origin !== adapter.callbackOrigin) return;
    if (!isConnectMessage(event.data, wait.state)) return;
    this.recheckNow(wait);
  };

  /** A message only shortens the wait: the server's status decides. */
  private recheckNow(wait: Wait): void {
    if (!this.isCurrent(wait)) return;
    if (wait.inFlight) {
      wait.recheck = true;
      return;
    }
    clearTimeout(wait.pollTimer);
    void this.poll(wait);
  }

  private schedulePoll(wait: Wait, delay: number): void {
    clearTimeout(wait.pollTimer);
    wait.pollTimer = setTimeout(() => void this.poll(wait), delay);
  }

  private async poll(wait: Wait): Promise<void> {
    const adapter = this.backend;
    if (this.wait !== wait || !adapter) return;
    wait.inFlight = true;
    let status: ConnectStatus;
    try {
      status = await adapter.connectStatus(wait.state, wait.controller.signal);
    } catch (error) {
      wait.inFlight = false;
      if (isAbort(error) || !this.isCurrent(wait)) return;
      // The server may be briefly unreachable while the admin signs in: keep asking until the time-out.
      if (error instanceof NetworkError) this.schedulePoll(wait, this.pollInterval);
      else this.fail(wait, this.messageFor(error));
      return;
    }
    wait.inFlight = false;
    if (!this.isCurrent(wait)) return;
    if (status.state === 'connected') this.succeed(wait, status.account ?? '');
    else if (status.state === 'failed') this.fail(wait, this.signInError(status.error));
    else if (wait.recheck) {
      wait.recheck = false;
      void this.poll(wait);
    } else this.schedulePoll(wait, this.pollInterval);
  }

  private succeed(wait: Wait, account: string): void {
    this.stopWaiting(wait);
    this.closePopup(wait);
    this.phase = 'idle';
    this.redirecting = false;
    this.localConnection = { state: 'connected', account, connectedAt: new Date().toISOString() };
    this.announcement = this.t('connect.connectedNow', { account });
    this.emit('gm-connected', { account });
  }

  private fail(wait: Wait, message: string): void {
    this.stopWaiting(wait);
    this.phase = 'error';
    this.redirecting = false;
    this.errorMessage = message;
    this.emit('gm-connect-error', { message });
  }

  private onTimeout(wait: Wait): void {
    if (!this.isCurrent(wait)) return;
    this.closePopup(wait);
    this.fail(wait, this.t('connect.error.timeout', { minutes: Math.max(1, Math.round(this.timeout / 60000)) }));
  }

  private stopWaiting(wait: Wait, options: { keepPending?: boolean } = {}): void {
    clearTimeout(wait.pollTimer);
    clearTimeout(wait.timeoutTimer);
    wait.controller.abort();
    wait.channel?.close();
    window.removeEventListener('message', this.onWindowMessage);
    if (!options.keepPending) this.clearPending();
    if (this.wait === wait) this.wait = undefined;
  }

  private closePopup(wait: Wait): void {
    try {
      wait.popup?.close();
    } catch {
      // Cross-origin-isolated popups may refuse; the callback page closes itself.
    }
  }

  private savePending(wait: Wait): void {
    try {
      sessionStorage.setItem(CONNECT_STORAGE_KEY, JSON.stringify({ state: wait.state, deadline: wait.deadline }));
    } catch {
      // Storage may be off; the popup path still works without it.
    }
  }

  private readPending(): PendingConnect | null {
    try {
      const raw = sessionStorage.getItem(CONNECT_STORAGE_KEY);
      if (!raw) return null;
      const value = JSON.parse(raw) as Partial<PendingConnect>;
      return typeof value.state === 'string' && value.state && typeof value.deadline === 'number'
        ? { state: value.state, deadline: value.deadline }
        : null;
    } catch {
      return null;
    }
  }

  private clearPending(): void {
    try {
      sessionStorage.removeItem(CONNECT_STORAGE_KEY);
    } catch {
      // Nothing to clear when storage is off.
    }
  }

  private signInError(error: string | undefined): string {
    if (!error || /access_denied|consent_required|interaction_required|AADSTS65004/i.test(error)) {
      return this.t('connect.error.denied');
    }
    return this.t('connect.error.failed', { message: error });
  }

  private messageFor(error: unknown): string {
    if (error instanceof NetworkError) return this.t('connect.error.network');
    if (error instanceof UnauthorizedError) return this.t('connect.error.unauthorized');
    if (error instanceof ConflictError) return this.t('connect.error.conflict', { message: error.message });
    if (error instanceof UpstreamFailure) return this.t('connect.error.failed', { message: [error.message, error.hint].filter(Boolean).join(' ') });
    if (error instanceof BackendError) return this.t('connect.error.generic', { message: error.message });
    return this.t('connect.error.generic', { message: error instanceof Error ? error.message : String(error) });
  }

  /** Why connecting is not possible now, or '' when it is. */
  private blockReason(): string {
    if (!this.backend) return this.t('connect.reason.noAdapter');
    const config = this.currentConfig;
    if (!config) return '';
    if (config.mode === 'application') return this.t('connect.reason.application');
    const credentialSet = config.secret?.set;
    if (!config.tenantId || !config.clientId || !credentialSet) return this.t('connect.reason.incomplete');
    if (this.pendingChanges) return this.t('connect.reason.unsaved');
    return '';
  }

  private emit(name: string, detail: object, cancelable = false): boolean {
    return this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true, cancelable }));
  }

  private onMainClick(status: ConnectButtonStatus): void {
    if (status === 'connected') void this.disconnect();
    else if (status === 'error' && this.lastAction === 'disconnect') void this.disconnect();
    else if (status === 'error') {
      this.phase = 'idle';
      void this.connect();
    } else void this.connect();
  }

  protected override render() {
    const status = this.status;
    if (status === 'loading') {
      return html`<div part="base" class="base" role="status">${this.t('connect.loading')}</div>`;
    }
    if (status === 'unavailable' && this.backend) {
      return html`<div part="base" class="base">
        <p part="error" class="error" role="alert">${this.t('connect.loadFailed')}</p>
        <div part="actions" class="actions">
          <button part="button" type="button" @click=${() => void this.loadTask.run()}>${this.t('connect.retry')}</button>
        </div>
      </div>`;
    }
    const connection = this.localConnection ?? this.currentConfig?.connection;
    const connected = status === 'connected' || (status === 'connecting' && this.phase === 'disconnecting');
    const reason = status === 'connected' || status === 'connecting' ? '' : this.blockReason();
    const busy = status === 'connecting';
    const label =
      status === 'connected' || this.phase === 'disconnecting'
        ? this.t('connect.disconnect')
        : status === 'error'
          ? this.t('connect.retry')
          : status === 'needs-reconnect'
            ? this.t('connect.reconnect')
            : this.t('connect.connect');
    const disabled = busy || Boolean(reason);
    return html`<div part="base" class="base">
      <p part="account" class="account">
        ${connected && connection?.account ? this.t('connect.connectedTo', { account: connection.account }) : this.t('connect.notConnected')}
      </p>
      ${status === 'needs-reconnect'
        ? html`<p part="warning" class="warning">
            ${connection?.reason ? this.t('connect.needsReconnectReason', { reason: connection.reason }) : this.t('connect.needsReconnect')}
          </p>`
        : nothing}
      <div part="actions" class="actions">
        <button
          part="button"
          type="button"
          aria-disabled=${disabled ? 'true' : 'false'}
          aria-describedby=${reason ? 'reason' : nothing}
          @click=${() => {
            if (!disabled) this.onMainClick(status);
          }}
        >
          ${label}
        </button>
        ${busy && this.phase === 'connecting'
          ? html`<button part="cancel-button" type="button" @click=${() => this.cancel()}>${this.t('connect.cancel')}</button>`
          : nothing}
      </div>
      ${busy
        ? html`<div part="progress" class="progress">
            <progress aria-label=${this.t('connect.progress')}></progress>
            <span class="progress-text">
              ${this.phase === 'disconnecting'
                ? this.t('connect.disconnecting')
                : this.redirecting
                  ? this.t('connect.waitingRedirect')
                  : this.t('connect.waiting')}
            </span>
          </div>`
        : nothing}
      ${reason ? html`<p id="reason" part="reason" class="reason">${reason}</p>` : nothing}
      ${status === 'error' ? html`<p part="error" class="error" role="alert">${this.errorMessage}</p>` : nothing}
      <div class="live" role="status" aria-live="polite">${this.announcement}</div>
    </div>`;
  }
}
