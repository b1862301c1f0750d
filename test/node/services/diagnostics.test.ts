import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  KNOWN_GRAPH_CODES,
  KNOWN_IDENTITY_CODES,
  explainGraphError,
  explainIdentityError,
  explainNetworkError,
  type Diagnosis,
  type DiagnosisCategory,
} from '../../../src/services/diagnostics.js';

const TRACE = '0f3b7c2a-5d1e-4b6f-9a8c-1e2d3c4b5a60';
const CORRELATION = '8e9f0a1b-2c3d-4e5f-a6b7-c8d9e0f1a2b3';
const TIMESTAMP = '2025-03-04 10:11:12Z';
/** Text that stands for the raw upstream description: it must never reach a diagnosis. */
const CANARY = 'UPSTREAM-CANARY-9c41';

/** An error body as the token endpoint sends it. */
function aadBody(code: number, error = 'invalid_request', fields = true) {
  return {
    error,
    error_description: `AADSTS${code}: ${CANARY} text of the identity platform for ${code}.\r\nTrace ID: ${TRACE}\r\nCorrelation ID: ${CORRELATION}\r\nTimestamp: ${TIMESTAMP}`,
    error_codes: [code],
    ...(fields ? { timestamp: TIMESTAMP, trace_id: TRACE, correlation_id: CORRELATION } : {}),
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  };
}

function graphBody(code: string, innerCode?: string) {
  return {
    error: {
      code,
      message: `${CANARY} Graph's own message for ${code}.`,
      innerError: {
        ...(innerCode ? { code: innerCode } : {}),
        date: '2025-03-04T10:11:12',
        'request-id': 'b1c2d3e4-0000-4000-8000-00000000000a',
        'client-request-id': 'b1c2d3e4-0000-4000-8000-00000000000b',
      },
    },
  };
}

const headers = (entries: Record<string, string>) => ({ get: (name: string) => entries[name.toLowerCase()] ?? null });

function assertMapped(diagnosis: Diagnosis) {
  for (const field of ['message', 'hint'] as const) {
    assert.ok(diagnosis[field].length > 20, `${diagnosis.code}: ${field} too short`);
    assert.doesNotMatch(diagnosis[field], new RegExp(CANARY), `${diagnosis.code}: ${field} copies the upstream text`);
  }
  assert.doesNotMatch(JSON.stringify(diagnosis), new RegExp(CANARY));
}

describe('explainIdentityError: the listed AADSTS codes', () => {
  const table: [number, string, DiagnosisCategory, RegExp, RegExp][] = [
    [7000215, 'invalid_client', 'credential', /Secret ID/, /Value/],
    [7000222, 'invalid_client', 'credential', /expired/, /new client secret/],
    [700016, 'unauthorized_client', 'tenant', /not found in this tenant/, /Overview page/],
    [90002, 'invalid_request', 'tenant', /tenant was not found/, /Domain/],
    [90112, 'invalid_request', 'tenant', /not a GUID/, /Application \(client\) ID/],
    [50011, 'invalid_request', 'redirect', /redirect URI/, /Web/],
    [65001, 'invalid_grant', 'consent', /consented/, /consent/],
    [90094, 'invalid_grant', 'consent', /administrator/, /Grant admin consent/],
    [65004, 'access_denied', 'consent', /declined/, /Accept/],
    [50194, 'invalid_request', 'tenant', /single tenant/, /Tenant ID/],
    [700082, 'invalid_grant', 'reconnect', /90 days/, /Connect/],
    [50173, 'invalid_grant', 'reconnect', /password/, /Connect/],
    [70043, 'invalid_grant', 'reconnect', /sign-in frequency/, /Connect/],
    [53003, 'access_denied', 'permission', /Conditional Access/, /correlation ID/],
    [900382, 'invalid_request', 'tenant', /national cloud/, /Domain/],
    [70008, 'invalid_grant', 'reconnect', /expired or was already used/, /Connect/],
    [501481, 'invalid_grant', 'reconnect', /PKCE/, /Connect/],
    [9002313, 'invalid_request', 'unknown', /malformed/, /correlation ID/],
    [7000218, 'invalid_client', 'credential', /no client secret/, /client secret/],
    [700027, 'invalid_client', 'credential', /certificate/, /Certificates & secrets/],
  ];
  for (const [code, error, category, message, hint] of table) {
    it(`AADSTS${code}: ${category}`, () => {
      const diagnosis = explainIdentityError(aadBody(code, error), 400);
      assert.equal(diagnosis.code, `AADSTS${code}`);
      assert.equal(diagnosis.category, category);
      assert.equal(diagnosis.retryable, false);
      assert.match(diagnosis.message, message);
      assert.match(diagnosis.hint, hint);
      assert.equal(diagnosis.requestId, TRACE);
      assert.equal(diagnosis.correlationId, CORRELATION);
      assert.equal(diagnosis.timestamp, TIMESTAMP);
      assert.equal(diagnosis.httpStatus, 400);
      assertMapped(diagnosis);
    });
  }

  it('knows every code of the table and more', () => {
    for (const [code] of table) assert.ok(KNOWN_IDENTITY_CODES.includes(code), String(code));
    assert.ok(KNOWN_IDENTITY_CODES.length > table.length);
  });

  it('explains every known code without copying the description', () => {
    for (const code of KNOWN_IDENTITY_CODES) {
      const diagnosis = explainIdentityError(aadBody(code), 400);
      assert.equal(diagnosis.code, `AADSTS${code}`);
      assertMapped(diagnosis);
    }
  });
});

