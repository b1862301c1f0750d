/**
 * The sandbox's Graph over a real socket: users, sendMail, drafts with and without immutable ids and
 * the send lag, attachments, upload sessions, token and permission checks, per-mailbox concurrency,
 * and Graph's error envelope.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { startSandbox, type SandboxProcess } from '../helpers/mail-sandbox.js';
import { appToken, call, claimsOf, delegatedToken, ids, jsonInit, pkce, sha256, signIn, startWithSeed, token, type Answer } from './helpers.js';

type GraphErrorBody = { error: { code: string; message: string; innerError: Record<string, string> } };

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Asserts Graph's error envelope and returns its code. */
function graphCode(answer: Answer<unknown>): string {
  const body = answer.json as GraphErrorBody;
  assert.ok(body?.error?.code, `not a Graph error: ${answer.text}`);
  assert.equal(typeof body.error.message, 'string');
  assert.equal(body.error.innerError['request-id'], answer.headers.get('request-id'));
  assert.ok(body.error.innerError['client-request-id']);
  assert.match(body.error.innerError.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  return body.error.code;
}

const message = (to: string, subject: string, extra: Record<string, unknown> = {}) => ({
  subject,
  body: { contentType: 'Text', content: 'Hello' },
  toRecipients: [{ emailAddress: { address: to } }],
  ...extra,
});

describe('sandbox Graph', { timeout: 120_000 }, () => {
  let sandbox: SandboxProcess;
  let app: string;
  let adele: { id: string; upn: string };
  let alex: string;
  const v1 = (path: string) => `${sandbox.origin}/v1.0${path}`;

  before(async () => {
    sandbox = await startSandbox();
    const [first, second] = sandbox.seed.users;
    adele = { id: first.id, upn: first.userPrincipalName };
    alex = second.mail;
  });
  after(async () => {
    await sandbox?.stop();
  });
  beforeEach(async () => {
    await sandbox.control.reset();
    app = await appToken(sandbox);
  });

  const draft = async (extra: Record<string, unknown> = {}, headers: Record<string, string> = { prefer: 'IdType="ImmutableId"' }) => {
    const answer = await call(v1(`/users/${adele.id}/messages`), jsonInit('POST', app, message(alex, `Draft ${randomUUID()}`, extra), headers));
    assert.equal(answer.status, 201, answer.text);
    return answer;
  };

  describe('users', () => {
    it('answers /me for a user token, and refuses it for an app token', async () => {
      const user = await delegatedToken(sandbox, adele.upn);
      const me = await call(v1('/me'), jsonInit('GET', user.access_token));
      assert.equal(me.status, 200);
      assert.equal(me.json.userPrincipalName, adele.upn);
      assert.equal(me.json.id, adele.id);
      assert.ok(me.headers.get('request-id'));
      const asApp = await call(v1('/me'), jsonInit('GET', app));
      assert.equal(asApp.status, 400);
      assert.equal(graphCode(asApp), 'BadRequest');
    });

    it('finds users by id or UPN, guests by their percent-encoded #EXT# UPN', async () => {
      const byUpn = await call(v1(`/users/${encodeURIComponent(adele.upn)}`), jsonInit('GET', app));
      assert.equal(byUpn.json.id, adele.id);
      assert.equal((await call(v1(`/users/${adele.id}?$select=mail`), jsonInit('GET', app))).json.mail, adele.upn);
      const guest = sandbox.seed.users.find((user) => user.kind === 'guest')!;
      const found = await call(v1(`/users/${encodeURIComponent(guest.userPrincipalName)}`), jsonInit('GET', app));
      assert.equal(found.status, 200, found.text);
      assert.equal(found.json.id, guest.id);
      const ledger = await sandbox.control.requests();
      assert.ok(ledger.some((entry) => entry.path.includes('%23EXT%23')), 'the ledger keeps the path as received');
      // Unencoded, `#` starts the fragment and never reaches the server.
      const cut = await call(v1(`/users/${guest.userPrincipalName}`), jsonInit('GET', app));
      assert.equal(cut.status, 404);
      assert.equal(graphCode(cut), 'Request_ResourceNotFound');
    });

    it('filters /users by userPrincipalName, and reads a $ segment as a system segment', async () => {
      const list = await call<{ value: Array<{ id: string }> }>(v1(`/users?$filter=${encodeURIComponent(`userPrincipalName eq '${adele.upn}'`)}`), jsonInit('GET', app));
      assert.deepEqual(list.json.value.map((user) => user.id), [adele.id]);
      const dollar = await call(v1('/users/$adele@contoso.onmicrosoft.com'), jsonInit('GET', app));
      assert.equal(dollar.status, 400);
      assert.equal(graphCode(dollar), 'BadRequest');
    });

    it('answers an unknown user with the envelope and echoes client-request-id', async () => {
      const clientRequestId = randomUUID();
      const answer = await call(v1(`/users/${randomUUID()}`), jsonInit('GET', app, undefined, { 'client-request-id': clientRequestId }));
      assert.equal(answer.status, 404);
      assert.equal(graphCode(answer), 'Request_ResourceNotFound');
      assert.equal(answer.headers.get('client-request-id'), clientRequestId);
      assert.equal((answer.json as GraphErrorBody).error.innerError['client-request-id'], clientRequestId);
    });
  });

  describe('tokens', () => {
    it('answers 401 InvalidAuthenticationToken without a token, with a malformed one, an expired one or one of another signer', async () => {
      const none = await call(v1('/users'), jsonInit('GET', null));
      assert.equal(none.status, 401);
      assert.equal(graphCode(none), 'InvalidAuthenticationToken');
      assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer /);
      assert.equal(graphCode(await call(v1('/users'), jsonInit('GET', 'not-a-jwt'))), 'InvalidAuthenticationToken');

      await sandbox.control.settings({ tokenLifetimeS: 0 });
      const expired = await call(v1('/users'), jsonInit('GET', await appToken(sandbox)));
      assert.equal(expired.status, 401);
      assert.match((expired.json as GraphErrorBody).error.message, /expired/);
      await sandbox.control.settings({ tokenLifetimeS: 3600 });

      const other = await startSandbox();
      try {
        const foreign = await appToken(other);
        const answer = await call(v1('/users'), jsonInit('GET', foreign));
        assert.equal(answer.status, 401);
        assert.equal(graphCode(answer), 'InvalidAuthenticationToken');
      } finally {
        await other.stop();
      }
    });

    it('refuses a token for another audience (the admin API)', async () => {
      const spa = sandbox.seed.apps.find((entry) => (entry as { kind?: string }).kind === 'spa')!;
      const { verifier, challenge } = pkce();
      const { location } = await signIn(sandbox, adele.upn, { clientId: spa.clientId, redirectUri: 'http://localhost/', scope: 'api://debcc735-0589-4dd5-b17c-54877809e421/access_as_admin', challenge });
      const answer = await token(sandbox, { grant_type: 'authorization_code', client_id: spa.clientId, code: location.searchParams.get('code')!, redirect_uri: 'http://localhost/', code_verifier: verifier }, undefined, 'http://localhost:5173');
      const api = await call(v1('/me'), jsonInit('GET', answer.json.access_token));
      assert.equal(api.status, 401);
      assert.match((api.json as GraphErrorBody).error.message, /audience/i);
    });
  });

  describe('permissions', () => {
    it('checks the sender before the recipients: a delegate without Send As gets ErrorSendAsDenied, one with it only the missing recipients', async () => {
      const user = await delegatedToken(sandbox, adele.upn, 'offline_access Mail.Send');
      const users = sandbox.seed.users as Array<{ mail: string; kind: string; sendAs?: string[] }>;
      const granted = users[0]!.sendAs![0]!;
      const refused = users.find((entry) => entry.kind === 'shared' && !users.some((other) => other.sendAs?.includes(entry.mail)))!.mail;
      const noRecipients = (from: string) => ({ message: { subject: 'Send As check', from: { emailAddress: { address: from } }, toRecipients: [] }, saveToSentItems: false });
      const allowed = await call(v1('/me/sendMail'), jsonInit('POST', user.access_token, noRecipients(granted)));
      assert.equal(allowed.status, 400);
      assert.equal(graphCode(allowed), 'ErrorInvalidRecipients');
      const denied = await call(v1('/me/sendMail'), jsonInit('POST', user.access_token, noRecipients(refused)));
      assert.equal(denied.status, 403);
      assert.equal(graphCode(denied), 'ErrorSendAsDenied');
      assert.deepEqual([...(await sandbox.control.mailbox(granted)), ...(await sandbox.control.mailbox(refused))], [], 'nothing delivered');
    });

    it('checks delegated scopes: Mail.Send alone sends, but reads no profile and makes no draft', async () => {
      const user = await delegatedToken(sandbox, adele.upn, 'offline_access Mail.Send');
      assert.equal(claimsOf(user.access_token).scp, 'Mail.Send');
      const me = await call(v1('/me'), jsonInit('GET', user.access_token));
      assert.equal(me.status, 403);
      assert.equal(graphCode(me), 'Authorization_RequestDenied');
      const create = await call(v1('/me/messages'), jsonInit('POST', user.access_token, message(alex, 'x')));
      assert.equal(create.status, 403);
      assert.equal(graphCode(create), 'ErrorAccessDenied');
      const send = await call(v1('/me/sendMail'), jsonInit('POST', user.access_token, { message: message(alex, 'Delegated sendMail') }));
      assert.equal(send.status, 202, send.text);
      const [delivered] = await sandbox.control.mailbox(alex);
      assert.equal(delivered.from, adele.upn);
      assert.equal(delivered.subject, 'Delegated sendMail');
    });
  });

  describe('sendMail', () => {
    it('delivers at once (202) with attachments, and honours saveToSentItems', async () => {
      const bytes = randomBytes(5000);
      const body = {
        message: message(alex, 'Not saved', {
          ccRecipients: [{ emailAddress: { address: 'cc@example.com' } }],
          bccRecipients: [{ emailAddress: { address: 'bcc@example.com' } }],
          attachments: [{ '@odata.type': '#microsoft.graph.fileAttachment', name: 'a.bin', contentType: 'application/octet-stream', contentBytes: bytes.toString('base64') }],
        }),
        saveToSentItems: false,
      };
      const answer = await call(v1(`/users/${adele.id}/sendMail`), jsonInit('POST', app, body));
      assert.equal(answer.status, 202, answer.text);
      assert.equal(answer.text, '');
      const [delivered] = await sandbox.control.mailbox(alex);
      assert.deepEqual([delivered.from, delivered.to, delivered.cc, delivered.bcc, delivered.saveToSentItems], [adele.upn, [alex], ['cc@example.com'], ['bcc@example.com'], false]);
      assert.deepEqual(delivered.attachments.map(({ name, size, sha256: hash }) => ({ name, size, hash })), [{ name: 'a.bin', size: 5000, hash: sha256(bytes) }]);
      assert.deepEqual(await sandbox.control.mailbox('bcc@example.com'), [delivered]);
      const sent = async () => (await call<{ value: unknown[] }>(v1(`/users/${adele.id}/mailFolders/sentitems/messages`), jsonInit('GET', app))).json.value.length;
      assert.equal(await sent(), 0);
      assert.equal((await call(v1(`/users/${adele.id}/sendMail`), jsonInit('POST', app, { message: message(alex, 'Saved') }))).status, 202);
      assert.equal(await sent(), 1);
    });

    it('checks the sender: Send As granted or refused, mailboxes that cannot send, recipients', async () => {
      const info = sandbox.seed.users.find((user) => user.kind === 'shared')!;
      const asInfo = await call(v1(`/users/${adele.id}/sendMail`), jsonInit('POST', app, { message: message(alex, 'As info', { from: { emailAddress: { address: info.mail } } }) }));
      assert.equal(asInfo.status, 202, asInfo.text);
      assert.equal((await sandbox.control.mailbox(alex))[0].from, info.mail);
      const asAlex = await call(v1(`/users/${adele.id}/sendMail`), jsonInit('POST', app, { message: message(alex, 'As Alex', { from: { emailAddress: { address: alex } } }) }));
      assert.equal(asAlex.status, 403);
      assert.equal(graphCode(asAlex), 'ErrorSendAsDenied');
      for (const kind of ['no-mailbox', 'guest']) {
        const user = sandbox.seed.users.find((entry) => entry.kind === kind)!;
        const answer = await call(v1(`/users/${user.id}/sendMail`), jsonInit('POST', app, { message: message(alex, kind) }));
        assert.equal(answer.status, 404);
        assert.equal(graphCode(answer), 'MailboxNotEnabledForRESTAPI');
      }
      assert.equal(graphCode(await call(v1(`/users/nobody@contoso.onmicrosoft.com/sendMail`), jsonInit('POST', app, { message: message(alex, 'x') }))), 'ErrorInvalidUser');
      const none = await call(v1(`/users/${adele.id}/sendMail`), jsonInit('POST', app, { message: { subject: 'nobody' } }));
      assert.equal(none.status, 400);
      assert.equal(graphCode(none), 'ErrorInvalidRecipients');
    });
  });

  describe('drafts', () => {
    const get = (id: string) => call(v1(`/users/${adele.id}/messages/${encodeURIComponent(id)}?$select=id,isDraft,parentFolderId,subject`), jsonInit('GET', app));
    const until = async (check: () => Promise<boolean>) => {
      for (let i = 0; i < 200 && !(await check()); i += 1) await sleep(50);
    };

    it('keeps an immutable id through the send lag and the move to Sent Items', async () => {
      await sandbox.control.settings({ sendLagMs: 1500 });
      const created = await draft();
      assert.equal(created.headers.get('preference-applied'), 'IdType="ImmutableId"');
      const id = String(created.json.id);
      assert.equal(created.json.isDraft, true);
      const draftFolder = created.json.parentFolderId;
      const bytes = randomBytes(1000);
      const attachment = await call(
        v1(`/users/${adele.id}/messages/${encodeURIComponent(id)}/attachments`),
        jsonInit('POST', app, { '@odata.type': '#microsoft.graph.fileAttachment', name: 'small.bin', contentBytes: bytes.toString('base64') }),
      );
      assert.equal(attachment.status, 201, attachment.text);
      const list = await call<{ value: Array<Record<string, unknown>> }>(v1(`/users/${adele.id}/messages/${encodeURIComponent(id)}/attachments?$select=name,size`), jsonInit('GET', app));
      assert.deepEqual(list.json.value.map(({ name, size }) => [name, size]), [['small.bin', 1000]]);

      const send = await call(v1(`/users/${adele.id}/messages/${encodeURIComponent(id)}/send`), jsonInit('POST', app));
      assert.equal(send.status, 202);
      const [delivered] = await sandbox.control.mailbox(alex);
      assert.equal(delivered.subject, created.json.subject, 'delivered on submission');
      assert.equal(delivered.attachments[0].sha256, sha256(bytes));
      const during = await get(id);
      assert.equal(during.json.isDraft, true, 'still a draft during the lag');
      assert.equal(during.json.parentFolderId, draftFolder);

      await until(async () => (await get(id)).json.isDraft === false);
      const moved = await get(id);
      assert.equal(moved.status, 200);
      assert.equal(moved.json.id, id);
      assert.equal(moved.json.isDraft, false);
      assert.notEqual(moved.json.parentFolderId, draftFolder);
      const again = await call(v1(`/users/${adele.id}/messages/${encodeURIComponent(id)}/send`), jsonInit('POST', app));
      assert.equal(again.status, 400);
      assert.equal((await sandbox.control.mailbox(alex)).length, 1);
    });

    it('gives a message a new id in Sent Items without the immutable-id preference', async () => {
      await sandbox.control.settings({ sendLagMs: 100 });
      const created = await draft({}, {});
      assert.equal(created.headers.get('preference-applied'), null);
      const id = String(created.json.id);
      assert.equal((await call(v1(`/users/${adele.id}/messages/${encodeURIComponent(id)}/send`), jsonInit('POST', app))).status, 202);
      await until(async () => (await get(id)).status === 404);
      const gone = await get(id);
      assert.equal(graphCode(gone), 'ErrorItemNotFound');
      const filter = encodeURIComponent(`internetMessageId eq '${created.json.internetMessageId}'`);
      const found = await call<{ value: Array<Record<string, unknown>> }>(v1(`/users/${adele.id}/messages?$filter=${filter}`), jsonInit('GET', app));
      assert.equal(found.json.value.length, 1);
      assert.notEqual(found.json.value[0].id, id);
      assert.equal(found.json.value[0].isDraft, false);
    });

    it('deletes a draft, and refuses inline attachments of 3 MB', async () => {
      const id = String((await draft()).json.id);
      const big = await call(
        v1(`/users/${adele.id}/messages/${encodeURIComponent(id)}/attachments`),
        jsonInit('POST', app, { '@odata.type': '#microsoft.graph.fileAttachment', name: 'big.bin', contentBytes: Buffer.alloc(3 * 1024 * 1024).toString('base64') }),
      );
      assert.equal(big.status, 413);
      assert.equal((await call(v1(`/users/${adele.id}/messages/${encodeURIComponent(id)}`), jsonInit('DELETE', app))).status, 204);
      assert.equal((await get(id)).status, 404);
    });
  });

  describe('upload sessions', () => {
    const SIZE = 5 * 1024 * 1024 + 123;
    const CHUNK = 3 * 1024 * 1024;
    const session = async (id: string, size = SIZE) =>
      call(
        v1(`/users/${adele.id}/messages/${encodeURIComponent(id)}/attachments/createUploadSession`),
        jsonInit('POST', app, { AttachmentItem: { attachmentType: 'file', name: 'large.bin', size, contentType: 'application/octet-stream' } }),
      );
    const put = (url: string, bytes: Buffer, start: number, headers: Record<string, string> = {}) =>
      call(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'content-range': `bytes ${start}-${start + bytes.length - 1}/${SIZE}`, ...headers }, body: new Uint8Array(bytes) });

    it('refuses a session under 3 MB', async () => {
      const answer = await session(String((await draft()).json.id), 3 * 1024 * 1024 - 1);
      assert.equal(answer.status, 400);
      assert.equal(graphCode(answer), 'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize');
    });

    it('takes in-order chunks under 4 MB without Authorization, and completes with 201 and Location', async () => {
      const id = String((await draft()).json.id);
      const created = await session(id);
      assert.equal(created.status, 201, created.text);
      const uploadUrl = String(created.json.uploadUrl);
      assert.equal(new URL(uploadUrl).origin, sandbox.origin);
      assert.ok(!uploadUrl.includes('/v1.0/'), 'an opaque URL of its own');
      assert.deepEqual(created.json.nextExpectedRanges, ['0-']);
      assert.ok(Date.parse(String(created.json.expirationDateTime)) > Date.now());
      const file = randomBytes(SIZE);
      const first = file.subarray(0, CHUNK);

      const withAuth = await put(uploadUrl, first, 0, { authorization: `Bearer ${app}` });
      assert.equal(withAuth.status, 401);
      const wrongToken = await put(uploadUrl.replace(/authtoken=[^&]+/, 'authtoken=forged'), first, 0);
      assert.equal(wrongToken.status, 401);
      const outOfOrder = await put(uploadUrl, file.subarray(CHUNK), CHUNK);
      assert.equal(outOfOrder.status, 416);
      assert.deepEqual(outOfOrder.json.nextExpectedRanges, ['0-'], 'nothing was taken from the refused requests');
      const tooBig = await put(uploadUrl, file.subarray(0, 4 * 1024 * 1024), 0);
      assert.equal(tooBig.status, 413);
      const badRange = await call(uploadUrl, { method: 'PUT', headers: { 'content-range': 'bytes=0-9' }, body: new Uint8Array(file.subarray(0, 10)) });
      assert.equal(badRange.status, 400);

      const one = await put(uploadUrl, first, 0);
      assert.equal(one.status, 200, one.text);
      assert.deepEqual(one.json.nextExpectedRanges, [`${CHUNK}-`]);
      const repeated = await put(uploadUrl, first, 0);
      assert.equal(repeated.status, 416);
      assert.deepEqual(repeated.json.nextExpectedRanges, [`${CHUNK}-`]);
      const last = await put(uploadUrl, file.subarray(CHUNK), CHUNK);
      assert.equal(last.status, 201, last.text);
      assert.ok(last.headers.get('location'));
      assert.equal((await put(uploadUrl, file.subarray(CHUNK), CHUNK)).status, 404, 'the session is done');

      assert.equal((await call(v1(`/users/${adele.id}/messages/${encodeURIComponent(id)}/send`), jsonInit('POST', app))).status, 202);
      const [delivered] = await sandbox.control.mailbox(alex);
      assert.deepEqual(delivered.attachments.map((item) => [item.name, item.size, item.sha256]), [['large.bin', SIZE, sha256(file)]]);

      const puts = (await sandbox.control.requests()).filter((entry) => entry.method === 'PUT');
      assert.equal(puts.length, 9);
      assert.equal(puts.filter((entry) => entry.headers.includes('authorization')).length, 1);
      assert.ok(puts.every((entry) => (entry.query as Record<string, string>).authtoken === '[redacted]'));
    });

    it('expires a session', async () => {
      await sandbox.control.settings({ uploadSessionLifetimeS: 0 });
      const created = await session(String((await draft()).json.id));
      const answer = await put(String(created.json.uploadUrl), randomBytes(1000), 0);
      assert.equal(answer.status, 404);
    });
  });

  it('throttles a mailbox past its concurrency with 429 ApplicationThrottled and Retry-After', async () => {
    await sandbox.control.settings({ graphLatencyMs: 1500 });
    const answers = await Promise.all(Array.from({ length: 6 }, () => call(v1(`/users/${adele.id}/messages`), jsonInit('GET', app))));
    const throttled = answers.filter((answer) => answer.status === 429);
    assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, 200, 200, 200, 429, 429]);
    for (const answer of throttled) {
      assert.equal(graphCode(answer), 'ApplicationThrottled');
      assert.ok(Number(answer.headers.get('retry-after')) >= 1);
    }
    // Another mailbox has slots of its own.
    await sandbox.control.settings({ graphLatencyMs: 0, mailboxConcurrency: 1 });
    const other = sandbox.seed.users[1].id;
    assert.equal((await call(v1(`/users/${other}/messages`), jsonInit('GET', app))).status, 200);
  });

  it('answers an unknown path with BadRequest', async () => {
    const answer = await call(v1(`/users/${adele.id}/calendar`), jsonInit('GET', app));
    assert.equal(answer.status, 400);
    assert.equal(graphCode(answer), 'BadRequest');
  });
});

