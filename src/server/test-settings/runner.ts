/**
 * The configuration test: six steps in a fixed order (`config`, `tenant`, `token`, `permissions`,
 * `mailbox`, `send`), each timed; the first failure explains itself (what is wrong, the fix, the
 * request and correlation ids) and the steps after it are skipped. Errors are mapped by code through
 * the shared diagnostics, so no upstream text reaches the report (SECURITY.md 18), and neither the
 * token nor the secret is ever put in it.
 */
import type { AuthMode, TestReport, TestRequest, TestStep, TestStepId, UpstreamError } from '../../services/contract.js';
import { TEST_STEP_IDS } from '../../services/contract.js';
import { explainGraphError, explainIdentityError, explainNetworkError, type Diagnosis, type DiagnosisContext } from '../../services/diagnostics.js';
import {
  CLOUD_PRESETS,
  ENDPOINT_MESSAGES_EN,
  TemplateExpansionError,
  checkUrl,
  encodePathSegment,
  formatMessage,
  resolveEndpoint,
  userLookup,
  type HostOptions,
} from '../../services/endpoints.js';
import { FIELD_LABELS_EN } from '../../services/messages.js';
import { GraphCallError, graphCall } from '../mail/graph-call.js';
import type { MailApiMessage } from '../mail/runtime.js';
import { generatedAttachment } from './attachment.js';
import { UPLOAD_SESSION_THRESHOLD, missingPermissions, readTokenClaims, requiredPermissions } from './permissions.js';
import {
  isExplainedError,
  isUpstreamTokenError,
  type AccessTokenInfo,
  type FetchLike,
  type MailConfig,
  type TestConfigState,
  type TestDeps,
} from './types.js';

export const STEP_LABELS_EN: Readonly<Record<TestStepId, string>> = {
  config: 'Configuration',
  tenant: 'Tenant and cloud',
  token: 'Access token',
  permissions: 'Permissions',
  mailbox: 'Sender mailbox',
  send: 'Test message',
};

export const DEFAULT_SUBJECT = 'Test message from the Graph mail settings';
export const DEFAULT_BODY =
  'This message was sent by the "Test settings" button of the email configuration. If you can read it, sending mail works.';

const DAY_MS = 86_400_000;

/** A step's result before timing is added. */
type Outcome = { status: 'ok'; detail?: string } | { status: 'failed'; detail?: string; error: UpstreamError };

interface RunState {
  deps: TestDeps;
  request: TestRequest;
  now: () => number;
  fetch: FetchLike;
  hostOptions: HostOptions;
  timeoutMs: number;
  state?: TestConfigState;
  config?: MailConfig;
  required: string[];
  diagnosisContext: DiagnosisContext;
  token?: AccessTokenInfo;
  granted: string[];
  missing: string[];
  permissionsRead: boolean;
}

/** Only the fields an admin sees: no category, no retry flags, nothing upstream wrote. */
function shown(diagnosis: Diagnosis | UpstreamError): UpstreamError {
  const error: UpstreamError = { code: diagnosis.code, message: diagnosis.message, hint: diagnosis.hint };
  if (diagnosis.requestId) error.requestId = diagnosis.requestId;
  if (diagnosis.correlationId) error.correlationId = diagnosis.correlationId;
  if (diagnosis.timestamp) error.timestamp = diagnosis.timestamp;
  return error;
}

const failed = (error: UpstreamError, detail?: string): Outcome => ({ status: 'failed', error, ...(detail ? { detail } : {}) });

const label = (field: string) => FIELD_LABELS_EN[field] ?? field;

function endpointProblem(key: string, params: Record<string, string>): UpstreamError {
  const template = ENDPOINT_MESSAGES_EN[key];
  return {
    code: 'ENDPOINT_TEMPLATE',
    message: template ? formatMessage(template, params) : `${params.template ?? 'An endpoint template'} cannot be used.`,
    hint: 'Fix the template in the API Endpoints tab, or reset the templates to the defaults of the chosen Domain.',
  };
}

const fromTemplateError = (error: TemplateExpansionError, template: string): UpstreamError =>
  endpointProblem(error.key, { ...error.params, template });