describe('explainIdentityError: reading the body', () => {
  it('takes the ids from the description lines when the fields are absent', () => {
    const diagnosis = explainIdentityError(aadBody(7000215, 'invalid_client', false), 401);
    assert.equal(diagnosis.requestId, TRACE);
    assert.equal(diagnosis.correlationId, CORRELATION);
    assert.equal(diagnosis.timestamp, TIMESTAMP);
  });

  it('matches on the AADSTS prefix when error_codes is absent', () => {
    const { error_codes: _codes, ...body } = aadBody(7000222);
    assert.equal(explainIdentityError(body).code, 'AADSTS7000222');
  });

  it('reads a body that arrives as JSON text', () => {
    assert.equal(explainIdentityError(JSON.stringify(aadBody(700016)), 400).category, 'tenant');
  });

  it('passes over an unknown code for a known one', () => {
    const body = { ...aadBody(7000215), error_codes: [123456789, 7000215] };
    assert.equal(explainIdentityError(body).code, 'AADSTS7000215');
  });

  it('drops ids that do not look like ids', () => {
    const body = { ...aadBody(7000215), trace_id: '<img src=x onerror=alert(1)>', correlation_id: 'a b', timestamp: 'yesterday' };
    const diagnosis = explainIdentityError(body);
    // The description's lines still carry the real ones.
    assert.equal(diagnosis.requestId, TRACE);
    const bare = explainIdentityError({ error: 'invalid_client', trace_id: '<b>x</b>', correlation_id: CORRELATION });
    assert.equal(bare.requestId, undefined);
    assert.equal(bare.correlationId, CORRELATION);
    assert.equal('requestId' in bare, false, 'absent ids are left out, not set to undefined');
  });

  it('explains an unknown code generically, keeping the code and the ids', () => {
    const diagnosis = explainIdentityError(aadBody(1234567, 'invalid_grant'), 400);
    assert.equal(diagnosis.code, 'AADSTS1234567');
    assert.match(diagnosis.message, /AADSTS1234567/);
    assert.match(diagnosis.hint, /login\.microsoftonline\.com\/error\?code=1234567/);
    assert.equal(diagnosis.category, 'reconnect', 'the OAuth error still says what kind of failure it is');
    assert.equal(diagnosis.correlationId, CORRELATION);
    assertMapped(diagnosis);
  });

  it('falls back to the OAuth error, then to the HTTP status', () => {
    assert.equal(explainIdentityError({ error: 'invalid_grant' }, 400).category, 'reconnect');
    assert.equal(explainIdentityError({ error: 'invalid_grant' }, 400).code, 'invalid_grant');
    const down = explainIdentityError('<html>Service Unavailable</html>', 503);
    assert.equal(down.code, 'HTTP 503');
    assert.equal(down.retryable, true);
    assert.equal(down.category, 'network');
    assert.doesNotMatch(down.message + down.hint, /<html>/);
    const nothing = explainIdentityError(undefined);
    assert.equal(nothing.code, 'unknown');
    assert.equal(nothing.retryable, false);
  });

  it('refuses an OAuth error value that is not one', () => {
    assert.equal(explainIdentityError({ error: `<script>${CANARY}</script>` }, 400).code, 'HTTP 400');
  });

  it('uses the context to make hints exact', () => {
    const redirect = explainIdentityError(aadBody(50011), 400, { redirectUri: 'https://mail.contoso.com/api/mail/connect/callback' });
    assert.match(redirect.hint, /"https:\/\/mail\.contoso\.com\/api\/mail\/connect\/callback"/);
    const consentApp = explainIdentityError(aadBody(65001), 400, { mode: 'application', permissions: ['Mail.Send', 'Mail.ReadWrite'] });
    assert.match(consentApp.hint, /application permissions \(Mail\.Send, Mail\.ReadWrite\)/);
    assert.match(consentApp.hint, /Grant admin consent/);
    const consentUser = explainIdentityError(aadBody(65001), 400, { mode: 'delegated' });
    assert.match(consentUser.hint, /Connect again/);
  });
});

