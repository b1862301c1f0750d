/**
 * The server's settings from the environment (DESIGN.md, "Settings by environment"):
 *
 * | variable | default | |
 * |---|---|---|
 * | `PORT` | 8787 | |
 * | `HOST` | 127.0.0.1 | interface to listen on |
 * | `PUBLIC_URL` | http://127.0.0.1:PORT | how browsers reach the server; the redirect URI and the accepted Host follow it |
 * | `GRAPH_MAIL_DATA_DIR` | .data | database, attachments, demo key file |
 * | `GRAPH_MAIL_DATABASE_URL` | | postgres://…: every store on PostgreSQL instead of the SQLite file; implies several instances |
 * | `GRAPH_MAIL_DATABASE_SCHEMA` | | the schema on that database (created when missing) |
 * | `GRAPH_MAIL_BASE_PATH` | /api/mail | |
 * | `GRAPH_MAIL_KEY` | (key file outside production) | base64 of 32 bytes, or `id:key,id:key` (first seals) |
 * | `GRAPH_MAIL_KEY_FILE` | <data dir>/graph-mail.key | demo and development only |
 * | `GRAPH_MAIL_ADMIN_TOKEN` | | `Authorization: Bearer` required for the admin API |
 * | `GRAPH_MAIL_ALLOWED_ORIGINS` | | other origins that may call (CORS), comma-separated |
 * | `GRAPH_MAIL_ALLOWED_HOSTS` | | more Host values, comma-separated (behind a proxy) |
 * | `GRAPH_MAIL_SANDBOX_ORIGINS` | | the sandbox cloud's exact origins, comma-separated |
 * | `GRAPH_MAIL_SERVICE_TOKEN` | | bearer token of `POST /send` |
 * | `GRAPH_MAIL_TEST_PER_MINUTE` | 5 | test sends per admin per minute |
 * | `GRAPH_MAIL_USE_DRAFTS` | true | send through drafts (exactly once; asks for Mail.ReadWrite) |
 * | `GRAPH_MAIL_ALERT_WEBHOOK` | | URL posted to when sending stops and when it recovers |
 * | `GRAPH_MAIL_ENTRA_TENANT`, `_AUDIENCE`, `_AUTHORITY`, `_ROLE`, `_GROUPS` | | Entra ID tokens for the admin API (see ./auth/env.ts) |
 * | `NODE_ENV=production` | | key required, no sandbox, no loopback admission |
 *
 * The outbox's own settings (`GRAPH_MAIL_MAX_ATTEMPTS`, …) are read by the mail module
 * (`mailOptionsFromEnv`).
 */
import { entraOptionsFromEnv } from './auth/index.js';
import { mailOptionsFromEnv } from './mail/runtime.js';
import type { StartServerOptions } from './start.js';

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

const positiveInt = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined || value.trim() === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be a whole number (it is "${value}").`);
  return parsed;
};

export function serverOptionsFromEnv(env: Record<string, string | undefined> = process.env): StartServerOptions {
  const production = env.NODE_ENV === 'production';
  const useDrafts = env.GRAPH_MAIL_USE_DRAFTS === undefined ? undefined : !/^(0|false|no|off)$/i.test(env.GRAPH_MAIL_USE_DRAFTS.trim());
  const testPerMinute = positiveInt(env.GRAPH_MAIL_TEST_PER_MINUTE, 'GRAPH_MAIL_TEST_PER_MINUTE');
  if (env.GRAPH_MAIL_DATABASE_SCHEMA?.trim() && !env.GRAPH_MAIL_DATABASE_URL?.trim()) {
    throw new Error('GRAPH_MAIL_DATABASE_SCHEMA is set without GRAPH_MAIL_DATABASE_URL: give the PostgreSQL URL too, or unset the schema for the SQLite file.');
  }
  return {
    port: positiveInt(env.PORT, 'PORT') ?? 8787,
    host: env.HOST || undefined,
    publicUrl: env.PUBLIC_URL || undefined,
    dataDir: env.GRAPH_MAIL_DATA_DIR || '.data',
    databaseUrl: env.GRAPH_MAIL_DATABASE_URL?.trim() || undefined,
    databaseSchema: env.GRAPH_MAIL_DATABASE_SCHEMA?.trim() || undefined,
    basePath: env.GRAPH_MAIL_BASE_PATH || undefined,
    key: env.GRAPH_MAIL_KEY || undefined,
    keyFile: env.GRAPH_MAIL_KEY_FILE || undefined,
    adminToken: env.GRAPH_MAIL_ADMIN_TOKEN || undefined,
    allowedOrigins: list(env.GRAPH_MAIL_ALLOWED_ORIGINS),
    allowedHosts: list(env.GRAPH_MAIL_ALLOWED_HOSTS),
    sandboxOrigins: list(env.GRAPH_MAIL_SANDBOX_ORIGINS),
    production,
    useDrafts,
    mail: mailOptionsFromEnv(env),
    test: testPerMinute === undefined ? undefined : { testPerMinute },
    alerts: env.GRAPH_MAIL_ALERT_WEBHOOK ? { webhookUrl: env.GRAPH_MAIL_ALERT_WEBHOOK } : undefined,
    entra: entraOptionsFromEnv(env) ?? undefined,
  };
}
