/**
 * Graph's message JSON in and out: parsing a request's message into the stored form, and rendering a
 * stored message the way Graph answers. Validation errors carry Graph's codes.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';

export interface Recipient {
  emailAddress: { address: string; name?: string };
}

export interface StoredAttachment {
  id: string;
  name: string;
  contentType: string;
  isInline: boolean;
  bytes: Buffer;
  lastModifiedDateTime: string;
}

export interface StoredMessage {
  id: string;
  /** Created with `Prefer: IdType="ImmutableId"`: the id survives the move to Sent Items. */
  immutable: boolean;
  /** Object id of the mailbox owner. */
  mailboxId: string;
  folder: 'drafts' | 'sentitems';
  createdDateTime: string;
  lastModifiedDateTime: string;
  sentDateTime: string | null;
  subject: string;
  body: { contentType: 'text' | 'html'; content: string };
  toRecipients: Recipient[];
  ccRecipients: Recipient[];
  bccRecipients: Recipient[];
  replyTo: Recipient[];
  from: Recipient | null;
  attachments: StoredAttachment[];
  internetMessageId: string;
  conversationId: string;
}

/** One message as it reached its recipients: what `GET /sandbox/mailbox` lists. */
export interface Delivery {
  id: string;
  /** The Graph id the message had when it was sent. */
  messageId: string;
  internetMessageId: string;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string;
  body: { contentType: string; content: string };
  saveToSentItems: boolean;
  attachments: Array<{ name: string; contentType: string; size: number; sha256: string }>;
  deliveredAt: string;
}

/** Graph's limit for an attachment sent inline (base64 in JSON); bigger ones need an upload session. */
export const INLINE_ATTACHMENT_LIMIT = 3 * 1024 * 1024;

export class GraphInputError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const EMAIL = /^[^\s@<>()"]+@[^\s@<>()"]+\.[^\s@<>()"]+$/;

/** Graph-looking ids: long, base64url, ending in `=`; immutable ones have their own prefix. */
export const newMessageId = (immutable: boolean): string => `${immutable ? 'AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A' : 'AAMkAGVmMDEzMTM4LTZmYWUtNDdkNC1hMDZiLTU1OGY5OTZhYmY4OABGAAAAAAAiQ8W967B7TKBjgx9rVEURBwAiIsqMbYjsT5e-T7KzowPTAAAAAAEPAAA'}${randomBytes(24).toString('base64url')}AAA=`;

export const folderId = (mailboxId: string, folder: StoredMessage['folder']): string =>
  `AQMkA${createHash('sha256').update(`${mailboxId}/${folder}`).digest('base64url').slice(0, 40)}AAAAAEP${folder === 'drafts' ? 'AAAA' : 'AAAB'}`;

function recipients(value: unknown, field: string): Recipient[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new GraphInputError(400, 'RequestBodyRead', `Invalid JSON: '${field}' must be a collection of recipients.`);
  return value.map((entry) => recipient(entry, field));
}

function recipient(entry: unknown, field: string): Recipient {
  const address = (entry as Recipient | null)?.emailAddress?.address;
  if (typeof address !== 'string' || !EMAIL.test(address.trim())) {
    throw new GraphInputError(400, 'ErrorInvalidRecipients', `At least one recipient is not valid., Recipient '${String(address ?? '')}' in '${field}' is not resolved. All recipients must be resolved before a message can be submitted.`);
  }
  const name = (entry as Recipient).emailAddress.name;
  return { emailAddress: { address: address.trim(), ...(typeof name === 'string' ? { name } : {}) } };
}

export function parseAttachment(value: unknown, now: string): StoredAttachment {
  const item = value as Record<string, unknown> | null;
  if (!item || typeof item !== 'object') throw new GraphInputError(400, 'RequestBodyRead', 'Invalid JSON: an attachment must be an object.');
  const type = item['@odata.type'];
  if (typeof type !== 'string' || type.toLowerCase() !== '#microsoft.graph.fileattachment') {
    throw new GraphInputError(400, 'ErrorInvalidRequest', `The attachment type '${String(type)}' is not supported here: use '#microsoft.graph.fileAttachment'.`);
  }
  if (typeof item.name !== 'string' || item.name === '') throw new GraphInputError(400, 'ErrorInvalidRequest', 'The attachment needs a name.');
  if (typeof item.contentBytes !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(item.contentBytes) || item.contentBytes.length % 4 !== 0) {
    throw new GraphInputError(400, 'RequestBodyRead', "Cannot convert the literal to the expected type 'Edm.Binary'.");
  }
  const bytes = Buffer.from(item.contentBytes, 'base64');
  if (bytes.length >= INLINE_ATTACHMENT_LIMIT) {
    throw new GraphInputError(413, 'ErrorRequestEntityTooLarge', 'The request exceeds the maximum supported size. Attachments of 3 MB or more need an upload session.');
  }
  return {
    id: `AAMkAGI2${randomBytes(18).toString('base64url')}=`,
    name: item.name,
    contentType: typeof item.contentType === 'string' ? item.contentType : 'application/octet-stream',
    isInline: item.isInline === true,
    bytes,
    lastModifiedDateTime: now,
  };
}

/** The fields a request may set on a message, checked; absent fields stay absent. */
export function parseMessageFields(value: unknown, now: string): Partial<StoredMessage> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new GraphInputError(400, 'ErrorInvalidRequest', 'Empty Payload. JSON content expected.');
  const json = value as Record<string, unknown>;
  const fields: Partial<StoredMessage> = {};
  if (json.subject !== undefined) fields.subject = String(json.subject ?? '');
  if (json.body !== undefined) {
    const body = json.body as { contentType?: unknown; content?: unknown } | null;
    const type = String(body?.contentType ?? 'text').toLowerCase();
    if (type !== 'text' && type !== 'html') throw new GraphInputError(400, 'RequestBodyRead', `Requested value '${String(body?.contentType)}' was not found in the enum 'bodyType'.`);
    fields.body = { contentType: type, content: String(body?.content ?? '') };
  }
  if (json.toRecipients !== undefined) fields.toRecipients = recipients(json.toRecipients, 'toRecipients');
  if (json.ccRecipients !== undefined) fields.ccRecipients = recipients(json.ccRecipients, 'ccRecipients');
  if (json.bccRecipients !== undefined) fields.bccRecipients = recipients(json.bccRecipients, 'bccRecipients');
  if (json.replyTo !== undefined) fields.replyTo = recipients(json.replyTo, 'replyTo');
  if (json.from !== undefined) fields.from = json.from === null ? null : recipient(json.from, 'from');
  if (json.attachments !== undefined) {
    if (!Array.isArray(json.attachments)) throw new GraphInputError(400, 'RequestBodyRead', "Invalid JSON: 'attachments' must be a collection.");
    fields.attachments = json.attachments.map((item) => parseAttachment(item, now));
  }
  return fields;
}

