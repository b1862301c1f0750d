/**
 * The Graph send paths (DESIGN.md, "Two auth modes"):
 * - with Mail.ReadWrite granted, a draft created with immutable ids, its attachments (inline under
 *   3 MB, through an upload session above), then `/send` — the only path whose outcome can be checked
 *   afterwards, which is what makes exactly-once possible (SECURITY.md 22);
 * - with Mail.Send alone, `sendMail` with small attachments inline.
 * A `MailSession` holds one attempt's view (configuration, token scopes, resolved sender); the
 * outbox decides what to call and what an outcome means.
 */
import { open } from 'node:fs/promises';
import type { EndpointTemplates } from '../../services/contract.js';
import { checkUrl, encodePathSegment, expandTemplate, userLookup, TemplateExpansionError, type PlaceholderValues, type UrlPurpose } from '../../services/endpoints.js';
import { GraphCallError, configError, graphCall, isRetryable, type CallInfo, type CallResult } from './graph-call.js';
import { KeyedSemaphore } from './semaphore.js';
import type { MailboxSlots } from './shared-slots.js';
import type { FetchLike, MailConfig, TokenSource } from './types.js';

/** Graph's limit for attachments added in one request; larger ones need an upload session. */
export const INLINE_ATTACHMENT_LIMIT = 3 * 1024 * 1024;
/** Graph's limit for one file through an upload session. */
export const MAX_ATTACHMENT_BYTES = 150 * 1024 * 1024;
/** 12 × 320 KiB: under Graph's 4 MB per request and a multiple of 320 KiB, as Graph recommends. */
export const DEFAULT_CHUNK_BYTES = 12 * 320 * 1024;
/** A `sendMail` request carries its attachments as base64 inside a JSON body limited to 4 MB. */
export const SEND_MAIL_INLINE_TOTAL = 3 * 1024 * 1024;

export interface OutgoingMessage {
  to: string[];
  cc?: string[];
  bcc?: string[];
  replyTo?: string[];
  subject: string;
  text?: string;
  html?: string;
}

export interface StoredAttachment {
  name: string;
  contentType: string;
  size: number;
  /** Absolute path of the file beside the store. */
  path: string;
}

export interface GraphMailerOptions {
  fetch?: FetchLike;
  /** The sandbox's exact origin (cloud `sandbox`). */
  sandboxOrigin?: string;
  /** Exact origins the server was started with, allowed for every purpose. */
  extraOrigins?: readonly string[];
  perMailboxConcurrency?: number;
  /** Slots shared with other processes on the same data folder (./shared-slots.ts), besides this process's own. */
  sharedSlots?: MailboxSlots;
  requestTimeoutMs?: number;
  uploadTimeoutMs?: number;
  /** Bytes per upload `PUT`: a multiple of 320 KiB under 4 MB. */
  uploadChunkBytes?: number;
  /** Retries of one chunk within an attempt (dropped connections, 5xx). */
  uploadRetries?: number;
  uploadRetryDelayMs?: number;
  /** How long a resolved sender id is reused. */
  senderCacheMs?: number;
}

const jsonHeaders = (token: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  accept: 'application/json',
  'content-type': 'application/json',
  // Ids that survive the move from Drafts to Sent Items, so an ambiguous send can be looked up.
  prefer: 'IdType="ImmutableId"',
});

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export function hasMailReadWrite(scopes: readonly string[]): boolean {
  return hasScope(scopes, 'Mail.ReadWrite');
}

const hasScope = (scopes: readonly string[], name: string) => scopes.some((scope) => scope.toLowerCase() === name.toLowerCase());
const sameAddress = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Delegated sending from another mailbox (a shared one) through that mailbox itself, `/users/{From}`,
 * when the token carries Mail.Send.Shared: the message is the mailbox's own, in its Sent Items. Without
 * it, or when the From address is the account, null: `/me` with the From address set, which Exchange
 * allows with Send As and files in the account's Sent Items.
 */
