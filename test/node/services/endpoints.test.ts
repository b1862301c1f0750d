import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ENDPOINT_NAMES, type CloudId, type EndpointTemplates } from '../../../src/services/contract.js';
import {
  CLOUD_PRESETS,
  ENDPOINT_LABELS_EN,
  ENDPOINT_MESSAGES_EN,
  NATIONAL_CLOUD_IDS,
  PLACEHOLDERS,
  TEMPLATE_RULES,
  TemplateExpansionError,
  checkUrl,
  cloudOfEndpoints,
  defaultEndpoints,
  encodePathSegment,
  expandTemplate,
  formatMessage,
  hostsFor,
  parseTemplate,
  resolveEndpoint,
  sandboxPreset,
  userLookup,
  validateEndpoints,
  type EndpointIssue,
} from '../../../src/services/endpoints.js';

const SANDBOX = 'http://127.0.0.1:8788';
const global = defaultEndpoints('global');
const with_ = (changes: Partial<EndpointTemplates>, base: EndpointTemplates = global): EndpointTemplates => ({ ...base, ...changes });
const keysOf = (issues: EndpointIssue[], name?: string) => issues.filter((issue) => !name || issue.name === name).map((issue) => issue.key);
const values = {
  TenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  UserPrincipalName: 'mail@contoso.com',
  UserPrincipalId: '5f1b9c2e-0000-4000-8000-000000000001',
  DraftMessageId: 'AAMkAGI2=',
};

describe('cloud presets', () => {
  it('lists the four national clouds with their hosts and English labels', () => {
    assert.deepEqual(CLOUD_PRESETS.global, {
      id: 'global',
      label: 'Global',
      loginHost: 'login.microsoftonline.com',
      graphHost: 'graph.microsoft.com',
      uploadHosts: ['outlook.office.com', 'outlook.office365.com'],
    });
    assert.deepEqual(
      [CLOUD_PRESETS.usgov.label, CLOUD_PRESETS.usgov.loginHost, CLOUD_PRESETS.usgov.graphHost, CLOUD_PRESETS.usgov.uploadHosts],
      ['US Government (GCC High)', 'login.microsoftonline.us', 'graph.microsoft.us', ['outlook.office365.us']],
    );
    assert.deepEqual(
      [CLOUD_PRESETS['usgov-dod'].label, CLOUD_PRESETS['usgov-dod'].loginHost, CLOUD_PRESETS['usgov-dod'].graphHost, CLOUD_PRESETS['usgov-dod'].uploadHosts],
      ['US Government (DoD)', 'login.microsoftonline.us', 'dod-graph.microsoft.us', ['outlook-dod.office365.us']],
    );
    assert.deepEqual(
      [CLOUD_PRESETS.china.label, CLOUD_PRESETS.china.loginHost, CLOUD_PRESETS.china.graphHost, CLOUD_PRESETS.china.uploadHosts],
      ['China (21Vianet)', 'login.chinacloudapi.cn', 'microsoftgraph.chinacloudapi.cn', ['partner.outlook.cn']],
    );
    assert.deepEqual(NATIONAL_CLOUD_IDS, ['global', 'usgov', 'usgov-dod', 'china']);
  });

  it('makes the sandbox preset from an exact loopback origin', () => {
    const preset = sandboxPreset('http://127.0.0.1:8788/');
    assert.equal(preset.id, 'sandbox');
    assert.equal(preset.origin, SANDBOX);
    assert.equal(preset.loginHost, '127.0.0.1:8788');
    assert.equal(preset.graphHost, '127.0.0.1:8788');
    assert.deepEqual(preset.uploadHosts, ['127.0.0.1:8788']);
    assert.equal(sandboxPreset('https://localhost:8789').origin, 'https://localhost:8789');
  });

  it('refuses a sandbox origin that is not exactly a loopback origin with a port', () => {
    for (const origin of ['http://127.0.0.1', 'http://evil.test:8788', 'ftp://127.0.0.1:8788', 'http://127.0.0.1:8788/v1.0', 'http://user@127.0.0.1:8788', 'nonsense']) {
      assert.throws(() => sandboxPreset(origin), /Sandbox origin/, origin);
    }
  });

  it('gives the server the allowed origins per purpose', () => {
    assert.deepEqual(hostsFor('global'), {
      login: ['https://login.microsoftonline.com'],
      graph: ['https://graph.microsoft.com'],
      upload: ['https://outlook.office.com', 'https://outlook.office365.com'],
    });
    assert.deepEqual(hostsFor('sandbox', SANDBOX), { login: [SANDBOX], graph: [SANDBOX], upload: [SANDBOX] });
    assert.deepEqual(hostsFor('sandbox'), { login: [], graph: [], upload: [] });
  });
});

