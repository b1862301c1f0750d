/**
 * Plain-language explanations and fixes for the errors of the identity platform (AADSTS codes), of
 * Microsoft Graph (`error.code`) and of the network, for the server's test reports, log rows and
 * problem details. The elements never import it (the texts are long, and the one-tag bundle shows what
 * the server sends); the server does, and so does the MemoryAdapter, so a story's report reads as the
 * server's would.
 *
 * The upstream description and message are never copied (SECURITY.md 18): the explanation comes from
 * the code, and only the code and the request ids (checked to look like ids) are carried over.
 * `retryable` says whether a later attempt may succeed without anyone changing anything; whether a send
 * may be repeated after an ambiguous outcome is the outbox's decision (SECURITY.md 22), not this one.
 */
import type { AuthMode, UpstreamError } from './contract.js';

export type DiagnosisCategory =
  | 'credential'
  | 'tenant'
  | 'consent'
  | 'redirect'
  | 'reconnect'
  | 'permission'
  | 'mailbox'
  | 'throttle'
  | 'network'
  | 'unknown';

export interface Diagnosis extends UpstreamError {
  retryable: boolean;
  category: DiagnosisCategory;
  /** The HTTP status of the answer, when there was one. */
  httpStatus?: number;
  /** Seconds to wait, from a `Retry-After` header (seconds or HTTP date). */
  retryAfterSeconds?: number;
}

/** What the server knows that makes a hint precise. Every field is optional. */
export interface DiagnosisContext {
  mode?: AuthMode;
  /** The redirect URI this server uses (shown in the form). */
  redirectUri?: string;
  /** Permissions the chosen mode and features need, e.g. `['Mail.Send', 'Mail.ReadWrite']`. */
  permissions?: readonly string[];
  /** Delegated: the signed-in account and the From mailbox it sends as. */
  account?: string;
  fromAddress?: string;
}

type Text = string | ((context: DiagnosisContext) => string);

interface Explanation {
  category: DiagnosisCategory;
  retryable: boolean;
  message: Text;
  hint: Text;
}

const render = (text: Text, context: DiagnosisContext) => (typeof text === 'function' ? text(context) : text);

const permissionList = (context: DiagnosisContext, fallback: string) =>
  context.permissions?.length ? context.permissions.join(', ') : fallback;

const consentHint = (context: DiagnosisContext) =>
  context.mode === 'delegated'
    ? `Connect again and accept the permissions (${permissionList(context, 'offline_access, User.Read, Mail.Send')}). If the tenant lets only administrators consent, an administrator opens the app registration, API permissions, and chooses "Grant admin consent".`
    : `In the app registration, open API permissions, add the Microsoft Graph application permissions (${permissionList(context, 'Mail.Send, Mail.ReadWrite, User.Read.All')}) and choose "Grant admin consent". Consent takes a few minutes to apply.`;

const reconnect = (why: string): Explanation => ({
  category: 'reconnect',
  retryable: false,
  message: `The sign-in of the connected mailbox is no longer valid: ${why}`,
  hint: 'Choose "Connect" again and sign in with the mailbox account. Mail waits in the outbox until then.',
});