export function sharedMailbox(config: Pick<MailConfig, 'mode' | 'fromAddress' | 'account'>, scopes: readonly string[]): string | null {
  if (config.mode !== 'delegated') return null;
  const from = config.fromAddress.trim();
  if (!from || !config.account || sameAddress(from, config.account)) return null;
  return hasScope(scopes, 'Mail.Send.Shared') ? from : null;
}

/** Graph's message resource for a draft or a `sendMail` body. */
export function graphMessage(message: OutgoingMessage, config: Pick<MailConfig, 'fromAddress' | 'fromName'>): Record<string, unknown> {
  const recipients = (list?: string[]) => (list ?? []).map((address) => ({ emailAddress: { address } }));
  const body: Record<string, unknown> = {
    subject: message.subject,
    body: message.html !== undefined ? { contentType: 'HTML', content: message.html } : { contentType: 'Text', content: message.text ?? '' },
    toRecipients: recipients(message.to),
  };
  if (message.cc?.length) body.ccRecipients = recipients(message.cc);
  if (message.bcc?.length) body.bccRecipients = recipients(message.bcc);
  if (message.replyTo?.length) body.replyTo = recipients(message.replyTo);
  if (config.fromAddress) {
    body.from = { emailAddress: config.fromName ? { address: config.fromAddress, name: config.fromName } : { address: config.fromAddress } };
  }
  return body;
}

/** The start of the first range in `nextExpectedRanges` (`["3932160-"]` or `["0-1023", ...]`). */
export function firstExpectedOffset(ranges: unknown): number | undefined {
  if (!Array.isArray(ranges) || ranges.length === 0) return undefined;
  const match = /^(\d+)-/.exec(String(ranges[0]));
  return match ? Number(match[1]) : undefined;
}

interface SenderEntry {
  id: string;
  at: number;
}

export class GraphMailer {
  readonly semaphore: KeyedSemaphore;
  private readonly senders = new Map<string, SenderEntry>();
  readonly options: Required<Omit<GraphMailerOptions, 'sandboxOrigin' | 'extraOrigins' | 'fetch' | 'sharedSlots'>> & Pick<GraphMailerOptions, 'sandboxOrigin' | 'extraOrigins'> & { fetch: FetchLike };

  constructor(
    readonly tokens: TokenSource,
    options: GraphMailerOptions = {},
  ) {
    const chunk = options.uploadChunkBytes ?? DEFAULT_CHUNK_BYTES;
    if (chunk % (320 * 1024) !== 0 || chunk >= 4 * 1000 * 1000) {
      throw new RangeError('uploadChunkBytes must be a multiple of 327680 (320 KiB) and under 4 MB.');
    }
    this.options = {
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
      sandboxOrigin: options.sandboxOrigin,
      extraOrigins: options.extraOrigins,
      perMailboxConcurrency: options.perMailboxConcurrency ?? 4,
      requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
      uploadTimeoutMs: options.uploadTimeoutMs ?? 120_000,
      uploadChunkBytes: chunk,
      uploadRetries: options.uploadRetries ?? 5,
      uploadRetryDelayMs: options.uploadRetryDelayMs ?? 1000,
      senderCacheMs: options.senderCacheMs ?? 60 * 60 * 1000,
    };
    this.semaphore = new KeyedSemaphore(this.options.perMailboxConcurrency, options.sharedSlots);
  }

  /** The per-mailbox concurrency key: one mailbox, whichever path reaches it (`shared`: see `sharedMailbox`). */
  mailboxKey(config: MailConfig, shared: string | null = null): string {
    const who = shared ?? (config.mode === 'delegated' ? config.account || 'me' : config.fromAddress);
    return `${config.cloud}|${config.tenantId.toLowerCase()}|${who.toLowerCase()}`;
  }

  /**
   * One attempt's session: a token (for its scopes) and, in application mode, the sender's id.
   * `tokens` are the configuration's whose `config` this is (default: the mailer's own, for a server of
   * one configuration).
   */
  async open(config: MailConfig, signal?: AbortSignal, tokens: TokenSource = this.tokens): Promise<MailSession> {
    const token = await tokens.getAccessToken();
    const scopes = token.scopes ?? [];
    const session = new MailSession(this, config, scopes, signal, sharedMailbox(config, scopes), tokens);
    if (config.mode === 'application') session.user = await this.resolveSender(session, config);
    return session;
  }