// config

function checkConfig(run: RunState): Outcome {
  const { state } = run;
  if (!state) return failed({ code: 'NOT_CONFIGURED', message: 'Nothing is configured yet.', hint: 'Fill in the Connection tab and save.' });
  const missing = state.missing;
  if (!state.config || missing.length) {
    const names = missing.length ? missing.map(label).join(', ') : 'Tenant ID, Application (client) ID';
    return failed({
      code: 'CONFIG_INCOMPLETE',
      message: `Required settings are missing: ${names}.`,
      hint: `Fill in ${names} in the Connection tab and save.`,
    });
  }
  const config = state.config;
  if (!state.credential.set) {
    return failed({
      code: 'CREDENTIAL_MISSING',
      message: state.credential.kind === 'certificate' ? 'No certificate is saved.' : 'No client secret is saved.',
      hint:
        state.credential.kind === 'certificate'
          ? 'Paste the certificate and its private key in the Connection tab and save.'
          : 'In the app registration, open Certificates & secrets, create a client secret, paste its Value (not the Secret ID) in Client secret and save.',
    });
  }
  const what = state.credential.kind === 'certificate' ? 'certificate' : 'client secret';
  const parts = [`${config.mode === 'delegated' ? 'Delegated' : 'Application'} mode on ${cloudName(config)}; ${what} saved`];
  const expiresAt = state.credential.expiresAt ? Date.parse(state.credential.expiresAt) : Number.NaN;
  if (!Number.isNaN(expiresAt)) {
    const left = expiresAt - run.now();
    const days = Math.round(left / DAY_MS);
    const within = left < DAY_MS ? 'within a day' : `in ${days} day${days === 1 ? '' : 's'}`;
    const date = new Date(expiresAt).toISOString().slice(0, 10);
    if (expiresAt <= run.now()) {
      const certificate = state.credential.kind === 'certificate';
      return failed({
        code: 'SECRET_EXPIRED',
        message: `The ${what} expired on ${date}, so the app can no longer sign in and mail stops.`,
        hint: certificate
          ? 'Create a new certificate, upload its public part in the app registration under Certificates & secrets, paste it and its private key here, and save.'
          : explainIdentityError({ error_codes: [7000222] }).hint,
      });
    }
    const warnDays = run.deps.settings?.expiryWarningDays ?? 30;
    if (expiresAt - run.now() <= warnDays * DAY_MS) {
      parts.push(`warning: the ${what} expires ${within} (${date}); create a new one and save it before then, or mail stops`);
    } else {
      parts.push(`it expires on ${date}`);
    }
  }
  return { status: 'ok', detail: `${parts.join('; ')}.` };
}

function cloudName(config: MailConfig): string {
  if (config.cloud === 'sandbox') return 'the sandbox cloud';
  return `the ${CLOUD_PRESETS[config.cloud]?.label ?? config.cloud} cloud`;
}

// tenant

/**
 * The tenant's OpenID discovery document, on the same host and tenant path as the token endpoint:
 * `https://host/{tenant}/oauth2/v2.0/token` → `https://host/{tenant}/v2.0/.well-known/openid-configuration`.
 */
export function discoveryUrlFor(tokenUrl: string, tenantId: string): string {
  const url = new URL(tokenUrl);
  const at = url.pathname.indexOf('/oauth2/');
  const prefix = at > 0 ? url.pathname.slice(0, at) : `/${encodePathSegment(tenantId)}`;
  return `${url.origin}${prefix}/v2.0/.well-known/openid-configuration`;
}

/** The host name without the port: the sandbox publishes its issuer on its HTTPS port. */
const hostnameOf = (value: unknown): string | null => {
  if (typeof value !== 'string') return null;
  try {
    return new URL(value).hostname.toLowerCase();
  } catch {
    return null;
  }
};

/** The national cloud whose login and Graph hosts match a discovery document, if any. */
function cloudOfDocument(loginHost: string | null, graphHost: string | null): string | null {
  for (const preset of Object.values(CLOUD_PRESETS)) {
    if (loginHost === preset.loginHost && (!graphHost || graphHost === preset.graphHost)) return preset.label;
  }
  return null;
}

