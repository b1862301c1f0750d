/**
 * Endpoint templates as pure logic: the national clouds and their hosts, the default templates, the
 * placeholder rules, validation with translation keys, expansion with per-segment percent-encoding, and
 * the host allow-list that the server applies to every URL after expansion.
 *
 * Shared by the schemas (validation on save, in the browser and on the server), the server (expansion
 * and host check on every use) and the endpoint editor (tokens, messages, live preview). No DOM, no Node.
 *
 * Decisions worth knowing:
 * - Placeholder names match case-insensitively (`{tenantid}` is `{TenantId}`); the canonical name is
 *   reported. Literal path text keeps its case (Graph paths such as `createuploadsession` are
 *   case-insensitive).
 * - `userEndpoint`, `userMessagesEndpoint` and `uploadSessionEndpoint` are relative to `graphEndpoint`;
 *   `draftSendEndpoint` and `draftAttachmentEndpoint` are relative to the expanded
 *   `userMessagesEndpoint`. Relative templates start with one `/` and carry no query or fragment.
 * - Values are encoded as one path segment each (`encodeURIComponent`, plus `! ' ( ) *`), so a guest UPN's
 *   `#EXT#` and `@` become `%23EXT%23%40`, which Graph decodes; `.`, `..` and empty values are refused.
 * - A UPN starting with `$` is looked up with `$filter` (see `userLookup`): Graph reads `/users/$…` as
 *   a system segment.
 * - A host that belongs to another national cloud is reported as `endpoint.mixedClouds` (the fix is to
 *   pick that Domain), any other wrong host as `endpoint.hostNotAllowed`. `checkUrl` itself, which the
 *   server runs, always says `endpoint.hostNotAllowed`.
 * - Extra origins (the server's start-up option) are allowed for every cloud and purpose, matched on
 *   scheme, host and port exactly; the sandbox origin only counts for the `sandbox` cloud.
 */
import type { CloudId, EndpointName, EndpointTemplates } from './contract.js';
import { ENDPOINT_NAMES } from './contract.js';
import { formatMessage } from './messages.js';

export { formatMessage };

export type NationalCloudId = Exclude<CloudId, 'sandbox'>;

export interface CloudPreset {
  id: CloudId;
  label: string;
  /** Host name (with `:port` for the sandbox) of the identity platform. */
  loginHost: string;
  /** Host name (with `:port` for the sandbox) of Microsoft Graph. */
  graphHost: string;
  /** Hosts an upload session's URL may point at (Outlook's, or the sandbox). */
  uploadHosts: readonly string[];
  /** The exact origin, for the sandbox only (its hosts are not https on port 443). */
  origin?: string;
}

export const CLOUD_PRESETS: Readonly<Record<NationalCloudId, CloudPreset>> = {
  global: {
    id: 'global',
    label: 'Global',
    loginHost: 'login.microsoftonline.com',
    graphHost: 'graph.microsoft.com',
    uploadHosts: ['outlook.office.com', 'outlook.office365.com'],
  },
  usgov: {
    id: 'usgov',
    label: 'US Government (GCC High)',
    loginHost: 'login.microsoftonline.us',
    graphHost: 'graph.microsoft.us',
    uploadHosts: ['outlook.office365.us'],
  },
  'usgov-dod': {
    id: 'usgov-dod',
    label: 'US Government (DoD)',
    loginHost: 'login.microsoftonline.us',
    graphHost: 'dod-graph.microsoft.us',
    uploadHosts: ['outlook-dod.office365.us'],
  },
  china: {
    id: 'china',
    label: 'China (21Vianet)',
    loginHost: 'login.chinacloudapi.cn',
    graphHost: 'microsoftgraph.chinacloudapi.cn',
    uploadHosts: ['partner.outlook.cn'],
  },
};

export const NATIONAL_CLOUD_IDS = Object.keys(CLOUD_PRESETS) as NationalCloudId[];
export const SANDBOX_LABEL_EN = 'Sandbox (offline)';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

/**
 * Normalises a sandbox origin: `http` or `https`, host `127.0.0.1` or `localhost`, an explicit port,
 * nothing else. Returns null when it is not one.
 */
export function normalizeSandboxOrigin(origin: string): string | null {
  const exact = normalizeOrigin(origin);
  if (!exact) return null;
  const url = new URL(exact);
  return LOOPBACK_HOSTS.has(url.hostname) && url.port !== '' ? exact : null;
}

/** The `sandbox` preset: login, Graph and uploads all on one exact origin. Throws on any other origin. */
export function sandboxPreset(origin: string): CloudPreset {
  const exact = normalizeSandboxOrigin(origin);
  if (!exact) {
    throw new Error(
      `Sandbox origin "${origin}" is not valid: use http(s)://127.0.0.1:PORT or http(s)://localhost:PORT, without a path.`,
    );
  }
  const host = new URL(exact).host;
  return { id: 'sandbox', label: SANDBOX_LABEL_EN, loginHost: host, graphHost: host, uploadHosts: [host], origin: exact };
}

