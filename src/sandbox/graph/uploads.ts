/**
 * Large attachments: `createUploadSession` (3 MB to 150 MB; smaller ones are refused, as Graph refuses
 * them) hands out an opaque upload URL on this origin that carries its own token, in Outlook's
 * shape; `PUT`s of in-order chunks under 4 MB with `Content-Range` fill it, any Authorization header
 * is refused, the last chunk answers 201 with `Location`; `DELETE` cancels it. Outlook documents no
 * `GET` on the upload URL, so none is offered: a client learns where a session stands from the
 * `nextExpectedRanges` of its answers (a chunk sent again is refused with them).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Hono } from 'hono';
import type { SandboxContext, SandboxDeps, SandboxEnv } from '../context.js';
import type { SeedUser } from '../seed.js';
import type { UploadSession } from '../state.js';
import { INLINE_ATTACHMENT_LIMIT } from './messages.js';
import { findMessage } from './mail.js';
import { withMailboxSlot } from './mailboxes.js';
import { GraphError, graph, graphEmpty, graphErrorResponse, graphJson } from './respond.js';
import { readJson } from './query.js';

/** Outlook's limit for one file through an upload session. */
export const MAX_UPLOAD_BYTES = 150 * 1024 * 1024;
/** Each `PUT` must carry less than 4 MB. */
export const MAX_CHUNK_BYTES = 4 * 1024 * 1024;

const expiry = (session: UploadSession) => new Date(session.expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
const nextRanges = (session: UploadSession) => [`${session.received}-`];

export async function createUploadSession(c: SandboxContext, deps: SandboxDeps, mailbox: SeedUser, messageId: string): Promise<Response> {
  const { state } = deps;
  const message = findMessage(state, mailbox, messageId);
  if (message.folder !== 'drafts') throw graph.notADraft();
  const body = (await readJson(c)) as Record<string, unknown> | null;
  const itemKey = body && typeof body === 'object' ? Object.keys(body).find((key) => key.toLowerCase() === 'attachmentitem') : undefined;
  const item = (itemKey ? body![itemKey] : undefined) as Record<string, unknown> | undefined;
  if (!item || typeof item !== 'object') throw new GraphError(400, 'ErrorInvalidRequest', "The request body must contain an 'AttachmentItem'.");
  if (String(item.attachmentType ?? '').toLowerCase() !== 'file') throw new GraphError(400, 'ErrorInvalidRequest', "AttachmentItem.attachmentType must be 'file'.");
  if (typeof item.name !== 'string' || item.name === '') throw new GraphError(400, 'ErrorInvalidRequest', 'AttachmentItem.name is required.');
  const size = item.size;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) throw new GraphError(400, 'ErrorInvalidRequest', 'AttachmentItem.size must be the file size in bytes.');
  if (size < INLINE_ATTACHMENT_LIMIT) throw new GraphError(400, 'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize', 'Attachment size must be greater than the minimum size.');
  if (size > MAX_UPLOAD_BYTES) throw new GraphError(400, 'ErrorMessageSizeExceeded', 'The message exceeds the maximum supported size.');
  const session: UploadSession = {
    id: randomBytes(24).toString('base64url'),
    token: randomBytes(32).toString('base64url'),
    message,
    name: item.name,
    contentType: typeof item.contentType === 'string' ? item.contentType : 'application/octet-stream',
    isInline: item.isInline === true,
    size,
    chunks: [],
    received: 0,
    expiresAt: Date.now() + state.settings.uploadSessionLifetimeS * 1000,
  };
  state.uploads.set(session.id, session);
  const origin = c.get('origin');
  const uploadUrl = `${origin}/api/v2.0/Users('${mailbox.id}@${mailbox.tenantId}')/Messages('${message.id}')/AttachmentSessions('${session.id}')?authtoken=${session.token}`;
  return graphJson(
    { '@odata.context': `${origin}/v1.0/$metadata#microsoft.graph.uploadSession`, uploadUrl, expirationDateTime: expiry(session), nextExpectedRanges: nextRanges(session) },
    201,
  );
}

const SESSION_PATH = /AttachmentSessions\((?:'|%27)([A-Za-z0-9_-]+)(?:'|%27)\)\/?$/;

