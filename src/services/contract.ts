/**
 * The backend contract as TypeScript: the shapes of the REST API (field names fixed by the design) and
 * the adapter interface the elements talk to. Runs in the browser and in Node alike: no DOM, no Node.
 */

export type AuthMode = 'delegated' | 'application';
export type CloudId = 'global' | 'usgov' | 'usgov-dod' | 'china' | 'sandbox';
export type CredentialKind = 'secret' | 'certificate';

export const ENDPOINT_NAMES = [
  'tokenEndpoint',
  'authorizeEndpoint',
  'defaultScope',
  'graphEndpoint',
  'userEndpoint',
  'userMessagesEndpoint',
  'draftSendEndpoint',
  'draftAttachmentEndpoint',
  'uploadSessionEndpoint',
] as const;
export type EndpointName = (typeof ENDPOINT_NAMES)[number];
export type EndpointTemplates = Record<EndpointName, string>;

export interface CertificateInput {
  privateKeyPem: string;
  certificatePem: string;
}

/** What an admin saves. `clientSecret` and `certificate` are write-only: omitted keeps the stored one. */
export interface ConfigInput {
  mode: AuthMode;
  cloud: CloudId;
  tenantId: string;
  clientId: string;
  clientSecret?: string;
  /** Explicitly remove the stored credential (the field left empty keeps it). */
  removeSecret?: boolean;
  certificate?: CertificateInput;
  credential?: CredentialKind;
  secretExpiresAt?: string;
  /**
   * A second client secret for a rotation without downtime (write-only): the server tries it, keeps the
   * current one until it has worked, then makes it the secret and forgets the old one.
   */
  nextClientSecret?: string;
  nextSecretExpiresAt?: string;
  /** Drop the pending second secret. */
  removeNextSecret?: boolean;
  fromName: string;
  fromAddress: string;
  saveToSentItems: boolean;
  endpoints?: Partial<EndpointTemplates>;
}

/** The fields a connection locks: changing one while connected answers 409 (the credential stays editable). */
export const LOCKED_FIELDS = ['mode', 'cloud', 'tenantId', 'clientId', 'endpoints'] as const;

export type ConnectionState = 'disconnected' | 'connected' | 'needs-reconnect' | 'error';

export interface ConnectionView {
  state: ConnectionState;
  account: string;
  connectedAt: string;
  reason?: string;
  /** Delegated: whether the signed-in account may send as the From mailbox, checked right after connecting. */
  sendAs?: SendAsCheck;
}

export interface SendAsCheck {
  mailbox: string;
  ok: boolean;
  checkedAt?: string;
  error?: UpstreamError;
}

export interface SecretView {
  set: boolean;
  hint: string;
  expiresAt: string;
  kind?: CredentialKind;
}

/** The second secret of a rotation: `pending` until it has worked once, `rejected` when Entra ID refused it. */
export interface NextSecretView extends SecretView {
  state: 'pending' | 'rejected';
  error?: UpstreamError;
}

/** What the server shows: every setting but the secret. */
export interface ConfigView {
  mode: AuthMode;
  cloud: CloudId;
  tenantId: string;
  clientId: string;
  credential: CredentialKind;
  secretExpiresAt: string;
  fromName: string;
  fromAddress: string;
  saveToSentItems: boolean;
  endpoints: EndpointTemplates;
  secret: SecretView;
  nextSecret?: NextSecretView;
  connection: ConnectionView;
  locked: boolean;
  redirectUri: string;
  etag: string;
  /** Permissions last seen in an issued token (scp or roles), for the permission panel. */
  grantedPermissions?: string[];
}

export const SECRET_REMINDER_DAYS = [30, 14, 3] as const;
export type SecretReminderDays = (typeof SECRET_REMINDER_DAYS)[number];

export interface CloudInfo {
  id: CloudId;
  label: string;
  loginHost: string;
  graphHost: string;
}

export interface EndpointDefaults {
  cloud: CloudId;
  endpoints: EndpointTemplates;
}

export interface ConnectRequest {
  mode: 'popup' | 'redirect';
  returnTo?: string;
}

export interface ConnectStart {
  authorizeUrl: string;
  state: string;
  expiresAt: string;
}

export interface ConnectStatus {
  state: 'pending' | 'connected' | 'failed';
  account?: string;
  error?: string;
}

/** The message the callback page posts on its BroadcastChannel and to its opener. */
export interface ConnectMessage {
  type: 'graph-mail:connect';
  state: string;
  ok: boolean;
  account?: string;
  error?: string;
}

export interface TestRequest {
  to: string;
  subject?: string;
  body?: string;
  attachmentBytes?: number;
}

export const TEST_STEP_IDS = ['config', 'tenant', 'token', 'permissions', 'mailbox', 'send'] as const;
export type TestStepId = (typeof TEST_STEP_IDS)[number];

/** An upstream failure as shown to an admin: mapped, never the raw upstream body. */
export interface UpstreamError {
  code: string;
  message: string;
  hint: string;
  requestId?: string;
  correlationId?: string;
  timestamp?: string;
}

export interface TestStep {
  id: TestStepId;
  label: string;
  status: 'ok' | 'failed' | 'skipped';
  ms: number;
  detail?: string;
  error?: UpstreamError;
}

export interface TestReport {
  ok: boolean;
  steps: TestStep[];
  /** Permissions in the issued token, and those the mode and options need. */
  permissions?: { granted: string[]; required: string[]; missing: string[] };
}

export type LogStatus = 'queued' | 'sending' | 'sent' | 'failed' | 'unknown';
export const LOG_STATUSES: readonly LogStatus[] = ['queued', 'sending', 'sent', 'failed', 'unknown'];

