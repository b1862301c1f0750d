import { LitElement, html, nothing, svg, type PropertyValues, type TemplateResult } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { styleMap } from 'lit/directives/style-map.js';
import type { EmailBackendAdapter, LogAttempt, LogChange, LogCounts, LogEntry, LogEntryDetail, LogError, LogQuery, LogStatus } from '../../services/contract.js';
import { LOG_STATUSES } from '../../services/contract.js';
import { isAbort } from '../../services/errors.js';
import { ImplicitSubmitGuard, Localize, consumeAdapter, defaultAdapterFor, defineElement } from '../shared/index.js';
import { notificationLogStyles } from './notification-log.styles.js';
import { notificationLogStrings, type NotificationLogStringKey } from './notification-log.strings.js';

/** What `gm-retry` and `gm-export` carry. */
export interface LogRetryDetail {
  id: string;
  status: LogStatus;
}
export interface LogExportDetail {
  query: LogQuery;
}

/** Untrusted text (subjects, recipients, upstream messages) is shown as text and cut to this length. */
const MAX_TEXT = 300;
const SEARCH_DELAY_MS = 300;
/** Rows from the end of the loaded list at which the next page is fetched while scrolling. */
const PREFETCH_ROWS = 20;
/** Rows rendered above and below the visible ones, so fast scrolling shows no gap. */
const OVERSCAN = 8;
/** Row height before the first row is measured (px). */
const DEFAULT_ROW_HEIGHT = 36;

/** Bidirectional controls (U+202A–E, U+2066–9) in untrusted text could reorder what an operator reads. */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;
const cut = (text: string, max = MAX_TEXT): string => {
  const shown = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return shown.replace(BIDI_CONTROLS, '\ufffd');
};
const DAY_MS = 86_400_000;
const emptyCounts = (): LogCounts => ({ queued: 0, sending: 0, sent: 0, failed: 0, unknown: 0 });

/**
 * @summary The notification log: what was sent, what failed and why, with filters, search, details of
 * every attempt, "Send again" and CSV export. Scrolls through any number of rows with a virtual list.
 *
 * @tag notification-log
 *
 * @csspart toolbar - The filters, the search box, the dates and the buttons above the table.
 * @csspart filter - Each status filter button.
 * @csspart search - The search box.
 * @csspart button - Every button.
 * @csspart table - The table of messages.
 * @csspart header - The header row.
 * @csspart row - Each message row.
 * @csspart status - The status badge of a row.
 * @csspart footer - The line below the table (row count, "Load more").
 * @csspart detail - The details of the selected message.
 * @csspart message - Empty, loading and error messages.
 *
 * @cssproperty --gm-log-height - Height of the scrolling table. Default 24rem.
 * @cssproperty --gm-log-columns - The grid template of a row's seven columns.
 * @cssproperty --gm-color-primary - The selected filter. Default #0f6cbd.
 * @cssproperty --gm-color-on-primary - Text of the selected filter. Default #ffffff.
 * @cssproperty --gm-color-border - Borders. Default #8a8886.
 * @cssproperty --gm-color-row-border - Lines between rows. Default #edebe9.
 * @cssproperty --gm-color-surface - Background of the table. Default #ffffff.
 * @cssproperty --gm-color-text-muted - Secondary text. Default #505050.
 * @cssproperty --gm-color-success-text - "Sent" badge. Default #0e5c0e.
 * @cssproperty --gm-color-danger-text - "Failed" badge and errors. Default #a4262c.
 * @cssproperty --gm-color-warning-text - "Unknown" badge. Default #6a4b00.
 * @cssproperty --gm-color-info-text - "Queued" and "Sending" badges. Default #0c3b5e.
 * @cssproperty --gm-focus-ring - Focus outline. Default 2px solid #0f6cbd.
 * @cssproperty --gm-font-mono - Font of ids. Default ui-monospace, monospace.
 *
 * @event gm-retry - Before a message is queued again; cancelable. `detail: { id, status }`.
 * @event gm-export - Before the CSV export is downloaded; cancelable. `detail: { query }`.
 */
export class NotificationLog extends LitElement {
  static override styles = notificationLogStyles;