const sameToken = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export function uploadRoutes(app: Hono<SandboxEnv>, deps: SandboxDeps): void {
  const { state } = deps;
  app.on(['PUT', 'GET', 'DELETE'], '/api/v2.0/*', async (c) => {
    try {
      return await upload(c);
    } catch (error) {
      if (error instanceof GraphError) return graphErrorResponse(c, error);
      throw error;
    }
  });

  async function upload(c: SandboxContext): Promise<Response> {
    // The URL is the credential; a bearer token here would be a token sent where it does not belong.
    if (c.req.header('authorization') !== undefined) {
      throw new GraphError(401, 'InvalidAuthenticationToken', 'The upload URL carries its own token: send no Authorization header to it (the audience claim value is invalid for current resource).');
    }
    const id = SESSION_PATH.exec(c.get('rawPath'))?.[1];
    const session = id ? state.uploads.get(id) : undefined;
    if (!session) throw new GraphError(404, 'ErrorItemNotFound', 'The upload session was not found: it expired, was cancelled or completed.');
    if (!sameToken(c.req.query('authtoken') ?? '', session.token)) throw new GraphError(401, 'InvalidAuthenticationToken', 'The upload URL token is missing or not valid.');
    if (session.expiresAt <= Date.now()) {
      state.uploads.delete(session.id);
      throw new GraphError(404, 'ErrorItemNotFound', 'The upload session has expired.');
    }
    return withMailboxSlot(state, session.message.mailboxId, async () => {
      if (c.req.method === 'GET') throw new GraphError(405, 'ErrorInvalidRequest', 'The upload URL accepts only PUT (a range of bytes) and DELETE (cancel).');
      if (c.req.method === 'DELETE') {
        state.uploads.delete(session.id);
        return graphEmpty(204);
      }
      return putChunk(c, session);
    });
  }

  async function putChunk(c: SandboxContext, session: UploadSession): Promise<Response> {
    const refuse = (status: number, message: string) => new GraphError(status, 'ErrorInvalidRequest', message, {}, { nextExpectedRanges: nextRanges(session) });
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(c.req.header('content-range')?.trim() ?? '');
    if (!range) throw refuse(400, "The Content-Range header is missing or malformed: use 'bytes start-end/total'.");
    const [start, end, total] = range.slice(1).map(Number);
    if (total !== session.size) throw refuse(400, `The Content-Range total ${total} is not the size the session was created with (${session.size}).`);
    if (end < start || end >= total) throw refuse(416, `The Content-Range ${start}-${end} is not within the file.`);
    const length = end - start + 1;
    const declared = Number(c.req.header('content-length') ?? NaN);
    if (length >= MAX_CHUNK_BYTES || (Number.isFinite(declared) && declared >= MAX_CHUNK_BYTES)) throw refuse(413, 'Each upload request must be smaller than 4 MB.');
    if (start !== session.received) throw refuse(416, `The chunk starts at ${start}, but the session expects byte ${session.received} next: chunks are uploaded in order.`);
    const bytes = Buffer.from(await c.req.arrayBuffer());
    if (bytes.length !== length) throw refuse(400, `The body has ${bytes.length} bytes, but the Content-Range names ${length}.`);
    session.chunks.push(bytes);
    session.received += length;
    session.expiresAt = Date.now() + state.settings.uploadSessionLifetimeS * 1000;
    if (session.received < session.size) return graphJson({ expirationDateTime: expiry(session), nextExpectedRanges: nextRanges(session) });

    state.uploads.delete(session.id);
    const { message } = session;
    if (state.messages.get(message.id) !== message || message.folder !== 'drafts') throw graph.itemNotFound();
    const stamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const attachment = {
      id: `AAMkAGI2${randomBytes(18).toString('base64url')}=`,
      name: session.name,
      contentType: session.contentType,
      isInline: session.isInline,
      bytes: Buffer.concat(session.chunks),
      lastModifiedDateTime: stamp,
    };
    session.chunks = [];
    message.attachments.push(attachment);
    message.lastModifiedDateTime = stamp;
    const location = `${c.get('origin')}/api/v2.0/Users('${message.mailboxId}')/Messages('${message.id}')/Attachments('${attachment.id}')`;
    return graphEmpty(201, { Location: location });
  }
}
