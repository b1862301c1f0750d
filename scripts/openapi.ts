// Builds docs/openapi.json, the OpenAPI 3.1 document of the REST contract (DESIGN.md).
// Request bodies and query strings are converted from the valibot schemas that the form and the server
// already use (@valibot/to-json-schema), so the document cannot describe other fields than the code
// checks; response shapes are written here, beside the TypeScript interfaces of src/services/contract.ts,
// and test/node/services/openapi.test.ts checks both against the schemas and against real responses.
// `npm run openapi` rewrites the file; the test fails when the committed one is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { toJsonSchema } from '@valibot/to-json-schema';
import type { GenericSchema } from 'valibot';
import { ENDPOINT_NAMES, LOG_STATUSES, TEST_STEP_IDS } from '../src/services/contract.js';
import { ConfigInputSchema, ConnectRequestSchema, LogQuerySchema, MailMessageSchema, TestRequestSchema } from '../src/services/schemas.js';

type Json = Record<string, unknown>;

/** The request schemas, by component name. Custom checks (GUID or domain, dates) stay in the code. */
export const REQUEST_SCHEMAS: Record<string, GenericSchema> = {
  ConfigInput: ConfigInputSchema,
  ConnectRequest: ConnectRequestSchema,
  TestRequest: TestRequestSchema,
  LogQuery: LogQuerySchema,
  MailMessage: MailMessageSchema,
};

export function requestSchema(schema: GenericSchema): Json {
  const json = toJsonSchema(schema, { errorMode: 'ignore' }) as Json;
  delete json.$schema;
  return json;
}

const str = (description?: string): Json => ({ type: 'string', ...(description ? { description } : {}) });
const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const obj = (properties: Record<string, Json>, required: string[], description?: string): Json => ({
  type: 'object',
  ...(description ? { description } : {}),
  properties,
  required,
});
const upstreamError = obj(
  {
    code: str('AADSTS number or Graph error code'),
    message: str('a mapped, plain-language message; never the raw upstream body'),
    hint: str('what to do about it'),
    requestId: str('Graph request-id'),
    correlationId: str('identity platform correlation id'),
    timestamp: str(),
  },
  ['code', 'message', 'hint'],
);
const logError = obj({ code: str(), message: str(), hint: str(), requestId: str() }, ['code', 'message', 'hint']);
const connection = obj(
  {
    state: { type: 'string', enum: ['disconnected', 'connected', 'needs-reconnect', 'error'] },
    account: str('the connected account (empty when none)'),
    connectedAt: str('ISO date, or empty'),
    reason: str(),
    sendAs: obj(
      { mailbox: str('the From address'), ok: { type: 'boolean' }, checkedAt: str('ISO date'), error: ref('UpstreamError') },
      ['mailbox', 'ok'],
      'delegated: whether the signed-in account may send as the From mailbox, checked right after connecting',
    ),
  },
  ['state', 'account', 'connectedAt'],
);
const endpoints = obj(Object.fromEntries(ENDPOINT_NAMES.map((name) => [name, str()])), [...ENDPOINT_NAMES]);
const logEntryProperties = {
  id: str(),
  createdAt: str('ISO date'),
  to: { type: 'array', items: str() },
  subject: str(),
  status: { type: 'string', enum: [...LOG_STATUSES] },
  attempts: { type: 'integer' },
  durationMs: { type: 'number' },
  error: ref('LogError'),
  source: { type: 'string', enum: ['test', 'app'] },
};
const logEntryRequired = ['id', 'createdAt', 'to', 'subject', 'status', 'attempts', 'durationMs', 'source'];