/** AADSTS codes, by number. Texts written from the identity platform's error reference. */
const IDENTITY_ERRORS: Readonly<Record<number, Explanation>> = {
  7000215: {
    category: 'credential',
    retryable: false,
    message:
      'The client secret was refused: it is not a valid secret value for this app. Most often the Secret ID was pasted instead of the secret\'s Value.',
    hint: 'In the app registration, open Certificates & secrets, create a new client secret and copy its "Value" column right away (it is shown only once; the "Secret ID" column is not the secret). Paste it in Client secret and save.',
  },
  7000222: {
    category: 'credential',
    retryable: false,
    message: 'The client secret has expired, so the app can no longer sign in and mail stops.',
    hint: 'In Certificates & secrets, create a new client secret, paste its Value in Client secret with its expiry date, and save. Next time, create and save the new secret before the old one ends.',
  },
  7000218: {
    category: 'credential',
    retryable: false,
    message: 'The token request carried no client secret or certificate, so the app could not prove who it is.',
    hint: 'Save a client secret (or a certificate) in the configuration. If one was saved, it may have been removed: paste it again and save.',
  },
  700027: {
    category: 'credential',
    retryable: false,
    message: 'The certificate credential was refused: its signature does not match any certificate registered on the app.',
    hint: 'Upload the certificate (the public .cer or .pem part) in the app registration under Certificates & secrets, Certificates, and make sure the private key saved here belongs to that certificate.',
  },
  700024: {
    category: 'credential',
    retryable: false,
    message: 'The certificate credential was refused because its time range is not valid: the server\'s clock is probably wrong.',
    hint: 'Set the server\'s clock to synchronise with a time server (NTP), then test again.',
  },
  7000112: {
    category: 'tenant',
    retryable: false,
    message: 'The application is disabled in this tenant.',
    hint: 'In the Microsoft Entra admin center, open Enterprise applications, this app, Properties, and set "Enabled for users to sign in?" to Yes.',
  },
  700016: {
    category: 'tenant',
    retryable: false,
    message: 'The Application (client) ID was not found in this tenant: the client ID or the Tenant ID is wrong, or the tenant is in another national cloud.',
    hint: 'Copy Application (client) ID and Directory (tenant) ID from the Overview page of the same app registration, and check that the Domain is the cloud the tenant lives in. An app registered in another tenant must first be consented to by an administrator of this one.',
  },
  90002: {
    category: 'tenant',
    retryable: false,
    message: 'The tenant was not found: the Tenant ID or domain is wrong, or the tenant is in another national cloud than the Domain selected.',
    hint: 'Copy "Directory (tenant) ID" from the app registration\'s Overview page (or use a verified domain such as contoso.onmicrosoft.com). If it is right, choose the Domain the tenant lives in, for example US Government for a GCC High tenant.',
  },
  900023: {
    category: 'tenant',
    retryable: false,
    message: 'The Tenant ID is neither a GUID nor a valid domain name.',
    hint: 'Copy "Directory (tenant) ID" from the app registration\'s Overview page, or use a verified domain of the tenant such as contoso.onmicrosoft.com.',
  },
  90112: {
    category: 'tenant',
    retryable: false,
    message: 'The Application (client) ID is not a GUID, so the identity platform cannot look the app up.',
    hint: 'Copy "Application (client) ID" (a GUID such as 3aacd4f2-1c9e-4a57-9d3e-0c4f1f2a6b7d) from the app registration\'s Overview page; not its name, Object ID or Application ID URI.',
  },
  50194: {
    category: 'tenant',
    retryable: false,
    message: 'The app is registered for its own organization only (single tenant), but the request went to a multi-tenant endpoint such as "common".',
    hint: 'Put the Tenant ID (a GUID or the tenant\'s domain, not "common" or "organizations") in the configuration, and keep {TenantId} in the Token and Authorize endpoints. Or, if the app is meant for several tenants, change Supported account types in the app registration\'s Authentication page.',
  },
  900382: {
    category: 'tenant',
    retryable: false,
    message: 'The tenant is in a different national cloud than the Domain selected, and the identity platform does not accept a confidential app across clouds.',
    hint: 'Choose the Domain the tenant lives in (for example "US Government (GCC High)" for a GCC High tenant); this resets the endpoint templates to that cloud\'s hosts. The app registration must be in that cloud too.',
  },
  500011: {
    category: 'tenant',
    retryable: false,
    message: 'The resource named in the Default scope was not found in this tenant: the scope names another cloud\'s Graph, or a host that is not Graph.',
    hint: 'Reset the endpoint templates to the defaults of the chosen Domain, so that Default scope is that cloud\'s Graph followed by /.default.',
  },
  50020: {
    category: 'tenant',
    retryable: false,
    message: 'The account that signed in does not belong to this tenant (a personal account, or a user of another organization).',
    hint: 'Connect again and sign in with an account of the tenant whose mailbox sends the mail.',
  },
  50034: {
    category: 'tenant',
    retryable: false,
    message: 'The account that signed in does not exist in this tenant.',
    hint: 'Connect again and sign in with an existing account of the tenant, or check the Tenant ID.',
  },
  50011: {
    category: 'redirect',
    retryable: false,
    message: 'The redirect URI this server uses is not registered on the app.',
    hint: (context) =>
      `In the app registration, open Authentication, add a "Web" platform redirect URI exactly ${context.redirectUri ? `"${context.redirectUri}"` : 'as shown in the Redirect URI field'} (same scheme, host, port and path), and save. Then connect again.`,
  },
  500113: {
    category: 'redirect',
    retryable: false,
    message: 'The app has no redirect URI registered.',
    hint: (context) =>
      `In the app registration, open Authentication, add a "Web" platform and register the redirect URI ${context.redirectUri ? `"${context.redirectUri}"` : 'shown in the Redirect URI field'}.`,
  },
  9002326: {
    category: 'redirect',
    retryable: false,
    message: 'The redirect URI is registered as a single-page application, so the identity platform refuses to redeem the code on a server.',
    hint: 'In the app registration\'s Authentication page, remove the redirect URI from "Single-page application" and add it under "Web" instead.',
  },
  65001: {
    category: 'consent',
    retryable: false,
    message: 'The permissions the app needs have not been consented to in this tenant.',
    hint: consentHint,
  },
  90094: {
    category: 'consent',
    retryable: false,
    message: 'An administrator must consent to the app\'s permissions; the signed-in user cannot.',
    hint: 'An administrator opens the app registration, API permissions, and chooses "Grant admin consent" (or signs in with Connect once and accepts for the organization). Then connect again.',
  },
  65004: {
    category: 'consent',
    retryable: false,
    message: 'The consent screen was declined, so the app did not get its permissions.',
    hint: 'Connect again and choose "Accept" on the consent screen, or ask an administrator to grant admin consent in API permissions.',
  },
  650057: {
    category: 'consent',
    retryable: false,
    message: 'The app asked for a permission that is not listed in its app registration.',
    hint: (context) =>
      `In the app registration, open API permissions and add the Microsoft Graph permissions ${permissionList(context, 'Mail.Send, User.Read')}, then grant consent.`,
  },
  70011: {
    category: 'consent',
    retryable: false,
    message: 'The scope asked for is not valid.',
    hint: 'Reset the Default scope to the default of the chosen Domain (Graph followed by /.default).',
  },
  1002012: {
    category: 'consent',
    retryable: false,
    message: 'The scope is not valid for an application (client credentials) sign-in, which needs a scope ending in /.default.',
    hint: 'Reset the Default scope to the default of the chosen Domain (Graph followed by /.default).',
  },
  50105: {
    category: 'permission',
    retryable: false,
    message: 'The signed-in account is not assigned to this app, and the app requires assignment.',
    hint: 'In Enterprise applications, this app, Users and groups, assign the mailbox account, or set "Assignment required?" to No.',
  },
  53003: {
    category: 'permission',
    retryable: false,
    message: 'A Conditional Access policy of the tenant blocked the sign-in.',
    hint: 'A tenant administrator finds the sign-in in Microsoft Entra sign-in logs by the correlation ID, sees which Conditional Access policy blocked it, and excludes this app or this account, or allows the server\'s location.',
  },
  53000: {
    category: 'permission',
    retryable: false,
    message: 'A Conditional Access policy requires a compliant or managed device, and the sign-in came from another device.',
    hint: 'Connect from a managed device, or ask a tenant administrator to adjust the Conditional Access policy for this app.',
  },
  700082: reconnect('the refresh token expired after 90 days without use.'),
  50173: reconnect('the account\'s password was changed or reset, which ends earlier sign-ins.'),
  70043: reconnect('a Conditional Access sign-in frequency policy requires signing in again.'),
  50133: reconnect('the session ended because the password expired or was changed.'),
  50076: reconnect('the tenant now requires multi-factor authentication for this account.'),
  50079: reconnect('the account must register for multi-factor authentication.'),
  50057: reconnect('the account is disabled.'),
  50053: reconnect('the account is locked after too many failed sign-ins.'),
  50055: reconnect('the account\'s password has expired.'),
  70008: {
    category: 'reconnect',
    retryable: false,
    message: 'The sign-in code expired or was already used (it is valid for a few minutes, once).',
    hint: 'Choose "Connect" again and finish the sign-in without waiting.',
  },
  54005: {
    category: 'reconnect',
    retryable: false,
    message: 'The sign-in code was already used.',
    hint: 'Choose "Connect" again.',
  },
  501481: {
    category: 'reconnect',
    retryable: false,
    message: 'The sign-in could not be completed: the proof key (PKCE) did not match the one the sign-in started with.',
    hint: 'Choose "Connect" again and finish in the same browser, without starting a second sign-in meanwhile.',
  },
  9002313: {
    category: 'unknown',
    retryable: false,
    message: 'The identity platform found the request malformed.',
    hint: 'Reset the Token and Authorize endpoints to the defaults of the chosen Domain and try again; if it repeats, give the correlation ID to support.',
  },
  900144: {
    category: 'unknown',
    retryable: false,
    message: 'The identity platform found a required part of the request missing.',
    hint: 'Check Tenant ID, Application (client) ID and the client secret are saved, reset the Token endpoint to its default, and try again.',
  },
  90033: {
    category: 'network',
    retryable: true,
    message: 'The identity platform had a temporary problem.',
    hint: 'Nothing to change: the request is tried again later.',
  },
};

