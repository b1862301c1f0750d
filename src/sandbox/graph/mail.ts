/**
 * The mail part of Graph: `sendMail`, drafts (created with or without immutable ids), reading,
 * listing, updating and deleting messages, inline attachments, and `/send` with Exchange's lag: a
 * sent draft stays in Drafts for `sendLagMs`, then it moves to Sent Items (a new id
 * unless it was created with `Prefer: IdType="ImmutableId"`); delivery itself happens at submission.
 */
import type { SandboxContext } from '../context.js';
import { mailAddressOf, maySendAs } from '../directory.js';
import type { SeedUser } from '../seed.js';
import type { SandboxState } from '../state.js';
import {
  GraphInputError,
  attachmentJson,
  deliveryOf,
  folderId,
  messageJson,
  newMessage,
  newMessageId,
  parseAttachment,
  parseMessageFields,
  select,
  type StoredMessage,
} from './messages.js';
import { GraphError, graph, graphEmpty, graphJson } from './respond.js';
import { matchesFilter, parseFilter, readJson, topOf } from './query.js';

const IMMUTABLE_PREFERENCE = /(?:^|[,;\s])IdType\s*=\s*"?ImmutableId"?/i;

export type Folder = StoredMessage['folder'];

const FILTERABLE = ['id', 'internetMessageId', 'subject', 'isDraft', 'conversationId', 'parentFolderId'] as const;

/** Graph's well-known folder names, or a folder id the sandbox handed out, to a folder. */
export function folderOf(mailbox: SeedUser, segment: string): Folder {
  const name = segment.toLowerCase();
  if (name === 'drafts' || segment === folderId(mailbox.id, 'drafts')) return 'drafts';
  if (name === 'sentitems' || segment === folderId(mailbox.id, 'sentitems')) return 'sentitems';
  throw graph.itemNotFound();
}

/** Turns the parsers' input errors into Graph errors. */
function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof GraphInputError) throw new GraphError(error.status, error.code, error.message);
    throw error;
  }
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export function findMessage(state: SandboxState, mailbox: SeedUser, id: string): StoredMessage {
  const message = state.messages.get(id);
  if (!message || message.mailboxId !== mailbox.id) throw graph.itemNotFound();
  return message;
}

function draftOf(state: SandboxState, mailbox: SeedUser, id: string): StoredMessage {
  const message = findMessage(state, mailbox, id);
  if (message.folder !== 'drafts') throw graph.notADraft();
  return message;
}

const defaultFrom = (mailbox: SeedUser) => ({ emailAddress: { address: mailAddressOf(mailbox), name: mailbox.displayName } });

/**
 * A `from` the mailbox may send as, and recipients present; Exchange checks both at submission. Which
 * it checks first is not documented, so nothing in the server depends on the order (its Send As check
 * sends a real test message).
 */
function checkSubmittable(mailbox: SeedUser, message: Pick<StoredMessage, 'toRecipients' | 'ccRecipients' | 'bccRecipients' | 'from'>): void {
  const from = message.from?.emailAddress.address;
  if (from && !maySendAs(mailbox, from)) throw graph.sendAsDenied();
  if (message.toRecipients.length + message.ccRecipients.length + message.bccRecipients.length === 0) throw graph.noRecipients();
}

function messageResponse(c: SandboxContext, message: StoredMessage, status = 200, headers: Record<string, string> = {}): Response {
  return graphJson(select(messageJson(message, c.get('origin')), c.req.query('$select')), status, headers);
}

export async function sendMail(c: SandboxContext, state: SandboxState, mailbox: SeedUser): Promise<Response> {
  const body = (await readJson(c)) as Record<string, unknown> | null;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new GraphError(400, 'ErrorInvalidRequest', 'Empty Payload. JSON content expected.');
  const stamp = now();
  const fields = parsed(() => parseMessageFields(body.message, stamp));
  let save = true;
  const raw = body.saveToSentItems;
  if (raw !== undefined && raw !== null) {
    if (typeof raw === 'boolean') save = raw;
    else if (typeof raw === 'string' && /^(true|false)$/i.test(raw)) save = raw.toLowerCase() === 'true';
    else throw new GraphError(400, 'RequestBodyRead', `Cannot convert the literal '${String(raw)}' to the expected type 'Edm.Boolean'.`);
  }
  const message = newMessage(mailbox.id, false, fields, stamp);
  checkSubmittable(mailbox, message);
  message.from ??= defaultFrom(mailbox);
  message.folder = 'sentitems';
  message.sentDateTime = stamp;
  state.deliveries.push(deliveryOf(message, message.from!.emailAddress.address, save, new Date().toISOString()));
  if (save) state.messages.set(message.id, message);
  return graphEmpty(202);
}