export function newMessage(mailboxId: string, immutable: boolean, fields: Partial<StoredMessage>, now: string): StoredMessage {
  return {
    id: newMessageId(immutable),
    immutable,
    mailboxId,
    folder: 'drafts',
    createdDateTime: now,
    lastModifiedDateTime: now,
    sentDateTime: null,
    subject: '',
    body: { contentType: 'text', content: '' },
    toRecipients: [],
    ccRecipients: [],
    bccRecipients: [],
    replyTo: [],
    from: null,
    attachments: [],
    internetMessageId: `<${randomUUID().replaceAll('-', '').toUpperCase()}@sandbox.graph-mail.invalid>`,
    conversationId: `AAQkAGVm${randomBytes(18).toString('base64url')}=`,
    ...fields,
  };
}

export function attachmentJson(attachment: StoredAttachment, withContent: boolean): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.fileAttachment',
    id: attachment.id,
    lastModifiedDateTime: attachment.lastModifiedDateTime,
    name: attachment.name,
    contentType: attachment.contentType,
    size: attachment.bytes.length,
    isInline: attachment.isInline,
    ...(withContent ? { contentBytes: attachment.bytes.toString('base64') } : {}),
  };
}

export function messageJson(message: StoredMessage, origin: string): Record<string, unknown> {
  const preview = message.body.content.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 255);
  return {
    '@odata.context': `${origin}/v1.0/$metadata#users('${message.mailboxId}')/messages/$entity`,
    '@odata.etag': `W/"${createHash('sha1').update(message.lastModifiedDateTime + message.id).digest('base64').slice(0, 24)}"`,
    id: message.id,
    createdDateTime: message.createdDateTime,
    lastModifiedDateTime: message.lastModifiedDateTime,
    receivedDateTime: message.createdDateTime,
    sentDateTime: message.sentDateTime,
    hasAttachments: message.attachments.length > 0,
    internetMessageId: message.internetMessageId,
    subject: message.subject,
    bodyPreview: preview,
    importance: 'normal',
    parentFolderId: folderId(message.mailboxId, message.folder),
    conversationId: message.conversationId,
    isDeliveryReceiptRequested: false,
    isReadReceiptRequested: false,
    isRead: true,
    isDraft: message.folder === 'drafts',
    body: message.body,
    sender: message.folder === 'drafts' ? null : message.from,
    from: message.from,
    toRecipients: message.toRecipients,
    ccRecipients: message.ccRecipients,
    bccRecipients: message.bccRecipients,
    replyTo: message.replyTo,
  };
}

const addresses = (list: Recipient[]): string[] => list.map((entry) => entry.emailAddress.address);

export function deliveryOf(message: StoredMessage, from: string, saveToSentItems: boolean, now: string): Delivery {
  return {
    id: randomUUID(),
    messageId: message.id,
    internetMessageId: message.internetMessageId,
    from,
    to: addresses(message.toRecipients),
    cc: addresses(message.ccRecipients),
    bcc: addresses(message.bccRecipients),
    replyTo: addresses(message.replyTo),
    subject: message.subject,
    body: message.body,
    saveToSentItems,
    attachments: message.attachments.map((attachment) => ({
      name: attachment.name,
      contentType: attachment.contentType,
      size: attachment.bytes.length,
      sha256: createHash('sha256').update(attachment.bytes).digest('hex'),
    })),
    deliveredAt: now,
  };
}

/** Whether a delivery reached this address (to, cc or bcc), case-insensitively. */
export const deliveredTo = (delivery: Delivery, address: string): boolean =>
  [...delivery.to, ...delivery.cc, ...delivery.bcc].some((entry) => entry.toLowerCase() === address.toLowerCase());

/** `$select=a,b`: keeps those fields (and the OData annotations), as Graph does. */
export function select(json: Record<string, unknown>, selectParam: string | undefined): Record<string, unknown> {
  if (!selectParam) return json;
  const wanted = new Set(selectParam.split(',').map((field) => field.trim().toLowerCase()));
  wanted.add('id');
  return Object.fromEntries(Object.entries(json).filter(([key]) => key.startsWith('@odata.') || wanted.has(key.toLowerCase())));
}
