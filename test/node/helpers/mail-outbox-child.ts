/**
 * The outbox alone in a process, for the crash test: opens the store in MAIL_DIR, sends through the
 * sandbox at SANDBOX_ORIGIN, prints "ready", and runs until it is killed.
 */
import { GraphMailer } from '../../../src/server/mail/graph-mailer.js';
import { Outbox } from '../../../src/server/mail/outbox.js';
import { SqliteMailStore } from '../../../src/server/mail/sqlite-store.js';
import { SandboxAppTokens, sandboxAppConfig } from './mail-core-fakes.js';
import { openMailDb } from './mail-db.js';
import { SandboxControl, type SandboxProcess } from './mail-sandbox.js';
import { FAST_OUTBOX } from './mail-harness.js';

const dir = process.env.MAIL_DIR;
const origin = process.env.SANDBOX_ORIGIN;
if (!dir || !origin) throw new Error('MAIL_DIR and SANDBOX_ORIGIN are required');

const control = new SandboxControl(origin);
const sandbox: SandboxProcess = { origin, control, seed: await control.seed(), stop: async () => {} };
const db = await openMailDb(dir);
const config = sandboxAppConfig(sandbox);
const mailer = new GraphMailer(new SandboxAppTokens(sandbox), { sandboxOrigin: origin, uploadChunkBytes: 3 * 320 * 1024, uploadRetryDelayMs: 100 });
const outbox = new Outbox(new SqliteMailStore(db), mailer, { getEffectiveConfig: () => config }, { dataDir: dir, ...FAST_OUTBOX, workers: 4 });
outbox.start();
process.stdout.write('ready\n');
setInterval(() => {}, 1 << 30);