/** The preset of a cloud; the sandbox needs its origin. */
export function presetFor(cloud: CloudId, sandboxOrigin?: string): CloudPreset {
  if (cloud === 'sandbox') {
    if (!sandboxOrigin) throw new Error('The sandbox cloud needs the sandbox origin (for example http://127.0.0.1:8788).');
    return sandboxPreset(sandboxOrigin);
  }
  const preset = CLOUD_PRESETS[cloud];
  if (!preset) throw new Error(`Unknown cloud "${String(cloud)}": use one of ${NATIONAL_CLOUD_IDS.join(', ')} or sandbox.`);
  return preset;
}

const cloudLabel = (cloud: CloudId): string => (cloud === 'sandbox' ? SANDBOX_LABEL_EN : (CLOUD_PRESETS[cloud]?.label ?? cloud));

/** Origins (scheme, host and port) allowed per purpose, as the server enforces them. */
export interface AllowedOrigins {
  login: string[];
  graph: string[];
  upload: string[];
}

/** The origins a cloud's URLs may use, per purpose (for the server's start-up checks and logs). */
export function hostsFor(cloud: CloudId, sandboxOrigin?: string): AllowedOrigins {
  if (cloud === 'sandbox') {
    const origin = sandboxOrigin ? normalizeSandboxOrigin(sandboxOrigin) : null;
    const list = origin ? [origin] : [];
    return { login: list, graph: [...list], upload: [...list] };
  }
  const preset = presetFor(cloud);
  return {
    login: [`https://${preset.loginHost}`],
    graph: [`https://${preset.graphHost}`],
    upload: preset.uploadHosts.map((host) => `https://${host}`),
  };
}

/** The default templates of a cloud (DESIGN.md, "Endpoint templates"); the sandbox's on its origin. */
export function defaultEndpoints(cloud: CloudId, sandboxOrigin?: string): EndpointTemplates {
  const preset = presetFor(cloud, sandboxOrigin);
  const login = preset.origin ?? `https://${preset.loginHost}`;
  const graph = preset.origin ?? `https://${preset.graphHost}`;
  return {
    tokenEndpoint: `${login}/{TenantId}/oauth2/v2.0/token`,
    authorizeEndpoint: `${login}/{TenantId}/oauth2/v2.0/authorize`,
    defaultScope: `${graph}/.default`,
    graphEndpoint: `${graph}/v1.0`,
    userEndpoint: '/users/{UserPrincipalName}',
    userMessagesEndpoint: '/users/{UserPrincipalId}/messages',
    draftSendEndpoint: '/{DraftMessageId}/send',
    draftAttachmentEndpoint: '/{DraftMessageId}/attachments',
    uploadSessionEndpoint: '/users/{UserPrincipalId}/messages/{DraftMessageId}/attachments/createUploadSession',
  };
}

// Placeholders and rules.