/** OAuth `error` values, for answers without a known AADSTS code. */
const OAUTH_ERRORS: Readonly<Record<string, Explanation>> = {
  invalid_client: {
    category: 'credential',
    retryable: false,
    message: 'The identity platform refused the app\'s credential (client secret or certificate).',
    hint: 'In Certificates & secrets, create a new client secret, paste its Value (not the Secret ID) in Client secret and save.',
  },
  invalid_grant: reconnect('the identity platform refused the saved sign-in.'),
  interaction_required: reconnect('the identity platform needs the user to sign in again.'),
  login_required: reconnect('the identity platform needs the user to sign in again.'),
  consent_required: { category: 'consent', retryable: false, message: 'The app\'s permissions need consent.', hint: consentHint },
  access_denied: {
    category: 'consent',
    retryable: false,
    message: 'The sign-in was cancelled or consent was refused.',
    hint: 'Connect again, sign in with the mailbox account and accept the permissions.',
  },
  unauthorized_client: {
    category: 'tenant',
    retryable: false,
    message: 'The app is not allowed to sign in this way in this tenant.',
    hint: 'Check that Application (client) ID, Tenant ID and the Domain belong together, and that the app is enabled in the tenant.',
  },
  invalid_scope: {
    category: 'consent',
    retryable: false,
    message: 'The scope asked for is not valid.',
    hint: 'Reset the Default scope to the default of the chosen Domain (Graph followed by /.default).',
  },
  temporarily_unavailable: {
    category: 'network',
    retryable: true,
    message: 'The identity platform is temporarily unavailable.',
    hint: 'Nothing to change: the request is tried again later.',
  },
  server_error: {
    category: 'network',
    retryable: true,
    message: 'The identity platform had an internal error.',
    hint: 'Nothing to change: the request is tried again later.',
  },
};