describe('explainGraphError', () => {
  const table: [string, number, DiagnosisCategory, boolean, RegExp][] = [
    ['ErrorAccessDenied', 403, 'permission', false, /Mail\.Send.*Mail\.ReadWrite/s],
    ['ErrorSendAsDenied', 403, 'permission', false, /send as/i],
    ['MailboxNotEnabledForRESTAPI', 404, 'mailbox', false, /Exchange Online/],
    ['InvalidAuthenticationToken', 401, 'credential', false, /token/],
    ['ApplicationThrottled', 429, 'throttle', true, /throttling/],
    ['TooManyRequests', 429, 'throttle', true, /throttling/],
    ['ErrorItemNotFound', 404, 'mailbox', false, /not found/],
    ['ErrorInvalidUser', 400, 'mailbox', false, /does not exist/],
    ['Request_ResourceNotFound', 404, 'mailbox', false, /does not exist/],
    ['Authorization_RequestDenied', 403, 'permission', false, /directory/],
    ['ErrorQuotaExceeded', 507, 'mailbox', false, /full/],
    ['ErrorMessageSizeExceeded', 413, 'mailbox', false, /larger/],
    ['ErrorExceededMessageLimit', 403, 'throttle', false, /sending limit/],
    ['ErrorExceededMaxRecipientLimit', 400, 'mailbox', false, /recipients/],
  ];
  for (const [code, status, category, retryable, message] of table) {
    it(`${code}: ${category}`, () => {
      const diagnosis = explainGraphError(
        graphBody(code),
        status,
        headers({ 'request-id': 'aaaaaaaa-1111-4222-8333-444444444444', 'client-request-id': 'cccccccc-1111-4222-8333-444444444444' }),
      );
      assert.equal(diagnosis.code, code);
      assert.equal(diagnosis.category, category);
      assert.equal(diagnosis.retryable, retryable);
      assert.match(diagnosis.message, message);
      assert.equal(diagnosis.requestId, 'aaaaaaaa-1111-4222-8333-444444444444', 'the header wins');
      assert.equal(diagnosis.correlationId, 'cccccccc-1111-4222-8333-444444444444');
      assert.equal(diagnosis.timestamp, '2025-03-04T10:11:12');
      assert.equal(diagnosis.httpStatus, status);
      assertMapped(diagnosis);
      assert.ok(KNOWN_GRAPH_CODES.includes(code));
    });
  }

  it('names the permissions to grant for ErrorAccessDenied', () => {
    const app = explainGraphError(graphBody('ErrorAccessDenied'), 403, undefined, { mode: 'application', permissions: ['Mail.Send'] });
    assert.match(app.hint, /Mail\.Send/);
    assert.match(app.hint, /admin consent/);
    assert.match(app.hint, /application access policy/);
  });

  it('takes the ids from innerError when the headers are missing', () => {
    const diagnosis = explainGraphError(graphBody('ErrorSendAsDenied'), 403);
    assert.equal(diagnosis.requestId, 'b1c2d3e4-0000-4000-8000-00000000000a');
    assert.equal(diagnosis.correlationId, 'b1c2d3e4-0000-4000-8000-00000000000b');
  });

  it('prefers a known inner code to the outer one', () => {
    const diagnosis = explainGraphError(graphBody('ErrorAccessDenied', 'MailboxNotEnabledForRESTAPI'), 403);
    assert.equal(diagnosis.code, 'MailboxNotEnabledForRESTAPI');
    assert.equal(diagnosis.category, 'mailbox');
    const unknownInner = explainGraphError(graphBody('ErrorSendAsDenied', 'SomethingElse'), 403);
    assert.equal(unknownInner.code, 'ErrorSendAsDenied');
  });

  it('reads Retry-After in seconds and as an HTTP date', () => {
    assert.equal(explainGraphError(graphBody('ApplicationThrottled'), 429, headers({ 'retry-after': '17' })).retryAfterSeconds, 17);
    const later = new Date(Date.now() + 120_000).toUTCString();
    const seconds = explainGraphError(graphBody('TooManyRequests'), 429, headers({ 'retry-after': later })).retryAfterSeconds ?? -1;
    assert.ok(seconds >= 115 && seconds <= 121, String(seconds));
    assert.equal(explainGraphError(graphBody('TooManyRequests'), 429, headers({ 'retry-after': 'soon' })).retryAfterSeconds, undefined);
  });

  it('explains by status when the code is unknown, keeping the code but not the message', () => {
    const diagnosis = explainGraphError(graphBody('ErrorSomethingNew'), 400, headers({ 'request-id': 'dddddddd-1111-4222-8333-444444444444' }));
    assert.equal(diagnosis.code, 'ErrorSomethingNew');
    assert.match(diagnosis.message, /ErrorSomethingNew/);
    assert.equal(diagnosis.retryable, false);
    assert.equal(diagnosis.requestId, 'dddddddd-1111-4222-8333-444444444444');
    assertMapped(diagnosis);
    const throttled = explainGraphError('', 429);
    assert.equal(throttled.category, 'throttle');
    assert.equal(throttled.retryable, true);
    assert.equal(throttled.code, 'HTTP 429');
    for (const status of [500, 502, 503, 504]) {
      const temporary = explainGraphError(`<html>${CANARY}</html>`, status);
      assert.equal(temporary.retryable, true, String(status));
      assertMapped(temporary);
    }
    assert.equal(explainGraphError({ error: { code: 'ErrorServerBusy' } }, 503).retryable, true);
  });

  it('does not carry a code or id that is not shaped like one', () => {
    const diagnosis = explainGraphError({ error: { code: `<b>${CANARY}</b>`, innerError: { 'request-id': 'x y' } } }, 400);
    assert.equal(diagnosis.code, 'HTTP 400');
    assert.equal(diagnosis.requestId, undefined);
    assertMapped(diagnosis);
  });
});