export async function createDraft(c: SandboxContext, state: SandboxState, mailbox: SeedUser, folder: Folder | undefined): Promise<Response> {
  if (folder && folder !== 'drafts') throw new GraphError(400, 'ErrorInvalidOperation', 'A new message can only be created in the Drafts folder.');
  const body = await readJson(c);
  const stamp = now();
  const fields = parsed(() => parseMessageFields(body, stamp));
  const immutable = IMMUTABLE_PREFERENCE.test(c.req.header('prefer') ?? '');
  const message = newMessage(mailbox.id, immutable, fields, stamp);
  state.messages.set(message.id, message);
  return messageResponse(c, message, 201, immutable ? { 'Preference-Applied': 'IdType="ImmutableId"' } : {});
}

export function getMessage(c: SandboxContext, state: SandboxState, mailbox: SeedUser, id: string): Response {
  return messageResponse(c, findMessage(state, mailbox, id));
}

export function listMessages(c: SandboxContext, state: SandboxState, mailbox: SeedUser, folder: Folder | undefined): Response {
  const filter = c.req.query('$filter');
  const clauses = filter ? parseFilter(filter) : [];
  const origin = c.get('origin');
  const value = [...state.messages.values()]
    .filter((message) => message.mailboxId === mailbox.id && (!folder || message.folder === folder))
    .sort((a, b) => b.createdDateTime.localeCompare(a.createdDateTime))
    .map((message) => messageJson(message, origin))
    .filter((json) => matchesFilter(json, clauses, FILTERABLE))
    .slice(0, topOf(c, 10))
    .map(({ '@odata.context': _context, ...json }) => select(json, c.req.query('$select')));
  return graphJson({ '@odata.context': `${origin}/v1.0/$metadata#users('${mailbox.id}')/messages`, value });
}

export async function updateDraft(c: SandboxContext, state: SandboxState, mailbox: SeedUser, id: string): Promise<Response> {
  const message = draftOf(state, mailbox, id);
  const body = await readJson(c);
  const stamp = now();
  // Attachments have their own endpoint; Graph ignores them in a PATCH of the message.
  const { attachments: _attachments, ...fields } = parsed(() => parseMessageFields(body, stamp));
  Object.assign(message, fields, { lastModifiedDateTime: stamp });
  return messageResponse(c, message);
}

export function deleteMessage(state: SandboxState, mailbox: SeedUser, id: string): Response {
  const message = findMessage(state, mailbox, id);
  state.messages.delete(message.id);
  return graphEmpty(204);
}

/**
 * `/send`: the message is submitted and delivered at once (202), but it stays in Drafts, still a
 * draft, for `sendLagMs` before it moves to Sent Items, as with Exchange: a client that checks
 * `isDraft` too early and sends again delivers it twice, which is what reconciliation must avoid.
 */
export function sendDraft(state: SandboxState, mailbox: SeedUser, id: string): Response {
  const message = draftOf(state, mailbox, id);
  checkSubmittable(mailbox, message);
  const from = message.from ?? defaultFrom(mailbox);
  state.deliveries.push(deliveryOf(message, from.emailAddress.address, true, new Date().toISOString()));
  state.later(state.settings.sendLagMs, () => {
    if (state.messages.get(message.id) !== message || message.folder !== 'drafts') return;
    const stamp = now();
    Object.assign(message, { folder: 'sentitems', sentDateTime: stamp, lastModifiedDateTime: stamp, from });
    if (!message.immutable) {
      state.messages.delete(message.id);
      message.id = newMessageId(false);
      state.messages.set(message.id, message);
    }
  });
  return graphEmpty(202);
}

export async function addAttachment(c: SandboxContext, state: SandboxState, mailbox: SeedUser, id: string): Promise<Response> {
  const message = draftOf(state, mailbox, id);
  const body = await readJson(c);
  const attachment = parsed(() => parseAttachment(body, now()));
  message.attachments.push(attachment);
  message.lastModifiedDateTime = now();
  return graphJson(
    { '@odata.context': `${c.get('origin')}/v1.0/$metadata#users('${mailbox.id}')/messages('${message.id}')/attachments/$entity`, ...attachmentJson(attachment, false) },
    201,
  );
}

export function listAttachments(c: SandboxContext, state: SandboxState, mailbox: SeedUser, id: string): Response {
  const message = findMessage(state, mailbox, id);
  return graphJson({
    '@odata.context': `${c.get('origin')}/v1.0/$metadata#users('${mailbox.id}')/messages('${message.id}')/attachments`,
    value: message.attachments.map((attachment) => select(attachmentJson(attachment, false), c.req.query('$select'))),
  });
}

export function getAttachment(c: SandboxContext, state: SandboxState, mailbox: SeedUser, id: string, attachmentId: string): Response {
  const attachment = findMessage(state, mailbox, id).attachments.find((item) => item.id === attachmentId);
  if (!attachment) throw graph.itemNotFound();
  return graphJson(select(attachmentJson(attachment, true), c.req.query('$select')));
}

export function deleteAttachment(state: SandboxState, mailbox: SeedUser, id: string, attachmentId: string): Response {
  const message = draftOf(state, mailbox, id);
  const index = message.attachments.findIndex((item) => item.id === attachmentId);
  if (index < 0) throw graph.itemNotFound();
  message.attachments.splice(index, 1);
  return graphEmpty(204);
}