export const PLACEHOLDERS = ['TenantId', 'UserPrincipalName', 'UserPrincipalId', 'DraftMessageId'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type PlaceholderValues = Partial<Record<Placeholder, string>>;

export type TemplateKind = 'login-url' | 'graph-url' | 'scope' | 'graph-path' | 'messages-path';

export interface TemplateRule {
  kind: TemplateKind;
  /** Placeholders the template may use. */
  allowed: Placeholder[];
  /** Placeholders the template must use. */
  required: Placeholder[];
  /** At least one of these must be used (empty: no such rule). */
  requiredOneOf: Placeholder[];
}

/**
 * Why these rules: the login URLs need the tenant; the scope and Graph base are constants of the cloud;
 * the user may be addressed by UPN or id (Graph's `/users/{id | userPrincipalName}`); a draft is
 * addressed by its id below the messages endpoint; the upload session may address the mailbox either way.
 */
export const TEMPLATE_RULES: Readonly<Record<EndpointName, TemplateRule>> = {
  tokenEndpoint: { kind: 'login-url', allowed: ['TenantId'], required: ['TenantId'], requiredOneOf: [] },
  authorizeEndpoint: { kind: 'login-url', allowed: ['TenantId'], required: ['TenantId'], requiredOneOf: [] },
  defaultScope: { kind: 'scope', allowed: [], required: [], requiredOneOf: [] },
  graphEndpoint: { kind: 'graph-url', allowed: [], required: [], requiredOneOf: [] },
  userEndpoint: {
    kind: 'graph-path',
    allowed: ['UserPrincipalName', 'UserPrincipalId'],
    required: [],
    requiredOneOf: ['UserPrincipalName', 'UserPrincipalId'],
  },
  userMessagesEndpoint: {
    kind: 'graph-path',
    allowed: ['UserPrincipalId', 'UserPrincipalName'],
    required: [],
    requiredOneOf: ['UserPrincipalId', 'UserPrincipalName'],
  },
  draftSendEndpoint: { kind: 'messages-path', allowed: ['DraftMessageId'], required: ['DraftMessageId'], requiredOneOf: [] },
  draftAttachmentEndpoint: { kind: 'messages-path', allowed: ['DraftMessageId'], required: ['DraftMessageId'], requiredOneOf: [] },
  uploadSessionEndpoint: {
    kind: 'graph-path',
    allowed: ['DraftMessageId', 'UserPrincipalId', 'UserPrincipalName'],
    required: ['DraftMessageId'],
    requiredOneOf: [],
  },
};

/** English names of the templates, as the API Endpoints tab labels them. */
export const ENDPOINT_LABELS_EN: Readonly<Record<EndpointName, string>> = {
  tokenEndpoint: 'Token endpoint',
  authorizeEndpoint: 'Authorize endpoint',
  defaultScope: 'Default scope',
  graphEndpoint: 'Graph API endpoint',
  userEndpoint: 'User endpoint',
  userMessagesEndpoint: 'User messages endpoint',
  draftSendEndpoint: 'Draft send endpoint',
  draftAttachmentEndpoint: 'Draft attachment endpoint',
  uploadSessionEndpoint: 'Create upload session endpoint',
};

const isRelativeKind = (kind: TemplateKind) => kind === 'graph-path' || kind === 'messages-path';
const purposeOf = (kind: TemplateKind): UrlPurpose => (kind === 'login-url' ? 'login' : 'graph');
const braces = (name: string) => `{${name}}`;
const listOf = (names: readonly string[]) => names.map(braces).join(', ');

// Messages.

/**
 * English text of every endpoint key. Each names the template (`{template}`) and the fix; parameters are
 * values interpolated with `{name}`. Literal braces are passed as parameters, never written here.
 */
export const ENDPOINT_MESSAGES_EN: Readonly<Record<string, string>> = {
  'endpoint.empty': '{template} is empty. Enter it, or reset it to the default: {example}',
  'endpoint.unbalanced':
    '{template} has an unmatched "{brace}" at position {position}. Write each placeholder as its name in one pair of braces, such as {sample}.',
  'endpoint.emptyPlaceholder':
    '{template} has braces with no name at position {position}. Put a placeholder name inside ({allowed}) or remove the braces.',
  'endpoint.unknownPlaceholder': '{template} uses the unknown placeholder {placeholder}. Use one of: {allowed}.',
  'endpoint.placeholderNotAllowed': '{template} cannot use {placeholder}. Use one of: {allowed}.',
  'endpoint.noPlaceholders': '{template} takes no placeholders: remove {placeholder}, as in {example}',
  'endpoint.missingPlaceholder': '{template} must contain {placeholder}, where the value goes, as in {example}',
  'endpoint.missingOneOf': '{template} must contain one of {placeholders}, where the value goes, as in {example}',
  'endpoint.placeholderInHost':
    '{template} has a placeholder in its host name. Placeholders belong in the path only, as in {example}',
  'endpoint.absoluteExpected': '{template} must be a full URL that starts with https://, such as {example}',
  'endpoint.relativeExpected':
    '{template} must be a path relative to the {base}, starting with a single "/", such as {example}',
  'endpoint.invalidUrl': '{template} is not a valid URL. Enter a full URL such as {example}',
  'endpoint.invalidCharacter':
    '{template} contains a character that is not allowed here ({character}). Remove it, as in {example}',
  'endpoint.dotSegment':
    '{template} contains a "." or ".." path segment, which would lead to another path. Remove it, as in {example}',
  'endpoint.queryNotAllowed': '{template} cannot contain "?" or "#". Remove the query and fragment, as in {example}',
  'endpoint.notHttps': '{template} must use https://, as in {example}',
  'endpoint.userinfo':
    '{template} has a user name or "@" before the host. Write https:// followed directly by the host, as in {example}',
  'endpoint.ipLiteral': '{template} uses an IP address ({host}) as its host. Use the host name: {allowed}.',
  'endpoint.port': '{template} names port {port}. Remove ":{port}": only the default HTTPS port is allowed.',
  'endpoint.lookalikeHost':
    '{template} has a host with international or punycode (xn--) characters ({host}), which can imitate a Microsoft host. Type the host in plain letters: {allowed}.',
  'endpoint.hostNotAllowed': '{template} points at {host}, which is not a host of the Domain {cloud}. Use {allowed}.',
  'endpoint.mixedClouds':
    '{template} points at {host}, a host of {otherCloud}, but the Domain is {cloud}. Use {allowed}, or choose the Domain {otherCloud} and reset the templates.',
  'endpoint.scopeShape':
    '{template} must be the Graph API endpoint\'s origin followed by /.default, such as {example}',
  'endpoint.graphVersion': '{template} must name the API version after the host, such as {example}',
  'endpoint.valueMissing':
    '{template} needs a value for {placeholder}, and there is none. Check the configuration (Tenant ID, From address) and try again.',
  'endpoint.valueInvalid':
    '{template} cannot use this value for {placeholder}: a tenant ID must be a GUID or a domain name, and no value may be empty, "." or "..". Check the configuration.',
};

// Parsing.

export type TemplateToken =
  | { kind: 'text'; value: string; start: number; end: number }
  | {
      kind: 'placeholder';
      /** The canonical name when known, else the text between the braces. */
      name: string;
      /** The text as written, braces included. */
      raw: string;
      known: boolean;
      start: number;
      end: number;
    };

/** A problem at a position of a template (`start`/`end` are UTF-16 offsets, end exclusive). */
export interface TemplateIssue {
  key: string;
  params: Record<string, string>;
  start: number;
  end: number;
}

export interface ParsedTemplate {
  tokens: TemplateToken[];
  issues: TemplateIssue[];
  /** Canonical names of the known placeholders used, in order of first use. */
  placeholders: Placeholder[];
}

const canonicalPlaceholder = (name: string): Placeholder | undefined =>
  PLACEHOLDERS.find((candidate) => candidate.toLowerCase() === name.toLowerCase());

/**
 * Splits a template into text and placeholders, for highlighting and checks. A stray brace becomes text
 * with an `endpoint.unbalanced` issue; `{}` an `endpoint.emptyPlaceholder`; a name that is no
 * placeholder an `endpoint.unknownPlaceholder` (its `allowed` lists every placeholder: the template's
 * own rule narrows it in `validateEndpoints`).
 */
export function parseTemplate(text: string): ParsedTemplate {
  const tokens: TemplateToken[] = [];
  const issues: TemplateIssue[] = [];
  const placeholders: Placeholder[] = [];
  let textStart = 0;
  let buffer = '';
  const flushText = (end: number) => {
    if (buffer) tokens.push({ kind: 'text', value: buffer, start: textStart, end });
    buffer = '';
    textStart = end;
  };
  const unbalanced = (at: number, brace: string) =>
    issues.push({
      key: 'endpoint.unbalanced',
      params: { brace, position: String(at + 1), sample: braces('TenantId') },
      start: at,
      end: at + 1,
    });

  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char === '}') {
      unbalanced(i, '}');
      buffer += char;
      i += 1;
      continue;
    }
    if (char !== '{') {
      buffer += char;
      i += 1;
      continue;
    }
    const close = text.indexOf('}', i + 1);
    const nextOpen = text.indexOf('{', i + 1);
    if (close === -1 || (nextOpen !== -1 && nextOpen < close)) {
      unbalanced(i, '{');
      buffer += char;
      i += 1;
      continue;
    }
    flushText(i);
    const inner = text.slice(i + 1, close);
    const raw = text.slice(i, close + 1);
    const canonical = canonicalPlaceholder(inner);
    tokens.push({ kind: 'placeholder', name: canonical ?? inner, raw, known: Boolean(canonical), start: i, end: close + 1 });
    if (inner === '') {
      issues.push({
        key: 'endpoint.emptyPlaceholder',
        params: { position: String(i + 1), allowed: listOf(PLACEHOLDERS) },
        start: i,
        end: close + 1,
      });
    } else if (!canonical) {
      issues.push({
        key: 'endpoint.unknownPlaceholder',
        params: { placeholder: raw, allowed: listOf(PLACEHOLDERS) },
        start: i,
        end: close + 1,
      });
    } else if (!placeholders.includes(canonical)) {
      placeholders.push(canonical);
    }
    i = close + 1;
    textStart = i;
  }
  flushText(text.length);
  return { tokens, issues, placeholders };
}