const throttled: Explanation = {
  category: 'throttle',
  retryable: true,
  message: 'Microsoft Graph is limiting the number of requests (throttling).',
  hint: 'Nothing to change: the outbox waits as long as Graph asks (Retry-After) and tries again.',
};

const graphTemporary: Explanation = {
  category: 'network',
  retryable: true,
  message: 'Microsoft Graph or Exchange Online had a temporary problem.',
  hint: 'Nothing to change: the request is tried again later. If it lasts, check the Microsoft 365 service health page.',
};

const mailboxMissing: Explanation = {
  category: 'mailbox',
  retryable: false,
  message: 'The sender mailbox does not exist: no user has this address or ID in the tenant.',
  hint: 'Check the From address: it must be the user principal name (or primary address) of an existing user or shared mailbox in this tenant.',
};

/** Graph `error.code` values. Texts written from Graph's and Exchange's error references. */
const GRAPH_ERRORS: Readonly<Record<string, Explanation>> = {
  ErrorAccessDenied: {
    category: 'permission',
    retryable: false,
    message: 'Microsoft Graph denied access to the mailbox: a permission is missing or not consented (Mail.Send to send, Mail.ReadWrite for drafts and large attachments), or a mailbox access policy excludes this mailbox.',
    hint: (context) =>
      `${consentHint(context)} If the permissions are granted, an Exchange application access policy (or RBAC for Applications) may limit the app to other mailboxes: include this one.`,
  },
  ErrorSendAsDenied: {
    category: 'permission',
    retryable: false,
    message: (context) =>
      context.account && context.fromAddress
        ? `The account ${context.account} may not send as ${context.fromAddress}.`
        : 'The account may not send as the From address.',
    hint: (context) =>
      `Use the connected account's own address as From address, or have an Exchange administrator grant ${context.account ?? 'this account'} "Send As" (or "Send on Behalf") on ${context.fromAddress ?? 'the From mailbox'} (Exchange admin center, Recipients, Mailboxes, the mailbox, Delegation), then connect again. A shared mailbox works the same way.`,
  },
  MailboxNotEnabledForRESTAPI: {
    category: 'mailbox',
    retryable: false,
    message: 'The sender has no Exchange Online mailbox that Graph can use: it has no Exchange Online licence, is on-premises, or is not a mailbox.',
    hint: 'Assign an Exchange Online licence to the account (or use a shared mailbox in Exchange Online), wait for the mailbox to be created, then test again.',
  },
  MailboxNotSupportedForRESTAPI: {
    category: 'mailbox',
    retryable: false,
    message: 'The sender\'s mailbox type cannot be used through Graph.',
    hint: 'Send from a user or shared mailbox in Exchange Online.',
  },
  InvalidAuthenticationToken: {
    category: 'credential',
    retryable: false,
    message: 'Microsoft Graph refused the access token: it has expired, or it was issued for another cloud\'s Graph.',
    hint: 'Test again (a fresh token is requested). If it repeats, reset the Default scope and Graph API endpoint to the defaults of the chosen Domain.',
  },
  ApplicationThrottled: throttled,
  TooManyRequests: throttled,
  MailboxConcurrency: throttled,
  ActivityLimitReached: throttled,
  ErrorTooManyRequests: throttled,
  ErrorItemNotFound: {
    category: 'mailbox',
    retryable: false,
    message: 'The draft or message was not found in the mailbox: it was deleted, or the ID does not belong to this mailbox.',
    hint: 'Check the User Messages, Draft Send and Draft Attachment endpoints are the defaults, then send again.',
  },
  ErrorInvalidUser: mailboxMissing,
  Request_ResourceNotFound: mailboxMissing,
  ResourceNotFound: mailboxMissing,
  ErrorNonExistentMailbox: mailboxMissing,
  Authorization_RequestDenied: {
    category: 'permission',
    retryable: false,
    message: 'The app may not read the directory, so it cannot look up the sender by address.',
    hint: 'In API permissions, add the Microsoft Graph application permission User.Read.All and grant admin consent.',
  },
  Authorization_IdentityNotFound: {
    category: 'consent',
    retryable: false,
    message: 'The app is not known in this tenant yet (it has no service principal), usually because admin consent was never granted.',
    hint: consentHint,
  },
  ErrorQuotaExceeded: {
    category: 'mailbox',
    retryable: false,
    message: 'The sender mailbox is full.',
    hint: 'Free space in the mailbox (empty Deleted Items and Sent Items) or raise its quota, then send again.',
  },
  ErrorMessageSizeExceeded: {
    category: 'mailbox',
    retryable: false,
    message: 'The message is larger than the organization or mailbox allows.',
    hint: 'Send smaller attachments, or have an Exchange administrator raise the maximum send size of the mailbox (up to 150 MB).',
  },
  ErrorExceededMessageLimit: {
    category: 'throttle',
    retryable: false,
    message: 'The sender mailbox reached its sending limit (messages or recipients per day).',
    hint: 'Wait until the limit resets (up to 24 hours), spread the mail over time, or send from another mailbox. The outbox does not resend by itself.',
  },
  ErrorExceededHourlyMessageLimit: {
    category: 'throttle',
    retryable: false,
    message: 'The sender mailbox reached its hourly sending limit.',
    hint: 'Wait an hour and retry the message from the notification log, or spread the mail over time.',
  },
  ErrorExceededMaxRecipientLimit: {
    category: 'mailbox',
    retryable: false,
    message: 'The message has more recipients than Exchange Online allows in one message.',
    hint: 'Send to fewer recipients per message (at most 500 by default), or use a distribution group.',
  },
  ErrorMessageSubmissionBlocked: {
    category: 'mailbox',
    retryable: false,
    message: 'Exchange Online has blocked this mailbox from sending, usually after it sent what looked like spam.',
    hint: 'A Microsoft 365 administrator checks "Restricted entities" in the Microsoft Defender portal, removes the block and looks for the cause.',
  },
  ErrorInvalidRecipients: {
    category: 'mailbox',
    retryable: false,
    message: 'One or more recipient addresses are not valid.',
    hint: 'Check the To, Cc and Bcc addresses.',
  },
  ErrorMailboxStoreUnavailable: graphTemporary,
  ErrorMailboxMoveInProgress: graphTemporary,
  ErrorServerBusy: graphTemporary,
  ErrorInternalServerError: graphTemporary,
  ErrorInternalServerTransientError: graphTemporary,
  ErrorTimeoutExpired: graphTemporary,
  ServiceUnavailable: graphTemporary,
  serviceNotAvailable: graphTemporary,
  generalException: graphTemporary,
  UnknownError: graphTemporary,
};

