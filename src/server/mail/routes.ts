/**
 * The log, send and health routes of the REST contract (DESIGN.md), relative to the mail API's base
 * path. Admin authorisation and the anti-forgery rule come from the core's middleware; `/send` checks
 * its own service token and `/health` is public.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context, Hono } from 'hono';
import type { LogQuery, MailMessage } from '../../services/contract.js';
import { problem, readBodyBytes } from '../http/problem.js';
import type { FieldError } from '../../services/errors.js';
import { LogQuerySchema, MailMessageSchema, parseWith, toFieldErrors } from '../../services/schemas.js';
import { MailInputError, type AttachmentInput, type OwnedFileInput } from './attachments.js';
import { logCsvStream } from './csv.js';
import { InvalidCursorError } from './store.js';
import { readMultipart } from './multipart.js';
import type { MailRuntime } from './runtime.js';

const validation = (errors: FieldError[], status = 400) =>
  problem(status, status === 413 ? 'Too large' : 'Invalid request', errors[0]?.message ?? 'Some fields need attention.', { errors });

const inputProblem = (error: MailInputError) => validation(error.errors, error.status);

/** Constant-time comparison of a presented bearer token with the configured one. */
export function tokenMatches(presented: string | undefined, expected: string | undefined): boolean {
  if (!expected || !presented) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function bearer(c: Context): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '');
  return match?.[1];
}

/** Query parameters as the shared schema reads them; empty values mean "no filter". */
export function parseLogQuery(raw: Record<string, string>): { ok: true; value: LogQuery } | { ok: false; response: Response } {
  const input = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== ''));
  const parsed = parseWith(LogQuerySchema, input);
  if (!parsed.ok) return { ok: false, response: validation(toFieldErrors(parsed.issues)) };
  return { ok: true, value: parsed.value as LogQuery };
}

async function readJson(request: Request, max: number): Promise<unknown> {
  const bytes = await readBodyBytes(request, max);
  if (!bytes) throw new MailInputError([{ path: 'message', message: `The JSON body is larger than ${max} bytes; send large files as multipart/form-data parts.` }], 413);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new MailInputError([{ path: 'message', message: 'The body is not valid JSON.' }]);
  }
}