  /** Registers the element (default tag `notification-log`); a second call warns and does nothing. */
  static define(tagName = 'notification-log'): void {
    defineElement(tagName, this);
  }

  /** The backend. When not set, the one provided by an ancestor is used. */
  @property({ attribute: false }) adapter?: EmailBackendAdapter;

  /** Rows fetched per request (1–200). */
  @property({ type: Number, attribute: 'page-size' }) pageSize = 100;

  /** The status filter: one of queued, sending, sent, failed, unknown; empty for all. */
  @property({ reflect: true }) status: LogStatus | '' = '';

  @state() private items: LogEntry[] = [];
  @state() private counts: LogCounts = emptyCounts();
  @state() private nextCursor: string | null = null;
  @state() private phase: 'idle' | 'loading' | 'more' | 'error' = 'idle';
  @state() private loadError = '';
  @state() private search = '';
  @state() private from = '';
  @state() private to = '';
  @state() private selectedId: string | null = null;
  @state() private detail: LogEntryDetail | null = null;
  @state() private detailError = '';
  @state() private confirmingRetry = false;
  @state() private notice = '';
  @state() private pending: LogEntry[] = [];

  @state() private firstRow = 0;
  @state() private visibleRows = 20;

  @query('.body') private body?: HTMLElement;
  private rowHeight = DEFAULT_ROW_HEIGHT;
  private scrollFrame = 0;

  private readonly localize = new Localize(this, notificationLogStrings);
  private readonly adapterConsumer = consumeAdapter(this);
  private listController?: AbortController;
  private detailController?: AbortController;
  private searchTimer?: ReturnType<typeof setTimeout>;
  private unsubscribe?: () => void;
  private subscribedTo?: EmailBackendAdapter;
  private loadedWith?: EmailBackendAdapter;

  constructor() {
    super();
    new ImplicitSubmitGuard(this);
  }

  private term(key: NotificationLogStringKey, params?: Record<string, string | number>): string {
    return this.localize.term(key, params);
  }

  private get backend(): EmailBackendAdapter | undefined {
    return this.adapter ?? this.adapterConsumer.value ?? defaultAdapterFor(this);
  }

  /** The filters in effect, as the server takes them. */
  get query(): LogQuery {
    const query: LogQuery = {};
    if (this.status) query.status = this.status;
    if (this.search.trim()) query.q = this.search.trim();
    if (this.from) query.from = new Date(`${this.from}T00:00:00`).toISOString();
    if (this.to) query.to = new Date(`${this.to}T23:59:59.999`).toISOString();
    return query;
  }

  /** Loads the first page again with the current filters. */
  refresh(): Promise<void> {
    return this.load(true);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.listController?.abort();
    this.detailController?.abort();
    clearTimeout(this.searchTimer);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.subscribedTo = undefined;
    this.loadedWith = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Back in the page after a partial-page update: load and subscribe again, once.
    this.requestUpdate();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const backend = this.backend;
    if (backend && backend !== this.loadedWith) {
      this.loadedWith = backend;
      void this.load(true);
      this.subscribe(backend);
    } else if (changed.has('status') && changed.get('status') !== undefined && backend) {
      void this.load(true);
    }
  }

  private subscribe(backend: EmailBackendAdapter): void {
    if (this.subscribedTo === backend) return;
    this.unsubscribe?.();
    this.subscribedTo = backend;
    this.unsubscribe = backend.subscribeLog?.((change) => this.onChange(change));
  }

  private onChange({ entry }: LogChange): void {
    const index = this.items.findIndex((item) => item.id === entry.id);
    if (index >= 0) {
      const previous = this.items[index];
      this.items = this.items.map((item, i) => (i === index ? entry : item));
      if (previous.status !== entry.status) {
        this.counts = { ...this.counts, [previous.status]: Math.max(0, this.counts[previous.status] - 1), [entry.status]: this.counts[entry.status] + 1 };
      }
      if (this.selectedId === entry.id) void this.openDetail(entry.id);
      return;
    }
    if (this.pending.some((item) => item.id === entry.id)) {
      this.pending = this.pending.map((item) => (item.id === entry.id ? entry : item));
      return;
    }
    if (!this.passesFilters(entry)) return;
    // New rows wait behind a notice, so the row under the reader's eyes does not move.
    this.pending = [entry, ...this.pending];
  }

