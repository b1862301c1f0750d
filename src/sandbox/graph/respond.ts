/**
 * Graph's answers: the error envelope (`error.code`, `error.message`, `innerError` with the request
 * ids and date), JSON bodies, and `Retry-After` where Graph sends it.
 */
import type { SandboxContext } from '../context.js';

/** A Graph failure raised anywhere below a route; the route turns it into the envelope. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Fields beside `error` (an upload session's `nextExpectedRanges`). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Graph's `innerError.date`: ISO seconds, no zone letter. */
export const graphDate = (date = new Date()): string => date.toISOString().slice(0, 19);

/** Statuses whose answers carry `Retry-After`, as Graph and Exchange send them. */
export const RETRY_STATUSES = new Set([429, 503]);

export function graphErrorBody(c: SandboxContext, code: string, message: string): { error: Record<string, unknown> } {
  return {
    error: {
      code,
      message,
      innerError: { date: graphDate(), 'request-id': c.get('requestId'), 'client-request-id': c.get('clientRequestId') },
    },
  };
}

export function graphErrorResponse(c: SandboxContext, error: GraphError): Response {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...error.headers };
  if (RETRY_STATUSES.has(error.status) && !Object.keys(headers).some((name) => name.toLowerCase() === 'retry-after')) headers['Retry-After'] = '1';
  if (error.status === 401 && !Object.keys(headers).some((name) => name.toLowerCase() === 'www-authenticate')) {
    headers['WWW-Authenticate'] = `Bearer realm="", authorization_uri="${c.get('origin')}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`;
  }
  return new Response(JSON.stringify({ ...error.extra, ...graphErrorBody(c, error.code, error.message) }), { status: error.status, headers });
}

export function graphJson(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8', ...headers },
  });
}

export const graphEmpty = (status: number, headers: Record<string, string> = {}): Response => new Response(null, { status, headers });

export const graph = {
  notFoundSegment: (segment: string) => new GraphError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`),
  methodNotAllowed: () => new GraphError(405, 'Request_BadRequest', 'The requested resource does not support the HTTP method used.'),
  tokenEmpty: () => new GraphError(401, 'InvalidAuthenticationToken', 'Access token is empty.'),
  tokenMalformed: () => new GraphError(401, 'InvalidAuthenticationToken', 'IDX14100: JWT is not well formed, there are no dots (.).'),
  tokenExpired: () => new GraphError(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.'),
  tokenSignature: () => new GraphError(401, 'InvalidAuthenticationToken', 'Access token validation failure. Signature validation failed.'),
  tokenAudience: () => new GraphError(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.'),
  tokenIssuer: () => new GraphError(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid issuer.'),
  accessDenied: () => new GraphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.'),
  directoryDenied: () => new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'),
  meNeedsUser: () => new GraphError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.'),
  userNotFound: (id: string) => new GraphError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`),
  invalidUser: (id: string) => new GraphError(404, 'ErrorInvalidUser', `The requested user '${id}' is invalid.`),
  noMailbox: () => new GraphError(404, 'MailboxNotEnabledForRESTAPI', 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.'),
  itemNotFound: () => new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.'),
  sendAsDenied: () =>
    new GraphError(403, 'ErrorSendAsDenied', 'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.'),
  noRecipients: () => new GraphError(400, 'ErrorInvalidRecipients', 'At least one recipient is required, but none were found.'),
  notADraft: () => new GraphError(400, 'ErrorInvalidOperation', 'The operation is only valid on a draft: this message has already been sent.'),
  throttled: () => new GraphError(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', { 'Retry-After': '1' }),
  tooLarge: (limit: number) => new GraphError(413, 'RequestEntityTooLarge', `The maximum request length supported is ${Math.round(limit / 1024 / 1024)}MB.`),
  badJson: () => new GraphError(400, 'BadRequest', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.'),
  badFilter: (filter: string) => new GraphError(400, 'BadRequest', `Invalid filter clause: the sandbox supports only "<property> eq '<value>'" here, not '${filter}'.`),
};