export const KNOWN_IDENTITY_CODES: readonly number[] = Object.keys(IDENTITY_ERRORS).map(Number);
export const KNOWN_GRAPH_CODES: readonly string[] = Object.keys(GRAPH_ERRORS);

// Reading bodies without trusting them.

const asObject = (value: unknown): Record<string, unknown> => {
  if (typeof value === 'string') {
    try {
      return asObject(JSON.parse(value));
    } catch {
      return {};
    }
  }
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
};

/** Ids and dates are carried over only when they look like ids and dates: never arbitrary upstream text. */
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
const DATE = /^\d{4}-\d{2}-\d{2}[T ][0-9:.]{5,15}(?:Z|[+-]\d{2}:?\d{2})?$/;
const safe = (value: unknown, pattern: RegExp): string | undefined =>
  typeof value === 'string' && pattern.test(value.trim()) ? value.trim() : undefined;

function retryAfter(header: string | null | undefined): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function diagnosis(
  code: string,
  explanation: Explanation,
  context: DiagnosisContext,
  extra: Partial<Diagnosis>,
): Diagnosis {
  const result: Diagnosis = {
    code,
    message: render(explanation.message, context),
    hint: render(explanation.hint, context),
    retryable: explanation.retryable,
    category: explanation.category,
  };
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined) (result as unknown as Record<string, unknown>)[key] = value;
  }
  return result;
}