// The host allow-list.

export type UrlPurpose = 'login' | 'graph' | 'upload';

export interface HostOptions {
  /** The sandbox's exact origin; allowed only when the cloud is `sandbox`. */
  sandboxOrigin?: string;
  /** Exact origins the server was started with; allowed for every cloud and purpose. */
  extraOrigins?: readonly string[];
}

export type UrlCheck = { ok: true } | { ok: false; key: string; params: Record<string, string> };

/** `scheme://host[:port]` of an http(s) origin written exactly as one (no path, query or userinfo). */
export function normalizeOrigin(origin: string): string | null {
  if (typeof origin !== 'string' || /[\s\\@]/.test(origin)) return null;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/') return null;
  if (origin.replace(/\/$/, '').toLowerCase() !== url.origin.toLowerCase()) return null;
  return url.origin;
}

const describeCharacter = (char: string): string =>
  /[\s\u0000-\u001f\u007f]/.test(char) ? `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : char;

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** Allowed host names of a national cloud for one purpose (lowercase). */
function nationalHosts(cloud: NationalCloudId, purpose: UrlPurpose): readonly string[] {
  const preset = CLOUD_PRESETS[cloud];
  if (!preset) return [];
  if (purpose === 'login') return [preset.loginHost];
  if (purpose === 'graph') return [preset.graphHost];
  return preset.uploadHosts;
}

/**
 * The host allow-list, applied to a URL after expansion (SECURITY.md 6 and 9): `https` on one of the
 * cloud's hosts for the purpose, no userinfo, no IP literal, no port but the default, no look-alike,
 * suffix, trailing-dot, percent-encoded or backslash tricks. The sandbox origin (cloud `sandbox`) and
 * the extra origins match on scheme, host and port exactly, which is the only way `http`, a loopback
 * address or a port gets through.
 */
export function checkUrl(url: string, cloud: CloudId, purpose: UrlPurpose, options: HostOptions = {}): UrlCheck {
  const fail = (key: string, params: Record<string, string> = {}): UrlCheck => ({ ok: false, key, params });
  if (typeof url !== 'string' || url === '') return fail('endpoint.invalidUrl');
  const bad = /[\s\\\u0000-\u001f\u007f]/.exec(url);
  if (bad) return fail('endpoint.invalidCharacter', { character: describeCharacter(bad[0]) });
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(url);
  if (!match) return fail('endpoint.invalidUrl');
  const authority = match[2];
  // `https:///host` parses, but only by guessing: refuse it.
  if (authority === '') return fail('endpoint.invalidUrl');
  const rawHost = authority.slice(authority.lastIndexOf('@') + 1);
  // Checked on the text as written: the URL parser maps IDN and full-width dots to ASCII, and refuses
  // some punycode outright, which would hide what the problem is.
  if (/[^\x21-\x7e]/.test(authority) || /(?:^|[.@])xn--/i.test(authority)) {
    return fail('endpoint.lookalikeHost', { host: rawHost, ...allowedParams(cloud, purpose, options) });
  }
  if (authority.includes('@')) return fail('endpoint.userinfo');
  if (authority.includes('%')) return fail('endpoint.hostNotAllowed', { host: rawHost, ...allowedParams(cloud, purpose, options) });

  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail('endpoint.invalidUrl');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return fail('endpoint.notHttps');
  if (exactOrigins(cloud, options).includes(parsed.origin)) return { ok: true };

  const allowed = allowedParams(cloud, purpose, options);
  // The sandbox has no host names of its own: anything but its exact origin is simply not it.
  if (cloud === 'sandbox') return fail('endpoint.hostNotAllowed', { host: parsed.host, ...allowed });
  if (parsed.protocol !== 'https:') return fail('endpoint.notHttps');
  const host = parsed.hostname.toLowerCase();
  if (host.startsWith('[') || IPV4.test(host)) return fail('endpoint.ipLiteral', { host, ...allowed });
  if (host.split('.').some((label) => label.startsWith('xn--'))) return fail('endpoint.lookalikeHost', { host, ...allowed });
  if (parsed.port !== '') return fail('endpoint.port', { port: parsed.port });
  if (!nationalHosts(cloud, purpose).includes(host)) return fail('endpoint.hostNotAllowed', { host, ...allowed });
  return { ok: true };
}

