/**
 * The pure parts of the configuration test: permission needs and token claims, the sliding-window
 * limit, the generated attachment, the discovery URL and request parsing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  SlidingWindowLimiter,
  attachmentContent,
  discoveryUrlFor,
  missingPermissions,
  readTokenClaims,
  requiredPermissions,
} from '../../../../src/server/test-settings/index.js';
import { parseTestRequest, runTest, testSettingsFromEnv } from '../../../../src/server/test-settings/index.js';
import { generatedAttachment } from '../../../../src/server/test-settings/attachment.js';
import { hasPermission } from '../../../../src/server/test-settings/permissions.js';

const jwt = (payload: Record<string, unknown>) =>
  [Buffer.from('{"alg":"RS256","typ":"JWT"}').toString('base64url'), Buffer.from(JSON.stringify(payload)).toString('base64url'), 'c2lnbmF0dXJl'].join('.');

describe('required permissions', () => {
  it('delegated needs User.Read and Mail.Send, plus Mail.ReadWrite with drafts', () => {
    assert.deepEqual(requiredPermissions('delegated', { drafts: false }), ['User.Read', 'Mail.Send']);
    assert.deepEqual(requiredPermissions('delegated', { drafts: true }), ['User.Read', 'Mail.Send', 'Mail.ReadWrite']);
  });

  it('application needs Mail.Send and User.Read.All, plus Mail.ReadWrite with drafts', () => {
    assert.deepEqual(requiredPermissions('application', { drafts: false }), ['Mail.Send', 'User.Read.All']);
    assert.deepEqual(requiredPermissions('application', { drafts: true }), ['Mail.Send', 'Mail.ReadWrite', 'User.Read.All']);
  });

  it('compares case-insensitively and accepts wider directory permissions', () => {
    assert.deepEqual(missingPermissions(['mail.send', 'USER.READ'], ['User.Read', 'Mail.Send']), []);
    assert.equal(hasPermission(['Directory.Read.All'], 'User.Read.All'), true);
    assert.equal(hasPermission(['User.ReadWrite'], 'User.Read'), true);
    assert.equal(hasPermission(['Mail.ReadWrite'], 'Mail.Send'), false, 'Mail.ReadWrite does not include sending');
    assert.deepEqual(missingPermissions(['Mail.Send'], ['Mail.Send', 'Mail.ReadWrite', 'User.Read.All']), ['Mail.ReadWrite', 'User.Read.All']);
  });
});

describe('token claims', () => {
  it('reads scp as a space-separated list (delegated)', () => {
    const claims = readTokenClaims(jwt({ scp: 'Mail.Send User.Read openid', tid: 't', aud: 'https://graph.microsoft.com', exp: 2_000_000_000 }));
    assert.deepEqual(claims, { permissions: ['Mail.Send', 'User.Read', 'openid'], source: 'scp', tenantId: 't', audience: 'https://graph.microsoft.com', expiresAt: 2_000_000_000_000 });
  });

  it('reads roles (application)', () => {
    const claims = readTokenClaims(jwt({ roles: ['Mail.Send', 'User.Read.All'] }));
    assert.deepEqual(claims?.permissions, ['Mail.Send', 'User.Read.All']);
    assert.equal(claims?.source, 'roles');
  });

  it('says none for a token without either claim, and null for an opaque token', () => {
    assert.equal(readTokenClaims(jwt({ sub: 'x' }))?.source, 'none');
    assert.equal(readTokenClaims('EwBwA8l6BAAU...opaque'), null);
    assert.equal(readTokenClaims('a.%%%.c'), null);
    assert.equal(readTokenClaims(`a.${Buffer.from('[1,2]').toString('base64url')}.c`), null);
  });
});

describe('sliding window per admin', () => {
  it('allows the limit, refuses the next with the seconds until a slot frees, and frees it after a minute', () => {
    let now = 1_000_000;
    const limiter = new SlidingWindowLimiter(3, 60_000, () => now);
    for (let i = 0; i < 3; i += 1) {
      assert.deepEqual(limiter.take('alice'), { allowed: true });
      now += 10_000;
    }
    assert.deepEqual(limiter.take('alice'), { allowed: false, retryAfterSeconds: 30 });
    assert.deepEqual(limiter.take('bob'), { allowed: true }, 'another admin has a window of their own');
    now += 30_000;
    assert.deepEqual(limiter.take('alice'), { allowed: true });
    assert.deepEqual(limiter.take('alice'), { allowed: false, retryAfterSeconds: 10 });
  });
});

describe('generated attachment', () => {
  const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
  const drain = async (stream: Readable) => {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };

  it('has exactly the size asked for, the same content every time, and streams what the buffer holds', async () => {
    for (const size of [1, 79, 80, 65_536, 3 * 1024 * 1024 + 17]) {
      const content = attachmentContent(size);
      assert.equal(content.length, size);
      assert.equal(sha(attachmentContent(size)), sha(content));
      const streamed = await drain(generatedAttachment(size).stream);
      assert.equal(streamed.length, size);
      assert.equal(sha(streamed), sha(content));
    }
    assert.match(attachmentContent(200).toString('utf8'), /^This file was generated by the Graph mail settings test\./);
  });
});

describe('discovery URL', () => {
  it('keeps the token endpoint host and tenant segment', () => {
    assert.equal(
      discoveryUrlFor('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token', 'contoso.onmicrosoft.com'),
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration',
    );
    assert.equal(
      discoveryUrlFor('http://127.0.0.1:8788/cf438cdd-8b68-4ca3-a609-b82f9b4e3164/oauth2/v2.0/token', 'x'),
      'http://127.0.0.1:8788/cf438cdd-8b68-4ca3-a609-b82f9b4e3164/v2.0/.well-known/openid-configuration',
    );
  });

  it('falls back to the encoded tenant when the template has no /oauth2/ path', () => {
    assert.equal(discoveryUrlFor('https://login.microsoftonline.us/token', 'contoso.us'), 'https://login.microsoftonline.us/contoso.us/v2.0/.well-known/openid-configuration');
  });
});

describe('test request', () => {
  const paths = (input: unknown, cap = 1000) => {
    const result = parseTestRequest(input, cap);
    return result.ok ? [] : result.errors.map((error) => error.path);
  };

  it('accepts one address with optional subject, body and attachment size', () => {
    const result = parseTestRequest({ to: ' someone@contoso.com ', subject: 'Hi', body: 'Text', attachmentBytes: 10 }, 1000);
    assert.ok(result.ok);
    assert.equal(result.value.to, 'someone@contoso.com');
  });

  it('refuses several addresses, header injection, missing or over-long fields, and sizes over the cap', () => {
    assert.deepEqual(paths({}), ['to']);
    assert.deepEqual(paths({ to: 'a@contoso.com, b@contoso.com' }), ['to']);
    assert.deepEqual(paths({ to: 'a@contoso.com;b@contoso.com' }), ['to']);
    assert.deepEqual(paths({ to: 'a@contoso.com\r\nBcc: victim@example.com' }), ['to']);
    assert.deepEqual(paths({ to: ['a@contoso.com'] }), ['to']);
    assert.deepEqual(paths({ to: 'a@contoso.com', subject: 'Hi\r\nBcc: x@example.com' }), ['subject']);
    assert.deepEqual(paths({ to: 'a@contoso.com', subject: 'x'.repeat(256) }), ['subject']);
    assert.deepEqual(paths({ to: 'a@contoso.com', attachmentBytes: -1 }), ['attachmentBytes']);
    assert.deepEqual(paths({ to: 'a@contoso.com', attachmentBytes: 1.5 }), ['attachmentBytes']);
    assert.deepEqual(paths({ to: 'a@contoso.com', attachmentBytes: 1001 }), ['attachmentBytes']);
    assert.deepEqual(paths({ to: 'a@contoso.com', attachmentBytes: 1000 }), []);
  });
});

describe('settings from the environment', () => {
  it('reads GRAPH_MAIL_TEST_PER_MINUTE and the attachment cap, ignoring nonsense', () => {
    assert.deepEqual(testSettingsFromEnv({}), {});
    assert.deepEqual(testSettingsFromEnv({ GRAPH_MAIL_TEST_PER_MINUTE: '12', GRAPH_MAIL_TEST_MAX_ATTACHMENT_MB: '4' }), { testPerMinute: 12, maxAttachmentBytes: 4 * 1024 * 1024 });
    assert.deepEqual(testSettingsFromEnv({ GRAPH_MAIL_TEST_PER_MINUTE: '0' }), {});
    assert.deepEqual(testSettingsFromEnv({ GRAPH_MAIL_TEST_PER_MINUTE: 'lots' }), {});
  });
});

describe('a fault of the server itself', () => {
  it('fails the step as INTERNAL without its text, logs it, and skips the rest', async () => {
    const logged: Array<Record<string, unknown> | undefined> = [];
    const report = await runTest(
      {
        getConfigState: () => {
          throw new Error('database locked near SECRET-CANARY-77');
        },
        tokens: { getAccessToken: () => Promise.reject(new Error('not reached')) },
        sendAndWait: () => Promise.reject(new Error('not reached')),
        adminIdentity: () => 'admin',
        logger: { error: (_message, fields) => logged.push(fields) },
      },
      { to: 'someone@contoso.com' },
    );
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.steps.map((step) => [step.id, step.status]),
      [['config', 'failed'], ['tenant', 'skipped'], ['token', 'skipped'], ['permissions', 'skipped'], ['mailbox', 'skipped'], ['send', 'skipped']],
    );
    assert.equal(report.steps[0].error?.code, 'INTERNAL');
    assert.ok(!JSON.stringify(report).includes('SECRET-CANARY-77'));
    assert.equal(logged.length, 1);
    assert.equal(logged[0]?.step, 'config');
  });
});