  private passesFilters(entry: LogEntry): boolean {
    const query = this.query;
    if (query.status && entry.status !== query.status) return false;
    if (query.q) {
      const needle = query.q.toLowerCase();
      if (!entry.subject.toLowerCase().includes(needle) && !entry.to.some((to) => to.toLowerCase().includes(needle))) return false;
    }
    if (query.from && entry.createdAt < query.from) return false;
    if (query.to && entry.createdAt > query.to) return false;
    return true;
  }

  private showPending(): void {
    const known = new Set(this.items.map((item) => item.id));
    const fresh = this.pending.filter((item) => !known.has(item.id));
    this.items = [...fresh, ...this.items];
    const counts = { ...this.counts };
    for (const item of fresh) counts[item.status] += 1;
    this.counts = counts;
    this.pending = [];
    if (this.body) this.body.scrollTop = 0;
  }

  private async load(reset: boolean): Promise<void> {
    const backend = this.backend;
    if (!backend) return;
    if (!reset && (!this.nextCursor || this.phase === 'loading' || this.phase === 'more')) return;
    this.listController?.abort();
    const controller = new AbortController();
    this.listController = controller;
    this.phase = reset ? 'loading' : 'more';
    const request: LogQuery = { ...this.query, limit: Math.min(200, Math.max(1, this.pageSize)) };
    if (!reset && this.nextCursor) request.cursor = this.nextCursor;
    try {
      const page = await backend.queryLog(request, controller.signal);
      // A newer request (another filter, a refresh) owns the list now.
      if (controller !== this.listController) return;
      this.items = reset ? page.items : [...this.items, ...page.items];
      this.counts = page.counts;
      this.nextCursor = page.nextCursor;
      if (reset) this.pending = [];
      this.phase = 'idle';
    } catch (error) {
      if (isAbort(error) || controller !== this.listController) return;
      this.loadError = error instanceof Error ? error.message : String(error);
      this.phase = 'error';
    }
  }

  /**
   * The window of rows to render. Rows have one fixed height (one line each, text cut with an ellipsis),
   * so a window is a division, not a layout engine: @lit-labs/virtualizer measures rows of any height
   * and would add about 9 kB gzipped to the one-tag bundle, a quarter of its 40 kB budget.
   */
  private onScroll(): void {
    if (this.scrollFrame) return;
    this.scrollFrame = requestAnimationFrame(() => {
      this.scrollFrame = 0;
      this.measure();
    });
  }

  private measure(): void {
    const body = this.body;
    if (!body) return;
    const row = body.querySelector<HTMLElement>('[role="row"]');
    if (row?.offsetHeight) this.rowHeight = row.offsetHeight;
    this.firstRow = Math.floor(body.scrollTop / this.rowHeight);
    this.visibleRows = Math.ceil(body.clientHeight / this.rowHeight) + 1;
    if (this.firstRow + this.visibleRows >= this.items.length - PREFETCH_ROWS && this.nextCursor && this.phase === 'idle') void this.load(false);
  }

  protected override updated(): void {
    // A new page or a filter changes what fits; measuring is cheap and settles after one pass.
    const body = this.body;
    if (body && (Math.floor(body.scrollTop / this.rowHeight) !== this.firstRow || Math.ceil(body.clientHeight / this.rowHeight) + 1 !== this.visibleRows)) this.measure();
  }

  private setStatus(status: LogStatus | ''): void {
    if (status === this.status) return;
    this.status = status;
  }