describe('default templates', () => {
  it('are exactly the design table for global', () => {
    assert.deepEqual(global, {
      tokenEndpoint: 'https://login.microsoftonline.com/{TenantId}/oauth2/v2.0/token',
      authorizeEndpoint: 'https://login.microsoftonline.com/{TenantId}/oauth2/v2.0/authorize',
      defaultScope: 'https://graph.microsoft.com/.default',
      graphEndpoint: 'https://graph.microsoft.com/v1.0',
      userEndpoint: '/users/{UserPrincipalName}',
      userMessagesEndpoint: '/users/{UserPrincipalId}/messages',
      draftSendEndpoint: '/{DraftMessageId}/send',
      draftAttachmentEndpoint: '/{DraftMessageId}/attachments',
      uploadSessionEndpoint: '/users/{UserPrincipalId}/messages/{DraftMessageId}/attachments/createUploadSession',
    });
    assert.deepEqual(Object.keys(global).sort(), [...ENDPOINT_NAMES].sort());
  });

  it('use each cloud\'s own hosts', () => {
    const dod = defaultEndpoints('usgov-dod');
    assert.equal(dod.tokenEndpoint, 'https://login.microsoftonline.us/{TenantId}/oauth2/v2.0/token');
    assert.equal(dod.graphEndpoint, 'https://dod-graph.microsoft.us/v1.0');
    assert.equal(dod.defaultScope, 'https://dod-graph.microsoft.us/.default');
    assert.equal(defaultEndpoints('china').authorizeEndpoint, 'https://login.chinacloudapi.cn/{TenantId}/oauth2/v2.0/authorize');
    assert.equal(defaultEndpoints('usgov').graphEndpoint, 'https://graph.microsoft.us/v1.0');
    assert.equal(dod.userMessagesEndpoint, global.userMessagesEndpoint);
  });

  it('put the sandbox on its origin, and need that origin', () => {
    const sandbox = defaultEndpoints('sandbox', SANDBOX);
    assert.equal(sandbox.tokenEndpoint, `${SANDBOX}/{TenantId}/oauth2/v2.0/token`);
    assert.equal(sandbox.graphEndpoint, `${SANDBOX}/v1.0`);
    assert.equal(sandbox.defaultScope, `${SANDBOX}/.default`);
    assert.throws(() => defaultEndpoints('sandbox'), /sandbox origin/);
  });

  for (const cloud of NATIONAL_CLOUD_IDS) {
    it(`pass validation and the host check on ${cloud}`, () => {
      const endpoints = defaultEndpoints(cloud);
      assert.deepEqual(validateEndpoints(endpoints, cloud), []);
      assert.equal(cloudOfEndpoints(endpoints), cloud);
      for (const name of ENDPOINT_NAMES) {
        const result = resolveEndpoint(name, endpoints, values, cloud);
        assert.equal(result.ok, true, `${cloud} ${name}: ${JSON.stringify(result)}`);
      }
      for (const origin of hostsFor(cloud).upload) {
        assert.deepEqual(checkUrl(`${origin}/api/v2.0/Users('x')/Messages('y')/AttachmentSessions('z')?authtoken=abc`, cloud, 'upload'), { ok: true });
      }
    });
  }

  it('pass validation on the sandbox, with the origin or derived from the Graph endpoint', () => {
    const sandbox = defaultEndpoints('sandbox', SANDBOX);
    assert.deepEqual(validateEndpoints(sandbox, 'sandbox', { sandboxOrigin: SANDBOX }), []);
    assert.deepEqual(validateEndpoints(sandbox, 'sandbox'), []);
    assert.equal(cloudOfEndpoints(sandbox, { sandboxOrigin: SANDBOX }), 'sandbox');
    for (const name of ENDPOINT_NAMES) {
      assert.equal(resolveEndpoint(name, sandbox, values, 'sandbox', { sandboxOrigin: SANDBOX }).ok, true, name);
    }
  });

  it('of one cloud do not validate on another', () => {
    const issues = validateEndpoints(defaultEndpoints('usgov'), 'global');
    assert.deepEqual(
      issues.map((issue) => [issue.name, issue.key]),
      [
        ['tokenEndpoint', 'endpoint.mixedClouds'],
        ['authorizeEndpoint', 'endpoint.mixedClouds'],
        ['defaultScope', 'endpoint.mixedClouds'],
        ['graphEndpoint', 'endpoint.mixedClouds'],
      ],
    );
  });
});

describe('template rules', () => {
  it('cover every template with allowed ⊇ required', () => {
    assert.deepEqual(Object.keys(TEMPLATE_RULES).sort(), [...ENDPOINT_NAMES].sort());
    for (const name of ENDPOINT_NAMES) {
      const rule = TEMPLATE_RULES[name];
      for (const p of [...rule.required, ...rule.requiredOneOf]) assert.ok(rule.allowed.includes(p), `${name} ${p}`);
    }
    assert.deepEqual(TEMPLATE_RULES.tokenEndpoint.required, ['TenantId']);
    assert.deepEqual(TEMPLATE_RULES.defaultScope.allowed, []);
    assert.equal(TEMPLATE_RULES.draftSendEndpoint.kind, 'messages-path');
    assert.equal(TEMPLATE_RULES.uploadSessionEndpoint.kind, 'graph-path');
    assert.deepEqual(PLACEHOLDERS, ['TenantId', 'UserPrincipalName', 'UserPrincipalId', 'DraftMessageId']);
  });
});