async function checkTenant(run: RunState): Promise<Outcome> {
  const config = run.config!;
  const token = resolveEndpoint('tokenEndpoint', config.endpoints, { TenantId: config.tenantId }, config.cloud, run.hostOptions);
  if (!token.ok) return failed(endpointProblem(token.key, token.params));
  const graph = resolveEndpoint('graphEndpoint', config.endpoints, {}, config.cloud, run.hostOptions);
  if (!graph.ok) return failed(endpointProblem(graph.key, graph.params));
  const url = discoveryUrlFor(token.url, config.tenantId);
  const check = checkUrl(url, config.cloud, 'login', run.hostOptions);
  if (!check.ok) return failed(endpointProblem(check.key, { ...check.params, template: 'Token endpoint' }));

  let response: Response;
  try {
    response = await run.fetch(url, { method: 'GET', headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(run.timeoutMs) });
  } catch (error) {
    return failed(shown(explainNetworkError(error)));
  }
  const text = await response.text().catch(() => '');
  if (response.status >= 300 && response.status < 400) return failed(shown(explainNetworkError(new Error(`redirect (${response.status}) refused`))));
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!response.ok) return failed(shown(explainIdentityError(json, response.status, run.diagnosisContext)));

  const document = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  const loginHost = new URL(token.url).hostname.toLowerCase();
  const graphHost = new URL(graph.url).host.toLowerCase();
  const issuerHost = hostnameOf(document.issuer);
  const documentGraphHost = typeof document.msgraph_host === 'string' ? document.msgraph_host.toLowerCase() : null;
  if (!issuerHost) {
    return failed({
      code: 'DISCOVERY_INVALID',
      message: 'The tenant\'s OpenID discovery document could not be read: the Token endpoint does not point at the identity platform.',
      hint: 'Reset the Token and Authorize endpoints to the defaults of the chosen Domain.',
    });
  }
  if (issuerHost !== loginHost || (documentGraphHost && documentGraphHost !== graphHost)) {
    const mismatch = explainIdentityError({ error_codes: [900382] });
    const home = cloudOfDocument(issuerHost, documentGraphHost);
    return failed({
      code: 'CLOUD_MISMATCH',
      message: mismatch.message,
      hint: home ? `The tenant lives in the ${home} cloud. ${mismatch.hint}` : mismatch.hint,
    });
  }
  const tenantGuid = /\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\//i.exec(String(document.issuer))?.[1];
  const region = typeof document.tenant_region_scope === 'string' && /^[A-Za-z]{2,10}$/.test(document.tenant_region_scope) ? `, region ${document.tenant_region_scope}` : '';
  return { status: 'ok', detail: `Tenant ${tenantGuid ?? config.tenantId} found on ${cloudName(config)} (${new URL(token.url).host}${region}).` };
}

// token

async function getToken(run: RunState): Promise<Outcome> {
  const config = run.config!;
  const connection = run.state?.connection;
  if (config.mode === 'delegated' && connection && connection.state === 'disconnected') {
    return failed({
      code: 'NOT_CONNECTED',
      message: 'No mailbox is connected, so there is no sign-in to get a token with.',
      hint: 'Choose "Connect" and sign in with the mailbox account, then test again.',
    });
  }
  try {
    run.token = await run.deps.tokens.getAccessToken({ forceRefresh: true });
  } catch (error) {
    if (isUpstreamTokenError(error)) return failed(shown(explainIdentityError(error.body, error.status, run.diagnosisContext)));
    if (isExplainedError(error)) {
      // The core's own words; ids only from the diagnosis it may carry, which is checked text too.
      const ids = (error as { diagnosis?: Partial<UpstreamError> }).diagnosis ?? {};
      return failed(shown({ code: error.code, message: error.message, hint: error.hint, requestId: ids.requestId, correlationId: ids.correlationId, timestamp: ids.timestamp }));
    }
    return failed(shown(explainNetworkError(error)));
  }
  const claims = readTokenClaims(run.token.accessToken);
  const until = claims?.expiresAt ? `, valid until ${new Date(claims.expiresAt).toISOString().slice(11, 16)} UTC` : '';
  const who = config.mode === 'delegated' ? `for ${connection?.account || 'the connected account'}` : 'for the app (client credentials)';
  return { status: 'ok', detail: `A new token was issued ${who}${until}.` };
}

