/**
 * 7. Instances: throughput of one, two and three reference server processes on one PostgreSQL
 * database, each a process of its own (test/node/helpers/server-instance.ts), with 12 configurations
 * (each its own tenant, app registration and sending mailbox in the sandbox), so that the 4 requests in
 * flight a mailbox allows do not cap the figure. Graph latency 40 ms holds each mailbox slot, as a
 * real Graph round trip would. Messages are posted through `POST /send` to all processes in turn,
 * naming their configuration in a header (the host's `configIdOf`); the clock runs from the first post
 * until the sandbox has delivered the last message. Twice: with 4 workers per process (the default
 * before there were several configurations; shared by every configuration, they are then the cap),
 * and with the default of 16 (never more than 4 on one configuration).
 *
 * Needs PostgreSQL (GRAPH_MAIL_TEST_DATABASE_URL, or the local `test` database); each run has a
 * scratch schema of its own, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPgInstance, type InstanceProcess } from '../test/node/helpers/instance-process.js';
import { POSTGRES_URL, postgresUnavailable, scratchSchema } from '../test/node/helpers/postgres.js';
import { applicationConfig, startTenantSandbox, type SeededTenant, type TenantSandbox } from '../test/node/helpers/tenant-seed.js';
import { round, sleep, waitFor, type Report } from './lib.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1000);
const CONFIGS = 12;
const LATENCY_MS = 40;
const PROCESS_COUNTS = [1, 2, 3];
/** The outbox's workers per process (GRAPH_MAIL_WORKERS): one mailbox's worth, then the default (four mailboxes' worth). */
const DEFAULT_WORKERS = 16;
const WORKER_SETTINGS: Array<number | undefined> = [4, undefined];
/** Posts in flight at once from the bench, spread over the processes. */
const POSTERS = 16;
const CONFIG_HEADER = 'x-graph-mail-config';
const TOKEN_PATH = /\/oauth2\/v2\.0\/token$/;

const configIdOf = (tenant: SeededTenant) => `bench-${tenant.index}`;

interface Delivery {
  subject: string;
  from: string;
}

async function call(instance: InstanceProcess, configId: string, method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const response = await fetch(`${instance.api}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-requested-with': 'graph-mail', [CONFIG_HEADER]: configId, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

async function deliveries(cloud: TenantSandbox, tag: string): Promise<Delivery[]> {
  const { messages } = await cloud.sandbox.control.call<{ messages: Delivery[] }>('GET', '/sandbox/mailbox');
  return messages.filter((message) => message.subject.startsWith(tag));
}

/** Posts `count` messages round robin over the processes and the configurations; resolves when all are accepted. */
async function postAll(instances: InstanceProcess[], tenants: SeededTenant[], serviceToken: string, tag: string, count: number): Promise<void> {
  let next = 0;
  const poster = async () => {
    while (next < count) {
      const i = next++;
      const tenant = tenants[i % tenants.length];
      const reply = await call(
        instances[i % instances.length],
        configIdOf(tenant),
        'POST',
        '/send',
        { to: [tenant.recipient], subject: `${tag} ${i}`, text: 'Your timesheet for this week awaits approval.' },
        { authorization: `Bearer ${serviceToken}` },
      );
      if (reply.status !== 202) throw new Error(`POST /send answered ${reply.status}: ${reply.text.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: POSTERS }, poster));
}