function exactOrigins(cloud: CloudId, options: HostOptions): string[] {
  const list: string[] = [];
  if (cloud === 'sandbox' && options.sandboxOrigin) {
    const origin = normalizeSandboxOrigin(options.sandboxOrigin);
    if (origin) list.push(origin);
  }
  for (const extra of options.extraOrigins ?? []) {
    const origin = normalizeOrigin(extra);
    if (origin) list.push(origin);
  }
  return list;
}

function allowedParams(cloud: CloudId, purpose: UrlPurpose, options: HostOptions): Record<string, string> {
  const sandbox = options.sandboxOrigin ? normalizeSandboxOrigin(options.sandboxOrigin) : null;
  const allowed =
    cloud === 'sandbox' ? [sandbox ?? 'http://127.0.0.1:PORT'] : CLOUD_PRESETS[cloud] ? nationalHosts(cloud, purpose) : [];
  return { cloud: cloudLabel(cloud), cloudId: cloud, purpose, allowed: allowed.join(', ') };
}

/** The national clouds that list this host for the purpose. */
function cloudsWithHost(host: string, purpose: UrlPurpose): NationalCloudId[] {
  return NATIONAL_CLOUD_IDS.filter((id) => nationalHosts(id, purpose).includes(host));
}

/**
 * The one cloud whose hosts all four absolute templates use, or null when they are on different clouds'
 * hosts (or on hosts of none). The sandbox is recognised by its exact origin when given.
 */