  forgetSenders(): void {
    this.senders.clear();
  }

  private async resolveSender(session: MailSession, config: MailConfig): Promise<string> {
    const upn = config.fromAddress.trim();
    if (!upn) throw configError('SENDER_MISSING', 'No sender mailbox is configured.', 'Enter the From address (the mailbox that sends) in the configuration.');
    const key = `${config.cloud}|${config.endpoints.graphEndpoint}|${config.tenantId}|${upn.toLowerCase()}`;
    const cached = this.senders.get(key);
    if (cached && Date.now() - cached.at < this.options.senderCacheMs) return cached.id;
    const lookup = wrapTemplate(() => userLookup(config.endpoints, upn));
    const result = await session.request('GET', lookup.url);
    const json = result.json as { id?: unknown; value?: Array<{ id?: unknown }> } | undefined;
    const id = lookup.viaFilter ? json?.value?.[0]?.id : json?.id;
    if (typeof id !== 'string' || id === '') {
      throw configError('SENDER_NOT_FOUND', `No user with the sign-in name ${upn} was found in the tenant.`, 'Check the From address: it must be the user principal name of a mailbox in this tenant.');
    }
    this.senders.set(key, { id, at: Date.now() });
    return id;
  }
}

function wrapTemplate<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof TemplateExpansionError) {
      throw configError('ENDPOINT_TEMPLATE', error.message, 'Fix the template in the API Endpoints tab, or reset it to the default.');
    }
    throw error;
  }
}

/** Replaces the `/users/{…}` mailbox prefix of a template with `/me` (delegated mode). */
function meTemplate(template: string): string {
  return template.replace(/\/users\/\{(?:UserPrincipalId|UserPrincipalName)\}/, '/me');
}

export class MailSession {
  /** `me` (delegated), the shared From mailbox (delegated with Mail.Send.Shared), or the sender's object id (application). */
  user = 'me';
  /** The last answer's ids, for the attempt record. */
  lastInfo?: CallInfo;
  readonly canDraft: boolean;
  readonly mailboxKey: string;

  constructor(
    private readonly mailer: GraphMailer,
    readonly config: MailConfig,
    readonly scopes: string[],
    private readonly signal?: AbortSignal,
    shared: string | null = null,
    private readonly tokens: TokenSource = mailer.tokens,
  ) {
    if (shared) this.user = shared;
    // Drafts in another mailbox need its .Shared permission; the account's own, Mail.ReadWrite.
    this.canDraft = shared ? hasScope(scopes, 'Mail.ReadWrite.Shared') : hasMailReadWrite(scopes);
    this.mailboxKey = mailer.mailboxKey(config, shared);
  }

  // URLs from the templates (the API Endpoints tab is the source of truth), host-checked on every use.

  private endpointsFor(user: string): { endpoints: EndpointTemplates; values: PlaceholderValues } {
    const { endpoints } = this.config;
    if (user === 'me') {
      return {
        endpoints: { ...endpoints, userMessagesEndpoint: '/me/messages', uploadSessionEndpoint: meTemplate(endpoints.uploadSessionEndpoint) },
        values: {},
      };
    }
    return { endpoints, values: { UserPrincipalId: user, UserPrincipalName: this.config.fromAddress || user } };
  }

  messagesUrl(user: string): string {
    const { endpoints, values } = this.endpointsFor(user);
    return wrapTemplate(() => expandTemplate('userMessagesEndpoint', endpoints, values));
  }

  messageUrl(user: string, id: string): string {
    return `${this.messagesUrl(user).replace(/\/+$/, '')}/${encodePathSegment(id)}`;
  }

  private draftUrl(name: 'draftSendEndpoint' | 'draftAttachmentEndpoint' | 'uploadSessionEndpoint', user: string, draftId: string): string {
    const { endpoints, values } = this.endpointsFor(user);
    return wrapTemplate(() => expandTemplate(name, endpoints, { ...values, DraftMessageId: draftId }));
  }

