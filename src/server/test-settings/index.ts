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
import type { TestRequest } from '../../services/contract.js';
import { isJsonType, problem, readJsonBody, validationProblem } from '../http/problem.js';
import type { FieldError } from '../../services/errors.js';
import { MAX_TEST_ATTACHMENT_BYTES, TestRequestSchema, parseWith, toFieldErrors } from '../../services/schemas.js';
import { DEFAULT_MAX_TEST_ATTACHMENT_BYTES } from './attachment.js';
import { SlidingWindowLimiter } from './rate-limit.js';
import { runTest } from './runner.js';
import type { TestDeps, TestRouteDeps, TestSettings } from './types.js';

/** A test request is a few fields and a body of at most 100,000 characters. */
const MAX_BODY_BYTES = 512 * 1024;

async function readBody(request: Request): Promise<{ ok: true; value: unknown } | { ok: false; response: Response }> {
  if (!isJsonType(request.headers.get('content-type'))) {
    return { ok: false, response: problem(415, 'Unsupported media type', 'Send the test request as application/json.') };
  }
  const body = await readJsonBody(request, MAX_BODY_BYTES, { errorPath: 'to' });
  // An empty body is as unreadable as a malformed one: the recipient is what is missing.
  if (body.ok && body.value === undefined) return { ok: false, response: validationProblem([{ path: 'to', message: 'The body is not valid JSON.' }]) };
  return body;
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
export function mountTestRoute<E extends Env>(router: Hono<E>, deps: TestRouteDeps): void {
  const settings = deps.settings ?? {};
  const perMinute = Math.max(1, Math.floor(settings.testPerMinute ?? 5));
  const maxAttachmentBytes = Math.min(settings.maxAttachmentBytes ?? DEFAULT_MAX_TEST_ATTACHMENT_BYTES, MAX_TEST_ATTACHMENT_BYTES);
  const limiter = new SlidingWindowLimiter(perMinute, 60_000, deps.now ?? Date.now);

  router.post('/test', async (c) => {
    const body = await readBody(c.req.raw);
    if (!body.ok) return body.response;
    const parsed = parseTestRequest(body.value, maxAttachmentBytes);
    if (!parsed.ok) return validationProblem(parsed.errors);
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
    const configId = 'forConfig' in deps ? deps.configOf(c) : 'default';
    const run: TestDeps = 'forConfig' in deps ? { ...deps, ...deps.forConfig(configId) } : deps;
    const report = await runTest(run, parsed.value);
    deps.onReport?.(report, configId);
    return c.json(report, 200, { 'cache-control': 'no-store' });
  });
}

export { runTest, discoveryUrlFor, STEP_LABELS_EN, DEFAULT_BODY, DEFAULT_SUBJECT } from './runner.js';
export { requiredPermissions, missingPermissions, readTokenClaims, UPLOAD_SESSION_THRESHOLD } from './permissions.js';
export { SlidingWindowLimiter } from './rate-limit.js';
export { attachmentContent, TEST_ATTACHMENT_NAME } from './attachment.js';
export { UpstreamTokenError, isUpstreamTokenError, isExplainedError } from './types.js';
export type { TestDeps, TestRouteDeps, ConfigTestDeps, TestConfigState, TestCredentialInfo, TestSettings, TestTokenSource, UpstreamTokenErrorShape, ExplainedError } from './types.js';