export function cloudOfEndpoints(endpoints: EndpointTemplates, options: { sandboxOrigin?: string } = {}): CloudId | null {
  const sandbox = options.sandboxOrigin ? normalizeSandboxOrigin(options.sandboxOrigin) : null;
  let candidates: CloudId[] = [...NATIONAL_CLOUD_IDS, ...(sandbox ? (['sandbox'] as CloudId[]) : [])];
  for (const name of ENDPOINT_NAMES) {
    const rule = TEMPLATE_RULES[name];
    if (isRelativeKind(rule.kind)) continue;
    const sample = withSamples(String(endpoints[name] ?? '').trim());
    candidates = candidates.filter((cloud) => checkUrl(sample, cloud, purposeOf(rule.kind), { sandboxOrigin: sandbox ?? undefined }).ok);
  }
  // usgov and usgov-dod share a login host; the Graph host tells them apart.
  return candidates.length === 1 ? candidates[0] : null;
}

// Validation.

/** One problem with one template: a translation key and the values for its `{name}` markers. */
export interface EndpointIssue {
  name: EndpointName;
  key: string;
  params: Record<string, string>;
}

export type ValidateOptions = HostOptions;

const SAMPLE_VALUES: Record<Placeholder, string> = {
  TenantId: '00000000-0000-0000-0000-000000000000',
  UserPrincipalName: 'user',
  UserPrincipalId: 'user',
  DraftMessageId: 'draft',
};

/** The template with each placeholder (known or not) replaced by a harmless sample, for URL checks. */
function withSamples(template: string): string {
  return template.replace(/\{([^{}]*)\}/g, (_whole, name: string) => SAMPLE_VALUES[canonicalPlaceholder(name) ?? 'DraftMessageId']);
}

// RFC 3986 path characters; `%` must start an escape. Anything else is refused rather than guessed at.
const PATH_CHARACTER = /[A-Za-z0-9\-._~!$&'()*+,;=:@/%]/;
const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})|%2[eEfF]|%5[cC]/;

function pathIssues(path: string): { key: string; params: Record<string, string> }[] {
  const issues: { key: string; params: Record<string, string> }[] = [];
  const stray = [...path].find((char) => !PATH_CHARACTER.test(char));
  if (stray !== undefined) issues.push({ key: 'endpoint.invalidCharacter', params: { character: describeCharacter(stray) } });
  const escape = BAD_ESCAPE.exec(path);
  if (escape) issues.push({ key: 'endpoint.invalidCharacter', params: { character: path.slice(escape.index, escape.index + 3) } });
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) issues.push({ key: 'endpoint.dotSegment', params: {} });
  return issues;
}

/**
 * Checks every template against its rule and the chosen cloud's hosts. Returns issues with translation
 * keys (see `ENDPOINT_MESSAGES_EN`); every issue carries `template` (the English label), `name` and
 * `example` (the cloud's default of that template). With cloud `sandbox` and no `sandboxOrigin` (the
 * browser may not know it), the Graph API endpoint's origin stands in for it when it is a loopback
 * origin; the server passes the real one.
 */
export function validateEndpoints(endpoints: EndpointTemplates, cloud: CloudId, options: ValidateOptions = {}): EndpointIssue[] {
  const issues: EndpointIssue[] = [];
  const given = options.sandboxOrigin ? (normalizeSandboxOrigin(options.sandboxOrigin) ?? undefined) : undefined;
  const sandboxOrigin = cloud === 'sandbox' ? (given ?? originOfLoopback(String(endpoints.graphEndpoint ?? '').trim())) : given;
  const hostOptions: HostOptions = { sandboxOrigin, extraOrigins: options.extraOrigins };
  const defaults = cloud === 'sandbox' && !sandboxOrigin ? defaultEndpoints('sandbox', 'http://127.0.0.1:8788') : defaultEndpoints(cloud, sandboxOrigin);

  for (const name of ENDPOINT_NAMES) {
    const rule = TEMPLATE_RULES[name];
    const common: Record<string, string> = { template: ENDPOINT_LABELS_EN[name], name, example: defaults[name] };
    const push = (key: string, params: Record<string, string> = {}) => issues.push({ name, key, params: { ...common, ...params } });
    const raw = endpoints[name];
    const template = typeof raw === 'string' ? raw.trim() : '';
    if (template === '') {
      push('endpoint.empty');
      continue;
    }
    const before = issues.length;
    checkPlaceholders(template, rule, push);
    // Positions and braces are broken: URL checks on such text would only repeat the same problem.
    if (issues.slice(before).some((issue) => issue.key === 'endpoint.unbalanced')) continue;

    if (isRelativeKind(rule.kind)) checkRelative(template, rule, push);
    else checkAbsoluteShape(template, rule, push, cloud, hostOptions);
  }
  if (!issues.some((issue) => issue.name === 'defaultScope' || issue.name === 'graphEndpoint')) {
    const scope = new URL(withSamples(endpoints.defaultScope.trim()));
    const graph = new URL(withSamples(endpoints.graphEndpoint.trim()));
    if (scope.origin !== graph.origin) {
      issues.push({
        name: 'defaultScope',
        key: 'endpoint.scopeShape',
        params: { template: ENDPOINT_LABELS_EN.defaultScope, name: 'defaultScope', example: `${graph.origin}/.default` },
      });
    }
  }
  return issues;
}