  sendMailUrl(user: string): string {
    if (user === 'me') return `${wrapTemplate(() => expandTemplate('graphEndpoint', this.config.endpoints)).replace(/\/+$/, '')}/me/sendMail`;
    const messages = this.messagesUrl(user);
    if (/\/messages\/?$/.test(messages)) return messages.replace(/\/messages\/?$/, '/sendMail');
    const graph = wrapTemplate(() => expandTemplate('graphEndpoint', this.config.endpoints)).replace(/\/+$/, '');
    return `${graph}/users/${encodePathSegment(user)}/sendMail`;
  }

  private checkHost(url: string, purpose: UrlPurpose): void {
    const check = checkUrl(url, this.config.cloud, purpose, { sandboxOrigin: this.mailer.options.sandboxOrigin, extraOrigins: this.mailer.options.extraOrigins });
    if (!check.ok) {
      throw configError(
        'HOST_NOT_ALLOWED',
        `A ${purpose === 'upload' ? 'upload session' : 'Graph'} URL points at a host this server does not send to (${check.key}).`,
        purpose === 'upload'
          ? 'Upload sessions must be on the chosen cloud\'s Outlook hosts; check the Domain and the Graph endpoint.'
          : 'Reset the endpoint templates to the defaults of the chosen Domain.',
      );
    }
  }

  /** An authenticated Graph request, under the mailbox's concurrency limit; one token refresh on 401. */
  async request(method: string, url: string, body?: unknown): Promise<CallResult> {
    this.checkHost(url, 'graph');
    const { options } = this.mailer;
    const attempt = async (forceRefresh: boolean) => {
      const token = await this.tokens.getAccessToken(forceRefresh ? { forceRefresh: true } : undefined);
      return this.mailer.semaphore.run(this.mailboxKey, () =>
        graphCall({
          method,
          url,
          headers: jsonHeaders(token.accessToken),
          body: body === undefined ? undefined : JSON.stringify(body),
          timeoutMs: options.requestTimeoutMs,
          signal: this.signal,
          fetch: options.fetch,
        }),
      );
    };
    try {
      const result = await attempt(false);
      this.lastInfo = result.info;
      return result;
    } catch (error) {
      if (error instanceof GraphCallError) this.lastInfo = error.info;
      // A 401 was not processed: safe to repeat once with a fresh token, even for a send.
      if (!(error instanceof GraphCallError && error.kind === 'http' && error.status === 401)) throw error;
      try {
        const result = await attempt(true);
        this.lastInfo = result.info;
        return result;
      } catch (again) {
        if (again instanceof GraphCallError) this.lastInfo = again.info;
        throw again;
      }
    }
  }

  // The draft path.

  async createDraft(message: OutgoingMessage): Promise<string> {
    const result = await this.request('POST', this.messagesUrl(this.user), graphMessage(message, this.config));
    const id = (result.json as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string' || id === '') {
      throw new GraphCallError(
        'http',
        { code: 'DRAFT_WITHOUT_ID', message: 'Graph created a draft but did not return its id.', hint: 'Try again later.', retryable: true, category: 'unknown', requestId: result.info.requestId },
        result.info,
        true,
      );
    }
    return id;
  }

  /** Adds every attachment: small ones inline, large ones through an upload session. */
  async addAttachments(user: string, draftId: string, attachments: readonly StoredAttachment[]): Promise<void> {
    for (const attachment of attachments) {
      if (attachment.size < INLINE_ATTACHMENT_LIMIT) await this.addInline(user, draftId, attachment);
      else await this.uploadLarge(user, draftId, attachment);
    }
  }

