/**
 * The control API (DESIGN.md fixes paths and shapes): the seed, the signed-in session, delivered mail,
 * the request ledger, faults, reset, plus settings and mailbox statistics beyond the fixed set.
 * It is not part of the emulated services, so it is neither faulted nor recorded in the ledger.
 */
import type { Hono } from 'hono';
import type { SandboxContext, SandboxDeps, SandboxEnv } from './context.js';
import { deliveredTo, type Delivery } from './graph/messages.js';
import { patchSettings } from './settings.js';

export const CONTROL_PREFIX = '/sandbox/';

const CORS: Record<string, string> = { 'Access-Control-Allow-Origin': '*' };

const problem = (c: SandboxContext, status: 400 | 404, message: string) => c.json({ error: message }, status, CORS);

async function jsonBody(c: SandboxContext): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** One delivery as `GET /sandbox/mailbox` lists it. */
const mailboxEntry = (delivery: Delivery) => ({
  id: delivery.id,
  from: delivery.from,
  to: delivery.to,
  cc: delivery.cc,
  bcc: delivery.bcc,
  replyTo: delivery.replyTo,
  subject: delivery.subject,
  body: delivery.body,
  saveToSentItems: delivery.saveToSentItems,
  attachments: delivery.attachments,
  internetMessageId: delivery.internetMessageId,
  messageId: delivery.messageId,
  deliveredAt: delivery.deliveredAt,
});

export function controlRoutes(app: Hono<SandboxEnv>, deps: SandboxDeps): void {
  const { state } = deps;

  app.options('/sandbox/*', (c) =>
    c.body(null, 204, { ...CORS, 'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS', 'Access-Control-Allow-Headers': 'content-type' }),
  );

  app.get('/sandbox/seed', (c) => c.json(state.seed, 200, CORS));

  app.post('/sandbox/session', async (c) => {
    const body = (await jsonBody(c)) as { username?: unknown } | undefined;
    if (!body || typeof body !== 'object') return problem(c, 400, 'The body must be JSON: { "username": "<UPN>" }.');
    // null signs the browser out again.
    if (body.username === null) {
      state.sessionUserId = null;
      return c.json({ username: null }, 200, CORS);
    }
    if (typeof body.username !== 'string' || body.username === '') return problem(c, 400, 'username (a seeded user principal name) is required.');
    const user = state.directory.user(body.username);
    if (!user) return problem(c, 404, `No seeded user is named ${body.username}.`);
    if (user.kind === 'shared') return problem(c, 400, `${user.userPrincipalName} is a shared mailbox: sign-in is blocked for it.`);
    state.sessionUserId = user.id;
    return c.json({ username: user.userPrincipalName, id: user.id, tenantId: user.tenantId }, 200, CORS);
  });

  app.get('/sandbox/mailbox', (c) => {
    const to = c.req.query('to');
    const deliveries = to === undefined ? state.deliveries : state.deliveries.filter((delivery) => deliveredTo(delivery, to));
    return c.json({ messages: deliveries.map(mailboxEntry) }, 200, CORS);
  });

  app.get('/sandbox/requests', (c) => c.json({ requests: state.ledger.list() }, 200, CORS));

  app.get('/sandbox/faults', (c) => c.json({ faults: state.faults.list() }, 200, CORS));

  app.post('/sandbox/faults', async (c) => {
    const fault = state.faults.add(await jsonBody(c));
    if (typeof fault === 'string') return problem(c, 400, fault);
    const { pattern: _pattern, ...view } = fault;
    return c.json({ fault: view }, 201, CORS);
  });

  app.delete('/sandbox/faults', (c) => c.json({ cleared: state.faults.clear() }, 200, CORS));

  app.post('/sandbox/reset', (c) => {
    state.reset();
    return c.json({ reset: true }, 200, CORS);
  });

  app.get('/sandbox/settings', (c) => c.json({ settings: state.settings }, 200, CORS));

  app.post('/sandbox/settings', async (c) => {
    const error = patchSettings(state.settings, await jsonBody(c));
    if (error) return problem(c, 400, error);
    return c.json({ settings: state.settings }, 200, CORS);
  });

  app.get('/sandbox/stats', (c) => c.json({ mailboxes: Object.fromEntries(state.mailboxStats) }, 200, CORS));

  app.all('/sandbox/*', (c) => problem(c, 404, `No control route ${c.req.method} ${c.get('rawPath')}.`));
}