async function measure(cloud: TenantSandbox, processes: number, dir: string, workers?: number): Promise<{ perSecond: number; once: number; tokenRequests: number; maxInFlight: number; throttled: number }> {
  const scratch = scratchSchema();
  const key = randomBytes(32).toString('base64');
  const serviceToken = randomBytes(24).toString('base64url');
  const instances: InstanceProcess[] = [];
  const start = () =>
    startPgInstance({ key, sandboxOrigin: cloud.sandbox.origin, serviceToken, dir, databaseUrl: POSTGRES_URL, schema: scratch.schema, configHeader: CONFIG_HEADER, workers });
  try {
    await cloud.sandbox.control.reset();
    await cloud.sandbox.control.settings({ graphLatencyMs: LATENCY_MS });
    // The first process makes the schema; the others join it.
    instances.push(await start());
    instances.push(...(await Promise.all(Array.from({ length: processes - 1 }, start))));
    for (const tenant of cloud.tenants) {
      const saved = await call(instances[tenant.index % processes], configIdOf(tenant), 'PUT', '/config', applicationConfig(tenant));
      if (saved.status !== 200) throw new Error(`PUT /config answered ${saved.status}: ${saved.text.slice(0, 300)}`);
    }
    // One message per configuration first, so that tokens, pools and the JIT are warm when the clock runs.
    const warm = `Warm-up ${processes}`;
    await postAll(instances, cloud.tenants, serviceToken, warm, CONFIGS * processes);
    await waitFor('the warm-up messages', async () => ((await deliveries(cloud, warm)).length >= CONFIGS * processes ? true : undefined), 60_000, 100);

    const tag = `Instances ${processes}`;
    const started = performance.now();
    await postAll(instances, cloud.tenants, serviceToken, tag, MESSAGES);
    await waitFor(`${MESSAGES} deliveries`, async () => (new Set((await deliveries(cloud, tag)).map((message) => message.subject)).size >= MESSAGES ? true : undefined), 600_000, 50);
    const ms = performance.now() - started;
    await sleep(1_000); // time for a second delivery of anything, which must not come

    const seen = new Map<string, number>();
    for (const message of await deliveries(cloud, tag)) seen.set(message.subject, (seen.get(message.subject) ?? 0) + 1);
    const once = [...seen.values()].filter((n) => n === 1).length;
    const tokenRequests = (await cloud.sandbox.control.requests()).filter((request) => request.method === 'POST' && TOKEN_PATH.test(request.path)).length;
    const stats = await cloud.sandbox.control.call<{ mailboxes: Record<string, { maxInFlight: number; throttled: number }> }>('GET', '/sandbox/stats');
    const mailboxes = Object.values(stats.mailboxes);
    return {
      perSecond: (MESSAGES / ms) * 1000,
      once,
      tokenRequests,
      maxInFlight: Math.max(0, ...mailboxes.map((mailbox) => mailbox.maxInFlight)),
      throttled: mailboxes.reduce((sum, mailbox) => sum + mailbox.throttled, 0),
    };
  } finally {
    await Promise.all(instances.map((instance) => instance.kill()));
    await scratch.drop();
  }
}

export async function benchInstances(report: Report): Promise<void> {
  const unavailable = await postgresUnavailable();
  if (unavailable) throw new Error(unavailable);
  const cloud = await startTenantSandbox(CONFIGS);
  const dir = mkdtempSync(join(tmpdir(), 'graph-mail-bench-instances-'));
  try {
    for (const workers of WORKER_SETTINGS) {
      let single: number | undefined;
      for (const processes of PROCESS_COUNTS) {
        const result = await measure(cloud, processes, dir, workers);
        single ??= result.perSecond;
        const label = `instances: ${processes} process${processes === 1 ? '' : 'es'} × ${workers ?? DEFAULT_WORKERS} workers${workers ? '' : ' (the default)'}, ${MESSAGES} messages over ${CONFIGS} configurations`;
        report({
          name: `${label}, throughput`,
          value: round(result.perSecond, 1),
          unit: 'msg/s',
          target: null,
          better: 'higher',
          ...(processes > 1 ? { baseline: round(single, 1), ratio: round(result.perSecond / single) } : {}),
        });
        report({ name: `${label}, delivered exactly once`, value: result.once, unit: 'messages', target: MESSAGES, better: 'higher' });
        report({ name: `${label}, token requests (warm-up included)`, value: result.tokenRequests, unit: 'requests', target: CONFIGS, better: 'lower' });
        report({ name: `${label}, most requests in flight on one mailbox`, value: result.maxInFlight, unit: 'requests', target: 4, better: 'lower' });
        report({ name: `${label}, 429 throttled by the sandbox`, value: result.throttled, unit: 'answers', target: 0, better: 'lower' });
      }
    }
  } finally {
    await cloud.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