/** Response shapes (src/services/contract.ts). */
export const RESPONSE_SCHEMAS: Record<string, Json> = {
  ConfigView: obj(
    {
      mode: { type: 'string', enum: ['delegated', 'application'] },
      cloud: { type: 'string', enum: ['global', 'usgov', 'usgov-dod', 'china', 'sandbox'] },
      tenantId: str(),
      clientId: str(),
      credential: { type: 'string', enum: ['secret', 'certificate'] },
      secretExpiresAt: str(),
      fromName: str(),
      fromAddress: str(),
      saveToSentItems: { type: 'boolean' },
      endpoints: ref('EndpointTemplates'),
      secret: obj({ set: { type: 'boolean' }, hint: str('at most the last characters'), expiresAt: str(), kind: { type: 'string', enum: ['secret', 'certificate'] } }, ['set', 'hint', 'expiresAt']),
      nextSecret: obj(
        {
          set: { type: 'boolean' },
          hint: str('at most the last characters'),
          expiresAt: str(),
          kind: { type: 'string', enum: ['secret'] },
          state: { type: 'string', enum: ['pending', 'rejected'] },
          error: ref('UpstreamError'),
        },
        ['set', 'hint', 'expiresAt', 'state'],
        'the second secret of a rotation: tried first, it replaces the secret once it works',
      ),
      connection: ref('ConnectionView'),
      locked: { type: 'boolean' },
      redirectUri: str('PUBLIC_URL + base path + /connect/callback'),
      etag: str(),
      grantedPermissions: { type: 'array', items: str() },
    },
    ['mode', 'cloud', 'tenantId', 'clientId', 'secretExpiresAt', 'fromName', 'fromAddress', 'saveToSentItems', 'endpoints', 'secret', 'connection', 'locked', 'redirectUri', 'etag'],
    'Every setting but the secret.',
  ),
  ConnectionView: connection,
  EndpointTemplates: endpoints,
  CloudInfo: obj({ id: str(), label: str(), loginHost: str(), graphHost: str() }, ['id', 'label', 'loginHost', 'graphHost']),
  EndpointDefaults: obj({ cloud: str(), endpoints: ref('EndpointTemplates') }, ['cloud', 'endpoints']),
  ConnectStart: obj({ authorizeUrl: str(), state: str(), expiresAt: str() }, ['authorizeUrl', 'state', 'expiresAt']),
  ConnectStatus: obj({ state: { type: 'string', enum: ['pending', 'connected', 'failed'] }, account: str(), error: str() }, ['state']),
  UpstreamError: upstreamError,
  TestReport: obj(
    {
      ok: { type: 'boolean' },
      steps: {
        type: 'array',
        description: `exactly the step ids ${TEST_STEP_IDS.join(', ')}, in that order`,
        items: obj(
          {
            id: { type: 'string', enum: [...TEST_STEP_IDS] },
            label: str(),
            status: { type: 'string', enum: ['ok', 'failed', 'skipped'] },
            ms: { type: 'number' },
            detail: str(),
            error: ref('UpstreamError'),
          },
          ['id', 'label', 'status', 'ms'],
        ),
      },
      permissions: obj({ granted: { type: 'array', items: str() }, required: { type: 'array', items: str() }, missing: { type: 'array', items: str() } }, ['granted', 'required', 'missing']),
    },
    ['ok', 'steps'],
  ),
  LogError: logError,
  LogEntry: obj(logEntryProperties, logEntryRequired),
  LogAttempt: obj(
    {
      at: str(),
      outcome: { type: 'string', enum: ['sent', 'failed', 'retry', 'unknown', 'reconciled'] },
      httpStatus: { type: 'integer' },
      requestId: str(),
      clientRequestId: str(),
      error: ref('LogError'),
      ms: { type: 'number' },
    },
    ['at', 'outcome', 'ms'],
  ),
  LogEntryDetail: obj({ ...logEntryProperties, history: { type: 'array', items: ref('LogAttempt') } }, [...logEntryRequired, 'history']),
  LogPage: obj(
    {
      items: { type: 'array', items: ref('LogEntry') },
      nextCursor: { type: ['string', 'null'] },
      counts: obj(Object.fromEntries(LOG_STATUSES.map((status) => [status, { type: 'integer' }])), [...LOG_STATUSES], 'follow every filter but status'),
      countsCapped: { type: 'boolean', description: 'a text search matched more messages than the server counts (newest first): each count is a lower bound' },
      budget: obj(
        { messagesPerMinute: { type: 'integer' }, recipientsPerDay: { type: 'integer' }, recipientsLeftToday: { type: 'integer', description: 'in the rolling 24 hours' } },
        ['messagesPerMinute', 'recipientsPerDay', 'recipientsLeftToday'],
        "the sending mailbox's budget, when the server paces itself under Exchange Online's limits",
      ),
    },
    ['items', 'nextCursor', 'counts'],
  ),
  Queued: obj({ id: str() }, ['id']),
  HealthView: obj(
    {
      ok: { type: 'boolean' },
      connection: ref('ConnectionView'),
      secretExpiresInDays: { type: ['number', 'null'] },
      secretReminder: { type: 'integer', enum: [30, 14, 3], description: 'the reminder threshold the expiry has crossed' },
      outbox: obj({ queued: { type: 'integer' }, failedLastHour: { type: 'integer' } }, ['queued', 'failedLastHour']),
      lastSentAt: { type: ['string', 'null'] },
    },
    ['ok', 'connection', 'secretExpiresInDays', 'outbox', 'lastSentAt'],
  ),
  Problem: obj(
    {
      type: str(),
      title: str(),
      status: { type: 'integer' },
      detail: str(),
      errors: { type: 'array', items: obj({ path: str('a dotted field name: tenantId, endpoints.graphEndpoint'), message: str(), key: str() }, ['path', 'message']) },
      code: str(),
      hint: str(),
      requestId: str(),
      correlationId: str(),
      timestamp: str(),
    },
    ['type', 'title', 'status'],
    'RFC 9457 problem details (application/problem+json).',
  ),
};

