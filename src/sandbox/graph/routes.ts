/**
 * Graph v1.0 on this origin. Paths are taken as received and split before percent-decoding, so a
 * guest UPN (`…%23EXT%23%40…`) is one segment, and a segment that starts with `$` is read as a system
 * segment, as Graph reads it (a `$`-prefixed UPN needs `$filter`).
 */
import type { Hono } from 'hono';
import type { SandboxContext, SandboxDeps, SandboxEnv } from '../context.js';
import type { SeedUser } from '../seed.js';
import { authenticate, type Caller, type Need } from './auth.js';
import {
  addAttachment,
  createDraft,
  deleteAttachment,
  deleteMessage,
  folderOf,
  getAttachment,
  getMessage,
  listAttachments,
  listMessages,
  sendDraft,
  sendMail,
  updateDraft,
  type Folder,
} from './mail.js';
import { mailboxFor, withMailboxSlot, type Owner } from './mailboxes.js';
import { GraphError, graph, graphErrorResponse } from './respond.js';
import { createUploadSession } from './uploads.js';
import { getMe, getUser, listUsers } from './users.js';

const CORS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'request-id, client-request-id, Retry-After, Location, Preference-Applied',
};

function segmentsOf(rawPath: string): string[] {
  const rest = rawPath.replace(/^\/v1\.0\/?/i, '');
  const parts = rest.split('/');
  while (parts.length && parts[parts.length - 1] === '') parts.pop();
  return parts.map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new GraphError(400, 'BadRequest', `The path segment '${part}' is not valid percent-encoding.`);
    }
  });
}

export function graphRoutes(app: Hono<SandboxEnv>, deps: SandboxDeps): void {
  app.options('/v1.0/*', (c) =>
    c.body(null, 204, {
      ...CORS,
      'Access-Control-Allow-Methods': 'GET, POST, PATCH, PUT, DELETE, OPTIONS',
      'Access-Control-Allow-Headers': c.req.header('access-control-request-headers') ?? 'authorization, content-type',
      'Access-Control-Max-Age': '86400',
    }),
  );

  app.all('/v1.0/*', async (c) => {
    let response: Response;
    try {
      response = await dispatch(c);
    } catch (error) {
      if (!(error instanceof GraphError)) throw error;
      response = graphErrorResponse(c, error);
    }
    for (const [name, value] of Object.entries(CORS)) response.headers.set(name, value);
    return response;
  });

  async function dispatch(c: SandboxContext): Promise<Response> {
    const method = c.req.method;
    const segments = segmentsOf(c.get('rawPath'));
    const [root, second] = segments;
    if (!root) throw graph.notFoundSegment('v1.0');
    const lowerRoot = root.toLowerCase();
    if (lowerRoot !== 'me' && lowerRoot !== 'users') throw graph.notFoundSegment(root);
    const caller = await authenticate(c, deps);

    if (lowerRoot === 'users' && segments.length === 1) {
      if (method !== 'GET') throw graph.methodNotAllowed();
      return listUsers(c, deps.state, caller);
    }
    let owner: Owner;
    let rest: string[];
    if (lowerRoot === 'me') {
      owner = { me: true };
      rest = segments.slice(1);
    } else {
      if (second.startsWith('$')) throw graph.notFoundSegment(second);
      owner = { me: false, id: second };
      rest = segments.slice(2);
    }
    if (rest.length === 0) {
      if (method !== 'GET') throw graph.methodNotAllowed();
      return owner.me ? getMe(c, caller) : getUser(c, deps.state, caller, owner.id);
    }
    return mail(c, caller, owner, rest);
  }

  async function mail(c: SandboxContext, caller: Caller, owner: Owner, path: string[]): Promise<Response> {
    const { state } = deps;
    const method = c.req.method;
    const lower = path.map((part) => part.toLowerCase());
    // Resolves the mailbox (with the permission `need`) and runs the operation in one of its slots.
    const on = (need: Need, work: (mailbox: SeedUser) => Promise<Response> | Response) => {
      const mailbox = mailboxFor(state, caller, owner, need);
      return withMailboxSlot(state, mailbox.id, () => work(mailbox));
    };

    if (lower[0] === 'sendmail' && path.length === 1) {
      if (method !== 'POST') throw graph.methodNotAllowed();
      return on('mailSend', (mailbox) => sendMail(c, state, mailbox));
    }
    let folderSegment: string | undefined;
    let rest = path;
    if (lower[0] === 'mailfolders' && path.length >= 3 && lower[2] === 'messages') {
      folderSegment = path[1];
      rest = path.slice(2);
    }
    const restLower = rest.map((part) => part.toLowerCase());
    if (restLower[0] !== 'messages') throw graph.notFoundSegment(rest[0]);
    const folder = (mailbox: SeedUser): Folder | undefined => (folderSegment === undefined ? undefined : folderOf(mailbox, folderSegment));

    if (rest.length === 1) {
      if (method === 'GET') return on('mailRead', (mailbox) => listMessages(c, state, mailbox, folder(mailbox)));
      if (method === 'POST') return on('mailWrite', (mailbox) => createDraft(c, state, mailbox, folder(mailbox)));
      throw graph.methodNotAllowed();
    }
    const id = rest[1];
    if (rest.length === 2) {
      if (method === 'GET') return on('mailRead', (mailbox) => getMessage(c, state, mailbox, id));
      if (method === 'PATCH') return on('mailWrite', (mailbox) => updateDraft(c, state, mailbox, id));
      if (method === 'DELETE') return on('mailWrite', (mailbox) => deleteMessage(state, mailbox, id));
      throw graph.methodNotAllowed();
    }
    if (restLower[2] === 'send' && rest.length === 3) {
      if (method !== 'POST') throw graph.methodNotAllowed();
      return on('mailSend', (mailbox) => sendDraft(state, mailbox, id));
    }
    if (restLower[2] !== 'attachments') throw graph.notFoundSegment(rest[2]);
    if (rest.length === 3) {
      if (method === 'GET') return on('mailRead', (mailbox) => listAttachments(c, state, mailbox, id));
      if (method === 'POST') return on('mailWrite', (mailbox) => addAttachment(c, state, mailbox, id));
      throw graph.methodNotAllowed();
    }
    if (rest.length === 4 && restLower[3] === 'createuploadsession') {
      if (method !== 'POST') throw graph.methodNotAllowed();
      return on('mailWrite', (mailbox) => createUploadSession(c, deps, mailbox, id));
    }
    if (rest.length === 4) {
      const attachmentId = rest[3];
      if (method === 'GET') return on('mailRead', (mailbox) => getAttachment(c, state, mailbox, id, attachmentId));
      if (method === 'DELETE') return on('mailWrite', (mailbox) => deleteAttachment(state, mailbox, id, attachmentId));
      throw graph.methodNotAllowed();
    }
    throw graph.notFoundSegment(rest[4]);
  }
}
