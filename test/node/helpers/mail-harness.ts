/**
 * An outbox wired to the sandbox cloud: real SQLite, real Graph requests, the core's services stood
 * in for by `mail-core-fakes`. Small delays so that retry tests run in seconds.
 */
import { GraphMailer, type GraphMailerOptions } from '../../../src/server/mail/graph-mailer.js';
import { Outbox, type OutboxOptions } from '../../../src/server/mail/outbox.js';
import { SqliteMailStore } from '../../../src/server/mail/sqlite-store.js';
import type { LogEntryDetail, LogStatus } from '../../../src/services/contract.js';
import type { MailConfig, MailConfigSource, TokenSource } from '../../../src/server/mail/types.js';
import { SandboxAppTokens, sandboxAppConfig } from './mail-core-fakes.js';
import { tempStore, type TestStore } from './mail-db.js';
import type { SandboxProcess } from './mail-sandbox.js';
import { DEFAULT_CONFIG_ID } from '../../../src/server/store/types.js';

export interface Harness {
  store: TestStore;
  outbox: Outbox;
  mailer: GraphMailer;
  tokens: TokenSource;
  config: MailConfig;
  /** Resolves with the entry once it reaches one of `statuses` (default: a final one). */
  settle(id: string, statuses?: LogStatus[], timeoutMs?: number): Promise<LogEntryDetail>;
  close(): Promise<void>;
}

export const FAST_OUTBOX: Omit<OutboxOptions, 'dataDir'> = {
  backoffBaseMs: 100,
  retryMaxDelayMs: 3_000,
  reconcileGraceMs: 3_000,
  pollMs: 100,
  workers: 4,
};

export async function startHarness(
  sandbox: SandboxProcess,
  options: { outbox?: Omit<OutboxOptions, 'dataDir'>; graph?: GraphMailerOptions; tokens?: TokenSource; config?: Partial<MailConfig>; configSource?: MailConfigSource; start?: boolean } = {},
): Promise<Harness> {
  const store = await tempStore();
  const tokens = options.tokens ?? new SandboxAppTokens(sandbox);
  const config = sandboxAppConfig(sandbox, options.config);
  const mailer = new GraphMailer(tokens, { sandboxOrigin: sandbox.origin, uploadRetryDelayMs: 100, ...options.graph });
  const outbox = new Outbox(new SqliteMailStore(store.db), mailer, options.configSource ?? { getEffectiveConfig: () => config }, { dataDir: store.dataDir, ...FAST_OUTBOX, ...options.outbox });
  if (options.start !== false) outbox.start();
  return {
    store,
    outbox,
    mailer,
    tokens,
    config,
    settle(id, statuses = ['sent', 'failed', 'unknown'], timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        let finished = false;
        const check = async () => {
          const detail = await outbox.log.detail(DEFAULT_CONFIG_ID, id);
          if (!finished && detail && statuses.includes(detail.status)) {
            done();
            resolve(detail);
          }
        };
        const timer = setTimeout(() => {
          done();
          void outbox.log.detail(DEFAULT_CONFIG_ID, id).then((detail) => reject(new Error(`message ${id} did not reach ${statuses.join('/')} in ${timeoutMs} ms: ${JSON.stringify(detail)}`)), reject);
        }, timeoutMs);
        const poll = setInterval(() => void check(), 50);
        const unsubscribe = outbox.onChange(() => void check());
        const done = () => {
          finished = true;
          clearTimeout(timer);
          clearInterval(poll);
          unsubscribe();
        };
        void check();
      });
    },
    async close() {
      await outbox.stop(2000);
      store.close();
    },
  };
}