// permissions

function checkPermissions(run: RunState): Outcome {
  const config = run.config!;
  const token = run.token!;
  const claims = readTokenClaims(token.accessToken);
  run.granted = claims && claims.source !== 'none' ? claims.permissions : [...(token.scopes ?? [])];
  run.missing = missingPermissions(run.granted, run.required);
  run.permissionsRead = true;
  const claim = config.mode === 'delegated' ? 'scp' : 'roles';
  if (run.missing.length) {
    const list = run.missing.join(', ');
    const hint =
      config.mode === 'delegated'
        ? `In the app registration, open API permissions, add the Microsoft Graph delegated permissions ${list}, and choose "Grant admin consent" (or accept them at sign-in). Then choose "Connect" again: a sign-in keeps the permissions it was granted.`
        : `In the app registration, open API permissions, add the Microsoft Graph application permissions ${list} (application, not delegated), and choose "Grant admin consent". Consent takes a few minutes to apply.`;
    return failed({ code: 'PERMISSIONS_MISSING', message: `The token lacks ${run.missing.length === 1 ? 'the permission' : 'the permissions'} ${list} (its ${claim} claim).`, hint });
  }
  const notes = [`The token's ${claim} claim has every permission needed (${run.required.join(', ')})`];
  if (!missingPermissions(run.granted, ['Mail.ReadWrite']).length) {
    notes.push('Mail.ReadWrite is granted, so every send goes through a draft and is sent exactly once');
  } else {
    notes.push('note: without Mail.ReadWrite, sends use sendMail (at most once: an ambiguous outcome is not resent) and attachments of 3 MB or more cannot be sent');
  }
  return { status: 'ok', detail: `${notes.join('; ')}.` };
}

// mailbox

const bearer = (token: AccessTokenInfo) => ({ authorization: `Bearer ${token.accessToken}`, accept: 'application/json' });

const MAILBOX_HINT_MORE =
  ' If the user exists, it needs an Exchange Online licence (or must be a shared mailbox) before Graph can send from it.';

function noMailbox(requestId?: string): UpstreamError {
  const explained = explainGraphError({ error: { code: 'MailboxNotEnabledForRESTAPI' } }, 404);
  return { code: 'NO_MAILBOX', message: explained.message, hint: explained.hint, ...(requestId ? { requestId } : {}) };
}

function graphFailure(error: unknown): UpstreamError {
  if (error instanceof GraphCallError) {
    const base = shown(error.diagnosis);
    if (!base.correlationId && error.info.clientRequestId) base.correlationId = error.info.clientRequestId;
    if (!base.requestId && error.info.requestId) base.requestId = error.info.requestId;
    if (error.status === 404 || error.diagnosis.category === 'mailbox') base.hint = `${base.hint}${MAILBOX_HINT_MORE}`;
    return base;
  }
  return shown(explainNetworkError(error));
}