  private async addInline(user: string, draftId: string, attachment: StoredAttachment): Promise<void> {
    const handle = await open(attachment.path, 'r');
    let bytes: Buffer;
    try {
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
    await this.request('POST', this.draftUrl('draftAttachmentEndpoint', user, draftId), {
      '@odata.type': '#microsoft.graph.fileAttachment',
      name: attachment.name,
      contentType: attachment.contentType,
      contentBytes: bytes.toString('base64'),
    });
  }

  private async createUploadSession(user: string, draftId: string, attachment: StoredAttachment) {
    const result = await this.request('POST', this.draftUrl('uploadSessionEndpoint', user, draftId), {
      AttachmentItem: { attachmentType: 'file', name: attachment.name, size: attachment.size, contentType: attachment.contentType },
    });
    const json = (result.json ?? {}) as { uploadUrl?: unknown; expirationDateTime?: unknown; nextExpectedRanges?: unknown };
    if (typeof json.uploadUrl !== 'string') {
      throw new GraphCallError(
        'http',
        { code: 'UPLOAD_SESSION_WITHOUT_URL', message: 'Graph created an upload session without an upload URL.', hint: 'Try again later.', retryable: true, category: 'unknown' },
        result.info,
        true,
      );
    }
    this.checkHost(json.uploadUrl, 'upload');
    const expires = typeof json.expirationDateTime === 'string' ? Date.parse(json.expirationDateTime) : NaN;
    return { uploadUrl: json.uploadUrl, expiresAt: Number.isNaN(expires) ? undefined : expires, offset: firstExpectedOffset(json.nextExpectedRanges) ?? 0 };
  }

  /**
   * In-order chunks read from the file one at a time (never the whole file in memory), with no
   * Authorization header: the upload URL carries its own token. A dropped chunk is resent from where
   * the session says it stands; an expired session is replaced by a new one.
   */
  private async uploadLarge(user: string, draftId: string, attachment: StoredAttachment): Promise<void> {
    const { options } = this.mailer;
    let session = await this.createUploadSession(user, draftId, attachment);
    let sessions = 1;
    let offset = session.offset;
    let failures = 0;
    const handle = await open(attachment.path, 'r');
    try {
      for (;;) {
        if (session.expiresAt !== undefined && Date.now() > session.expiresAt - 5_000) {
          if (++sessions > 3) throw configError('UPLOAD_SESSION_EXPIRED', 'The upload sessions for a large attachment kept expiring.', 'Check the server\'s connection speed; try again later.');
          session = await this.createUploadSession(user, draftId, attachment);
          offset = session.offset;
          continue;
        }
        const end = Math.min(offset + options.uploadChunkBytes, attachment.size);
        const chunk = Buffer.alloc(end - offset);
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, offset);
        if (bytesRead !== chunk.length) throw configError('ATTACHMENT_CHANGED', `The stored file of attachment "${attachment.name}" is shorter than recorded.`, 'Send the message again with the file.');
        let result: CallResult;
        try {
          result = await this.mailer.semaphore.run(this.mailboxKey, () =>
            graphCall({
              method: 'PUT',
              url: session.uploadUrl,
              headers: {
                'content-type': 'application/octet-stream',
                'content-range': `bytes ${offset}-${end - 1}/${attachment.size}`,
              },
              body: chunk,
              timeoutMs: options.uploadTimeoutMs,
              signal: this.signal,
              fetch: options.fetch,
            }),
          );
          this.lastInfo = result.info;
        } catch (error) {
          if (!(error instanceof GraphCallError)) throw error;
          this.lastInfo = error.info;
          const said = firstExpectedOffset((error.body as { nextExpectedRanges?: unknown } | undefined)?.nextExpectedRanges);
          if (error.kind === 'http' && (error.status === 404 || error.status === 410)) {
            // The session is gone. If the lost answer was to the last chunk, the session may have
            // completed the attachment: a new upload would add it twice.
            if (end >= attachment.size && (await this.hasAttachment(user, draftId, attachment))) return;
            // Otherwise it expired or was cancelled: start a new one from the beginning.
            if (++sessions > 3) throw error;
            session = await this.createUploadSession(user, draftId, attachment);
            offset = session.offset;
            continue;
          }
          if (said !== undefined) {
            if (++failures > options.uploadRetries) throw error;
            offset = said;
            continue;
          }
          if (!isRetryable(error) || ++failures > options.uploadRetries) throw error;
          await sleep(Math.min(error.info.retryAfterMs ?? options.uploadRetryDelayMs * failures, 30_000), this.signal);
          offset = (await this.uploadStatus(session.uploadUrl)) ?? offset;
          continue;
        }
        if (result.status === 201) return;
        const next = firstExpectedOffset((result.json as { nextExpectedRanges?: unknown } | undefined)?.nextExpectedRanges);
        if (next === undefined) {
          if (end >= attachment.size) return;
          offset = end;
        } else {
          offset = next;
        }
        failures = 0;
      }
    } finally {
      await handle.close();
    }
  }

