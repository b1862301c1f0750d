import { LitElement, html, nothing, svg, type PropertyValues, type TemplateResult } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { styleMap } from 'lit/directives/style-map.js';
import { Task, TaskStatus, initialState } from '@lit/task';
import type { EmailBackendAdapter, LogAttempt, LogChange, LogCounts, LogEntry, LogEntryDetail, LogError, LogPage, LogQuery, LogStatus, SendBudgetView } from '../../services/contract.js';
import { LOG_STATUSES } from '../../services/contract.js';
import { NetworkError, isAbort } from '../../services/errors.js';
import { ImplicitSubmitGuard, Localize, consumeAdapter, defaultAdapterFor, defineElement } from '../shared/index.js';
import { notificationLogStyles } from './notification-log.styles.js';
import { notificationLogStrings, type NotificationLogStringKey } from './notification-log.strings.js';

/** What `gm-retry` carries. */
export interface LogRetryDetail {
  id: string;
  status: LogStatus;
}
/** What `gm-export` carries: the filters the CSV will follow. */
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
const DAY_MS = 86_400_000;

/** Bidirectional controls (U+202A–E, U+2066–9) in untrusted text could reorder what an operator reads. */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;
const cut = (text: string, max = MAX_TEXT): string => {
  const shown = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return shown.replace(BIDI_CONTROLS, '\ufffd');
};
const emptyCounts = (): LogCounts => ({ queued: 0, sending: 0, sent: 0, failed: 0, unknown: 0 });
const isStatus = (value: unknown): value is LogStatus => (LOG_STATUSES as readonly unknown[]).includes(value);
/** Newest first, ties by id descending: the server's keyset order. */
const newerFirst = (a: LogEntry, b: LogEntry): number =>
  a.createdAt === b.createdAt ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.createdAt < b.createdAt ? 1 : -1;

/** Local midnight of a `yyyy-mm-dd` date input, as an instant; `days` later when asked. */
const localDay = (value: string, days = 0): string => {
  const [year, month, day] = value.split('-').map(Number);
  return new Date(year, month - 1, day + days).toISOString();
};