async function checkMailbox(run: RunState): Promise<Outcome> {
  const config = run.config!;
  let url: string;
  let viaFilter = false;
  if (config.mode === 'delegated') {
    const graph = resolveEndpoint('graphEndpoint', config.endpoints, {}, config.cloud, run.hostOptions);
    if (!graph.ok) return failed(endpointProblem(graph.key, graph.params));
    url = `${graph.url.replace(/\/+$/, '')}/me`;
  } else {
    const upn = config.fromAddress.trim();
    if (!upn) return failed({ code: 'SENDER_MISSING', message: 'No sender mailbox is configured.', hint: 'Enter the From address (the mailbox that sends) in the Connection tab and save.' });
    try {
      ({ url, viaFilter } = userLookup(config.endpoints, upn));
    } catch (error) {
      if (error instanceof TemplateExpansionError) return failed(fromTemplateError(error, 'User endpoint'));
      throw error;
    }
    const check = checkUrl(url, config.cloud, 'graph', run.hostOptions);
    if (!check.ok) return failed(endpointProblem(check.key, { ...check.params, template: 'User endpoint' }));
  }
  let json: Record<string, unknown>;
  let requestId: string | undefined;
  try {
    const result = await graphCall({ method: 'GET', url, headers: bearer(run.token!), timeoutMs: run.timeoutMs, fetch: run.fetch });
    requestId = result.info.requestId;
    const body = (result.json && typeof result.json === 'object' ? result.json : {}) as Record<string, unknown>;
    json = viaFilter ? ((Array.isArray(body.value) ? body.value[0] : undefined) as Record<string, unknown> | undefined) ?? {} : body;
  } catch (error) {
    return failed(graphFailure(error));
  }
  const id = typeof json.id === 'string' ? json.id : '';
  const mail = typeof json.mail === 'string' ? json.mail : '';
  const upn = typeof json.userPrincipalName === 'string' ? json.userPrincipalName : '';
  if (!id) {
    const missing = explainGraphError({ error: { code: 'ErrorInvalidUser' } }, 404);
    return failed({ code: 'MAILBOX_NOT_FOUND', message: missing.message, hint: `${missing.hint}${MAILBOX_HINT_MORE}`, ...(requestId ? { requestId } : {}) });
  }
  if (!mail) return failed(noMailbox(requestId));
  if (config.mode === 'delegated') {
    const account = mail || upn;
    const from = config.fromAddress.trim();
    const other = from && ![mail, upn].some((name) => name.toLowerCase() === from.toLowerCase());
    return {
      status: 'ok',
      detail: other
        ? `Connected to ${account}. The From address ${from} is another mailbox: ${account} needs "Send As" (or "Send on Behalf") on it.`
        : `Connected to ${account}.`,
    };
  }
  return { status: 'ok', detail: `The sender ${upn || config.fromAddress} was found (mailbox ${mail}).` };
}

// send

async function sendTest(run: RunState): Promise<Outcome> {
  const { request, deps } = run;
  const size = request.attachmentBytes ?? 0;
  const message: MailApiMessage = {
    to: [request.to],
    subject: request.subject?.trim() || DEFAULT_SUBJECT,
    text: request.body ?? DEFAULT_BODY,
    ...(size > 0 ? { attachments: [generatedAttachment(size)] } : {}),
  };
  let entry;
  try {
    entry = await deps.sendAndWait(message, { source: 'test', timeoutMs: deps.settings?.sendTimeoutMs ?? 60_000 });
  } catch (error) {
    const fields = (error as { errors?: Array<{ message?: unknown }> }).errors;
    const why = Array.isArray(fields) && typeof fields[0]?.message === 'string' ? ` ${fields[0].message}` : '';
    return failed({
      code: 'MESSAGE_REFUSED',
      message: `The outbox did not accept the test message.${why}`,
      hint: 'Check the recipient and the attachment size, and that the server\'s data folder is writable.',
    });
  }
  const last = entry.history.at(-1);
  const attachmentNote = size > 0 ? `, with a ${formatBytes(size)} attachment${size >= UPLOAD_SESSION_THRESHOLD ? ' (upload session)' : ''}` : '';
  if (entry.status === 'sent') {
    const tries = entry.attempts > 1 ? ` after ${entry.attempts} attempts` : '';
    return { status: 'ok', detail: `Sent to ${request.to}${attachmentNote}${tries}; log entry ${entry.id}.` };
  }
  const error: UpstreamError = entry.error
    ? { code: entry.error.code, message: entry.error.message, hint: entry.error.hint, ...(entry.error.requestId ? { requestId: entry.error.requestId } : {}) }
    : last?.error
      ? { ...last.error }
      : pendingError(entry.status);
  if (!error.requestId && last?.requestId) error.requestId = last.requestId;
  if (!error.correlationId && last?.clientRequestId) error.correlationId = last.clientRequestId;
  if (!error.timestamp && last?.at) error.timestamp = last.at;
  if (entry.status === 'unknown') {
    error.hint = `${error.hint} The outcome is unknown, so the message is not resent by itself: check the recipient's inbox, then retry it from the notification log if it did not arrive.`;
  } else if (entry.status === 'queued' || entry.status === 'sending') {
    error.hint = `${error.hint} The message stays in the outbox and is tried again; the notification log shows how it ends.`;
  }
  return failed(error, `Log entry ${entry.id} is ${entry.status}.`);
}