describe('explainNetworkError', () => {
  const withCause = (code: string, message = `${CANARY} connect failure`) =>
    new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });

  it('explains DNS failures', () => {
    const diagnosis = explainNetworkError(withCause('ENOTFOUND', `getaddrinfo ENOTFOUND graph.microsoft.com ${CANARY}`));
    assert.equal(diagnosis.code, 'ENOTFOUND');
    assert.equal(diagnosis.category, 'network');
    assert.equal(diagnosis.retryable, true);
    assert.match(diagnosis.message, /DNS/);
    assertMapped(diagnosis);
  });

  it('explains refused and reset connections as retryable', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET']) {
      const diagnosis = explainNetworkError(withCause(code));
      assert.equal(diagnosis.code, code);
      assert.equal(diagnosis.retryable, true);
      assertMapped(diagnosis);
    }
  });

  it('explains time-outs', () => {
    const timeout = explainNetworkError(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    assert.equal(timeout.code, 'TIMEOUT');
    assert.equal(timeout.retryable, true);
    assert.equal(explainNetworkError(withCause('UND_ERR_CONNECT_TIMEOUT')).code, 'UND_ERR_CONNECT_TIMEOUT');
  });

  it('explains TLS interception as not retryable, with the fix', () => {
    const diagnosis = explainNetworkError(withCause('SELF_SIGNED_CERT_IN_CHAIN'));
    assert.equal(diagnosis.retryable, false);
    assert.match(diagnosis.hint, /NODE_EXTRA_CA_CERTS/);
  });

  it('explains a refused redirect', () => {
    const diagnosis = explainNetworkError(new TypeError('fetch failed', { cause: new Error('unexpected redirect') }));
    assert.equal(diagnosis.code, 'REDIRECT');
    assert.equal(diagnosis.retryable, false);
  });

  it('still says something useful about anything else', () => {
    for (const error of [new Error(CANARY), CANARY, null, undefined, { code: 'not a code' }]) {
      const diagnosis = explainNetworkError(error);
      assert.equal(diagnosis.code, 'NETWORK');
      assert.equal(diagnosis.category, 'network');
      assertMapped(diagnosis);
    }
  });
});