describe('parseTemplate', () => {
  it('splits text and placeholders with positions', () => {
    const parsed = parseTemplate('/users/{UserPrincipalId}/messages');
    assert.deepEqual(parsed.tokens, [
      { kind: 'text', value: '/users/', start: 0, end: 7 },
      { kind: 'placeholder', name: 'UserPrincipalId', raw: '{UserPrincipalId}', known: true, start: 7, end: 24 },
      { kind: 'text', value: '/messages', start: 24, end: 33 },
    ]);
    assert.deepEqual(parsed.issues, []);
    assert.deepEqual(parsed.placeholders, ['UserPrincipalId']);
  });

  it('matches names case-insensitively and reports the canonical name', () => {
    const parsed = parseTemplate('/users/{userprincipalid}/messages/{DRAFTMESSAGEID}/attachments/createuploadsession');
    assert.deepEqual(parsed.issues, []);
    assert.deepEqual(parsed.placeholders, ['UserPrincipalId', 'DraftMessageId']);
    const placeholder = parsed.tokens[1];
    assert.equal(placeholder.kind === 'placeholder' && placeholder.raw, '{userprincipalid}');
  });

  it('names unknown placeholders', () => {
    const parsed = parseTemplate('/users/{UserName}');
    assert.deepEqual(parsed.issues, [
      {
        key: 'endpoint.unknownPlaceholder',
        params: { placeholder: '{UserName}', allowed: '{TenantId}, {UserPrincipalName}, {UserPrincipalId}, {DraftMessageId}' },
        start: 7,
        end: 17,
      },
    ]);
    assert.deepEqual(parsed.placeholders, []);
  });

  it('finds unbalanced braces and empty braces, with 1-based positions', () => {
    assert.deepEqual(
      parseTemplate('/users/{UserPrincipalId/messages').issues.map((i) => [i.key, i.params.brace, i.params.position]),
      [['endpoint.unbalanced', '{', '8']],
    );
    assert.deepEqual(
      parseTemplate('/users/UserPrincipalId}/messages').issues.map((i) => [i.key, i.params.brace, i.params.position]),
      [['endpoint.unbalanced', '}', '23']],
    );
    assert.deepEqual(
      parseTemplate('/a/{{DraftMessageId}').issues.map((i) => [i.key, i.start]),
      [['endpoint.unbalanced', 3]],
    );
    assert.deepEqual(parseTemplate('/a/{}/b').issues.map((i) => i.key), ['endpoint.emptyPlaceholder']);
  });

  it('keeps every character in some token', () => {
    for (const text of ['/a/{}/b}{c', '{{TenantId}}', '', 'plain', '}{']) {
      const tokens = parseTemplate(text).tokens;
      assert.equal(tokens.map((t) => (t.kind === 'text' ? t.value : t.raw)).join(''), text, text);
    }
  });
});

