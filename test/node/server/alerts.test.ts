// Alerts: the webhook hears when sending stops and when it recovers, once each, from a real server on
// a socket watching its own health; the first look and a cleared configuration are not outages.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlertWatcher, classify } from '../../../src/server/assistant/index.js';
import type { HealthView } from '../../../src/services/contract.js';
import { SqliteMailStore } from '../../../src/server/mail/sqlite-store.js';
import { openMailDb, tempStore } from '../helpers/mail-db.js';
import { startSandbox, type SandboxProcess } from '../helpers/mail-sandbox.js';
import { appConfig, startTestServer, type TestServer } from './helpers/server.js';

const health = (overrides: Partial<HealthView> = {}): HealthView => ({
  ok: true,
  connection: { state: 'connected', account: '', connectedAt: '' },
  secretExpiresInDays: 100,
  outbox: { queued: 0, failedLastHour: 0 },
  lastSentAt: null,
  ...overrides,
});

describe('classify', () => {
  it('names why sending stopped', () => {
    assert.deepEqual(classify(health(), 5), { state: 'working', reason: '' });
    assert.match(classify(health({ ok: false, connection: { state: 'needs-reconnect', account: 'a', connectedAt: '', reason: 'invalid_grant' } }), 5).reason, /renewed: invalid_grant/);
    assert.match(classify(health({ ok: false, secretExpiresInDays: -1 }), 5).reason, /expired/);
    assert.match(classify(health({ outbox: { queued: 3, failedLastHour: 7 } }), 5).reason, /7 messages failed/);
    assert.equal(classify(health({ outbox: { queued: 3, failedLastHour: 4 } }), 5).state, 'working');
    assert.equal(classify(health({ ok: false, connection: { state: 'disconnected', account: '', connectedAt: '' } }), 5).state, 'unconfigured');
  });
});

describe('the alert webhook', () => {
  let receiver: Server;
  let received: Array<{ event: string; reason: string }> = [];
  let sandbox: SandboxProcess;
  let server: TestServer;

  const waitFor = async (count: number) => {
    const deadline = Date.now() + 10_000;
    while (received.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  };

  before(async () => {
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        received.push(JSON.parse(body));
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    sandbox = await startSandbox();
    server = await startTestServer({
      sandboxOrigins: [sandbox.origin],
      alerts: { webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, intervalMs: 100, retryDelaysMs: [50] },
    });
  });

  after(async () => {
    await server?.close();
    await sandbox?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('stays quiet while nothing is configured, and when a configuration starts working', async () => {
    const app = sandbox.seed.apps[0];
    const saved = await server.call('PUT', '/config', {
      body: appConfig({ cloud: 'sandbox', tenantId: app.tenantId, clientId: app.clientId, clientSecret: app.secrets[0].value, secretExpiresAt: '2099-12-31' }),
    });
    assert.equal(saved.status, 200, saved.text);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.deepEqual(received, []);
  });

  it('posts once when sending stops (the secret expired), and once when it recovers', async () => {
    const expired = await server.call('PUT', '/config', { body: { ...appConfig({ cloud: 'sandbox', tenantId: sandbox.seed.apps[0].tenantId, clientId: sandbox.seed.apps[0].clientId }), clientSecret: undefined, secretExpiresAt: '2020-01-01' } });
    assert.equal(expired.status, 200, expired.text);
    await waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(received.length, 1);
    assert.equal(received[0].event, 'sending-stopped');
    assert.match(received[0].reason, /expired/);
    const renewed = await server.call('PUT', '/config', { body: { ...appConfig({ cloud: 'sandbox', tenantId: sandbox.seed.apps[0].tenantId, clientId: sandbox.seed.apps[0].clientId }), clientSecret: undefined, secretExpiresAt: '2099-12-31' } });
    assert.equal(renewed.status, 200, renewed.text);
    await waitFor(2);
    assert.equal(received.length, 2);
    assert.equal(received[1].event, 'sending-recovered');
    received = [];
  });
});

describe('AlertWatcher delivery', () => {
  it('retries a webhook that fails, and gives up after its delays without throwing', async () => {
    let calls = 0;
    const statuses = [500, 503, 204];
    const receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(statuses[Math.min(calls++, statuses.length - 1)]).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    let current = health();
    const warnings: string[] = [];
    const watcher = new AlertWatcher({
      webhookUrl: url,
      health: async () => current,
      retryDelaysMs: [10, 10],
      logger: { info() {}, warn: (message) => warnings.push(message) },
    });
    try {
      await watcher.check();
      current = health({ ok: false, secretExpiresInDays: -1 });
      await watcher.check();
      assert.equal(calls, 3, 'two failures, then delivered on the third attempt');
      assert.deepEqual(warnings, []);
      statuses.splice(0, statuses.length, 500);
      calls = 0;
      current = health();
      await watcher.check();
      assert.equal(calls, 3, 'one attempt and two retries, then it gives up');
      assert.equal(warnings.length, 1);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});

describe('AlertWatcher on several instances sharing a store', () => {
  it('one instance watches and posts each change once; another takes over when it stops, and remembers the outage', async () => {
    const posted: string[] = [];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        posted.push((JSON.parse(body) as { event: string }).event);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const store = await tempStore();
    const connections = [store.db];
    let current = health();
    let clock = Date.now();
    const looks = new Map<number, number>();
    // Each instance has its own connection to the one database, as separate processes would.
    const instance = async (n: number) => {
      const db = await openMailDb(store.dir);
      connections.push(db);
      const shared = new SqliteMailStore(db);
      return new AlertWatcher({
        webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
        health: async () => {
          looks.set(n, (looks.get(n) ?? 0) + 1);
          return current;
        },
        shared,
        intervalMs: 60_000,
        now: () => clock,
        retryDelaysMs: [],
      });
    };
    try {
      const watchers = await Promise.all([0, 1, 2].map(instance));
      const lookAll = (which = watchers) => Promise.all(which.map((watcher) => watcher.check()));
      await lookAll();
      assert.deepEqual(posted, [], 'the first look is a baseline');
      current = health({ ok: false, secretExpiresInDays: -1 });
      await lookAll();
      await lookAll();
      assert.deepEqual(posted, ['sending-stopped'], 'three instances, one alert');
      assert.equal(looks.size, 1, `one instance reads the health: ${JSON.stringify([...looks])}`);
      const [watching] = [...looks.keys()];

      // The watching instance stops; after its lease (three intervals) another takes over, and a
      // restarted instance knows sending had stopped: the recovery is reported, once.
      const others = watchers.filter((_, n) => n !== watching);
      others.push(await instance(3));
      current = health();
      clock += 60_000;
      await lookAll(others);
      assert.deepEqual(posted, ['sending-stopped'], 'not while the lease holds');
      clock += 3 * 60_000;
      await lookAll(others);
      await lookAll(others);
      assert.deepEqual(posted, ['sending-stopped', 'sending-recovered']);
      assert.equal(looks.size, 2, `one more instance looked: ${JSON.stringify([...looks])}`);
    } finally {
      for (const db of connections.slice(1)) db.close();
      store.close();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});