/** Errors by HTTP status alone, for answers that name no code this module knows. */
function byStatus(service: string, status: number | undefined): Explanation {
  if (status === 429) return { ...throttled, message: `${service} is limiting the number of requests (throttling).` };
  if (status !== undefined && status >= 500) {
    return { category: 'network', retryable: true, message: `${service} had a temporary problem (HTTP ${status}).`, hint: 'Nothing to change: the request is tried again later.' };
  }
  if (status === 401) {
    return { category: 'credential', retryable: false, message: `${service} refused the credential (HTTP 401).`, hint: 'Test the connection; if it repeats, save the client secret again or reconnect.' };
  }
  if (status === 403) {
    return { category: 'permission', retryable: false, message: `${service} refused the request: a permission is missing (HTTP 403).`, hint: consentHint };
  }
  if (status === 404) {
    return {
      category: 'unknown',
      retryable: false,
      message: `${service} did not find what was asked for (HTTP 404).`,
      hint: 'Reset the endpoint templates to the defaults of the chosen Domain and check the From address.',
    };
  }
  return {
    category: 'unknown',
    retryable: false,
    message: `${service} refused the request${status ? ` (HTTP ${status})` : ''}.`,
    hint: 'Check the configuration and the endpoint templates; if it repeats, give the request ID and correlation ID to support.',
  };
}