describe('validateEndpoints', () => {
  it('names unknown and misplaced placeholders with the template\'s allowed list', () => {
    const issues = validateEndpoints(with_({ userEndpoint: '/users/{UPN}', draftSendEndpoint: '/{DraftMessageId}/send/{TenantId}' }), 'global');
    const unknown = issues.find((issue) => issue.key === 'endpoint.unknownPlaceholder');
    assert.deepEqual(unknown?.params.placeholder, '{UPN}');
    assert.equal(unknown?.params.allowed, '{UserPrincipalName}, {UserPrincipalId}');
    assert.equal(unknown?.params.template, 'User endpoint');
    const misplaced = issues.find((issue) => issue.key === 'endpoint.placeholderNotAllowed');
    assert.equal(misplaced?.name, 'draftSendEndpoint');
    assert.equal(misplaced?.params.placeholder, '{TenantId}');
    assert.equal(misplaced?.params.allowed, '{DraftMessageId}');
  });

  it('says a template takes no placeholders when it takes none', () => {
    const issues = validateEndpoints(with_({ graphEndpoint: 'https://graph.microsoft.com/{TenantId}' }), 'global');
    assert.deepEqual(keysOf(issues, 'graphEndpoint'), ['endpoint.noPlaceholders']);
    assert.equal(issues[0].params.placeholder, '{TenantId}');
  });

  it('names missing placeholders', () => {
    const issues = validateEndpoints(
      with_({
        tokenEndpoint: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
        userEndpoint: '/users/me',
        draftAttachmentEndpoint: '/attachments',
        uploadSessionEndpoint: '/users/{UserPrincipalId}/messages/attachments/createUploadSession',
      }),
      'global',
    );
    assert.deepEqual(
      issues.map((issue) => [issue.name, issue.key, issue.params.placeholder ?? issue.params.placeholders]),
      [
        ['tokenEndpoint', 'endpoint.missingPlaceholder', '{TenantId}'],
        ['userEndpoint', 'endpoint.missingOneOf', '{UserPrincipalName}, {UserPrincipalId}'],
        ['draftAttachmentEndpoint', 'endpoint.missingPlaceholder', '{DraftMessageId}'],
        ['uploadSessionEndpoint', 'endpoint.missingPlaceholder', '{DraftMessageId}'],
      ],
    );
  });

  it('accepts a UPN in the messages endpoint and lowercase paths', () => {
    const issues = validateEndpoints(
      with_({
        userMessagesEndpoint: '/users/{UserPrincipalName}/messages',
        uploadSessionEndpoint: '/users/{userprincipalid}/messages/{DraftMessageId}/attachments/createuploadsession',
      }),
      'global',
    );
    assert.deepEqual(issues, []);
  });

  it('reports unbalanced braces without piling URL errors on top', () => {
    const issues = validateEndpoints(with_({ graphEndpoint: 'https://graph.microsoft.com/v1.0}' }), 'global');
    assert.deepEqual(keysOf(issues), ['endpoint.unbalanced']);
    assert.equal(issues[0].params.position, '33');
  });

  it('reports an empty template', () => {
    const issues = validateEndpoints(with_({ userEndpoint: '   ' }), 'global');
    assert.deepEqual(keysOf(issues), ['endpoint.empty']);
    assert.equal(issues[0].params.example, '/users/{UserPrincipalName}');
  });

  it('wants relative paths where the design says relative', () => {
    for (const value of ['https://graph.microsoft.com/v1.0/users/{UserPrincipalName}', 'users/{UserPrincipalName}', '//evil.test/users/{UserPrincipalName}']) {
      const issues = validateEndpoints(with_({ userEndpoint: value }), 'global');
      assert.deepEqual(keysOf(issues), ['endpoint.relativeExpected'], value);
      assert.equal(issues[0].params.baseName, 'graphEndpoint');
    }
    const draft = validateEndpoints(with_({ draftSendEndpoint: 'https://graph.microsoft.com/v1.0/me/messages/{DraftMessageId}/send' }), 'global');
    assert.deepEqual(keysOf(draft), ['endpoint.relativeExpected']);
    assert.equal(draft[0].params.baseName, 'userMessagesEndpoint');
  });

  it('wants absolute URLs where the design says absolute', () => {
    const issues = validateEndpoints(with_({ tokenEndpoint: '/{TenantId}/oauth2/v2.0/token', graphEndpoint: 'graph.microsoft.com/v1.0' }), 'global');
    assert.deepEqual(
      issues.map((issue) => [issue.name, issue.key]),
      [
        ['tokenEndpoint', 'endpoint.absoluteExpected'],
        ['graphEndpoint', 'endpoint.absoluteExpected'],
      ],
    );
  });

  it('refuses queries, fragments, dot segments and odd characters', () => {
    assert.deepEqual(keysOf(validateEndpoints(with_({ graphEndpoint: 'https://graph.microsoft.com/v1.0?x=1' }), 'global')), ['endpoint.queryNotAllowed']);
    assert.deepEqual(keysOf(validateEndpoints(with_({ userEndpoint: '/users/{UserPrincipalName}#x' }), 'global')), ['endpoint.queryNotAllowed']);
    assert.deepEqual(keysOf(validateEndpoints(with_({ userEndpoint: '/../beta/users/{UserPrincipalName}' }), 'global')), ['endpoint.dotSegment']);
    assert.deepEqual(keysOf(validateEndpoints(with_({ graphEndpoint: 'https://graph.microsoft.com/v1.0/../beta' }), 'global')), ['endpoint.dotSegment']);
    const encodedDots = validateEndpoints(with_({ userEndpoint: '/%2e%2e/users/{UserPrincipalName}' }), 'global');
    assert.deepEqual(keysOf(encodedDots), ['endpoint.invalidCharacter']);
    assert.equal(encodedDots[0].params.character, '%2e');
    const space = validateEndpoints(with_({ userEndpoint: '/users/ {UserPrincipalName}' }), 'global');
    assert.deepEqual(keysOf(space), ['endpoint.invalidCharacter']);
    assert.equal(space[0].params.character, 'U+0020');
    assert.deepEqual(keysOf(validateEndpoints(with_({ userEndpoint: '/users\\{UserPrincipalName}' }), 'global')), ['endpoint.invalidCharacter']);
  });

  it('refuses a placeholder in the host', () => {
    const issues = validateEndpoints(with_({ tokenEndpoint: 'https://{TenantId}.login.microsoftonline.com/oauth2/v2.0/token' }), 'global');
    assert.deepEqual(keysOf(issues), ['endpoint.placeholderInHost']);
  });

  it('checks the scope\'s shape and that it names the Graph endpoint\'s origin', () => {
    assert.deepEqual(keysOf(validateEndpoints(with_({ defaultScope: 'https://graph.microsoft.com/Mail.Send' }), 'global')), ['endpoint.scopeShape']);
    assert.deepEqual(keysOf(validateEndpoints(with_({ defaultScope: 'https://graph.microsoft.com/v1.0/.default' }), 'global')), ['endpoint.scopeShape']);
    const sandbox = defaultEndpoints('sandbox', SANDBOX);
    const mismatch = validateEndpoints(with_({ defaultScope: 'http://127.0.0.1:8790/.default' }, sandbox), 'sandbox', {
      sandboxOrigin: SANDBOX,
      extraOrigins: ['http://127.0.0.1:8790'],
    });
    assert.deepEqual(keysOf(mismatch), ['endpoint.scopeShape']);
    assert.equal(mismatch[0].params.example, `${SANDBOX}/.default`);
  });

  it('wants the API version in the Graph endpoint', () => {
    assert.deepEqual(keysOf(validateEndpoints(with_({ graphEndpoint: 'https://graph.microsoft.com/' }), 'global')), ['endpoint.graphVersion']);
    assert.deepEqual(validateEndpoints(with_({ graphEndpoint: 'https://graph.microsoft.com/beta' }), 'global'), []);
  });

  it('reports hosts with the cloud and the allowed hosts', () => {
    const issues = validateEndpoints(with_({ graphEndpoint: 'https://graph.microsoft.com.evil.test/v1.0' }), 'global');
    assert.deepEqual(keysOf(issues), ['endpoint.hostNotAllowed']);
    assert.deepEqual(
      [issues[0].params.host, issues[0].params.cloud, issues[0].params.allowed],
      ['graph.microsoft.com.evil.test', 'Global', 'graph.microsoft.com'],
    );
  });

  it('calls a host of another cloud mixed clouds, naming that cloud', () => {
    const issues = validateEndpoints(with_({ graphEndpoint: 'https://graph.microsoft.us/v1.0', defaultScope: 'https://graph.microsoft.us/.default' }), 'global');
    assert.deepEqual(keysOf(issues), ['endpoint.mixedClouds', 'endpoint.mixedClouds']);
    assert.equal(issues[0].params.otherCloud, 'US Government (GCC High)');
    assert.equal(issues[0].params.cloud, 'Global');
    const dod = validateEndpoints(with_({ graphEndpoint: 'https://graph.microsoft.us/v1.0', defaultScope: 'https://graph.microsoft.us/.default' }, defaultEndpoints('usgov-dod')), 'usgov-dod');
    assert.deepEqual(keysOf(dod), ['endpoint.mixedClouds', 'endpoint.mixedClouds']);
    assert.equal(dod[0].params.otherCloudId, 'usgov');
    assert.equal(cloudOfEndpoints(with_({ graphEndpoint: 'https://graph.microsoft.us/v1.0' })), null);
  });

  it('allows the sandbox only on its exact origin', () => {
    const sandbox = defaultEndpoints('sandbox', SANDBOX);
    const otherPort = validateEndpoints(with_({ graphEndpoint: 'http://127.0.0.1:9999/v1.0' }, sandbox), 'sandbox', { sandboxOrigin: SANDBOX });
    assert.deepEqual(keysOf(otherPort, 'graphEndpoint'), ['endpoint.hostNotAllowed']);
    assert.equal(otherPort[0].params.allowed, SANDBOX);
    // Without the origin, the Graph endpoint's loopback origin stands in, and the rest must match it.
    const derived = validateEndpoints(with_({ tokenEndpoint: 'http://127.0.0.1:9999/{TenantId}/oauth2/v2.0/token' }, sandbox), 'sandbox');
    assert.deepEqual(keysOf(derived), ['endpoint.hostNotAllowed']);
    // A sandbox origin that is not one is ignored, not thrown on.
    assert.deepEqual(validateEndpoints(sandbox, 'sandbox', { sandboxOrigin: 'http://evil.test:8788' }), []);
    const globalOnSandbox = validateEndpoints(global, 'sandbox', { sandboxOrigin: 'nonsense' });
    assert.deepEqual(keysOf(globalOnSandbox), ['endpoint.mixedClouds', 'endpoint.mixedClouds', 'endpoint.mixedClouds', 'endpoint.mixedClouds']);
    assert.equal(globalOnSandbox[0].params.otherCloud, 'Global');
    // Sandbox hosts are not allowed on a national cloud.
    assert.deepEqual(keysOf(validateEndpoints(sandbox, 'global')), ['endpoint.notHttps', 'endpoint.notHttps', 'endpoint.notHttps', 'endpoint.notHttps']);
  });

  it('gives every issue the template\'s label, name and an example', () => {
    const issues = validateEndpoints(
      { tokenEndpoint: '', authorizeEndpoint: 'x', defaultScope: '{x}', graphEndpoint: 'http://a', userEndpoint: '/{', userMessagesEndpoint: '/m', draftSendEndpoint: 'a', draftAttachmentEndpoint: '/{}', uploadSessionEndpoint: '/u?' },
      'china',
    );
    assert.ok(issues.length >= ENDPOINT_NAMES.length);
    for (const issue of issues) {
      assert.equal(issue.params.template, ENDPOINT_LABELS_EN[issue.name]);
      assert.equal(issue.params.name, issue.name);
      assert.equal(issue.params.example, defaultEndpoints('china')[issue.name]);
      assert.ok(ENDPOINT_MESSAGES_EN[issue.key], `no English text for ${issue.key}`);
    }
  });
});