type Push = (key: string, params?: Record<string, string>) => void;

function checkPlaceholders(template: string, rule: TemplateRule, push: Push): void {
  const parsed = parseTemplate(template);
  const allowed = listOf(rule.allowed);
  for (const issue of parsed.issues) {
    if (issue.key === 'endpoint.unknownPlaceholder' && rule.allowed.length === 0) {
      push('endpoint.noPlaceholders', { placeholder: issue.params.placeholder });
    } else {
      push(issue.key, { ...issue.params, ...(issue.key === 'endpoint.unbalanced' ? {} : { allowed }) });
    }
  }
  for (const placeholder of parsed.placeholders) {
    if (rule.allowed.includes(placeholder)) continue;
    if (rule.allowed.length === 0) push('endpoint.noPlaceholders', { placeholder: braces(placeholder) });
    else push('endpoint.placeholderNotAllowed', { placeholder: braces(placeholder), allowed });
  }
  for (const placeholder of rule.required) {
    if (!parsed.placeholders.includes(placeholder)) push('endpoint.missingPlaceholder', { placeholder: braces(placeholder) });
  }
  if (rule.requiredOneOf.length && !rule.requiredOneOf.some((placeholder) => parsed.placeholders.includes(placeholder))) {
    push('endpoint.missingOneOf', { placeholders: listOf(rule.requiredOneOf) });
  }
}

