/**
 * `POST /test` of the REST contract (DESIGN.md): runs the configuration test and answers a
 * `TestReport`. Admin authorisation, the anti-forgery header and the origin rules come from the core's
 * middleware; this route adds validation of the request, the per-admin rate limit (SECURITY.md 17)
 * and the report itself.
 *
 *   mountTestRoute(router, {
 *     getConfigState, tokens, sendAndWait: (m, o) => mail.runtime!.sendAndWait(m, o),
 *     adminIdentity: (c) => c.get('admin'), settings: { testPerMinute, sandboxOrigin, extraOrigins },
 *   });
 */
import type { Env, Hono } from 'hono';
import type { Problem, TestRequest } from '../../services/contract.js';
import type { FieldError } from '../../services/errors.js';
import { MAX_TEST_ATTACHMENT_BYTES, TestRequestSchema, parseWith, toFieldErrors } from '../../services/schemas.js';
import { DEFAULT_MAX_TEST_ATTACHMENT_BYTES } from './attachment.js';
import { SlidingWindowLimiter } from './rate-limit.js';
import { runTest } from './runner.js';
import type { TestDeps, TestSettings } from './types.js';

/** A test request is a few fields and a body of at most 100,000 characters. */
const MAX_BODY_BYTES = 512 * 1024;

function problem(status: number, title: string, detail: string, extra: Partial<Problem> = {}, headers: Record<string, string> = {}): Response {
  const body: Problem = { type: 'about:blank', title, status, detail, ...extra };
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...headers },
  });
}

const invalid = (errors: FieldError[]) => problem(400, 'Invalid request', errors[0]?.message ?? 'Some fields need attention.', { errors });

async function readBody(request: Request): Promise<{ ok: true; value: unknown } | { ok: false; response: Response }> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type.trim())) {
    return { ok: false, response: problem(415, 'Unsupported media type', 'Send the test request as application/json.') };
  }
  const tooLarge = () => ({ ok: false as const, response: problem(413, 'Too large', `The request body is larger than ${MAX_BODY_BYTES} bytes.`) });
  if (Number(request.headers.get('content-length') ?? '0') > MAX_BODY_BYTES) return tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body?.getReader();
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > MAX_BODY_BYTES) {
        await reader.cancel();
        return tooLarge();
      }
      chunks.push(value);
    }
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return { ok: false, response: invalid([{ path: 'to', message: 'The body is not valid JSON.' }]) };
  }
}

/** Parses and checks a test request; the attachment cap is this server's, below the schema's maximum. */
export function parseTestRequest(input: unknown, maxAttachmentBytes: number): { ok: true; value: TestRequest } | { ok: false; errors: FieldError[] } {
  const parsed = parseWith(TestRequestSchema, input);
  if (!parsed.ok) return { ok: false, errors: toFieldErrors(parsed.issues) };
  const value = parsed.value as TestRequest;
  if ((value.attachmentBytes ?? 0) > maxAttachmentBytes) {
    return {
      ok: false,
      errors: [{ path: 'attachmentBytes', key: 'attachmentBytes.range', message: `Test attachment size must be between 0 and ${maxAttachmentBytes} bytes.` }],
    };
  }
  return { ok: true, value };
}

/**
 * Settings from the environment: `GRAPH_MAIL_TEST_PER_MINUTE` [5] and, beyond the design,
 * `GRAPH_MAIL_TEST_MAX_ATTACHMENT_MB` [25] (the largest generated test attachment).
 */
export function testSettingsFromEnv(env: Record<string, string | undefined> = process.env): Pick<TestSettings, 'testPerMinute' | 'maxAttachmentBytes'> {
  const number = (value: string | undefined) => (value !== undefined && /^\d+(?:\.\d+)?$/.test(value.trim()) ? Number(value) : undefined);
  const perMinute = number(env.GRAPH_MAIL_TEST_PER_MINUTE);
  const maxMb = number(env.GRAPH_MAIL_TEST_MAX_ATTACHMENT_MB);
  return {
    ...(perMinute !== undefined && perMinute >= 1 ? { testPerMinute: Math.floor(perMinute) } : {}),
    ...(maxMb !== undefined ? { maxAttachmentBytes: Math.floor(maxMb * 1024 * 1024) } : {}),
  };
}

/** Registers `POST /test` on the mail API's router. */
export function mountTestRoute<E extends Env>(router: Hono<E>, deps: TestDeps): void {
  const settings = deps.settings ?? {};
  const perMinute = Math.max(1, Math.floor(settings.testPerMinute ?? 5));
  const maxAttachmentBytes = Math.min(settings.maxAttachmentBytes ?? DEFAULT_MAX_TEST_ATTACHMENT_BYTES, MAX_TEST_ATTACHMENT_BYTES);
  const limiter = new SlidingWindowLimiter(perMinute, 60_000, deps.now ?? Date.now);

  router.post('/test', async (c) => {
    const body = await readBody(c.req.raw);
    if (!body.ok) return body.response;
    const parsed = parseTestRequest(body.value, maxAttachmentBytes);
    if (!parsed.ok) return invalid(parsed.errors);
    const admin = String((await deps.adminIdentity(c)) ?? '');
    const decision = limiter.take(admin);
    if (!decision.allowed) {
      return problem(
        429,
        'Too many tests',
        `At most ${perMinute} test${perMinute === 1 ? '' : 's'} a minute are allowed; try again in ${decision.retryAfterSeconds} s.`,
        {},
        { 'retry-after': String(decision.retryAfterSeconds) },
      );
    }
    const report = await runTest(deps, parsed.value);
    deps.onReport?.(report);
    return c.json(report, 200, { 'cache-control': 'no-store' });
  });
}

export { runTest, discoveryUrlFor, STEP_LABELS_EN, DEFAULT_BODY, DEFAULT_SUBJECT } from './runner.js';
export { requiredPermissions, missingPermissions, readTokenClaims, UPLOAD_SESSION_THRESHOLD } from './permissions.js';
export { SlidingWindowLimiter } from './rate-limit.js';
export { attachmentContent, TEST_ATTACHMENT_NAME } from './attachment.js';
export { UpstreamTokenError, isUpstreamTokenError, isExplainedError } from './types.js';
export type { TestDeps, TestConfigState, TestCredentialInfo, TestSettings, TestTokenSource, UpstreamTokenErrorShape, ExplainedError } from './types.js';