// Identity platform.

const AADSTS_PREFIX = /^\s*AADSTS(\d{4,9})\b/;

function identityCodes(body: Record<string, unknown>): number[] {
  const codes: number[] = [];
  if (Array.isArray(body.error_codes)) {
    for (const code of body.error_codes) {
      const n = typeof code === 'number' ? code : typeof code === 'string' && /^\d{1,9}$/.test(code) ? Number(code) : NaN;
      if (Number.isInteger(n) && n > 0 && !codes.includes(n)) codes.push(n);
    }
  }
  const description = typeof body.error_description === 'string' ? body.error_description : '';
  const prefix = AADSTS_PREFIX.exec(description);
  if (prefix && !codes.includes(Number(prefix[1]))) codes.push(Number(prefix[1]));
  return codes;
}

/** `Trace ID: …` lines of a description, read only for ids, when the fields themselves are absent. */
function idFromDescription(description: unknown, label: string, pattern: RegExp): string | undefined {
  if (typeof description !== 'string') return undefined;
  const line = description.split(/\r?\n/).find((text) => text.trim().toLowerCase().startsWith(`${label.toLowerCase()}:`));
  return line ? safe(line.slice(line.indexOf(':') + 1), pattern) : undefined;
}

/**
 * Explains an error answer of the identity platform (the token endpoint's JSON, or the `error` and
 * `error_description` of an authorize callback). Matched on the AADSTS number (`error_codes`, or the
 * `AADSTSnnnn:` prefix of the description), then on the OAuth `error`, then on the HTTP status.
 */
export function explainIdentityError(body: unknown, httpStatus?: number, context: DiagnosisContext = {}): Diagnosis {
  const data = asObject(body);
  const codes = identityCodes(data);
  const known = codes.find((code) => IDENTITY_ERRORS[code]);
  const oauthError = safe(data.error, /^[a-z_]{1,64}$/);
  const extra: Partial<Diagnosis> = {
    httpStatus,
    requestId: safe(data.trace_id, ID) ?? idFromDescription(data.error_description, 'Trace ID', ID),
    correlationId: safe(data.correlation_id, ID) ?? idFromDescription(data.error_description, 'Correlation ID', ID),
    timestamp: safe(data.timestamp, DATE) ?? idFromDescription(data.error_description, 'Timestamp', DATE),
  };
  if (known !== undefined) return diagnosis(`AADSTS${known}`, IDENTITY_ERRORS[known], context, extra);
  const [first] = codes;
  if (first !== undefined) {
    const status = byStatus('The Microsoft identity platform', httpStatus);
    const fallback = oauthError && OAUTH_ERRORS[oauthError] ? OAUTH_ERRORS[oauthError] : status;
    return diagnosis(`AADSTS${first}`, {
      ...fallback,
      message: `The Microsoft identity platform refused the request with error AADSTS${first}. ${render(fallback.message, context)}`,
      hint: `${render(fallback.hint, context)} The error page https://login.microsoftonline.com/error?code=${first} explains AADSTS${first}.`,
    }, context, extra);
  }
  if (oauthError && OAUTH_ERRORS[oauthError]) return diagnosis(oauthError, OAUTH_ERRORS[oauthError], context, extra);
  return diagnosis(oauthError ?? (httpStatus ? `HTTP ${httpStatus}` : 'unknown'), byStatus('The Microsoft identity platform', httpStatus), context, extra);
}

// Microsoft Graph.

export interface HeaderSource {
  get(name: string): string | null;
}

const GRAPH_CODE = /^[A-Za-z][A-Za-z0-9_.-]{0,79}$/;

/**
 * Explains an error answer of Microsoft Graph (`{ error: { code, message, innerError } }`). A known
 * inner code wins over the outer one (Graph wraps specific codes in generic ones); the ids come from
 * the `request-id` and `client-request-id` headers or from `innerError`.
 */