function checkRelative(template: string, rule: TemplateRule, push: Push): void {
  const base = rule.kind === 'messages-path' ? ENDPOINT_LABELS_EN.userMessagesEndpoint : ENDPOINT_LABELS_EN.graphEndpoint;
  const baseName = rule.kind === 'messages-path' ? 'userMessagesEndpoint' : 'graphEndpoint';
  if (!template.startsWith('/') || template.startsWith('//')) {
    push('endpoint.relativeExpected', { base, baseName });
    return;
  }
  const path = withSamples(template);
  if (/[?#]/.test(path)) push('endpoint.queryNotAllowed');
  for (const issue of pathIssues(path.replace(/[?#].*$/, ''))) push(issue.key, issue.params);
}

function checkAbsoluteShape(template: string, rule: TemplateRule, push: Push, cloud: CloudId, options: HostOptions): void {
  const start = /^[a-z][a-z0-9+.-]*:\/\/([^/?#\\]*)/i.exec(template);
  if (!start) {
    push('endpoint.absoluteExpected');
    return;
  }
  if (/[{}]/.test(start[1])) {
    push('endpoint.placeholderInHost');
    return;
  }
  const sample = withSamples(template);
  const purpose = purposeOf(rule.kind);
  const result = checkUrl(sample, cloud, purpose, options);
  if (!result.ok) {
    const others = result.key === 'endpoint.hostNotAllowed' ? cloudsWithHost(result.params.host, purpose).filter((id) => id !== cloud) : [];
    if (others.length) push('endpoint.mixedClouds', { ...result.params, otherCloud: others.map(cloudLabel).join(', '), otherCloudId: others[0] });
    else push(result.key, result.params);
    return;
  }
  const afterAuthority = sample.slice(withSamples(start[0]).length);
  if (/[?#]/.test(afterAuthority)) push('endpoint.queryNotAllowed');
  for (const issue of pathIssues(afterAuthority.replace(/[?#].*$/, ''))) push(issue.key, issue.params);
  const path = new URL(sample).pathname;
  // `{graph}/v1.0/.default` and the like name resources that do not exist.
  if (rule.kind === 'scope' && path !== '/.default') push('endpoint.scopeShape');
  if (rule.kind === 'graph-url' && path.replace(/\/+$/, '') === '') push('endpoint.graphVersion');
}

/** The origin of a URL when it is a loopback origin with a port (a sandbox candidate). */
function originOfLoopback(url: string): string | undefined {
  try {
    const origin = new URL(withSamples(url)).origin;
    return normalizeSandboxOrigin(origin) ?? undefined;
  } catch {
    return undefined;
  }
}

// Expansion.

/** A template could not be expanded: the key and parameters say why (see `ENDPOINT_MESSAGES_EN`). */
export class TemplateExpansionError extends Error {
  override name = 'TemplateExpansionError';
  constructor(
    readonly key: string,
    readonly params: Record<string, string>,
  ) {
    super(formatMessage(ENDPOINT_MESSAGES_EN[key] ?? key, params));
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** One path segment: `encodeURIComponent`, plus the characters it leaves that RFC 3986 reserves. */
export function encodePathSegment(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

function substitute(name: EndpointName, template: string, values: PlaceholderValues): string {
  const rule = TEMPLATE_RULES[name];
  const label = ENDPOINT_LABELS_EN[name];
  const parsed = parseTemplate(template);
  const [first] = parsed.issues;
  if (first) throw new TemplateExpansionError(first.key, { ...first.params, template: label, name, allowed: listOf(rule.allowed) });
  return parsed.tokens
    .map((token) => {
      if (token.kind === 'text') return token.value;
      const placeholder = token.name as Placeholder;
      const params = { template: label, name, placeholder: braces(placeholder) };
      if (!rule.allowed.includes(placeholder)) {
        throw new TemplateExpansionError('endpoint.placeholderNotAllowed', { ...params, allowed: listOf(rule.allowed) });
      }
      const value = values[placeholder];
      if (value === undefined || value === null) throw new TemplateExpansionError('endpoint.valueMissing', params);
      if (typeof value !== 'string' || value === '' || value === '.' || value === '..') {
        throw new TemplateExpansionError('endpoint.valueInvalid', params);
      }
      if (placeholder === 'TenantId' && !GUID.test(value) && !DOMAIN.test(value)) {
        throw new TemplateExpansionError('endpoint.valueInvalid', params);
      }
      return encodePathSegment(value);
    })
    .join('');
}

const joinPath = (base: string, path: string) => `${base.replace(/\/+$/, '')}${path}`;

/**
 * The full absolute URL of a template with its placeholders filled in, each value encoded as one path
 * segment. Relative templates are joined to the expanded Graph API endpoint, or (draft send and draft
 * attachment) to the expanded User messages endpoint. Throws `TemplateExpansionError` for a missing or
 * unusable value, or a placeholder the template may not use. The host check is separate: `checkUrl`,
 * or `resolveEndpoint` for both.
 */
export function expandTemplate(name: EndpointName, endpoints: EndpointTemplates, values: PlaceholderValues = {}): string {
  const rule = TEMPLATE_RULES[name];
  const own = substitute(name, String(endpoints[name] ?? '').trim(), values);
  if (rule.kind === 'graph-path') return joinPath(expandTemplate('graphEndpoint', endpoints, values), own);
  if (rule.kind === 'messages-path') return joinPath(expandTemplate('userMessagesEndpoint', endpoints, values), own);
  return own;
}

/**
 * Expansion and the host check in one step, as the server does before every request. On failure the
 * parameters name the template, so the English message is complete.
 */
export function resolveEndpoint(
  name: EndpointName,
  endpoints: EndpointTemplates,
  values: PlaceholderValues,
  cloud: CloudId,
  options: HostOptions = {},
): { ok: true; url: string } | { ok: false; key: string; params: Record<string, string> } {
  const common = { template: ENDPOINT_LABELS_EN[name], name };
  let url: string;
  try {
    url = expandTemplate(name, endpoints, values);
  } catch (error) {
    if (error instanceof TemplateExpansionError) return { ok: false, key: error.key, params: { ...error.params, ...common } };
    throw error;
  }
  const check = checkUrl(url, cloud, purposeOf(TEMPLATE_RULES[name].kind), options);
  return check.ok ? { ok: true, url } : { ok: false, key: check.key, params: { ...check.params, ...common } };
}

/** Doubles single quotes, as OData string literals require. */
const odataString = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * The URL that finds a user by UPN. Normally the User endpoint with both user placeholders set to the
 * UPN (Graph's `/users/{id | userPrincipalName}` takes either). A UPN that starts with `$` cannot be a
 * path segment (Graph reads `$…` as a system segment), so it is looked up with
 * `{graph}/users?$filter=userPrincipalName eq '…'` instead: the answer is then a collection
 * (`viaFilter: true`), and an empty `value` means no such user.
 */
export function userLookup(endpoints: EndpointTemplates, upn: string): { url: string; viaFilter: boolean } {
  if (upn.startsWith('$')) {
    const graph = expandTemplate('graphEndpoint', endpoints);
    const filter = encodePathSegment(`userPrincipalName eq ${odataString(upn)}`);
    return { url: `${joinPath(graph, '/users')}?$filter=${filter}`, viaFilter: true };
  }
  return { url: expandTemplate('userEndpoint', endpoints, { UserPrincipalName: upn, UserPrincipalId: upn }), viaFilter: false };
}
