/**
 * 4. Sending: 1,000 messages through the reference server's outbox (`mail.send`, application mode) to
 * the sandbox cloud in a process of its own, with 20 ms of Graph latency holding each mailbox slot.
 *
 * - Token requests: the server must ask the identity platform once for the whole run.
 * - Throughput against the ceiling that 4 requests in flight per mailbox allow: the ceiling is
 *   measured, not assumed — this process drives the same Graph requests (create a draft, send it) with
 *   exactly 4 in flight and no server in between, so per-request time is what the sandbox needs.
 * - Again with every fifth create-or-send request answered 429, 503, 504, or 504 after it took effect
 *   (a send whose answer is lost): each message must arrive exactly once, counted in the mailbox.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../src/server/start.js';
import { configureApplicationMode, round, sandboxParties, startSandbox, type Report, type Sandbox } from './lib.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1000);
const LATENCY_MS = 20;
/** Short, so that reconciling an answer lost after a send does not wait on Exchange's real lag. */
const SEND_LAG_MS = 50;
const IN_FLIGHT = 4;
const RECONCILE_GRACE_MS = 5_000;

/** Graph requests that hold a mailbox slot: drafts, their attachments and sends. */
const MAIL_PATH = /^\/v1\.0\/(users\/[^/]+|me)\/(messages|sendMail|mailFolders)/;
const TOKEN_PATH = /\/oauth2\/v2\.0\/token$/;

async function startMailServer(sandbox: Sandbox, dir: string): Promise<RunningServer> {
  return startServer({
    production: false,
    port: 0,
    dataDir: dir,
    key: randomBytes(32).toString('base64'),
    sandboxOrigins: [sandbox.origin],
    log: () => undefined,
    // The grace before "still a draft" means "not sent" (GRAPH_MAIL_RECONCILE_GRACE_S, 60 s for
    // Exchange) is 5 s here: 100 times the sandbox's send lag, so an ambiguous 504 still waits it out.
    // The send budget is off: 1,000 messages through one mailbox would otherwise be paced at 30 a minute.
    mail: { keepAliveCheckMs: 3_600_000, retentionDays: 0, outbox: { reconcileGraceMs: RECONCILE_GRACE_MS, sendBudget: 'off' } },
  });
}

/** Queues `count` messages through `mail.send` and waits until none is queued or sending. */
async function sendAll(running: RunningServer, to: string, tag: string, count: number): Promise<{ ms: number; statuses: Record<string, number>; subjects: string[] }> {
  const api = running.server.mailApi;
  const runtime = running.server.mail?.runtime;
  if (!api || !runtime) throw new Error('the server has no mail module');
  const subjects = Array.from({ length: count }, (_, i) => `${tag} ${i + 1} of ${count}`);
  const ids = new Set<string>();
  const done = new Set<string>();
  let resolveAll!: () => void;
  const finished = new Promise<void>((resolveFinished) => (resolveAll = resolveFinished));
  const unsubscribe = runtime.outbox.onChange((event) => {
    if (event.type !== 'log') return;
    const { id, status } = event.entry;
    if (status === 'sent' || status === 'failed' || status === 'unknown') done.add(id);
    if (ids.size === count && [...ids].every((known) => done.has(known))) resolveAll();
  });
  const start = performance.now();
  for (const subject of subjects) {
    const { id } = await api.send({ to: [to], subject, text: `Your timesheet for this week awaits approval. (${subject})` });
    ids.add(id);
  }
  if ([...ids].every((known) => done.has(known))) resolveAll();
  const timeout = setTimeout(() => resolveAll(), 600_000);
  await finished;
  clearTimeout(timeout);
  const ms = performance.now() - start;
  unsubscribe();
  const statuses: Record<string, number> = {};
  for (const id of ids) {
    const status = (await runtime.outbox.log.detail(runtime.outbox.configId, id))?.status ?? 'missing';
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  return { ms, statuses, subjects };
}

/** The ceiling: this process creates and sends drafts itself, exactly 4 in flight, no server between. */
async function measureCeiling(sandbox: Sandbox, count: number): Promise<{ messagesPerSecond: number; perRequestMs: number }> {
  const { app, sender, recipient } = sandboxParties(sandbox.seed);
  const tokenResponse = await fetch(`${sandbox.origin}/${app.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.secrets[0].value, scope: `${sandbox.origin}/.default` }),
  });
  const token = ((await tokenResponse.json()) as { access_token?: string }).access_token;
  if (!token) throw new Error(`the sandbox issued no token (${tokenResponse.status})`);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', prefer: 'IdType="ImmutableId"' };
  const base = `${sandbox.origin}/v1.0/users/${encodeURIComponent(sender)}/messages`;
  let next = 0;
  let requests = 0;
  const loop = async () => {
    while (next < count) {
      const n = (next += 1);
      const created = await fetch(base, {
        method: 'POST',
        headers,
        body: JSON.stringify({ subject: `ceiling ${n}`, body: { contentType: 'Text', content: 'x' }, toRecipients: [{ emailAddress: { address: recipient } }], from: { emailAddress: { address: sender } } }),
      });
      const draft = (await created.json()) as { id?: string };
      if (created.status !== 201 || !draft.id) throw new Error(`the ceiling's draft answered ${created.status}`);
      const sent = await fetch(`${base}/${encodeURIComponent(draft.id)}/send`, { method: 'POST', headers });
      await sent.arrayBuffer();
      if (sent.status !== 202) throw new Error(`the ceiling's send answered ${sent.status}`);
      requests += 2;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, loop));
  const ms = performance.now() - start;
  return { messagesPerSecond: (count / ms) * 1000, perRequestMs: (ms * IN_FLIGHT) / requests };
}