  private onSearchInput(event: Event): void {
    this.search = (event.target as HTMLInputElement).value;
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => void this.load(true), SEARCH_DELAY_MS);
  }

  private onDate(which: 'from' | 'to', event: Event): void {
    this[which] = (event.target as HTMLInputElement).value;
    void this.load(true);
  }

  private async openDetail(id: string): Promise<void> {
    const backend = this.backend;
    if (!backend) return;
    if (this.selectedId !== id) {
      this.confirmingRetry = false;
      this.notice = '';
    }
    this.selectedId = id;
    this.detailError = '';
    this.detailController?.abort();
    const controller = new AbortController();
    this.detailController = controller;
    try {
      const detail = await backend.getLogEntry(id, controller.signal);
      if (controller === this.detailController) this.detail = detail;
    } catch (error) {
      if (isAbort(error) || controller !== this.detailController) return;
      this.detail = null;
      this.detailError = error instanceof Error ? error.message : String(error);
    }
  }

  private closeDetail(): void {
    const id = this.selectedId;
    this.selectedId = null;
    this.detail = null;
    this.confirmingRetry = false;
    this.detailController?.abort();
    if (id) void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`[data-id="${CSS.escape(id)}"]`)?.focus());
  }

  private onRowKey(event: KeyboardEvent, id: string): void {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      void this.openDetail(id);
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const row = event.currentTarget as HTMLElement;
      const sibling = (event.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling) as HTMLElement | null;
      if (sibling?.getAttribute('role') === 'row') sibling.focus();
    }
  }

  private async retry(): Promise<void> {
    const detail = this.detail;
    const backend = this.backend;
    if (!detail || !backend) return;
    if (detail.status === 'unknown' && !this.confirmingRetry) {
      this.confirmingRetry = true;
      return;
    }
    this.confirmingRetry = false;
    const event = new CustomEvent<LogRetryDetail>('gm-retry', { detail: { id: detail.id, status: detail.status }, bubbles: true, composed: true, cancelable: true });
    if (!this.dispatchEvent(event)) return;
    try {
      await backend.retryLogEntry(detail.id);
      this.notice = this.term('log.retry.done');
      await this.openDetail(detail.id);
      const updated = this.detail as LogEntryDetail | null;
      if (updated) this.items = this.items.map((item) => (item.id === updated.id ? { ...item, status: updated.status, attempts: updated.attempts } : item));
    } catch (error) {
      this.notice = this.term('log.retry.failed', { message: error instanceof Error ? error.message : String(error) });
    }
  }

  private async exportCsv(): Promise<void> {
    const backend = this.backend;
    if (!backend) return;
    const query = this.query;
    const event = new CustomEvent<LogExportDetail>('gm-export', { detail: { query }, bubbles: true, composed: true, cancelable: true });
    if (!this.dispatchEvent(event)) return;
    try {
      // A plain link where the adapter can offer one (cookies suffice); a fetch download where it
      // authenticates with a token, which a link cannot carry.
      const direct = backend.logCsvUrl(query);
      const url = direct ?? URL.createObjectURL(await backend.downloadLogCsv(query));
      const link = document.createElement('a');
      link.href = url;
      link.download = `notification-log-${new Date().toISOString().slice(0, 10)}.csv`;
      link.hidden = true;
      this.renderRoot.appendChild(link);
      link.click();
      link.remove();
      if (!direct) setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      this.notice = this.term('log.export.failed', { message: error instanceof Error ? error.message : String(error) });
    }
  }

  private async copy(text: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      this.notice = this.term('log.copied');
    } catch {
      // Without clipboard access the id stays selectable on screen.
    }
  }

  private time(iso: string): string {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso;
    return new Intl.DateTimeFormat(this.localize.lang, { dateStyle: 'short', timeStyle: 'medium' }).format(date);
  }

  private exactTime(iso: string): string {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso;
    return new Intl.DateTimeFormat(this.localize.lang, { dateStyle: 'full', timeStyle: 'long' }).format(date);
  }

  private duration(ms: number): string {
    return ms >= 10_000 ? this.term('log.seconds', { s: Math.round(ms / 100) / 10 }) : this.term('log.ms', { ms: Math.round(ms) });
  }

  private statusLabel(status: LogStatus): string {
    return this.term(`log.status.${status}` as NotificationLogStringKey);
  }

  private get total(): number {
    if (this.status) return this.counts[this.status];
    return LOG_STATUSES.reduce((sum, status) => sum + this.counts[status], 0);
  }

  protected override render(): TemplateResult {
    if (!this.backend) return html`<p class="message" part="message">${this.term('log.noAdapter')}</p>`;
    return html`
      ${this.renderToolbar()} ${this.renderChart()}
      <div class="table" part="table" role="table" aria-label=${this.term('log.title')} aria-rowcount=${this.total + 1} aria-busy=${this.phase === 'loading' ? 'true' : 'false'}>
        <div role="rowgroup">
          <div class="head" part="header" role="row" aria-rowindex="1">
            ${(['time', 'to', 'subject', 'status', 'attempts', 'duration', 'error'] as const).map(
              (column) => html`<span class="cell" role="columnheader">${this.term(`log.col.${column}`)}</span>`,
            )}
          </div>
        </div>
        ${this.renderBody()}
      </div>
      <div class="footer" part="footer">
          <span class="muted" aria-live="polite">${this.items.length ? this.term('log.rows', { shown: this.items.length, total: Math.max(this.total, this.items.length) }) : ''}</span>
          ${this.nextCursor
            ? html`<button type="button" part="button" @click=${() => this.load(false)} ?disabled=${this.phase !== 'idle'}>
                ${this.phase === 'more' ? this.term('log.loadingMore') : this.term('log.loadMore')}
              </button>`
            : nothing}
      </div>
      ${this.renderDetail()}
      <p class="sr-only" role="status">${this.notice}</p>
    `;
  }

  /** Sent and failed per day over the loaded rows: a glance at whether mail stopped, and when. */
  private renderChart(): TemplateResult | typeof nothing {
    const days = new Map<number, { sent: number; failed: number }>();
    for (const item of this.items) {
      if (item.status !== 'sent' && item.status !== 'failed') continue;
      const at = Date.parse(item.createdAt);
      if (Number.isNaN(at)) continue;
      const day = Math.floor(at / DAY_MS) * DAY_MS;
      const counts = days.get(day) ?? { sent: 0, failed: 0 };
      counts[item.status] += 1;
      days.set(day, counts);
    }
    if (days.size === 0) return nothing;
    const series = [...days.entries()].sort((a, b) => a[0] - b[0]).slice(-31);
    const most = Math.max(...series.map(([, c]) => c.sent + c.failed));
    const width = 8;
    const gap = 2;
    const height = 40;
    const format = new Intl.DateTimeFormat(this.localize.lang, { dateStyle: 'medium', timeZone: 'UTC' });
    const summary = series.map(([day, c]) => this.term('log.chart.day', { day: format.format(day), sent: c.sent, failed: c.failed })).join('; ');
    return html`<figure class="chart" part="chart">
      <svg role="img" aria-label=${this.term('log.chart.label', { summary })} width=${series.length * (width + gap)} height=${height} viewBox="0 0 ${series.length * (width + gap)} ${height}">
        ${series.map(([, c], i) => {
          const sent = (c.sent / most) * height;
          const failed = (c.failed / most) * height;
          return svg`<rect class="sent" x=${i * (width + gap)} y=${height - sent - failed} width=${width} height=${sent}></rect>
            <rect class="failed" x=${i * (width + gap)} y=${height - failed} width=${width} height=${failed}></rect>`;
        })}
      </svg>
      <figcaption class="muted">${this.term('log.chart.caption')}</figcaption>
    </figure>`;
  }

  private renderToolbar(): TemplateResult {
    const statuses: Array<LogStatus | ''> = ['', ...LOG_STATUSES];
    return html`
      <div class="toolbar" part="toolbar">
        <fieldset class="chips">
          <legend>${this.term('log.statusFilter')}</legend>
          ${statuses.map((status) => {
            const label = status ? this.statusLabel(status) : this.term('log.status.all');
            const count = status ? this.counts[status] : LOG_STATUSES.reduce((sum, s) => sum + this.counts[s], 0);
            return html`<button type="button" part="filter" aria-pressed=${this.status === status ? 'true' : 'false'} @click=${() => this.setStatus(status)}>
              ${this.term('log.statusCount', { status: label, count })}
            </button>`;
          })}
        </fieldset>
        <label>
          ${this.term('log.search')}
          <input type="search" part="search" .value=${this.search} @input=${this.onSearchInput} maxlength="200" />
        </label>
        <label>
          ${this.term('log.from')}
          <input type="date" .value=${this.from} @change=${(event: Event) => this.onDate('from', event)} />
        </label>
        <label>
          ${this.term('log.to')}
          <input type="date" .value=${this.to} @change=${(event: Event) => this.onDate('to', event)} />
        </label>
        <button type="button" part="button" @click=${() => this.refresh()}>${this.term('log.refresh')}</button>
        <button type="button" part="button" @click=${() => this.exportCsv()}>${this.term('log.export')}</button>
        ${this.pending.length
          ? html`<button type="button" part="button" class="new-rows" @click=${() => this.showPending()}>${this.term('log.newRows', { count: this.pending.length })}</button>`
          : nothing}
      </div>
    `;
  }

  private renderBody(): TemplateResult {
    if (this.phase === 'error') {
      return html`<div role="rowgroup"><div role="row"><div role="cell" class="message error" part="message">
        ${this.term('log.error', { message: cut(this.loadError) })}
        <button type="button" part="button" @click=${() => this.refresh()}>${this.term('log.retryLoad')}</button>
      </div></div></div>`;
    }
    if (this.phase === 'loading' && this.items.length === 0) {
      return html`<div role="rowgroup"><div role="row"><div role="cell" class="message" part="message">${this.term('log.loading')}</div></div></div>`;
    }
    if (this.items.length === 0) {
      const filtered = Boolean(this.status || this.search.trim() || this.from || this.to);
      return html`<div role="rowgroup"><div role="row"><div role="cell" class="message muted" part="message">${this.term(filtered ? 'log.emptyFiltered' : 'log.empty')}</div></div></div>`;
    }
    const start = Math.max(0, this.firstRow - OVERSCAN);
    const end = Math.min(this.items.length, this.firstRow + this.visibleRows + OVERSCAN);
    return html`<div class="body" role="rowgroup" @scroll=${this.onScroll}>
      <div class="spacer" style=${styleMap({ height: `${this.items.length * this.rowHeight}px` })}>
        ${repeat(
          this.items.slice(start, end),
          (entry) => entry.id,
          (entry, offset) => this.renderRow(entry, start + offset),
        )}
      </div>
    </div>`;
  }

  private renderRow(entry: LogEntry, index: number): TemplateResult {
    const recipients = entry.to.join(', ');
    const error = entry.error ? `${entry.error.code}: ${entry.error.message}` : '';
    return html`<div
      class="row"
      part="row"
      style=${styleMap({ top: `${index * this.rowHeight}px` })}
      role="row"
      tabindex="0"
      data-id=${entry.id}
      aria-rowindex=${index + 2}
      aria-selected=${this.selectedId === entry.id ? 'true' : 'false'}
      @click=${() => this.openDetail(entry.id)}
      @keydown=${(event: KeyboardEvent) => this.onRowKey(event, entry.id)}
    >
      <span class="cell" role="cell" title=${this.exactTime(entry.createdAt)}>${this.time(entry.createdAt)}</span>
      <span class="cell" role="cell" title=${cut(recipients, 1000)}>${cut(recipients)}</span>
      <span class="cell" role="cell" title=${cut(entry.subject, 1000)}>${cut(entry.subject)}${entry.source === 'test' ? html` <span class="muted">(${this.term('log.source.test')})</span>` : nothing}</span>
      <span class="cell" role="cell"><span class="badge ${entry.status}" part="status">${this.statusLabel(entry.status)}</span></span>
      <span class="cell num" role="cell">${entry.attempts}</span>
      <span class="cell num" role="cell">${this.duration(entry.durationMs)}</span>
      <span class="cell error" role="cell" title=${cut(error, 1000)}>${cut(error)}</span>
    </div>`;
  }

  private renderError(error: LogError): TemplateResult {
    return html`<dl>
      <dt>${this.term('log.error.code')}</dt>
      <dd class="mono">${cut(error.code)}</dd>
      <dt>${this.term('log.attempt.error')}</dt>
      <dd>${cut(error.message, 1000)}</dd>
      <dt>${this.term('log.error.hint')}</dt>
      <dd>${cut(error.hint, 1000)}</dd>
      ${error.requestId
        ? html`<dt>${this.term('log.error.requestId')}</dt>
            <dd>
              <span class="mono">${cut(error.requestId)}</span>
              <button type="button" part="button" @click=${() => this.copy(error.requestId!)}>${this.term('log.copy')}</button>
            </dd>`
        : nothing}
    </dl>`;
  }

  private renderAttempt(attempt: LogAttempt): TemplateResult {
    return html`<tr>
      <td>${this.time(attempt.at)}</td>
      <td>${this.term(`log.outcome.${attempt.outcome}` as NotificationLogStringKey)}</td>
      <td class="num">${attempt.httpStatus ?? ''}</td>
      <td class="mono">${cut(attempt.requestId ?? '')}</td>
      <td class="mono">${cut(attempt.clientRequestId ?? '')}</td>
      <td>${attempt.error ? cut(`${attempt.error.code}: ${attempt.error.message}`) : ''}</td>
      <td class="num">${this.duration(attempt.ms)}</td>
    </tr>`;
  }

  private renderDetail(): TemplateResult | typeof nothing {
    if (!this.selectedId) return nothing;
    const detail = this.detail?.id === this.selectedId ? this.detail : null;
    return html`<section class="detail" part="detail" aria-labelledby="detail-title">
      <h3 id="detail-title">${this.term('log.detail')}${detail ? html`: ${cut(detail.subject)}` : nothing}</h3>
      ${this.detailError ? html`<p class="error">${this.term('log.error', { message: cut(this.detailError) })}</p>` : nothing}
      ${detail
        ? html`
            <dl>
              <dt>${this.term('log.detail.id')}</dt>
              <dd class="mono">${detail.id}</dd>
              <dt>${this.term('log.detail.created')}</dt>
              <dd>${this.time(detail.createdAt)}</dd>
              <dt>${this.term('log.col.to')}</dt>
              <dd>${cut(detail.to.join(', '), 2000)}</dd>
              <dt>${this.term('log.col.status')}</dt>
              <dd><span class="badge ${detail.status}">${this.statusLabel(detail.status)}</span></dd>
            </dl>
            ${detail.error ? this.renderError(detail.error) : nothing}
            <table>
              <caption class="sr-only">${this.term('log.detail.attempts')}</caption>
              <thead>
                <tr>
                  <th scope="col">${this.term('log.attempt.at')}</th>
                  <th scope="col">${this.term('log.attempt.outcome')}</th>
                  <th scope="col">${this.term('log.attempt.http')}</th>
                  <th scope="col">${this.term('log.attempt.requestId')}</th>
                  <th scope="col">${this.term('log.attempt.clientRequestId')}</th>
                  <th scope="col">${this.term('log.attempt.error')}</th>
                  <th scope="col">${this.term('log.attempt.ms')}</th>
                </tr>
              </thead>
              <tbody>
                ${detail.history.length
                  ? detail.history.map((attempt) => this.renderAttempt(attempt))
                  : html`<tr><td colspan="7" class="muted">${this.term('log.detail.noAttempts')}</td></tr>`}
              </tbody>
            </table>
            ${this.confirmingRetry
              ? html`<div class="confirm" role="alert">
                  <p>${this.term('log.retry.confirmUnknown')}</p>
                  <button type="button" part="button" @click=${() => this.retry()}>${this.term('log.retry.confirm')}</button>
                  <button type="button" part="button" @click=${() => (this.confirmingRetry = false)}>${this.term('log.retry.cancel')}</button>
                </div>`
              : nothing}
          `
        : nothing}
      <div class="actions">
        ${detail && (detail.status === 'failed' || detail.status === 'unknown') && !this.confirmingRetry
          ? html`<button type="button" part="button" class="retry" @click=${() => this.retry()}>${this.term('log.retry')}</button>`
          : nothing}
        <button type="button" part="button" @click=${() => this.closeDetail()}>${this.term('log.detail.close')}</button>
      </div>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'notification-log': NotificationLog;
  }
  interface GlobalEventHandlersEventMap {
    'gm-retry': CustomEvent<LogRetryDetail>;
    'gm-export': CustomEvent<LogExportDetail>;
  }
}