describe('sandbox Graph with a custom seed', { timeout: 60_000 }, () => {
  let sandbox: Awaited<ReturnType<typeof startWithSeed>>;
  const dollar = '$service@contoso.onmicrosoft.com';
  const sendOnly = { clientId: randomUUID(), secret: 'send-only-secret' };

  before(async () => {
    sandbox = await startWithSeed((seed) => {
      const tenantId = seed.tenants[0].id;
      seed.users.push({ id: randomUUID(), tenantId, userPrincipalName: dollar, mail: dollar, displayName: 'Service', kind: 'member' });
      seed.apps.push({
        tenantId,
        clientId: sendOnly.clientId,
        displayName: 'Send only',
        secrets: [{ id: randomUUID(), value: sendOnly.secret, expiresAt: '2099-01-01T00:00:00Z' }],
        redirectUris: [],
        delegatedPermissions: [],
        applicationPermissions: ['Mail.Send'],
      });
    });
  });
  after(async () => {
    await sandbox?.cleanup();
  });

  it('resolves a $-prefixed UPN through $filter', async () => {
    const app = await appToken(sandbox);
    const filter = encodeURIComponent(`userPrincipalName eq '${dollar}'`);
    const answer = await call<{ value: Array<{ userPrincipalName: string }> }>(`${sandbox.origin}/v1.0/users?$filter=${filter}`, jsonInit('GET', app));
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json.value.map((user) => user.userPrincipalName), [dollar]);
  });

  it('refuses lookups without User.Read.All and drafts without Mail.ReadWrite, but sends with Mail.Send', async () => {
    const app = await appToken(sandbox, sendOnly.clientId, sendOnly.secret);
    const { tenantId } = ids(sandbox);
    const adele = sandbox.seed.users[0];
    const lookup = await call(`${sandbox.origin}/v1.0/users/${encodeURIComponent(adele.userPrincipalName)}`, jsonInit('GET', app));
    assert.equal(lookup.status, 403);
    assert.equal(graphCode(lookup), 'Authorization_RequestDenied');
    const create = await call(`${sandbox.origin}/v1.0/users/${adele.id}/messages`, jsonInit('POST', app, message('x@example.com', 'x')));
    assert.equal(create.status, 403);
    assert.equal(graphCode(create), 'ErrorAccessDenied');
    const send = await call(`${sandbox.origin}/v1.0/users/${adele.id}/sendMail`, jsonInit('POST', app, { message: message('x@example.com', `To ${tenantId}`) }));
    assert.equal(send.status, 202);
  });
});