const json = (schema: string) => ({ content: { 'application/json': { schema: ref(schema) } } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const ok = (schema: string, description = 'OK') => ({ description, ...json(schema) });
const csrf = 'State changes without a bearer token need `X-Requested-With: graph-mail` (or the host\'s anti-forgery header): 403 otherwise.';
const query = (names: string[]) => names.map((name) => ({ name, in: 'query', required: false, schema: { $ref: `#/components/schemas/LogQuery/properties/${name}` } }));

export function buildDocument(): Json {
  const schemas: Record<string, Json> = {};
  for (const [name, schema] of Object.entries(REQUEST_SCHEMAS)) schemas[name] = requestSchema(schema);
  Object.assign(schemas, RESPONSE_SCHEMAS);
  return {
    openapi: '3.1.0',
    info: {
      title: 'graph-mail-elements reference server',
      version: '0.1.0',
      description: `The REST contract between the elements (HttpAdapter) and a backend. Base path \`/api/mail\` (configurable). ${csrf} Cross-origin requests only from the origins listed in GRAPH_MAIL_ALLOWED_ORIGINS.`,
    },
    servers: [{ url: '/api/mail' }],
    paths: {
      '/config': {
        get: { summary: 'Every setting but the secret', responses: { 200: ok('ConfigView') } },
        put: {
          summary: 'Save the configuration (secret write-only; If-Match optional)',
          parameters: [{ name: 'If-Match', in: 'header', required: false, schema: { type: 'string' } }],
          requestBody: { required: true, ...json('ConfigInput') },
          responses: {
            200: ok('ConfigView'),
            400: problem('field errors with dotted paths'),
            403: problem(csrf),
            409: problem('a locked field (mode, cloud, tenantId, clientId, endpoints) changed while connected'),
            412: problem('the etag is stale'),
          },
        },
        delete: { summary: 'Clear: config, secret and tokens gone; the log stays', responses: { 204: { description: 'cleared' } } },
      },
      '/clouds': { get: { summary: 'The clouds this server offers', responses: { 200: { description: 'OK', content: { 'application/json': { schema: { type: 'array', items: ref('CloudInfo') } } } } } } },
      '/endpoints/defaults': {
        get: {
          summary: "A cloud's default endpoint templates",
          parameters: [{ name: 'cloud', in: 'query', required: true, schema: { $ref: '#/components/schemas/ConfigInput/properties/cloud' } }],
          responses: { 200: ok('EndpointDefaults'), 400: problem('unknown cloud') },
        },
      },
      '/connect': {
        post: {
          summary: 'Start the delegated sign-in (PKCE, state bound to this browser or admin)',
          requestBody: { required: true, ...json('ConnectRequest') },
          responses: { 200: ok('ConnectStart'), 400: problem('incomplete configuration or invalid request') },
        },
      },
      '/connect/callback': {
        get: {
          summary: 'Where the identity platform returns (popup: a page that reports on a BroadcastChannel; redirect: 303 to returnTo)',
          parameters: ['code', 'state', 'error', 'error_description'].map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
          responses: { 200: { description: 'popup page (text/html)' }, 303: { description: 'back to returnTo' } },
        },
      },
      '/connect/status': {
        get: {
          summary: 'Whether the sign-in with this state has finished',
          parameters: [{ name: 'state', in: 'query', required: true, schema: { type: 'string' } }],
          responses: { 200: ok('ConnectStatus') },
        },
      },
      '/disconnect': { post: { summary: 'Forget the tokens and unlock', responses: { 200: ok('ConfigView') } } },
      '/test': {
        post: {
          summary: 'Test settings: config, tenant, token, permissions, mailbox, send',
          requestBody: { required: true, ...json('TestRequest') },
          responses: { 200: ok('TestReport'), 400: problem('invalid request'), 429: problem('test sends per minute exceeded (Retry-After)') },
        },
      },
      '/log': {
        get: {
          summary: 'The notification log, newest first, keyset pagination',
          parameters: query(['status', 'q', 'from', 'to', 'cursor', 'limit']),
          responses: { 200: ok('LogPage'), 400: problem('invalid filter') },
        },
      },
      '/log/{id}': {
        get: {
          summary: 'One entry with its attempts',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: ok('LogEntryDetail'), 404: problem('no such entry') },
        },
      },
      '/log/{id}/retry': {
        post: {
          summary: 'Send a failed or unknown message again',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 202: { description: 'queued again' }, 404: problem('no such entry'), 409: problem('not retryable in its state') },
        },
      },
      '/log.csv': {
        get: {
          summary: 'The log as CSV, streamed (same filters as /log)',
          parameters: query(['status', 'q', 'from', 'to']),
          responses: { 200: { description: 'text/csv', content: { 'text/csv': { schema: { type: 'string' } } } } },
        },
      },
      '/send': {
        post: {
          summary: 'Queue a message in the durable outbox (hosts that are not Node)',
          security: [{ serviceToken: [] }],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: ref('MailMessage') },
              'multipart/form-data': {
                schema: { type: 'object', properties: { message: ref('MailMessage') }, required: ['message'], description: 'a `message` JSON part and one file part per attachment' },
              },
            },
          },
          responses: { 202: ok('Queued', 'queued'), 400: problem('invalid message'), 401: problem('missing or wrong service token'), 413: problem('too large') },
        },
      },
      '/assistant/tenant': {
        get: {
          summary: 'Which offered cloud a tenant (GUID or domain) lives in, from each cloud\'s OpenID discovery, before any token request',
          parameters: [{ name: 'tenant', in: 'query', required: true, schema: { type: 'string' } }],
          responses: {
            200: {
              description: '{ tenant, found, cloud?, tenantId?, checked: [{ cloud, outcome }] }',
              content: { 'application/json': { schema: obj({ tenant: str(), found: { type: 'boolean' }, cloud: str(), tenantId: str(), checked: { type: 'array', items: obj({ cloud: str(), outcome: { type: 'string', enum: ['found', 'elsewhere', 'not-found', 'unreachable'] } }, ['cloud', 'outcome']) } }, ['tenant', 'found', 'checked']) } },
            },
            400: problem('neither a GUID nor a domain name'),
          },
        },
      },
      '/assistant/support-bundle': {
        get: {
          summary: 'A redacted JSON file for support: configuration without secrets, the last test report, recent failures with their ids, versions',
          responses: { 200: { description: 'application/json, as an attachment', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
      '/assistant/restrict-app': {
        get: {
          summary: 'Exchange Online PowerShell that limits an application-mode app to its sender mailbox (RBAC for Applications)',
          responses: {
            200: {
              description: 'the script and the warnings that decide whether it works',
              content: { 'application/json': { schema: obj({ script: str(), warnings: { type: 'array', items: str() }, roles: { type: 'array', items: str() }, mailbox: str(), clientId: str() }, ['script', 'warnings', 'roles', 'mailbox', 'clientId']) } },
            },
            409: problem('not application mode, or the client id or From address is not saved'),
          },
        },
      },
      '/health': { get: { summary: 'Whether sending works', responses: { 200: ok('HealthView'), 503: ok('HealthView', 'sending does not work') } } },
    },
    components: {
      schemas,
      securitySchemes: {
        serviceToken: { type: 'http', scheme: 'bearer', description: 'GRAPH_MAIL_SERVICE_TOKEN' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'GRAPH_MAIL_ADMIN_TOKEN, or an Entra ID access token for the API' },
      },
    },
  };
}

export const OPENAPI_PATH = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(OPENAPI_PATH, `${JSON.stringify(buildDocument(), null, 2)}\n`);
  console.log(`wrote ${OPENAPI_PATH}`);
}
