/**
 * The schemas the browser and the server share, so that a value the form accepts is a value the server
 * accepts. Valibot, chosen for size: the one-tag bundle carries these rules (≈2 kB), where full zod would
 * take most of the 40 kB budget. Every message is a translation key (see ./messages.ts); the element
 * shows its own translated text, the server the English one.
 */
import * as v from 'valibot';
import type { CloudId, ConfigInput, EndpointTemplates, LogQuery, MailMessage, TestRequest } from './contract.js';
import { ENDPOINT_NAMES, LOG_STATUSES } from './contract.js';
import type { FieldError } from './errors.js';
import { FIELD_LABELS_EN, VALIDATION_MESSAGES_EN, formatMessage } from './messages.js';
import { ENDPOINT_MESSAGES_EN, validateEndpoints } from './endpoints.js';

export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A DNS name with at least two labels, ASCII only (a tenant's verified or onmicrosoft.com domain). */
export const DOMAIN_PATTERN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
/** Deliberately plain: the mailbox must exist in Exchange Online, which only Graph can tell. */
export const EMAIL_PATTERN = /^[^\s@<>()[\]\\,;:"]+@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----\s+[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----\s*$/;
const PEM_PRIVATE_KEY = /^-----BEGIN (RSA |EC )?PRIVATE KEY-----\s+[A-Za-z0-9+/=\s]+-----END (RSA |EC )?PRIVATE KEY-----\s*$/;
const PEM_ENCRYPTED_KEY = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export const CLOUD_IDS: readonly CloudId[] = ['global', 'usgov', 'usgov-dod', 'china', 'sandbox'];
export const MAX_TEST_ATTACHMENT_BYTES = 150 * 1024 * 1024;
export const MAX_RECIPIENTS = 500;

/** One problem with one field: a dotted path, a translation key and its parameters. */
export interface Issue {
  path: string;
  key: string;
  params?: Record<string, string | number>;
}

const text = (max: number) =>
  v.pipe(v.string('field.invalid'), v.trim(), v.maxLength(max, 'field.tooLong'), v.check((s) => !/[\r\n]/.test(s), 'field.lineBreak'));

const isValidDate = (s: string) => ISO_DATE.test(s) && !Number.isNaN(Date.parse(s));

export const TenantIdSchema = v.pipe(
  v.string('tenantId.required'),
  v.trim(),
  v.nonEmpty('tenantId.required'),
  v.check((s) => GUID_PATTERN.test(s) || DOMAIN_PATTERN.test(s), 'tenantId.format'),
);

export const ClientIdSchema = v.pipe(
  v.string('clientId.required'),
  v.trim(),
  v.nonEmpty('clientId.required'),
  v.regex(GUID_PATTERN, 'clientId.guid'),
);

/** Empty means "keep the stored secret"; a GUID is the Secret ID that the portal shows beside the value. */
export const ClientSecretSchema = v.pipe(
  v.string('field.invalid'),
  v.trim(),
  v.check((s) => !GUID_PATTERN.test(s), 'clientSecret.secretId'),
  v.check((s) => !/\s/.test(s), 'clientSecret.whitespace'),
  v.check((s) => s === '' || s.length >= 16, 'clientSecret.tooShort'),
  v.maxLength(1024, 'field.tooLong'),
);

export const EmailSchema = v.pipe(v.string('email.format'), v.trim(), v.maxLength(320, 'field.tooLong'), v.regex(EMAIL_PATTERN, 'email.format'));
export const OptionalEmailSchema = v.pipe(
  v.string('email.format'),
  v.trim(),
  v.maxLength(320, 'field.tooLong'),
  v.check((s) => s === '' || EMAIL_PATTERN.test(s), 'email.format'),
);
export const DisplayNameSchema = text(256);
export const ModeSchema = v.picklist(['delegated', 'application'], 'mode.invalid');
export const CloudSchema = v.picklist(CLOUD_IDS, 'cloud.invalid');
export const CertificatePemSchema = v.pipe(v.string('certificate.pem'), v.trim(), v.maxLength(20000, 'field.tooLong'), v.regex(PEM_CERTIFICATE, 'certificate.pem'));
export const PrivateKeyPemSchema = v.pipe(
  v.string('privateKey.pem'),
  v.trim(),
  v.maxLength(20000, 'field.tooLong'),
  v.check((s) => !PEM_ENCRYPTED_KEY.test(s), 'privateKey.encrypted'),
  v.regex(PEM_PRIVATE_KEY, 'privateKey.pem'),
);
export const SecretExpiresSchema = v.pipe(v.string('secretExpiresAt.format'), v.trim(), v.check((s) => s === '' || isValidDate(s), 'secretExpiresAt.format'));

const EndpointsSchema = v.partial(
  v.object(Object.fromEntries(ENDPOINT_NAMES.map((name) => [name, v.pipe(v.string('field.invalid'), v.trim(), v.maxLength(2048, 'field.tooLong'))])) as unknown as Record<
    (typeof ENDPOINT_NAMES)[number],
    v.GenericSchema<string, string>
  >),
);

export const ConfigInputSchema = v.object({
  mode: ModeSchema,
  cloud: CloudSchema,
  tenantId: TenantIdSchema,
  clientId: ClientIdSchema,
  clientSecret: v.optional(ClientSecretSchema),
  removeSecret: v.optional(v.boolean('field.invalid')),
  credential: v.optional(v.picklist(['secret', 'certificate'], 'field.invalid'), 'secret'),
  certificate: v.optional(v.object({ privateKeyPem: PrivateKeyPemSchema, certificatePem: CertificatePemSchema })),
  secretExpiresAt: v.optional(SecretExpiresSchema, ''),
  nextClientSecret: v.optional(ClientSecretSchema),
  nextSecretExpiresAt: v.optional(SecretExpiresSchema),
  removeNextSecret: v.optional(v.boolean('field.invalid')),
  fromName: v.optional(DisplayNameSchema, ''),
  fromAddress: v.optional(OptionalEmailSchema, ''),
  saveToSentItems: v.optional(v.boolean('field.invalid'), true),
  endpoints: v.optional(EndpointsSchema),
});

/** What the stored configuration already holds, for rules that depend on it. */
export interface ConfigContext {
  /** A secret is stored, so an empty secret field keeps it. */
  secretSet?: boolean;
  /** A certificate is stored, so empty PEM fields keep it. */
  certificateSet?: boolean;
  /** Clouds the server offers (`sandbox` only with one). */
  clouds?: readonly CloudId[];
  /** The sandbox's exact origin, when the server offers it. */
  sandboxOrigin?: string;
  /** The complete templates that will be used (defaults merged), for the endpoint rules. */
  resolveEndpoints?: (cloud: CloudId, partial: Partial<EndpointTemplates> | undefined) => EndpointTemplates;
}

const pathOf = (issue: v.BaseIssue<unknown>): string =>
  issue.path?.map((item) => String((item as { key: unknown }).key)).join('.') ?? '';

function issuesOf(result: v.SafeParseResult<v.GenericSchema>): Issue[] {
  if (result.success) return [];
  return result.issues.map((issue) => {
    const params: Record<string, string | number> = {};
    if (typeof issue.requirement === 'number') params.max = issue.requirement;
    return { path: pathOf(issue), key: issue.message, params };
  });
}

/** Validates one value with one schema: the element's per-field check. */
export function fieldIssue(schema: v.GenericSchema, value: unknown, path = ''): Issue | null {
  const [first] = issuesOf(v.safeParse(schema, value));
  return first ? { ...first, path: first.path || path } : null;
}

/**
 * Validates a whole configuration: structure and fields, then the rules that depend on the mode, the
 * credential, the stored state and the endpoint templates. Returns the normalised input (trimmed, with
 * defaults) when there is no issue.
 */
export function validateConfigInput(input: unknown, context: ConfigContext = {}): { value?: ConfigInput; issues: Issue[] } {
  const parsed = v.safeParse(ConfigInputSchema, input);
  const issues = issuesOf(parsed);
  if (!parsed.success) {
    // Report every field at once, including the cross-field rules that a partial parse can still check.
    return { issues: dedupe([...issues, ...crossFieldIssues(input as Partial<ConfigInput>, context)]) };
  }
  const value = parsed.output as ConfigInput;
  const more = crossFieldIssues(value, context);
  return more.length ? { issues: more } : { value, issues: [] };
}

function crossFieldIssues(input: Partial<ConfigInput> | null | undefined, context: ConfigContext): Issue[] {
  if (!input || typeof input !== 'object') return [];
  const issues: Issue[] = [];
  const str = (s: unknown) => (typeof s === 'string' ? s.trim() : '');
  const credential = input.credential ?? 'secret';
  if (context.clouds && typeof input.cloud === 'string' && !context.clouds.includes(input.cloud as CloudId)) {
    issues.push({ path: 'cloud', key: 'cloud.invalid' });
  }
  if (str(input.tenantId) && str(input.tenantId).toLowerCase() === str(input.clientId).toLowerCase()) {
    issues.push({ path: 'clientId', key: 'clientId.sameAsTenant' });
  }
  if (credential === 'secret' && !str(input.clientSecret) && (!context.secretSet || input.removeSecret)) {
    issues.push({ path: 'clientSecret', key: 'clientSecret.required' });
  }
  if (credential === 'certificate' && !input.certificate && !context.certificateSet) {
    issues.push({ path: 'certificate.certificatePem', key: 'certificate.required' });
  }
  if (input.mode === 'application' && !str(input.fromAddress)) {
    issues.push({ path: 'fromAddress', key: 'fromAddress.required' });
  }
  if (context.resolveEndpoints && typeof input.cloud === 'string' && CLOUD_IDS.includes(input.cloud as CloudId)) {
    const endpoints = context.resolveEndpoints(input.cloud as CloudId, input.endpoints);
    for (const problem of validateEndpoints(endpoints, input.cloud as CloudId, { sandboxOrigin: context.sandboxOrigin })) {
      issues.push({ path: `endpoints.${problem.name}`, key: problem.key, params: problem.params });
    }
  }
  return issues;
}

function dedupe(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const id = `${issue.path}\u0000${issue.key}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

const ENGLISH: Record<string, string> = { ...VALIDATION_MESSAGES_EN, ...ENDPOINT_MESSAGES_EN };

/** English text of an issue, as the server sends it. */
export function englishMessage(issue: Issue): string {
  const template = ENGLISH[issue.key] ?? VALIDATION_MESSAGES_EN['field.invalid'];
  return formatMessage(template, { field: FIELD_LABELS_EN[issue.path] ?? issue.path, ...issue.params });
}

/** Issues as the field errors of a problem+json body. */
export function toFieldErrors(issues: Issue[]): FieldError[] {
  return issues.map((issue) => ({ path: issue.path, message: englishMessage(issue), key: issue.key }));
}

// Requests other than the configuration.

const EmailListSchema = v.pipe(
  v.array(EmailSchema, 'email.list'),
  v.minLength(1, 'email.list'),
  v.maxLength(MAX_RECIPIENTS, 'email.tooMany'),
);

export const TestRequestSchema = v.object({
  to: EmailSchema,
  subject: v.optional(text(255)),
  body: v.optional(v.pipe(v.string('field.invalid'), v.maxLength(100_000, 'field.tooLong'))),
  attachmentBytes: v.optional(
    v.pipe(v.number('attachmentBytes.range'), v.integer('attachmentBytes.range'), v.minValue(0, 'attachmentBytes.range'), v.maxValue(MAX_TEST_ATTACHMENT_BYTES, 'attachmentBytes.range')),
  ),
});

export const ConnectRequestSchema = v.object({
  mode: v.picklist(['popup', 'redirect'], 'connect.mode'),
  // A same-origin relative path: one leading slash, no scheme-relative `//host` and no backslash tricks.
  returnTo: v.optional(v.pipe(v.string('connect.returnTo'), v.maxLength(2048, 'field.tooLong'), v.regex(/^\/(?![/\\])[^\s\\]*$/, 'connect.returnTo'))),
});

const isoOrEmpty = v.pipe(v.string('log.date'), v.check((s) => isValidDate(s), 'log.date'));

/** Query strings arrive as text; the limit is converted here. */
export const LogQuerySchema = v.object({
  status: v.optional(v.picklist(LOG_STATUSES, 'log.status')),
  q: v.optional(v.pipe(v.string('field.invalid'), v.maxLength(200, 'field.tooLong'))),
  from: v.optional(isoOrEmpty),
  to: v.optional(isoOrEmpty),
  cursor: v.optional(v.pipe(v.string('log.cursor'), v.maxLength(200, 'log.cursor'), v.regex(/^[A-Za-z0-9_-]+$/, 'log.cursor'))),
  limit: v.optional(
    v.pipe(
      v.union([v.number('log.limit'), v.pipe(v.string('log.limit'), v.regex(/^\d{1,3}$/, 'log.limit'), v.transform(Number))], 'log.limit'),
      v.integer('log.limit'),
      v.minValue(1, 'log.limit'),
      v.maxValue(200, 'log.limit'),
    ),
  ),
});

export const MailMessageSchema = v.pipe(
  v.object({
    to: EmailListSchema,
    cc: v.optional(v.pipe(v.array(EmailSchema, 'email.list'), v.maxLength(MAX_RECIPIENTS, 'email.tooMany'))),
    bcc: v.optional(v.pipe(v.array(EmailSchema, 'email.list'), v.maxLength(MAX_RECIPIENTS, 'email.tooMany'))),
    replyTo: v.optional(v.pipe(v.array(EmailSchema, 'email.list'), v.maxLength(10, 'email.tooMany'))),
    subject: text(998),
    text: v.optional(v.pipe(v.string('field.invalid'), v.maxLength(4_000_000, 'field.tooLong'))),
    html: v.optional(v.pipe(v.string('field.invalid'), v.maxLength(4_000_000, 'field.tooLong'))),
    attachments: v.optional(
      v.array(
        v.object({
          name: v.pipe(v.string('attachment.name'), v.trim(), v.nonEmpty('attachment.name'), v.maxLength(255, 'field.tooLong')),
          contentType: v.optional(v.pipe(v.string('field.invalid'), v.maxLength(255, 'field.tooLong')), 'application/octet-stream'),
          contentBase64: v.pipe(v.string('attachment.base64'), v.regex(/^[A-Za-z0-9+/\s]*={0,2}\s*$/, 'attachment.base64')),
        }),
      ),
    ),
  }),
  v.forward(
    v.check((m) => m.text !== undefined || m.html !== undefined, 'message.body'),
    ['text'],
  ),
);

/** Runs a schema and returns either the output or the issues: the server's request parser. */
export function parseWith<TSchema extends v.GenericSchema>(
  schema: TSchema,
  input: unknown,
): { ok: true; value: v.InferOutput<TSchema> } | { ok: false; issues: Issue[] } {
  const result = v.safeParse(schema, input);
  return result.success ? { ok: true, value: result.output } : { ok: false, issues: issuesOf(result) };
}

export type { ConfigInput, LogQuery, MailMessage, TestRequest };