function pendingError(status: string): UpstreamError {
  return status === 'unknown'
    ? { code: 'SEND_UNKNOWN', message: 'It is not known whether the test message was sent.', hint: 'Check the recipient\'s inbox.' }
    : { code: 'SEND_PENDING', message: 'The test message was not sent within the time the test waits.', hint: 'Check the notification log for its outcome.' };
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
  if (bytes >= 1024) return `${Math.round((bytes / 1024) * 10) / 10} kB`;
  return `${bytes} bytes`;
}

// the run

const STEPS: Readonly<Record<TestStepId, (run: RunState) => Outcome | Promise<Outcome>>> = {
  config: checkConfig,
  tenant: checkTenant,
  token: getToken,
  permissions: checkPermissions,
  mailbox: checkMailbox,
  send: sendTest,
};

/** Runs the six steps against the configuration in effect. Never throws for upstream failures. */
export async function runTest(deps: TestDeps, request: TestRequest): Promise<TestReport> {
  const now = deps.now ?? Date.now;
  const settings = deps.settings ?? {};
  const run: RunState = {
    deps,
    request,
    now,
    fetch: deps.fetch ?? ((input, init) => fetch(input, init)),
    hostOptions: { sandboxOrigin: settings.sandboxOrigin, extraOrigins: settings.extraOrigins },
    timeoutMs: settings.requestTimeoutMs ?? 30_000,
    required: [],
    diagnosisContext: {},
    granted: [],
    missing: [],
    permissionsRead: false,
  };
  const steps: TestStep[] = [];
  let stopped = false;
  for (const id of TEST_STEP_IDS) {
    if (stopped) {
      steps.push({ id, label: STEP_LABELS_EN[id], status: 'skipped', ms: 0 });
      continue;
    }
    const started = performance.now();
    let outcome: Outcome;
    try {
      if (id === 'config') {
        run.state = await deps.getConfigState();
        run.config = run.state?.config ?? undefined;
        if (run.config) prepare(run, run.config.mode);
      }
      outcome = await STEPS[id](run);
    } catch (error) {
      // A fault of this server, not of the settings: logged here, told without its text in the report.
      deps.logger?.error('test-settings: step failed unexpectedly', { step: id, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      outcome = failed({
        code: 'INTERNAL',
        message: 'The test could not run this step because of an error in the server.',
        hint: 'Look in the server\'s log for the error, then test again.',
      });
    }
    const ms = Math.max(0, Math.round(performance.now() - started));
    steps.push({ id, label: STEP_LABELS_EN[id], status: outcome.status, ms, ...(outcome.detail ? { detail: outcome.detail } : {}), ...(outcome.status === 'failed' ? { error: outcome.error } : {}) });
    if (outcome.status === 'failed') stopped = true;
  }
  return {
    ok: steps.every((step) => step.status === 'ok'),
    steps,
    // Before a token was read, `granted` and `missing` are empty: nothing is known yet.
    permissions: { granted: run.permissionsRead ? run.granted : [], required: run.required, missing: run.permissionsRead ? run.missing : [] },
  };
}

function prepare(run: RunState, mode: AuthMode): void {
  const drafts = (run.request.attachmentBytes ?? 0) >= UPLOAD_SESSION_THRESHOLD || Boolean(run.deps.settings?.requireExactlyOnce);
  run.required = requiredPermissions(mode, { drafts });
  run.diagnosisContext = { mode, permissions: run.required, ...(run.deps.settings?.redirectUri ? { redirectUri: run.deps.settings.redirectUri } : {}) };
}