export interface LogError {
  code: string;
  message: string;
  hint: string;
  requestId?: string;
}

export interface LogEntry {
  id: string;
  createdAt: string;
  to: string[];
  subject: string;
  status: LogStatus;
  attempts: number;
  durationMs: number;
  error?: LogError;
  source: 'test' | 'app';
}

export interface LogAttempt {
  at: string;
  outcome: 'sent' | 'failed' | 'retry' | 'unknown' | 'reconciled';
  httpStatus?: number;
  requestId?: string;
  clientRequestId?: string;
  error?: LogError;
  ms: number;
}

export interface LogEntryDetail extends LogEntry {
  history: LogAttempt[];
}

export interface LogQuery {
  status?: LogStatus;
  q?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: number;
}

export type LogCounts = Record<LogStatus, number>;

export interface LogPage {
  items: LogEntry[];
  nextCursor: string | null;
  counts: LogCounts;
  /**
   * True when a text search matched more messages than the server counts (1,000 on the reference
   * server, newest first): each count is then a lower bound, shown as "1,000+".
   */
  countsCapped?: boolean;
  /** The sending mailbox's budget, when the server paces itself under Exchange Online's limits. */
  budget?: SendBudgetView;
}

export interface SendBudgetView {
  messagesPerMinute: number;
  recipientsPerDay: number;
  /** Recipients still allowed in the rolling 24 hours. */
  recipientsLeftToday: number;
}

/** A change pushed by a live feed: a new row or a new status of a known one. */
export interface LogChange {
  entry: LogEntry;
}

export interface MailRecipientList {
  to: string[];
  cc?: string[];
  bcc?: string[];
}

export interface MailAttachmentJson {
  name: string;
  contentType: string;
  contentBase64: string;
}

export interface MailMessage extends MailRecipientList {
  subject: string;
  text?: string;
  html?: string;
  replyTo?: string[];
  attachments?: MailAttachmentJson[];
}

export interface HealthView {
  ok: boolean;
  connection: ConnectionView;
  secretExpiresInDays: number | null;
  /** The reminder threshold (30, 14 or 3 days) the secret's expiry has crossed, when it has. */
  secretReminder?: SecretReminderDays;
  outbox: { queued: number; failedLastHour: number };
  lastSentAt: string | null;
}

/** RFC 9457 problem details, as the server sends them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { path: string; message: string; key?: string }[];
  code?: string;
  hint?: string;
  requestId?: string;
  correlationId?: string;
  timestamp?: string;
}

/** `GET /assistant/tenant`: which offered cloud a tenant (GUID or domain) lives in, from each cloud's discovery. */
export interface TenantLookup {
  tenant: string;
  found: boolean;
  /** The cloud the tenant lives in, when one answered for it. */
  cloud?: CloudId;
  /** The tenant's GUID, when known. */
  tenantId?: string;
  checked: Array<{ cloud: CloudId; outcome: 'found' | 'elsewhere' | 'not-found' | 'unreachable' }>;
}

/** `GET /assistant/restrict-app`: the Exchange Online PowerShell that limits an application-mode app to its sender. */
export interface AppRestriction {
  script: string;
  /** What the admin must know before running it, in the server's words. */
  warnings: string[];
  roles: string[];
  mailbox: string;
  clientId: string;
}

/**
 * What the elements need from a backend. Every call takes an AbortSignal; failures are the typed errors
 * of `./errors`.
 */
export interface EmailBackendAdapter {
  getConfig(signal?: AbortSignal): Promise<ConfigView>;
  saveConfig(input: ConfigInput, options?: { etag?: string; signal?: AbortSignal }): Promise<ConfigView>;
  clearConfig(signal?: AbortSignal): Promise<void>;
  getClouds(signal?: AbortSignal): Promise<CloudInfo[]>;
  getEndpointDefaults(cloud: CloudId, signal?: AbortSignal): Promise<EndpointDefaults>;
  beginConnect(request: ConnectRequest, signal?: AbortSignal): Promise<ConnectStart>;
  connectStatus(state: string, signal?: AbortSignal): Promise<ConnectStatus>;
  disconnect(signal?: AbortSignal): Promise<ConfigView>;
  test(request: TestRequest, signal?: AbortSignal): Promise<TestReport>;
  queryLog(query: LogQuery, signal?: AbortSignal): Promise<LogPage>;
  getLogEntry(id: string, signal?: AbortSignal): Promise<LogEntryDetail>;
  retryLogEntry(id: string, signal?: AbortSignal): Promise<void>;
  /** A URL a plain link can download, when the adapter needs no token; otherwise null. */
  logCsvUrl(query: LogQuery): string | null;
  /** The CSV as a Blob (fetch with the adapter's credentials). */
  downloadLogCsv(query: LogQuery, signal?: AbortSignal): Promise<Blob>;
  /** Live log changes, when the backend offers them. Returns an unsubscribe function. */
  subscribeLog?(listener: (change: LogChange) => void, signal?: AbortSignal): () => void;
  /** Which cloud a tenant lives in (the form offers to switch the Domain), when the backend can tell. */
  lookupTenant?(tenant: string, signal?: AbortSignal): Promise<TenantLookup>;
  /** The PowerShell that restricts an application-mode app to its sender mailbox (409 in delegated mode). */
  getAppRestriction?(signal?: AbortSignal): Promise<AppRestriction>;
  /** The redacted support bundle (JSON) as a Blob. */
  downloadSupportBundle?(signal?: AbortSignal): Promise<Blob>;
  /** The origin the connect callback page posts from (for the element's origin check). */
  readonly callbackOrigin: string;
}