/**
 * Every fifth create-draft request answered 429, 503 or 504 in turn, and every fifth send request 429,
 * 503, 504, or 504 after it took effect (delivered, but the answer lost). Each fault lets four matching
 * requests through and answers the fifth, so a chain of them is 20 %.
 */
async function injectFaults(sandbox: Sandbox, perChain: number): Promise<void> {
  const throttled = { status: 429, headers: { 'retry-after': '1' } };
  const unavailable = { status: 503, headers: { 'retry-after': '1' } };
  const timeout = { status: 504 };
  const chains = [
    { path: '/messages$', kinds: [throttled, unavailable, timeout] },
    { path: '/send$|/sendMail$', kinds: [throttled, unavailable, timeout, { status: 504, afterDelivery: true }] },
  ];
  for (const chain of chains) {
    for (let i = 0; i < perChain; i += 1) {
      await sandbox.call('POST', '/sandbox/faults', { match: { method: 'POST', path: chain.path }, skip: 4, times: 1, ...chain.kinds[i % chain.kinds.length] });
    }
  }
}

export async function benchSending(report: Report): Promise<void> {
  const sandbox = await startSandbox();
  const dir = mkdtempSync(join(tmpdir(), 'graph-mail-bench-send-'));
  let running: RunningServer | undefined;
  try {
    await sandbox.call('POST', '/sandbox/settings', { graphLatencyMs: LATENCY_MS, sendLagMs: SEND_LAG_MS });
    const ceiling = await measureCeiling(sandbox, 200);
    const theoretical = 1000 / ((2 * LATENCY_MS) / IN_FLIGHT);
    await sandbox.call('POST', '/sandbox/reset');
    await sandbox.call('POST', '/sandbox/settings', { graphLatencyMs: LATENCY_MS, sendLagMs: SEND_LAG_MS });

    running = await startMailServer(sandbox, dir);
    const { recipient } = await configureApplicationMode(running.apiUrl, sandbox.seed);
    const clean = await sendAll(running, recipient, 'Clean run', MESSAGES);
    const requests = await sandbox.requests();
    const tokenRequests = requests.filter((r) => TOKEN_PATH.test(r.path)).length;
    const mailRequests = requests.filter((r) => MAIL_PATH.test(r.path)).length;
    const throttled = requests.filter((r) => MAIL_PATH.test(r.path) && r.status === 429).length;
    const perSecond = (MESSAGES / clean.ms) * 1000;
    const sentClean = clean.statuses.sent ?? 0;
    const cleanMailbox = await sandbox.mailbox(recipient);
    const cleanDelivered = countDeliveries(cleanMailbox, clean.subjects);

    report({ name: `send: ${MESSAGES} messages, token requests (application mode)`, value: tokenRequests, unit: 'requests', target: 1, better: 'lower' });
    report({ name: 'send: ceiling, 4 in flight, no server (create + send)', value: round(ceiling.messagesPerSecond, 1), unit: 'msg/s', target: null, better: 'higher', baseline: round(theoretical, 1), ratio: round(ceiling.messagesPerSecond / theoretical) });
    report({ name: 'send: per-request time at the ceiling', value: round(ceiling.perRequestMs, 1), unit: 'ms', target: null, better: 'lower' });
    report({ name: `send: throughput through the outbox (${sentClean} sent)`, value: round(perSecond, 1), unit: 'msg/s', target: null, better: 'higher', baseline: round(ceiling.messagesPerSecond, 1), ratio: round(perSecond / ceiling.messagesPerSecond) });
    report({ name: 'send: throughput as a ratio of the ceiling', value: round(perSecond / ceiling.messagesPerSecond), unit: 'ratio', target: 0.9, better: 'higher' });
    report({ name: 'send: Graph mail requests per message', value: round(mailRequests / MESSAGES), unit: 'requests', target: null, better: 'lower' });
    report({ name: 'send: 429 throttled by the sandbox (over 4 in flight)', value: throttled, unit: 'answers', target: 0, better: 'lower' });
    report({ name: 'send: messages not delivered exactly once (clean)', value: MESSAGES - cleanDelivered.once, unit: 'messages', target: 0, better: 'lower' });

    // With faults: a fresh sandbox state, the same server (its token cache holds).
    await sandbox.call('POST', '/sandbox/reset');
    await sandbox.call('POST', '/sandbox/settings', { graphLatencyMs: LATENCY_MS, sendLagMs: SEND_LAG_MS });
    // Enough for every fifth request, retries included.
    await injectFaults(sandbox, Math.ceil((MESSAGES * 1.5) / 5));
    const faulty = await sendAll(running, recipient, 'Faulty run', MESSAGES);
    const faultRequests = await sandbox.requests();
    const faults = (await sandbox.call<{ faults: Array<{ applied: number; afterDelivery?: boolean }> }>('GET', '/sandbox/faults')).faults ?? [];
    const faulted = faults.reduce((sum, fault) => sum + fault.applied, 0);
    const lostAnswers = faults.filter((fault) => fault.afterDelivery).reduce((sum, fault) => sum + fault.applied, 0);
    const faultyMailbox = await sandbox.mailbox(recipient);
    const faultyDelivered = countDeliveries(faultyMailbox, faulty.subjects);
    const faultMailRequests = faultRequests.filter((r) => MAIL_PATH.test(r.path) && r.method === 'POST' && /\/messages$|\/send$|\/sendMail$/.test(r.path)).length;
    report({ name: `send with faults: answers replaced (of ${faultMailRequests} create/send requests)`, value: faulted, unit: 'faults', target: null, better: 'lower' });
    report({ name: 'send with faults: of which sends delivered with the answer lost (504 after delivery)', value: lostAnswers, unit: 'faults', target: null, better: 'lower' });
    report({ name: 'send with faults: token requests', value: faultRequests.filter((r) => TOKEN_PATH.test(r.path)).length, unit: 'requests', target: 0, better: 'lower' });
    report({ name: `send with faults: messages sent (${JSON.stringify(faulty.statuses)})`, value: faulty.statuses.sent ?? 0, unit: 'messages', target: MESSAGES, better: 'higher' });
    report({ name: 'send with faults: delivered exactly once', value: faultyDelivered.once, unit: 'messages', target: MESSAGES, better: 'higher' });
    report({ name: 'send with faults: delivered twice or more', value: faultyDelivered.duplicated, unit: 'messages', target: 0, better: 'lower' });
    report({ name: 'send with faults: never delivered', value: faultyDelivered.missing, unit: 'messages', target: 0, better: 'lower' });
    report({ name: 'send with faults: time for all', value: round(faulty.ms / 1000, 1), unit: 's', target: null, better: 'lower' });
  } finally {
    await running?.close();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function countDeliveries(mailbox: Array<{ subject: string }>, subjects: readonly string[]): { once: number; duplicated: number; missing: number } {
  const seen = new Map<string, number>();
  for (const message of mailbox) seen.set(message.subject, (seen.get(message.subject) ?? 0) + 1);
  let once = 0;
  let duplicated = 0;
  let missing = 0;
  for (const subject of subjects) {
    const n = seen.get(subject) ?? 0;
    if (n === 1) once += 1;
    else if (n === 0) missing += 1;
    else duplicated += 1;
  }
  return { once, duplicated, missing };
}