describe('English messages', () => {
  it('interpolate every marker of the issues they describe', () => {
    const samples = [
      ...validateEndpoints(with_({ userEndpoint: '/users/{UPN}', tokenEndpoint: 'https://login.microsoftonline.com/x/token' }), 'global'),
      ...validateEndpoints(with_({ graphEndpoint: 'https://graph.microsoft.com:8443/v1.0' }), 'global'),
      ...validateEndpoints(with_({ graphEndpoint: 'https://graph.microsoft.us/v1.0' }), 'global'),
      ...validateEndpoints(with_({ userEndpoint: '/users/{UserPrincipalName' }), 'global'),
      ...validateEndpoints(with_({ graphEndpoint: 'https://[::1]/v1.0' }), 'global'),
    ];
    assert.ok(samples.length >= 5);
    for (const issue of samples) {
      const text = formatMessage(ENDPOINT_MESSAGES_EN[issue.key], issue.params);
      assert.doesNotMatch(text, /\{(template|placeholder|allowed|host|cloud|otherCloud|example|port|brace|position|sample|placeholders|base)\}/, text);
      assert.ok(text.startsWith(ENDPOINT_LABELS_EN[issue.name]), text);
    }
    assert.equal(
      formatMessage(ENDPOINT_MESSAGES_EN['endpoint.unknownPlaceholder'], { template: 'User endpoint', placeholder: '{UPN}', allowed: '{UserPrincipalName}' }),
      'User endpoint uses the unknown placeholder {UPN}. Use one of: {UserPrincipalName}.',
    );
  });

  it('have text for every key checkUrl and expansion can return', () => {
    for (const key of [
      'endpoint.notHttps',
      'endpoint.userinfo',
      'endpoint.ipLiteral',
      'endpoint.port',
      'endpoint.lookalikeHost',
      'endpoint.hostNotAllowed',
      'endpoint.invalidUrl',
      'endpoint.invalidCharacter',
      'endpoint.valueMissing',
      'endpoint.valueInvalid',
    ]) {
      assert.ok(ENDPOINT_MESSAGES_EN[key], key);
    }
  });
});

