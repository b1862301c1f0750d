/**
 * Identity platform errors in the service's exact shape: `error`, an `error_description` that starts
 * with `AADSTSnnnn:` and ends with the Trace ID / Correlation ID / Timestamp lines, `error_codes`,
 * `timestamp`, `trace_id`, `correlation_id`, `error_uri`.
 */
import { randomUUID } from 'node:crypto';

export class AadError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly code: number,
    readonly description: string,
  ) {
    super(`AADSTS${code}: ${description}`);
  }
}

export interface AadErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
}

/** The service's timestamp format: `2025-01-31 09:15:02Z`. */
export const aadTimestamp = (date = new Date()): string => `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;

export function aadErrorBody(error: AadError, origin: string, ids: { traceId: string; correlationId?: string }): AadErrorBody {
  const timestamp = aadTimestamp();
  const correlationId = ids.correlationId || randomUUID();
  return {
    error: error.error,
    error_description: `AADSTS${error.code}: ${error.description}\r\nTrace ID: ${ids.traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [error.code],
    timestamp,
    trace_id: ids.traceId,
    correlation_id: correlationId,
    error_uri: `${origin}/error?code=${error.code}`,
  };
}

/** The errors the sandbox raises, named by what went wrong; messages are the service's own. */
export const aad = {
  missingParameter: (name: string) => new AadError(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`),
  malformed: (why: string) => new AadError(400, 'invalid_request', 9002313, `Invalid request. Request is malformed or invalid. - ${why}`),
  postOnly: () => new AadError(400, 'invalid_request', 900561, 'The endpoint only accepts POST requests. Received a GET request.'),
  unknownTenant: (tenant: string) =>
    new AadError(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`),
  noTenantInfo: () => new AadError(400, 'invalid_request', 50059, 'No tenant-identifying information found in either the request or implied by any provided credentials.'),
  unknownApp: (clientId: string, tenant: string) =>
    new AadError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`),
  badSecret: (clientId: string) =>
    new AadError(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`),
  expiredSecret: (clientId: string) =>
    new AadError(401, 'invalid_client', 7000222, `The provided client secret keys for app '${clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`),
  noCredential: () => new AadError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),
  publicClientCredential: () => new AadError(400, 'invalid_request', 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented."),
  badAssertion: (reason: string) => new AadError(401, 'invalid_client', 700027, `Client assertion failed signature validation. [Reason - ${reason}]`),
  assertionTime: () => new AadError(401, 'invalid_client', 700024, 'Client assertion is not within its valid time range.'),
  assertionSubject: () => new AadError(401, 'invalid_client', 700021, "Client assertion application identifier doesn't match 'client_id' parameter."),
  badAssertionType: () => new AadError(400, 'invalid_request', 700010, "Invalid client_assertion_type: use 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'."),
  unsupportedGrant: (grant: string) => new AadError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant}'.`),
  noConsent: (clientId: string, name: string) =>
    new AadError(400, 'invalid_grant', 65001, `The user or administrator has not consented to use the application with ID '${clientId}' named '${name}'. Send an interactive authorization request for this user and resource.`),
  codeExpired: () =>
    new AadError(400, 'invalid_grant', 70008, 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.'),
  badGrant: () => new AadError(400, 'invalid_grant', 70000, 'Provided grant is invalid or malformed.'),
  refreshExpired: (issuedAt: number) =>
    new AadError(400, 'invalid_grant', 700082, `The refresh token has expired due to inactivity. The token was issued on ${new Date(issuedAt).toISOString()} and was inactive for 90.00:00:00.`),
  replyMismatch: (sent: string, original: string) =>
    new AadError(400, 'invalid_grant', 500112, `The reply address '${sent}' does not match the reply address '${original}' provided when requesting Authorization code.`),
  pkceMismatch: () => new AadError(400, 'invalid_grant', 501481, 'The Code_Verifier does not match the code_challenge supplied in the authorization request.'),
  pkceRequired: () => new AadError(400, 'invalid_request', 9002325, 'Proof Key for Code Exchange is required for cross-origin authorization code redemption.'),
  clientMismatch: () => new AadError(400, 'invalid_grant', 70000, 'Provided grant is invalid or malformed. The grant was issued to another client.'),
  invalidScope: (scope: string) => new AadError(400, 'invalid_scope', 70011, `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`),
  defaultScopeRequired: (scope: string) =>
    new AadError(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`),
  manyResources: (scope: string) => new AadError(400, 'invalid_scope', 28000, `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${scope} is not valid.`),
  unknownResource: (resource: string, tenant: string) =>
    new AadError(400, 'invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`),
  redirectMismatch: (uri: string, clientId: string) =>
    new AadError(400, 'invalid_request', 50011, `The redirect URI '${uri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`),
  unsupportedResponseType: (type: string) => new AadError(400, 'unsupported_response_type', 700054, `response_type '${type}' is not enabled for the application.`),
  loginRequired: () => new AadError(400, 'login_required', 50058, "A silent sign-in request was sent but no user is signed in."),
  declined: () => new AadError(400, 'access_denied', 65004, 'User declined to consent to access the app.'),
  unknownUser: (name: string, tenant: string) => new AadError(400, 'invalid_grant', 50034, `The user account ${name} does not exist in the ${tenant} directory. To sign into this application, the account must be added to the directory.`),
  sessionExpired: () => new AadError(400, 'invalid_request', 9002313, 'Invalid request. Request is malformed or invalid. - The sign-in session expired or was already used; start the sign-in again.'),
  accountDisabled: () => new AadError(400, 'invalid_grant', 50057, 'The user account is disabled.'),
  spaSameOrigin: () =>
    new AadError(400, 'invalid_request', 9002327, "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests."),
  notAClient: (clientId: string) => new AadError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' cannot sign in users or request tokens: it is registered as a resource (API) only.`),
};
