import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GraphMailer } from '../../../src/server/mail/graph-mailer.js';
import { TokenKeepAlive } from '../../../src/server/mail/keep-alive.js';
import { Outbox, type OutboxEvent } from '../../../src/server/mail/outbox.js';
import { SqliteMailStore } from '../../../src/server/mail/sqlite-store.js';
import { silentLogger, singleConfig, type MailConfig } from '../../../src/server/mail/types.js';
import { defaultEndpoints } from '../../../src/services/endpoints.js';
import { SettableConfig } from '../helpers/mail-app.js';
import { tempStore } from '../helpers/mail-db.js';
import { DEFAULT_CONFIG_ID } from '../../../src/server/store/types.js';

const delegated: MailConfig = {
  mode: 'delegated',
  cloud: 'global',
  tenantId: 'contoso.onmicrosoft.com',
  clientId: '11111111-2222-3333-4444-555555555555',
  fromName: '',
  fromAddress: '',
  saveToSentItems: true,
  endpoints: defaultEndpoints('global'),
  account: 'admin@contoso.com',
};

describe('delegated token keep-alive', () => {
  it('refreshes on schedule, survives restarts, and leaves a warning when the refresh fails', async () => {
    const store = await tempStore();
    try {
      const calls: Array<{ forceRefresh?: boolean } | undefined> = [];
      let fail = false;
      const tokens = {
        async getAccessToken(options?: { forceRefresh?: boolean }) {
          calls.push(options);
          if (fail) throw Object.assign(new Error('invalid_grant'), { code: 'AADSTS700082', hint: 'Connect the mailbox again.' });
          return { accessToken: 'x', scopes: ['Mail.Send'] };
        },
      };
      const config = new SettableConfig(delegated, { connection: { state: 'connected', account: 'admin@contoso.com', connectedAt: '' } });
      const mailStore = new SqliteMailStore(store.db);
      const outbox = new Outbox(mailStore, new GraphMailer(tokens), config, { dataDir: store.dataDir });
      const events: OutboxEvent[] = [];
      outbox.onChange((event) => events.push(event));
      const options = { intervalMs: 24 * 3_600_000, checkMs: 3_600_000 };
      const keepAlive = new TokenKeepAlive(mailStore, singleConfig(DEFAULT_CONFIG_ID, { config, tokens }), outbox, options, silentLogger);
      const t0 = Date.parse('2024-05-01T00:00:00Z');

      assert.equal(await keepAlive.runOnce(t0), 'refreshed');
      assert.deepEqual(calls, [{ forceRefresh: true }]);
      assert.equal(await keepAlive.runOnce(t0 + 3_600_000), 'skipped', 'not due yet');
      // A new instance (a restart) reads the stored time.
      const restarted = new TokenKeepAlive(new SqliteMailStore(store.db), singleConfig(DEFAULT_CONFIG_ID, { config, tokens }), outbox, options, silentLogger);
      assert.equal(await restarted.runOnce(t0 + 2 * 3_600_000), 'skipped');
      assert.equal(await restarted.runOnce(t0 + 25 * 3_600_000), 'refreshed');

      fail = true;
      assert.equal(await restarted.runOnce(t0 + 50 * 3_600_000), 'failed');
      assert.equal(await restarted.runOnce(t0 + 50 * 3_600_000 + 60_000), 'skipped', 'no warning storm: waits for the next check');
      const warnings = await outbox.log.warnings(DEFAULT_CONFIG_ID);
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0].code, 'KEEPALIVE_FAILED');
      assert.match(warnings[0].message, /AADSTS700082/);
      assert.equal(warnings[0].hint, 'Connect the mailbox again.');
      assert.ok(events.some((event) => event.type === 'warning'));

      config.status = { connection: { state: 'needs-reconnect', account: '', connectedAt: '' } };
      assert.equal(await restarted.runOnce(t0 + 80 * 3_600_000), 'skipped', 'nothing to refresh until the admin reconnects');
      config.config = { ...delegated, mode: 'application' };
      config.status = null;
      assert.equal(await restarted.runOnce(t0 + 200 * 3_600_000), 'skipped', 'application mode has no refresh token');
      assert.equal(calls.length, 3);
    } finally {
      store.close();
    }
  });
});