describe('checkUrl: the bypass table (SECURITY.md 6)', () => {
  const table: [string, string][] = [
    ['https://graph.microsoft.com@evil.test/v1.0', 'endpoint.userinfo'],
    ['https://user:pass@graph.microsoft.com/v1.0', 'endpoint.userinfo'],
    ['https://@graph.microsoft.com/v1.0', 'endpoint.userinfo'],
    ['https://graph.microsoft.com.evil.test/v1.0', 'endpoint.hostNotAllowed'],
    ['https://evilgraph.microsoft.com/v1.0', 'endpoint.hostNotAllowed'],
    ['https://graph.microsoft.com./v1.0', 'endpoint.hostNotAllowed'],
    ['https://graph%2emicrosoft%2ecom/v1.0', 'endpoint.hostNotAllowed'],
    ['https://[::1]/v1.0', 'endpoint.ipLiteral'],
    ['https://127.0.0.1/v1.0', 'endpoint.ipLiteral'],
    ['https://2130706433/v1.0', 'endpoint.ipLiteral'],
    ['http://graph.microsoft.com/v1.0', 'endpoint.notHttps'],
    ['ftp://graph.microsoft.com/v1.0', 'endpoint.notHttps'],
    ['javascript:alert(1)', 'endpoint.invalidUrl'],
    ['https:///graph.microsoft.com/v1.0', 'endpoint.invalidUrl'],
    ['https:graph.microsoft.com/v1.0', 'endpoint.invalidUrl'],
    ['https://graph.microsoft.com:8443/v1.0', 'endpoint.port'],
    ['https://xn--grph-microsoft-xyz.com/v1.0', 'endpoint.lookalikeHost'],
    ['https://graph.xn--microsft-9za.com/v1.0', 'endpoint.lookalikeHost'],
    ['https://gr\u0430ph.microsoft.com/v1.0', 'endpoint.lookalikeHost'],
    ['https://graph\uff0emicrosoft\uff0ecom/v1.0', 'endpoint.lookalikeHost'],
    ['https://graph.microsoft.com\\@evil.test/v1.0', 'endpoint.invalidCharacter'],
    ['https://graph.microsoft.com/v1.0 ', 'endpoint.invalidCharacter'],
    ['https://graph.microsoft.com\t/v1.0', 'endpoint.invalidCharacter'],
    ['https://graph.microsoft.us/v1.0', 'endpoint.hostNotAllowed'],
    ['https://login.microsoftonline.com/v1.0', 'endpoint.hostNotAllowed'],
    ['', 'endpoint.invalidUrl'],
  ];
  for (const [url, key] of table) {
    it(`refuses ${JSON.stringify(url)} with ${key}`, () => {
      const result = checkUrl(url, 'global', 'graph');
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.key, key);
    });
  }

  it('accepts the real hosts, case-insensitively, with the default port written out', () => {
    assert.deepEqual(checkUrl('https://graph.microsoft.com/v1.0/users/x', 'global', 'graph'), { ok: true });
    assert.deepEqual(checkUrl('https://GRAPH.Microsoft.com/v1.0', 'global', 'graph'), { ok: true });
    assert.deepEqual(checkUrl('https://graph.microsoft.com:443/v1.0', 'global', 'graph'), { ok: true });
    assert.deepEqual(checkUrl('https://login.microsoftonline.com/t/oauth2/v2.0/token', 'global', 'login'), { ok: true });
  });

  it('keeps purposes apart', () => {
    assert.equal(checkUrl('https://graph.microsoft.com/v1.0', 'global', 'login').ok, false);
    assert.equal(checkUrl('https://login.microsoftonline.com/x', 'global', 'graph').ok, false);
    assert.equal(checkUrl('https://graph.microsoft.com/upload', 'global', 'upload').ok, false);
    assert.equal(checkUrl('https://outlook.office365.com/api/upload', 'global', 'upload').ok, true);
    assert.equal(checkUrl('https://outlook.office365.com/api/upload', 'usgov', 'upload').ok, false);
    assert.equal(checkUrl('https://outlook.office365.us/api/upload', 'usgov', 'upload').ok, true);
    assert.equal(checkUrl('https://outlook-dod.office365.us/api/upload', 'usgov-dod', 'upload').ok, true);
    assert.equal(checkUrl('https://partner.outlook.cn/api/upload', 'china', 'upload').ok, true);
  });

  it('names the host, the cloud and the allowed hosts', () => {
    const result = checkUrl('https://graph.microsoft.com.evil.test/v1.0', 'global', 'graph');
    assert.deepEqual(!result.ok && [result.params.host, result.params.cloud, result.params.allowed], ['graph.microsoft.com.evil.test', 'Global', 'graph.microsoft.com']);
    const upload = checkUrl('https://evil.test/x', 'global', 'upload');
    assert.equal(!upload.ok && upload.params.allowed, 'outlook.office.com, outlook.office365.com');
  });
});

