/**
 * One reference server process for the several-instances test: the data folder INSTANCE_DIR (shared
 * with the other instances), the key INSTANCE_KEY, the sandbox at SANDBOX_ORIGIN, the service token
 * SERVICE_TOKEN; GRAPH_MAIL_INSTANCES=several. With INSTANCE_DATABASE_URL (and INSTANCE_DATABASE_SCHEMA)
 * every store is on that PostgreSQL database instead. With INSTANCE_CONFIG_HEADER, every request names
 * its configuration in that header (the host's `configIdOf`); without it, there is one configuration.
 * INSTANCE_WORKERS sets the outbox's workers (GRAPH_MAIL_WORKERS) instead of the default.
 * Prints "listening <api url>" and runs until killed.
 */
import { startServer } from '../../../src/server/index.js';

const {
  INSTANCE_DIR: dataDir,
  INSTANCE_KEY: key,
  SANDBOX_ORIGIN: origin,
  SERVICE_TOKEN: serviceToken,
  INSTANCE_DATABASE_URL: databaseUrl,
  INSTANCE_DATABASE_SCHEMA: databaseSchema,
  INSTANCE_CONFIG_HEADER: configHeader,
  INSTANCE_WORKERS: workers,
} = process.env;
if (!dataDir || !key || !origin || !serviceToken) throw new Error('INSTANCE_DIR, INSTANCE_KEY, SANDBOX_ORIGIN and SERVICE_TOKEN are required');

const running = await startServer({
  port: 0,
  dataDir,
  key,
  databaseUrl: databaseUrl || undefined,
  databaseSchema: databaseSchema || undefined,
  sandboxOrigins: [origin],
  ...(configHeader ? { configIdOf: (request: Request) => request.headers.get(configHeader) } : {}),
  log: () => undefined,
  logger: { info: () => undefined, warn: () => undefined, error: (message: string) => process.stderr.write(`${message}\n`) },
  mail: {
    serviceToken,
    instances: 'several',
    retentionDays: 0,
    // Short leases, so that a killed instance's messages and slots come back within seconds.
    outbox: {
      leaseMs: 3_000,
      pollMs: 100,
      backoffBaseMs: 100,
      retryMaxDelayMs: 2_000,
      reconcileGraceMs: 2_000,
      sendBudget: 'off',
      ...(workers ? { workers: Number(workers) } : {}),
    },
    sharedSlots: { leaseMs: 2_000 },
  },
});
process.stdout.write(`listening ${running.apiUrl}\n`);
setInterval(() => {}, 1 << 30);