  /** Whether the draft already has an attachment of this name and size (a completed upload). */
  private async hasAttachment(user: string, draftId: string, attachment: StoredAttachment): Promise<boolean> {
    try {
      const result = await this.request('GET', `${this.draftUrl('draftAttachmentEndpoint', user, draftId)}?$select=name,size`);
      const list = (result.json as { value?: Array<{ name?: unknown; size?: unknown }> } | undefined)?.value ?? [];
      // Graph's `size` counts some metadata besides the content, hence the tolerance.
      const sizeFits = (size: unknown) => typeof size !== 'number' || (size >= attachment.size && size <= attachment.size * 1.05 + 4096);
      return list.some((item) => item.name === attachment.name && sizeFits(item.size));
    } catch {
      return false;
    }
  }

  /** Where an upload session stands, when it can say (`GET` on the upload URL); undefined otherwise. */
  private async uploadStatus(uploadUrl: string): Promise<number | undefined> {
    try {
      const result = await this.mailer.semaphore.run(this.mailboxKey, () =>
        graphCall({ method: 'GET', url: uploadUrl, timeoutMs: this.mailer.options.requestTimeoutMs, signal: this.signal, fetch: this.mailer.options.fetch }),
      );
      return firstExpectedOffset((result.json as { nextExpectedRanges?: unknown } | undefined)?.nextExpectedRanges);
    } catch {
      return undefined;
    }
  }

  async sendDraft(user: string, draftId: string): Promise<CallInfo> {
    const result = await this.request('POST', this.draftUrl('draftSendEndpoint', user, draftId));
    return result.info;
  }

  /** Looks a message up by its immutable id: gone (404), still a draft, or sent. */
  async lookup(user: string, id: string): Promise<{ found: false } | { found: true; isDraft: boolean }> {
    try {
      const result = await this.request('GET', `${this.messageUrl(user, id)}?$select=id,isDraft`);
      const isDraft = (result.json as { isDraft?: unknown } | undefined)?.isDraft;
      return { found: true, isDraft: isDraft !== false };
    } catch (error) {
      if (error instanceof GraphCallError && error.kind === 'http' && error.status === 404) return { found: false };
      throw error;
    }
  }

  /** Removes an unsent draft whose attachments may be incomplete; a missing one is fine. */
  async deleteDraft(user: string, id: string): Promise<void> {
    try {
      await this.request('DELETE', this.messageUrl(user, id));
    } catch (error) {
      if (error instanceof GraphCallError && error.kind === 'http' && error.status === 404) return;
      throw error;
    }
  }

  // The Mail.Send-only path.

  /** `sendMail` with the attachments inline; the caller checked that they fit. */
  async sendMail(message: OutgoingMessage, attachments: readonly StoredAttachment[], saveToSentItems: boolean): Promise<CallInfo> {
    const body = graphMessage(message, this.config);
    if (attachments.length) {
      const list: unknown[] = [];
      for (const attachment of attachments) {
        const handle = await open(attachment.path, 'r');
        try {
          list.push({
            '@odata.type': '#microsoft.graph.fileAttachment',
            name: attachment.name,
            contentType: attachment.contentType,
            contentBytes: (await handle.readFile()).toString('base64'),
          });
        } finally {
          await handle.close();
        }
      }
      body.attachments = list;
    }
    const result = await this.request('POST', this.sendMailUrl(this.user), { message: body, saveToSentItems });
    return result.info;
  }
}