describe('checkUrl: sandbox and extra origins', () => {
  it('allows the sandbox origin exactly, for every purpose', () => {
    for (const purpose of ['login', 'graph', 'upload'] as const) {
      assert.deepEqual(checkUrl(`${SANDBOX}/v1.0/x`, 'sandbox', purpose, { sandboxOrigin: SANDBOX }), { ok: true });
    }
  });

  it('refuses another port, scheme or host spelling of the sandbox', () => {
    for (const url of ['http://127.0.0.1:8789/v1.0', 'https://127.0.0.1:8788/v1.0', 'http://localhost:8788/v1.0', 'http://127.0.0.1/v1.0', 'https://graph.microsoft.com/v1.0']) {
      const result = checkUrl(url, 'sandbox', 'graph', { sandboxOrigin: SANDBOX });
      assert.equal(!result.ok && result.key, 'endpoint.hostNotAllowed', url);
    }
    assert.equal(checkUrl('http://user@127.0.0.1:8788/v1.0', 'sandbox', 'graph', { sandboxOrigin: SANDBOX }).ok, false);
  });

  it('does not let the sandbox origin through on a national cloud', () => {
    const result = checkUrl(`${SANDBOX}/v1.0`, 'global', 'graph', { sandboxOrigin: SANDBOX });
    assert.equal(!result.ok && result.key, 'endpoint.notHttps');
    assert.equal(checkUrl('http://127.0.0.1:8788/v1.0', 'sandbox', 'graph').ok, false, 'no origin, nothing allowed');
  });

  it('matches extra origins on scheme, host and port, nothing wider', () => {
    const options = { extraOrigins: ['https://127.0.0.1:8790', 'https://mail-proxy.contoso.test'] };
    assert.equal(checkUrl('https://127.0.0.1:8790/v1.0', 'global', 'graph', options).ok, true);
    assert.equal(checkUrl('https://mail-proxy.contoso.test/x', 'global', 'upload', options).ok, true);
    for (const url of ['http://127.0.0.1:8790/v1.0', 'https://127.0.0.1:8791/v1.0', 'https://sub.mail-proxy.contoso.test/x', 'https://mail-proxy.contoso.test:444/x']) {
      assert.equal(checkUrl(url, 'global', 'graph', options).ok, false, url);
    }
    // An extra origin written with a path is not an origin: it allows nothing.
    assert.equal(checkUrl('https://evil.test/v1.0', 'global', 'graph', { extraOrigins: ['https://evil.test/v1.0'] }).ok, false);
  });
});