export function explainGraphError(body: unknown, httpStatus: number, headers?: HeaderSource, context: DiagnosisContext = {}): Diagnosis {
  const error = asObject(asObject(body).error);
  const inner = asObject(error.innerError ?? error.innererror);
  const outerCode = safe(error.code, GRAPH_CODE);
  const innerCode = safe(inner.code, GRAPH_CODE);
  const header = (name: string) => headers?.get(name) ?? undefined;
  const extra: Partial<Diagnosis> = {
    httpStatus,
    requestId: safe(header('request-id'), ID) ?? safe(inner['request-id'], ID),
    correlationId: safe(header('client-request-id'), ID) ?? safe(inner['client-request-id'], ID),
    timestamp: safe(inner.date, DATE) ?? safe(header('date'), /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} [0-9:]{8} GMT$/),
    retryAfterSeconds: retryAfter(header('retry-after')),
  };
  const code = [innerCode, outerCode].find((candidate) => candidate && GRAPH_ERRORS[candidate]);
  if (code) return diagnosis(code, GRAPH_ERRORS[code], context, extra);
  const status = byStatus('Microsoft Graph', httpStatus);
  const shown = outerCode ?? `HTTP ${httpStatus}`;
  return diagnosis(shown, { ...status, message: outerCode ? `${render(status.message, context)} Graph error code: ${outerCode}.` : status.message }, context, extra);
}

// The network.

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN']);

/** The first `code` (and the names) along an error's `cause` chain. */
function errorChain(error: unknown): { codes: string[]; names: string[]; messages: string[] } {
  const codes: string[] = [];
  const names: string[] = [];
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth += 1) {
    const item = current as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
    const code = safe(item.code, /^[A-Z][A-Z0-9_]{1,63}$/);
    if (code) codes.push(code);
    if (typeof item.name === 'string') names.push(item.name);
    if (typeof item.message === 'string') messages.push(item.message);
    current = item.cause;
  }
  return { codes, names, messages };
}

/**
 * Explains a failure to reach a service at all (DNS, refused or reset connections, time-outs, TLS
 * interception, a refused redirect). The code is the runtime's error code; nothing else is copied.
 */
export function explainNetworkError(error: unknown): Diagnosis {
  const { codes, names, messages } = errorChain(error);
  const code = codes[0];
  const network = (retryable: boolean, message: string, hint: string, shown: string): Diagnosis => ({
    code: shown,
    message,
    hint,
    retryable,
    category: 'network',
  });
  if (names.includes('TimeoutError') || (code && TIMEOUT_CODES.has(code))) {
    return network(
      true,
      'The request timed out: the service did not answer in time.',
      'Nothing to change if it is rare; if it repeats, check the server\'s outbound connection and proxy.',
      code ?? 'TIMEOUT',
    );
  }
  if (names.includes('AbortError')) {
    return network(true, 'The request was cancelled before an answer arrived.', 'Try again.', 'ABORTED');
  }
  if (code && TLS_CODES.has(code)) {
    return network(
      false,
      'The secure connection was refused because the certificate presented was not trusted; usually a proxy that inspects HTTPS traffic.',
      'Exempt the Microsoft login and Graph hosts from HTTPS inspection, or give the server the proxy\'s CA certificate (NODE_EXTRA_CA_CERTS).',
      code,
    );
  }
  if (code && DNS_CODES.has(code)) {
    return network(
      true,
      'The service\'s host name could not be resolved (DNS).',
      'Check the server\'s DNS and outbound internet access (or its proxy), and that the endpoint templates use the chosen Domain\'s hosts.',
      code,
    );
  }
  if (messages.some((message) => /redirect/i.test(message))) {
    return network(
      false,
      'The service answered with a redirect, which is never followed: it could send the credential to another address.',
      'Reset the endpoint templates to the defaults of the chosen Domain; a proxy that redirects requests must let them through unchanged.',
      'REDIRECT',
    );
  }
  if (code) {
    return network(
      true,
      'The connection to the service failed or was interrupted.',
      'Nothing to change if it is rare: the request is tried again later. If it repeats, check the server\'s outbound connection, firewall and proxy.',
      code,
    );
  }
  return network(
    true,
    'The service could not be reached.',
    'Check the server\'s outbound internet access (firewall, proxy); the request is tried again later.',
    'NETWORK',
  );
}