export function mountMailRoutes(router: Hono<any>, runtime: MailRuntime): void {
  const { outbox, options } = runtime;
  /** The request's configuration (the server's hook); null when the hook named none. */
  const configOf = (c: Context): string | null => (runtime.deps.configOf ? runtime.deps.configOf(c) : outbox.configId);
  /** The same on an admin route, where the server's middleware has already refused a request without one. */
  const adminConfig = (c: Context): string => configOf(c) ?? outbox.configId;

  router.get('/log', async (c) => {
    const query = parseLogQuery(c.req.query());
    if (!query.ok) return query.response;
    try {
      const configId = adminConfig(c);
      const page = await outbox.log.query(configId, query.value);
      const budget = await runtime.budgetView(configId);
      return c.json(budget ? { ...page, budget } : page, 200, { 'cache-control': 'no-store' });
    } catch (error) {
      if (error instanceof InvalidCursorError) return validation([{ path: 'cursor', message: error.message }]);
      throw error;
    }
  });

  router.get('/log.csv', (c) => {
    const query = parseLogQuery(c.req.query());
    if (!query.ok) return query.response;
    const day = new Date().toISOString().slice(0, 10);
    return new Response(logCsvStream(outbox.log, adminConfig(c), query.value), {
      status: 200,
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="notification-log-${day}.csv"`,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      },
    });
  });

  router.get('/log/stream', (c) => {
    const configId = adminConfig(c);
    const encoder = new TextEncoder();
    let cleanup = () => {};
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const send = (text: string) => {
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            cleanup();
          }
        };
        send(`retry: 5000\n: connected\n\n`);
        const unsubscribe = outbox.onChange((event) => {
          if (event.type === 'log') send(`event: log\ndata: ${JSON.stringify(event.entry)}\n\n`);
          else send(`event: warning\ndata: ${JSON.stringify(event.warning)}\n\n`);
        }, configId);
        const timer = setInterval(() => send(': keep-alive\n\n'), options.sseKeepAliveMs);
        const signal = c.req.raw.signal;
        cleanup = () => {
          unsubscribe();
          clearInterval(timer);
          signal?.removeEventListener('abort', onAbort);
        };
        const onAbort = () => {
          cleanup();
          try {
            controller.close();
          } catch {
            // already closed
          }
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      },
      cancel() {
        cleanup();
      },
    });
    return new Response(stream, {
      status: 200,
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' },
    });
  });

  router.get('/log/warnings', async (c) => c.json({ items: await outbox.log.warnings(adminConfig(c)) }, 200, { 'cache-control': 'no-store' }));

  router.get('/log/:id', async (c) => {
    const detail = await outbox.log.detail(adminConfig(c), c.req.param('id'));
    if (!detail) return problem(404, 'Not found', 'No log entry has this id.');
    return c.json(detail, 200, { 'cache-control': 'no-store' });
  });

  router.post('/log/:id/retry', async (c) => {
    const id = c.req.param('id');
    const result = await outbox.retry(id, adminConfig(c));
    if (result.ok) return c.json({ id, status: 'queued' }, 202);
    if (result.reason === 'not-found') return problem(404, 'Not found', 'No log entry has this id.');
    return problem(409, 'Conflict', `Only failed or unknown messages can be retried; this one is ${result.status ?? 'not'} failed or unknown.`);
  });

  router.post('/send', async (c) => {
    if (!tokenMatches(bearer(c), options.serviceToken)) {
      return problem(
        401,
        'Unauthorized',
        options.serviceToken ? 'Send the service token as Authorization: Bearer <token>.' : 'Sending through the API is off: no service token (GRAPH_MAIL_SERVICE_TOKEN) is configured.',
        {},
        { 'www-authenticate': 'Bearer' },
      );
    }
    const configId = configOf(c);
    if (configId === null) return problem(403, 'Forbidden', 'This request names no e-mail configuration to send with.', { hint: 'Send the message as the host application documents (the configuration is chosen from the request).' });
    const type = (c.req.header('content-type') ?? '').toLowerCase();
    let spoolDir: string | undefined;
    try {
      let body: unknown;
      let files: OwnedFileInput[] = [];
      if (type.startsWith('application/json')) {
        body = await readJson(c.req.raw, options.maxJsonBodyBytes);
      } else if (type.startsWith('multipart/form-data')) {
        spoolDir = join(options.dataDir, 'incoming', randomUUID());
        const multipart = await readMultipart(c.req.raw, spoolDir, {
          maxAttachmentBytes: runtime.outbox.options.maxAttachmentBytes,
          maxMessageBytes: runtime.outbox.options.maxMessageBytes,
          maxFiles: options.maxFilesPerMessage,
          maxMessageJsonBytes: options.maxJsonBodyBytes,
        });
        body = multipart.message;
        files = multipart.files;
      } else {
        return problem(415, 'Unsupported media type', 'Send the message as application/json, or as multipart/form-data with a "message" part and file parts.');
      }
      const parsed = parseWith(MailMessageSchema, body);
      if (!parsed.ok) return validation(toFieldErrors(parsed.issues));
      const message = parsed.value as MailMessage;
      const attachments: Array<AttachmentInput | OwnedFileInput> = [...(message.attachments ?? []), ...files];
      const id = await outbox.enqueue({ ...message, attachments: undefined } as MailMessage, attachments, 'app', configId);
      return c.json({ id }, 202);
    } catch (error) {
      if (error instanceof MailInputError) return inputProblem(error);
      throw error;
    } finally {
      if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
    }
  });

  router.get('/health', async (c) => {
    const configId = configOf(c);
    if (configId === null) return problem(404, 'Not found', 'This request names no e-mail configuration.');
    const health = await runtime.health(configId);
    return c.json(health, health.ok ? 200 : 503, { 'cache-control': 'no-store' });
  });
}