describe('expandTemplate', () => {
  it('builds full URLs: relative ones on the Graph endpoint, drafts on the messages endpoint', () => {
    assert.equal(expandTemplate('tokenEndpoint', global, values), `https://login.microsoftonline.com/${values.TenantId}/oauth2/v2.0/token`);
    assert.equal(expandTemplate('graphEndpoint', global, values), 'https://graph.microsoft.com/v1.0');
    assert.equal(expandTemplate('userEndpoint', global, values), 'https://graph.microsoft.com/v1.0/users/mail%40contoso.com');
    assert.equal(expandTemplate('userMessagesEndpoint', global, values), `https://graph.microsoft.com/v1.0/users/${values.UserPrincipalId}/messages`);
    assert.equal(
      expandTemplate('draftSendEndpoint', global, values),
      `https://graph.microsoft.com/v1.0/users/${values.UserPrincipalId}/messages/AAMkAGI2%3D/send`,
    );
    assert.equal(
      expandTemplate('draftAttachmentEndpoint', global, values),
      `https://graph.microsoft.com/v1.0/users/${values.UserPrincipalId}/messages/AAMkAGI2%3D/attachments`,
    );
    assert.equal(
      expandTemplate('uploadSessionEndpoint', global, values),
      `https://graph.microsoft.com/v1.0/users/${values.UserPrincipalId}/messages/AAMkAGI2%3D/attachments/createUploadSession`,
    );
  });

  it('does not double the slash when the Graph endpoint ends with one', () => {
    assert.equal(expandTemplate('userEndpoint', with_({ graphEndpoint: 'https://graph.microsoft.com/v1.0/' }), values), 'https://graph.microsoft.com/v1.0/users/mail%40contoso.com');
  });

  it('encodes a guest UPN as one path segment', () => {
    const url = expandTemplate('userEndpoint', global, { UserPrincipalName: 'a_b.com#EXT#@contoso.onmicrosoft.com' });
    assert.equal(url, 'https://graph.microsoft.com/v1.0/users/a_b.com%23EXT%23%40contoso.onmicrosoft.com');
    assert.equal(new URL(url).hash, '');
  });

  it('keeps slashes, quotes and parentheses of a value inside its segment', () => {
    assert.equal(encodePathSegment("a/b?c#d'(e)*!"), 'a%2Fb%3Fc%23d%27%28e%29%2A%21');
    const url = expandTemplate('draftSendEndpoint', global, { ...values, DraftMessageId: '../../../me/sendMail' });
    assert.ok(url.endsWith('/messages/..%2F..%2F..%2Fme%2FsendMail/send'), url);
  });

  it('substitutes placeholders written in any case', () => {
    const url = expandTemplate('userEndpoint', with_({ userEndpoint: '/users/{userprincipalname}' }), values);
    assert.equal(url, 'https://graph.microsoft.com/v1.0/users/mail%40contoso.com');
  });

  it('refuses missing and unusable values, naming the placeholder', () => {
    const expectKey = (fn: () => unknown, key: string, placeholder: string) =>
      assert.throws(fn, (error: unknown) => {
        assert.ok(error instanceof TemplateExpansionError);
        assert.equal(error.key, key);
        assert.equal(error.params.placeholder, placeholder);
        assert.match(error.message, new RegExp(placeholder.replace(/[{}]/g, '\\$&')));
        return true;
      });
    expectKey(() => expandTemplate('tokenEndpoint', global, {}), 'endpoint.valueMissing', '{TenantId}');
    expectKey(() => expandTemplate('draftSendEndpoint', global, { DraftMessageId: 'x' }), 'endpoint.valueMissing', '{UserPrincipalId}');
    expectKey(() => expandTemplate('tokenEndpoint', global, { TenantId: 'evil.test/x' }), 'endpoint.valueInvalid', '{TenantId}');
    expectKey(() => expandTemplate('tokenEndpoint', global, { TenantId: 'common' }), 'endpoint.valueInvalid', '{TenantId}');
    expectKey(() => expandTemplate('userEndpoint', global, { UserPrincipalName: '..' }), 'endpoint.valueInvalid', '{UserPrincipalName}');
    expectKey(() => expandTemplate('userEndpoint', global, { UserPrincipalName: '' }), 'endpoint.valueInvalid', '{UserPrincipalName}');
    assert.equal(expandTemplate('tokenEndpoint', global, { TenantId: 'contoso.onmicrosoft.com' }), 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token');
  });

  it('refuses to expand a template with an unknown or misplaced placeholder', () => {
    assert.throws(() => expandTemplate('userEndpoint', with_({ userEndpoint: '/users/{Who}' }), values), (error: unknown) => error instanceof TemplateExpansionError && error.key === 'endpoint.unknownPlaceholder');
    assert.throws(
      () => expandTemplate('draftSendEndpoint', with_({ draftSendEndpoint: '/{DraftMessageId}/{TenantId}' }), values),
      (error: unknown) => error instanceof TemplateExpansionError && error.key === 'endpoint.placeholderNotAllowed',
    );
  });
});

describe('resolveEndpoint', () => {
  it('expands and checks the host in one step', () => {
    assert.deepEqual(resolveEndpoint('userEndpoint', global, values, 'global'), { ok: true, url: 'https://graph.microsoft.com/v1.0/users/mail%40contoso.com' });
    const evil = resolveEndpoint('tokenEndpoint', with_({ tokenEndpoint: 'https://login.microsoftonline.com.evil.test/{TenantId}/oauth2/v2.0/token' }), values, 'global');
    assert.equal(!evil.ok && evil.key, 'endpoint.hostNotAllowed');
    assert.equal(!evil.ok && evil.params.template, 'Token endpoint');
    const missing = resolveEndpoint('tokenEndpoint', global, {}, 'global');
    assert.equal(!missing.ok && missing.key, 'endpoint.valueMissing');
  });

  it('checks login templates against login hosts', () => {
    const swapped = resolveEndpoint('tokenEndpoint', with_({ tokenEndpoint: 'https://graph.microsoft.com/{TenantId}/oauth2/v2.0/token' }), values, 'global');
    assert.equal(!swapped.ok && swapped.key, 'endpoint.hostNotAllowed');
  });
});

describe('userLookup', () => {
  it('uses the User endpoint for an ordinary or guest UPN', () => {
    assert.deepEqual(userLookup(global, 'a_b.com#EXT#@contoso.onmicrosoft.com'), {
      url: 'https://graph.microsoft.com/v1.0/users/a_b.com%23EXT%23%40contoso.onmicrosoft.com',
      viaFilter: false,
    });
    const byId = with_({ userEndpoint: '/users/{UserPrincipalId}' });
    assert.equal(userLookup(byId, 'mail@contoso.com').url, 'https://graph.microsoft.com/v1.0/users/mail%40contoso.com');
  });

  it('resolves a $-prefixed UPN with $filter, doubling single quotes', () => {
    const lookup = userLookup(global, "$o'brien@contoso.com");
    assert.equal(lookup.viaFilter, true);
    const url = new URL(lookup.url);
    assert.equal(url.origin + url.pathname, 'https://graph.microsoft.com/v1.0/users');
    assert.equal(url.searchParams.get('$filter'), "userPrincipalName eq '$o''brien@contoso.com'");
    assert.equal(
      lookup.url,
      'https://graph.microsoft.com/v1.0/users?$filter=userPrincipalName%20eq%20%27%24o%27%27brien%40contoso.com%27',
    );
    assert.equal(checkUrl(lookup.url, 'global', 'graph').ok, true);
  });

  it('keeps a filter value from escaping its query parameter', () => {
    const lookup = userLookup(global, '$x&$select=id#y');
    const url = new URL(lookup.url);
    assert.deepEqual([...url.searchParams.keys()], ['$filter']);
    assert.equal(url.searchParams.get('$filter'), "userPrincipalName eq '$x&$select=id#y'");
  });
});

describe('cloudOfEndpoints', () => {
  it('tells the clouds apart, even the two that share a login host', () => {
    const clouds: CloudId[] = ['global', 'usgov', 'usgov-dod', 'china'];
    for (const cloud of clouds) assert.equal(cloudOfEndpoints(defaultEndpoints(cloud)), cloud);
    const mixed = with_({ tokenEndpoint: defaultEndpoints('china').tokenEndpoint });
    assert.equal(cloudOfEndpoints(mixed), null);
    assert.equal(cloudOfEndpoints(defaultEndpoints('sandbox', SANDBOX)), null, 'sandbox without its origin is no cloud');
  });
});