/**
 * @summary The notification log: what was sent, what failed and why, with status filters and their
 * counts, search, a date range, the details of every attempt, "Send again" and CSV export. Scrolls
 * through any number of rows with a windowed list; new messages arrive live when the backend offers it.
 *
 * @tag notification-log
 *
 * @csspart toolbar - The filters, the search box, the dates and the buttons above the table.
 * @csspart filter - Each status filter button.
 * @csspart search - The search box.
 * @csspart button - Every button.
 * @csspart budget - The line of what is left of the sending mailbox's budget (when the server paces itself).
 * @csspart chart - The chart of sent and failed messages per day.
 * @csspart table - The table of messages.
 * @csspart header - The header row.
 * @csspart row - Each message row.
 * @csspart cell - Each cell of a message row.
 * @csspart status - The status badge of a row.
 * @csspart footer - The line below the table (row count, "Load more").
 * @csspart detail - The details of the selected message.
 * @csspart message - Empty, loading and error messages.
 * @csspart notice - Short outcomes (copied, queued again, export failed).
 *
 * @cssproperty --gm-log-height - Height of the scrolling table. Default 24rem.
 * @cssproperty --gm-log-row-height - Height of one row. Default 2.25rem.
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

  /** The status filter: one of queued, sending, sent, failed, unknown; empty (or anything else) for all. */
  @property({ reflect: true }) status: LogStatus | '' = '';

  @state() private items: LogEntry[] = [];
  @state() private counts: LogCounts = emptyCounts();
  /** The counts are lower bounds: a text search matched more messages than the server counts. */
  @state() private countsCapped = false;
  @state() private nextCursor: string | null = null;
  /** The sending mailbox's budget, when the server paces itself (one line above the table). */
  @state() private budget: SendBudgetView | null = null;
  @state() private loadingMore = false;
  @state() private moreError = '';
  /** What the search box shows; `appliedSearch` is what the list follows, after the debounce. */
  @state() private search = '';
  @state() private appliedSearch = '';
  @state() private from = '';
  @state() private to = '';
  @state() private selectedId: string | null = null;
  @state() private detail: LogEntryDetail | null = null;
  @state() private detailError = '';
  @state() private confirmingRetry = false;
  @state() private notice = '';
  /** Live rows inserted above the rows in view since the reader last saw the top. */
  @state() private unseen = 0;

  @state() private firstRow = 0;
  @state() private visibleRows = 20;
  @state() private rowHeight = DEFAULT_ROW_HEIGHT;
  /** The row that takes Tab into the table (roving tabindex). */
  @state() private focusIndex = 0;

  @query('.body') private body?: HTMLElement;

  private readonly localize = new Localize(this, notificationLogStrings);
  private readonly adapterConsumer = consumeAdapter(this);
  private readonly resizeObserver = new ResizeObserver(() => this.measure());
  private observedBody?: HTMLElement;
  private scrollFrame = 0;
  /** Rows inserted above the view during this update; the scroll position moves by as many. */
  private scrollShift = 0;
  /** Bumped by every first-page request: an older "Load more" answer must not land in a newer list. */
  private generation = 0;
  private moreController?: AbortController;
  private detailController?: AbortController;
  private searchTimer?: ReturnType<typeof setTimeout>;
  private subscribedTo?: EmailBackendAdapter;
  private unsubscribe?: () => void;
  /** Formatters by language and kind: making one per cell on every scroll frame is slow. */
  private readonly formats = new Map<string, { format(value: number | Date): string }>();

  /**
   * The first page of the current filters. A change of filter starts a new run, which aborts the previous
   * request, and the Task drops the answer of any run but the newest one.
   */
  private readonly pageTask = new Task(this, {
    task: async ([backend, status, q, from, to, limit], { signal }) => {
      if (!backend) return initialState;
      this.generation += 1;
      this.moreController?.abort();
      return backend.queryLog(this.buildQuery(status, q, from, to, limit), signal);
    },
    args: () => [this.backend, this.activeStatus, this.appliedSearch, this.from, this.to, this.limit] as const,
    onComplete: (page: LogPage) => {
      this.items = page.items;
      this.counts = page.counts;
      this.countsCapped = page.countsCapped === true;
      this.budget = page.budget ?? null;
      this.nextCursor = page.nextCursor;
      this.moreError = '';
      this.unseen = 0;
      this.firstRow = 0;
      this.focusIndex = 0;
      this.scrollShift = 0;
      if (this.body) this.body.scrollTop = 0;
    },
  });

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

  private get activeStatus(): LogStatus | '' {
    return isStatus(this.status) ? this.status : '';
  }

  private get limit(): number {
    return Math.min(200, Math.max(1, Math.round(this.pageSize) || 100));
  }

  private buildQuery(status: LogStatus | '', q: string, from: string, to: string, limit?: number): LogQuery {
    const query: LogQuery = {};
    if (status) query.status = status;
    if (q.trim()) query.q = q.trim();
    if (from) query.from = localDay(from);
    // The server's `to` is exclusive: the next local midnight covers the whole chosen day.
    if (to) query.to = localDay(to, 1);
    if (limit) query.limit = limit;
    return query;
  }

  /** The filters the list follows now, as the server takes them (also what the CSV export uses). */
  get query(): LogQuery {
    return this.buildQuery(this.activeStatus, this.appliedSearch, this.from, this.to);
  }

  /** Loads the first page again with the current filters. */
  async refresh(): Promise<void> {
    if (!this.backend) return;
    await this.pageTask.run().catch(() => undefined);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Back in the page after a partial-page update: changes went by unseen while away.
    if (this.unsubscribe) void this.refresh();
    this.requestUpdate();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.moreController?.abort();
    this.detailController?.abort();
    clearTimeout(this.searchTimer);
    this.unsubscribe?.();
    this.subscribedTo = undefined;
  }

  protected override willUpdate(_changed: PropertyValues<this>): void {
    const backend = this.backend;
    if (backend && this.isConnected && this.subscribedTo !== backend) {
      this.unsubscribe?.();
      this.subscribedTo = backend;
      this.unsubscribe = backend.subscribeLog?.((change) => this.onChange(change));
    }
  }

  private onChange({ entry }: LogChange): void {
    // A live row seen while the first page is on its way would be overwritten by it (or be in it).
    if (this.loading) return;
    const index = this.items.findIndex((item) => item.id === entry.id);
    if (index >= 0) {
      const previous = this.items[index];
      this.items = this.items.map((item, i) => (i === index ? entry : item));
      if (previous.status !== entry.status) {
        this.counts = { ...this.counts, [previous.status]: Math.max(0, this.counts[previous.status] - 1), [entry.status]: this.counts[entry.status] + 1 };
      }
      if (this.selectedId === entry.id) void this.openDetail(entry.id, false);
      return;
    }
    if (!this.passesFilters(entry)) return;
    let at = this.items.findIndex((item) => newerFirst(entry, item) < 0);
    if (at < 0) {
      // Older than every loaded row: the next page brings it, unless there is none.
      if (this.nextCursor) return;
      at = this.items.length;
    }
    this.items = [...this.items.slice(0, at), entry, ...this.items.slice(at)];
    this.counts = { ...this.counts, [entry.status]: this.counts[entry.status] + 1 };
    if (this.focusIndex >= at) this.focusIndex += 1;
    // A row above (or at) the top of the view pushes what the reader looks at down; the scroll position
    // follows, so the rows in view stay put, and the notice says what arrived above.
    const body = this.body;
    if (body && at <= this.firstRow && this.items.length * this.rowHeight > body.clientHeight) {
      this.scrollShift += 1;
      this.firstRow += 1;
      this.unseen += 1;
    }
  }

  private passesFilters(entry: LogEntry): boolean {
    const query = this.query;
    if (query.status && entry.status !== query.status) return false;
    if (query.q) {
      const needle = query.q.toLowerCase();
      if (!entry.subject.toLowerCase().includes(needle) && !entry.to.some((to) => to.toLowerCase().includes(needle))) return false;
    }
    const at = Date.parse(entry.createdAt);
    if (query.from && at < Date.parse(query.from)) return false;
    if (query.to && at >= Date.parse(query.to)) return false;
    return true;
  }

  private showNew(): Promise<void> {
    this.unseen = 0;
    return this.moveFocus(0);
  }

  private async loadMore(): Promise<void> {
    const backend = this.backend;
    const cursor = this.nextCursor;
    if (!backend || !cursor || this.loadingMore || this.loading) return;
    const generation = this.generation;
    const controller = new AbortController();
    this.moreController = controller;
    this.loadingMore = true;
    this.moreError = '';
    try {
      const page = await backend.queryLog({ ...this.query, cursor, limit: this.limit }, controller.signal);
      if (generation !== this.generation) return;
      // Live rows may already hold some of these.
      const known = new Set(this.items.map((item) => item.id));
      this.items = [...this.items, ...page.items.filter((item) => !known.has(item.id))];
      this.counts = page.counts;
      this.countsCapped = page.countsCapped === true;
      this.nextCursor = page.nextCursor;
    } catch (error) {
      if (isAbort(error) || generation !== this.generation) return;
      this.moreError = this.errorText(error);
    } finally {
      if (this.moreController === controller) {
        this.moreController = undefined;
        this.loadingMore = false;
      }
    }
  }

  private errorText(error: unknown): string {
    if (error instanceof NetworkError) return this.term('log.error.network');
    return error instanceof Error ? error.message : String(error);
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
    const row = body.querySelector<HTMLElement>('.row');
    if (row?.offsetHeight) this.rowHeight = row.offsetHeight;
    this.firstRow = Math.max(0, Math.min(this.items.length - 1, Math.floor(body.scrollTop / this.rowHeight)));
    this.visibleRows = Math.ceil(body.clientHeight / this.rowHeight) + 1;
    if (this.unseen > this.firstRow) this.unseen = this.firstRow;
    if (this.firstRow + this.visibleRows >= this.items.length - PREFETCH_ROWS) void this.loadMore();
  }

  protected override updated(): void {
    const body = this.body;
    if (body !== this.observedBody) {
      if (this.observedBody) this.resizeObserver.unobserve(this.observedBody);
      if (body) this.resizeObserver.observe(body);
      this.observedBody = body;
    }
    if (body && this.scrollShift) {
      body.scrollTop += this.scrollShift * this.rowHeight;
      this.scrollShift = 0;
    }
  }

  private onSearchInput(event: Event): void {
    this.search = (event.target as HTMLInputElement).value;
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => (this.appliedSearch = this.search), SEARCH_DELAY_MS);
  }

  private onDate(which: 'from' | 'to', event: Event): void {
    this[which] = (event.target as HTMLInputElement).value;
  }

  private async openDetail(id: string, focus: boolean): Promise<void> {
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
      if (controller !== this.detailController) return;
      this.detail = detail;
    } catch (error) {
      if (isAbort(error) || controller !== this.detailController) return;
      this.detail = null;
      this.detailError = this.errorText(error);
    }
    if (focus) await this.focusLater('.detail');
  }

  private async closeDetail(): Promise<void> {
    const id = this.selectedId;
    this.selectedId = null;
    this.detail = null;
    this.confirmingRetry = false;
    this.detailController?.abort();
    const index = id ? this.items.findIndex((item) => item.id === id) : -1;
    if (index >= 0) await this.moveFocus(index);
  }

  /** Focuses what matches `selector` once the pending render is done (it may not exist before). */
  private async focusLater(selector: string): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>(selector)?.focus();
  }

  /** Focuses row `index`, scrolling it into view first: it may not be rendered yet. */
  private async moveFocus(index: number): Promise<void> {
    if (this.items.length === 0) return;
    const target = Math.max(0, Math.min(this.items.length - 1, index));
    this.focusIndex = target;
    const body = this.body;
    if (body) {
      const top = target * this.rowHeight;
      if (top < body.scrollTop) body.scrollTop = top;
      else if (top + this.rowHeight > body.scrollTop + body.clientHeight) body.scrollTop = top + this.rowHeight - body.clientHeight;
      this.measure();
    }
    await this.focusLater(`.row[data-index="${target}"]`);
  }

  private rowIndexOf(event: Event): number {
    const row = (event.target as HTMLElement).closest<HTMLElement>('.row');
    return row ? Number(row.dataset.index) : -1;
  }

  private onBodyKey(event: KeyboardEvent): void {
    const index = this.rowIndexOf(event);
    if (index < 0) return;
    const moves: Record<string, number> = {
      ArrowDown: index + 1,
      ArrowUp: index - 1,
      Home: 0,
      End: this.items.length - 1,
    };
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      void this.openDetail(this.items[index].id, true);
    } else if (event.key in moves) {
      event.preventDefault();
      void this.moveFocus(moves[event.key]);
    }
  }

  private onBodyFocus(event: FocusEvent): void {
    const index = this.rowIndexOf(event);
    if (index >= 0) this.focusIndex = index;
  }

  private onBodyClick(event: MouseEvent): void {
    const index = this.rowIndexOf(event);
    if (index >= 0) {
      this.focusIndex = index;
      void this.openDetail(this.items[index].id, false);
    }
  }

  private onDetailKey(event: KeyboardEvent): void {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    void this.closeDetail();
  }

  private async retry(): Promise<void> {
    const detail = this.detail;
    const backend = this.backend;
    if (!detail || !backend) return;
    if (detail.status === 'unknown' && !this.confirmingRetry) {
      this.confirmingRetry = true;
      await this.focusLater('.confirm button');
      return;
    }
    this.confirmingRetry = false;
    const event = new CustomEvent<LogRetryDetail>('gm-retry', { detail: { id: detail.id, status: detail.status }, bubbles: true, composed: true, cancelable: true });
    if (!this.dispatchEvent(event)) return this.focusLater('.retry');
    try {
      await backend.retryLogEntry(detail.id);
      this.notice = this.term('log.retry.done');
      await this.openDetail(detail.id, true);
      const updated = this.detail as LogEntryDetail | null;
      if (updated?.id === detail.id) {
        const { history: _history, ...entry } = updated;
        this.items = this.items.map((item) => (item.id === updated.id ? entry : item));
      }
    } catch (error) {
      this.notice = this.term('log.retry.failed', { message: this.errorText(error) });
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
      this.renderRoot.appendChild(link);
      link.click();
      link.remove();
      if (!direct) setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      this.notice = this.term('log.export.failed', { message: this.errorText(error) });
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

  private format(options: Intl.DateTimeFormatOptions & Intl.NumberFormatOptions, number?: boolean): { format(value: number | Date): string } {
    const lang = this.localize.lang;
    const key = lang + JSON.stringify(options);
    let format = this.formats.get(key);
    if (!format) {
      // A `lang` no Intl knows falls back to the browser's own.
      const locale = Intl.DateTimeFormat.supportedLocalesOf(lang).length ? lang : undefined;
      format = number ? new Intl.NumberFormat(locale, options) : new Intl.DateTimeFormat(locale, options);
      this.formats.set(key, format);
    }
    return format;
  }

  private time(iso: string, exact = false): string {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return cut(iso, 40);
    return this.format(exact ? { dateStyle: 'full', timeStyle: 'long' } : { dateStyle: 'short', timeStyle: 'medium' }).format(date);
  }

  private number(value: number, maximumFractionDigits = 0): string {
    return this.format({ maximumFractionDigits }, true).format(value);
  }

  private duration(ms: number): string {
    return ms >= 10_000 ? this.term('log.seconds', { s: this.number(ms / 1000, 1) }) : this.term('log.ms', { ms: this.number(ms) });
  }

  private statusLabel(status: LogStatus): string {
    return this.term(`log.status.${status}` as NotificationLogStringKey);
  }

  private get total(): number {
    const status = this.activeStatus;
    if (status) return this.counts[status];
    return LOG_STATUSES.reduce((sum, s) => sum + this.counts[s], 0);
  }

  /** Before the first answer, or while one is on its way. */
  private get loading(): boolean {
    return this.pageTask.status <= TaskStatus.PENDING;
  }

  protected override render(): TemplateResult {
    if (!this.backend) return html`<p class="message" part="message">${this.term('log.noAdapter')}</p>`;
    const total = Math.max(this.total, this.items.length);
    return html`
      ${this.renderToolbar()} ${this.renderBudget()} ${this.renderChart()}
      <div class="table" part="table" role="table" aria-label=${this.term('log.title')} aria-rowcount=${this.countsCapped ? -1 : total + 1} aria-busy=${this.loading ? 'true' : 'false'}>
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
        <span class="muted" aria-live="polite">
          ${this.items.length && !this.loading ? this.term('log.rows', { shown: this.number(this.items.length), total: this.countsCapped ? this.term('log.countAtLeast', { count: this.number(total) }) : this.number(total) }) : ''}
        </span>
        ${this.moreError
          ? html`<span class="error" role="alert">${this.term('log.error', { message: cut(this.moreError) })}</span>`
          : nothing}
        ${this.nextCursor && !this.loading
          ? html`<button type="button" part="button" class="more" @click=${() => this.loadMore()} ?disabled=${this.loadingMore}>
              ${this.loadingMore ? this.term('log.loadingMore') : this.term('log.loadMore')}
            </button>`
          : nothing}
      </div>
      ${this.renderDetail()}
      <p class="notice" part="notice" role="status">${this.notice}</p>
    `;
  }

  /** What is left of the sending mailbox's budget (Exchange Online's limits, a rolling 24 hours). */
  private renderBudget(): TemplateResult | typeof nothing {
    const budget = this.budget;
    if (!budget) return nothing;
    return html`<p class="muted budget" part="budget">
      ${this.term('log.budget', { left: this.number(budget.recipientsLeftToday), perDay: this.number(budget.recipientsPerDay), perMinute: this.number(budget.messagesPerMinute) })}
    </p>`;
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
    const format = this.format({ dateStyle: 'medium', timeZone: 'UTC' });
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
    const active = this.activeStatus;
    return html`
      <div class="toolbar" part="toolbar">
        <fieldset class="chips">
          <legend>${this.term('log.statusFilter')}</legend>
          ${statuses.map((status) => {
            const label = status ? this.statusLabel(status) : this.term('log.status.all');
            const count = status ? this.counts[status] : LOG_STATUSES.reduce((sum, s) => sum + this.counts[s], 0);
            return html`<button type="button" part="filter" data-status=${status || 'all'} aria-pressed=${active === status ? 'true' : 'false'} @click=${() => (this.status = status)}>
              ${this.term('log.statusCount', { status: label, count: this.countsCapped ? this.term('log.countAtLeast', { count: this.number(count) }) : this.number(count) })}
            </button>`;
          })}
        </fieldset>
        <label>
          ${this.term('log.search')}
          <input type="search" part="search" .value=${this.search} @input=${this.onSearchInput} maxlength="200" />
        </label>
        <label>
          ${this.term('log.from')}
          <input type="date" name="from" .value=${this.from} @change=${(event: Event) => this.onDate('from', event)} />
        </label>
        <label>
          ${this.term('log.to')}
          <input type="date" name="to" .value=${this.to} @change=${(event: Event) => this.onDate('to', event)} />
        </label>
        <button type="button" part="button" @click=${() => this.refresh()}>${this.term('log.refresh')}</button>
        <button type="button" part="button" @click=${() => this.exportCsv()}>${this.term('log.export')}</button>
        ${this.unseen
          ? html`<button type="button" part="button" class="new-rows" @click=${() => this.showNew()}>${this.term('log.newRows', { count: this.number(this.unseen) })}</button>`
          : nothing}
      </div>
    `;
  }

  private renderMessage(text: TemplateResult | string, error = false): TemplateResult {
    return html`<div role="rowgroup"><div role="row"><div role="cell" class="message ${error ? 'error' : 'muted'}" part="message">${text}</div></div></div>`;
  }

  private renderBody(): TemplateResult {
    if (this.pageTask.status === TaskStatus.ERROR) {
      return this.renderMessage(
        html`${this.term('log.error', { message: cut(this.errorText(this.pageTask.error)) })}
          <button type="button" part="button" @click=${() => this.refresh()}>${this.term('log.retryLoad')}</button>`,
        true,
      );
    }
    if (this.loading && this.items.length === 0) return this.renderMessage(this.term('log.loading'));
    if (this.items.length === 0) {
      const filtered = Boolean(this.activeStatus || this.appliedSearch.trim() || this.from || this.to);
      return this.renderMessage(this.term(filtered ? 'log.emptyFiltered' : 'log.empty'));
    }
    const start = Math.max(0, this.firstRow - OVERSCAN);
    const end = Math.min(this.items.length, this.firstRow + this.visibleRows + OVERSCAN);
    const tabbable = this.focusIndex >= start && this.focusIndex < end ? this.focusIndex : Math.min(Math.max(this.firstRow, start), end - 1);
    return html`<div
      class="body"
      role="rowgroup"
      @scroll=${this.onScroll}
      @keydown=${this.onBodyKey}
      @focusin=${this.onBodyFocus}
      @click=${this.onBodyClick}
    >
      <div class="spacer" style=${styleMap({ height: `${this.items.length * this.rowHeight}px` })}>
        ${repeat(
          this.items.slice(start, end),
          (entry) => entry.id,
          (entry, offset) => this.renderRow(entry, start + offset, start + offset === tabbable),
        )}
      </div>
    </div>`;
  }

  private renderRow(entry: LogEntry, index: number, tabbable: boolean): TemplateResult {
    const recipients = entry.to.join(', ');
    const error = entry.error ? `${entry.error.code}: ${entry.error.message}` : '';
    return html`<div
      class="row"
      part="row"
      style=${styleMap({ top: `${index * this.rowHeight}px` })}
      role="row"
      tabindex=${tabbable ? '0' : '-1'}
      data-id=${entry.id}
      data-index=${index}
      aria-rowindex=${index + 2}
      aria-selected=${this.selectedId === entry.id ? 'true' : 'false'}
    >
      <span class="cell" part="cell" role="cell" title=${this.time(entry.createdAt, true)}>${this.time(entry.createdAt)}</span>
      <span class="cell" part="cell" role="cell" title=${cut(recipients, 1000)}>${cut(recipients)}</span>
      <span class="cell" part="cell" role="cell" title=${cut(entry.subject, 1000)}
        >${cut(entry.subject)}${entry.source === 'test' ? html` <span class="muted">(${this.term('log.source.test')})</span>` : nothing}</span
      >
      <span class="cell" part="cell" role="cell"><span class="badge ${entry.status}" part="status">${this.statusLabel(entry.status)}</span></span>
      <span class="cell num" part="cell" role="cell">${this.number(entry.attempts)}</span>
      <span class="cell num" part="cell" role="cell">${this.duration(entry.durationMs)}</span>
      <span class="cell error" part="cell" role="cell" title=${cut(error, 1000)}>${cut(error)}</span>
    </div>`;
  }

  private renderCopyable(value: string | undefined, what: string): TemplateResult | string {
    if (!value) return '';
    return html`<span class="mono">${cut(value, 200)}</span>
      <button type="button" part="button" class="copy" aria-label=${this.term('log.copyWhat', { what })} @click=${() => this.copy(value)}>
        ${this.term('log.copy')}
      </button>`;
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
            <dd>${this.renderCopyable(error.requestId, this.term('log.error.requestId'))}</dd>`
        : nothing}
    </dl>`;
  }

  private renderAttempt(attempt: LogAttempt): TemplateResult {
    return html`<tr>
      <td>${this.time(attempt.at)}</td>
      <td>${this.term(`log.outcome.${attempt.outcome}` as NotificationLogStringKey)}</td>
      <td class="num">${attempt.httpStatus ?? ''}</td>
      <td>${this.renderCopyable(attempt.requestId, this.term('log.attempt.requestId'))}</td>
      <td>${this.renderCopyable(attempt.clientRequestId, this.term('log.attempt.clientRequestId'))}</td>
      <td>
        ${attempt.error
          ? html`<span class="mono">${cut(attempt.error.code)}</span>: ${cut(attempt.error.message)}
              ${attempt.error.hint ? html`<div class="muted">${cut(attempt.error.hint)}</div>` : nothing}`
          : ''}
      </td>
      <td class="num">${this.duration(attempt.ms)}</td>
    </tr>`;
  }

  private renderDetail(): TemplateResult | typeof nothing {
    if (!this.selectedId) return nothing;
    const detail = this.detail?.id === this.selectedId ? this.detail : null;
    return html`<section class="detail" part="detail" tabindex="-1" aria-labelledby="detail-title" @keydown=${this.onDetailKey}>
      <h3 id="detail-title">${this.term('log.detail')}${detail ? html`: ${cut(detail.subject)}` : nothing}</h3>
      ${this.detailError ? html`<p class="error">${this.term('log.error', { message: cut(this.detailError) })}</p>` : nothing}
      ${detail
        ? html`
            <dl>
              <dt>${this.term('log.detail.id')}</dt>
              <dd class="mono">${cut(detail.id, 100)}</dd>
              <dt>${this.term('log.detail.created')}</dt>
              <dd>${this.time(detail.createdAt, true)}</dd>
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
                  <button type="button" part="button" @click=${() => ((this.confirmingRetry = false), this.focusLater('.retry'))}>${this.term('log.retry.cancel')}</button>
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
