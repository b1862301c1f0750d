/**
 * The configuration as the REST contract shows it and as the rest of the server uses it: validation
 * (the shared schemas again, plus what only the server can check), the lock while connected, the
 * etag, sealing of the write-only credential, the audit trail, and the effective configuration (the
 * cloud's defaults merged) for the mail module and the token service.
 */
import { createHash } from 'node:crypto';
import type { CloudId, ConfigInput, ConfigView, ConnectionView, EndpointTemplates, NextSecretView, UpstreamError } from '../../services/contract.js';
import { ENDPOINT_NAMES } from '../../services/contract.js';
import { defaultEndpoints } from '../../services/endpoints.js';
import type { FieldError } from '../../services/errors.js';
import { CLOUD_IDS, englishMessage, validateConfigInput, type Issue } from '../../services/schemas.js';
import type { MailConfig, MailStatus } from '../mail/types.js';
import { SealError, type Sealer } from '../crypto/sealer.js';
import { CERTIFICATE_MESSAGES_EN, inspectCertificate, type CertificateFacts } from './certificate.js';
import { sealedAt, type ConfigRecord, type ConnectionRecord, type GraphMailStore, type SecretField, type StoredSettings } from '../store/types.js';

/** Settings that cannot change while a mailbox is connected (DESIGN.md: PUT /config → 409). */
export { LOCKED_FIELDS } from '../../services/contract.js';

export class ConfigValidationError extends Error {
  override name = 'ConfigValidationError';
  constructor(readonly errors: FieldError[]) {
    super(errors[0]?.message ?? 'Some fields need attention.');
  }
}

export class ConfigStaleError extends Error {
  override name = 'ConfigStaleError';
  constructor(readonly currentEtag: string) {
    super('The configuration was changed by someone else since it was loaded. Reload it, then save again.');
  }
}

export class ConfigLockedError extends Error {
  override name = 'ConfigLockedError';
  constructor(readonly fields: string[]) {
    super(`These settings cannot change while a mailbox is connected: ${fields.join(', ')}. Disconnect first, then change them.`);
  }
}

/** The credential could not be opened (wrong key, tampered store): the server fails closed. */
export class CredentialUnavailableError extends Error {
  override name = 'CredentialUnavailableError';
  readonly code = 'CREDENTIAL_UNREADABLE';
  readonly hint = 'The stored credential cannot be opened with the configured GRAPH_MAIL_KEY. Set the key it was saved with, or enter the credential again.';
}

export type Credential =
  | { kind: 'secret'; clientSecret: string }
  | { kind: 'certificate'; privateKeyPem: string; certificatePem: string; thumbprintS256: string };

/** What the token service needs to know, without opening the credential. */
export interface TokenContext {
  config: MailConfig;
  /** Changes whenever anything a token depends on changes (credential included): cached tokens with another stamp are dropped. */
  stamp: string;
  connection: ConnectionRecord | null;
}

export interface ConfigServiceOptions {
  store: GraphMailStore;
  sealer: Sealer;
  /** The clouds this server offers (`sandbox` only with a sandbox origin). */
  clouds: readonly CloudId[];
  sandboxOrigin?: string;
  /** The redirect URI shown in the form: PUBLIC_URL + base path + /connect/callback. */
  redirectUri: string;
  /** Called after a save or clear that changed what tokens depend on. */
  onCredentialChange?: (configId: string) => void;
}

const EMPTY_CONNECTION: ConnectionView = { state: 'disconnected', account: '', connectedAt: '' };

const etagOf = (record: ConfigRecord | null) => `"${record ? record.revision : '0'}"`;

/** `If-Match` values (a list, weak or strong) against the current etag; `*` matches a saved configuration. */
export function ifMatchSatisfied(header: string, record: ConfigRecord | null): boolean {
  const bare = (tag: string) => tag.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  const current = bare(etagOf(record));
  return header
    .split(',')
    .map(bare)
    .filter(Boolean)
    .some((tag) => (tag === '*' ? record !== null : tag === current));
}

function messageOf(issue: Issue): string {
  const own = CERTIFICATE_MESSAGES_EN[issue.key];
  return own ?? englishMessage(issue);
}

const fieldErrors = (issues: Issue[]): FieldError[] => issues.map((issue) => ({ path: issue.path, message: messageOf(issue), key: issue.key }));

const sameText = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** A short reminder of a secret: at most its last three characters. */
export function secretHint(secret: string): string {
  return secret.length >= 12 ? `…${secret.slice(-3)}` : '…';
}

export class ConfigService {
  constructor(readonly options: ConfigServiceOptions) {}

  get store(): GraphMailStore {
    return this.options.store;
  }

  /** The cloud's default templates; blank ones for a cloud this server does not offer (the sandbox without its origin). */
  defaultsFor(cloud: CloudId): EndpointTemplates {
    if (cloud === 'sandbox' && !this.options.sandboxOrigin) {
      return Object.fromEntries(ENDPOINT_NAMES.map((name) => [name, ''])) as unknown as EndpointTemplates;
    }
    return defaultEndpoints(cloud, cloud === 'sandbox' ? this.options.sandboxOrigin : undefined);
  }

  resolveEndpoints(cloud: CloudId, partial: Partial<EndpointTemplates> | undefined): EndpointTemplates {
    const merged = { ...this.defaultsFor(cloud) };
    for (const name of ENDPOINT_NAMES) {
      const value = partial?.[name];
      if (typeof value === 'string' && value.trim() !== '') merged[name] = value.trim();
    }
    return merged;
  }

  offers(cloud: CloudId): boolean {
    return this.options.clouds.includes(cloud);
  }

  private locked(settings: StoredSettings | undefined, connection: ConnectionRecord | null): boolean {
    if (!settings || settings.mode !== 'delegated' || !connection) return false;
    return connection.state === 'connected' || connection.state === 'needs-reconnect';
  }

  async view(configId: string): Promise<ConfigView> {
    const [record, connection, fields] = await Promise.all([
      this.store.getConfig(configId),
      this.store.getConnection(configId),
      this.store.secretFields(configId),
    ]);
    return this.toView(record, connection, fields);
  }

  private toView(record: ConfigRecord | null, connection: ConnectionRecord | null, fields: SecretField[]): ConfigView {
    const settings = record?.settings;
    const cloud: CloudId = settings?.cloud ?? 'global';
    const credential = settings?.credential ?? 'secret';
    const secretSet = credential === 'certificate' ? fields.includes('privateKey') : fields.includes('clientSecret');
    const connectionView: ConnectionView = connection
      ? {
          state: connection.state,
          account: connection.account,
          connectedAt: connection.connectedAt,
          ...(connection.reason ? { reason: connection.reason } : {}),
          // A check of another From address than the one saved now says nothing about it.
          ...(connection.sendAs && sameText(connection.sendAs.mailbox, settings?.fromAddress ?? '') ? { sendAs: connection.sendAs } : {}),
        }
      : { ...EMPTY_CONNECTION };
    const expiresAt = credential === 'certificate' ? (settings?.certificateExpiresAt ?? '') : (settings?.secretExpiresAt ?? '');
    return {
      mode: settings?.mode ?? 'delegated',
      cloud,
      tenantId: settings?.tenantId ?? '',
      clientId: settings?.clientId ?? '',
      credential,
      secretExpiresAt: settings?.secretExpiresAt ?? '',
      fromName: settings?.fromName ?? '',
      fromAddress: settings?.fromAddress ?? '',
      saveToSentItems: settings?.saveToSentItems ?? true,
      endpoints: this.resolveEndpoints(cloud, settings?.endpoints),
      secret: { set: secretSet, hint: secretSet ? ((credential === 'certificate' ? settings?.certificateHint : settings?.secretHint) ?? '') : '', expiresAt: secretSet ? expiresAt : '', kind: credential },
      connection: connectionView,
      locked: this.locked(settings, connection),
      redirectUri: this.options.redirectUri,
      etag: etagOf(record),
      ...(connection?.grantedPermissions.length ? { grantedPermissions: [...connection.grantedPermissions] } : {}),
      ...(credential === 'secret' && settings?.nextSecret && fields.includes('nextClientSecret') ? { nextSecret: nextSecretView(settings.nextSecret) } : {}),
    };
  }

  /**
   * Validates and saves. Throws `ConfigValidationError` (400), `ConfigStaleError` (412) or
   * `ConfigLockedError` (409). `ifMatch`: the request's `If-Match`, when it sent one.
   */
  async save(configId: string, body: unknown, options: { ifMatch?: string; actor: string }): Promise<ConfigView> {
    const [record, connection, fields] = await Promise.all([
      this.store.getConfig(configId),
      this.store.getConnection(configId),
      this.store.secretFields(configId),
    ]);
    if (options.ifMatch !== undefined && !ifMatchSatisfied(options.ifMatch, record)) throw new ConfigStaleError(etagOf(record));

    const requestedCloud = (body as { cloud?: unknown } | null)?.cloud;
    const offered = typeof requestedCloud === 'string' && this.offers(requestedCloud as CloudId);
    const { value, issues } = validateConfigInput(body, {
      secretSet: fields.includes('clientSecret'),
      certificateSet: fields.includes('privateKey'),
      clouds: this.options.clouds,
      sandboxOrigin: this.options.sandboxOrigin,
      // Only for an offered cloud: the sandbox's defaults do not exist without its origin.
      ...(offered ? { resolveEndpoints: (cloud: CloudId, partial: Partial<EndpointTemplates> | undefined) => this.resolveEndpoints(cloud, partial) } : {}),
    });
    if (!value) throw new ConfigValidationError(fieldErrors(issues));
    const input = value as ConfigInput & { credential: 'secret' | 'certificate'; secretExpiresAt: string; fromName: string; fromAddress: string; saveToSentItems: boolean };

    let certificate: CertificateFacts | undefined;
    if (input.credential === 'certificate' && input.certificate) {
      const inspected = inspectCertificate(input.certificate.certificatePem, input.certificate.privateKeyPem);
      if (!inspected.facts) throw new ConfigValidationError(fieldErrors(inspected.issues));
      certificate = inspected.facts;
    }

    const endpoints = this.resolveEndpoints(input.cloud, input.endpoints);
    const previous = record?.settings;
    if (this.locked(previous, connection) && previous) {
      const changed: string[] = [];
      if (input.mode !== previous.mode) changed.push('mode');
      if (input.cloud !== previous.cloud) changed.push('cloud');
      if (!sameText(input.tenantId, previous.tenantId)) changed.push('tenantId');
      if (!sameText(input.clientId, previous.clientId)) changed.push('clientId');
      const before = this.resolveEndpoints(previous.cloud, previous.endpoints);
      for (const name of ENDPOINT_NAMES) if (endpoints[name] !== before[name]) changed.push(`endpoints.${name}`);
      if (changed.length) throw new ConfigLockedError(changed);
    }

    // Only the templates that differ from the cloud's defaults are kept, so the defaults can follow the cloud.
    const defaults = this.defaultsFor(input.cloud);
    const overrides: Partial<EndpointTemplates> = {};
    for (const name of ENDPOINT_NAMES) if (endpoints[name] !== defaults[name]) overrides[name] = endpoints[name];

    const setSecrets: Partial<Record<SecretField, string>> = {};
    const removeSecrets = new Set<SecretField>();
    const secret = input.clientSecret?.trim() ?? '';
    if (input.removeSecret) removeSecrets.add('clientSecret');
    if (input.credential === 'secret' && secret) {
      setSecrets.clientSecret = this.options.sealer.seal(secret, sealedAt.secret(configId, 'clientSecret'));
      removeSecrets.delete('clientSecret');
      // One credential at rest: a new secret replaces a stored certificate key.
      if (fields.includes('privateKey')) removeSecrets.add('privateKey');
    }
    if (input.credential === 'certificate' && certificate && input.certificate) {
      setSecrets.privateKey = this.options.sealer.seal(input.certificate.privateKeyPem.trim(), sealedAt.secret(configId, 'privateKey'));
      if (fields.includes('clientSecret')) removeSecrets.add('clientSecret');
    }
    const keepsCertificate = !removeSecrets.has('privateKey') && !certificate && previous?.certificatePem;

    // The second secret of a rotation: kept until it has worked, removed on request or with the secret credential.
    const nextSecret = input.nextClientSecret?.trim() ?? '';
    let next = fields.includes('nextClientSecret') ? previous?.nextSecret : undefined;
    if (input.removeNextSecret || input.credential !== 'secret') {
      if (fields.includes('nextClientSecret')) removeSecrets.add('nextClientSecret');
      next = undefined;
    }
    if (input.credential === 'secret' && nextSecret) {
      setSecrets.nextClientSecret = this.options.sealer.seal(nextSecret, sealedAt.secret(configId, 'nextClientSecret'));
      removeSecrets.delete('nextClientSecret');
      next = { hint: secretHint(nextSecret), expiresAt: input.nextSecretExpiresAt ?? '', state: 'pending' };
    } else if (next && input.nextSecretExpiresAt !== undefined) {
      next = { ...next, expiresAt: input.nextSecretExpiresAt };
    }

    const settings: StoredSettings = {
      mode: input.mode,
      cloud: input.cloud,
      tenantId: input.tenantId.trim(),
      clientId: input.clientId.trim(),
      credential: input.credential,
      secretExpiresAt: input.secretExpiresAt ?? '',
      fromName: input.fromName ?? '',
      fromAddress: input.fromAddress ?? '',
      saveToSentItems: input.saveToSentItems ?? true,
      endpoints: overrides,
      secretHint: setSecrets.clientSecret ? secretHint(secret) : removeSecrets.has('clientSecret') ? '' : (previous?.secretHint ?? ''),
      ...(certificate
        ? {
            certificatePem: certificate.certificatePem,
            certificateThumbprint: certificate.thumbprintS256,
            certificateExpiresAt: certificate.expiresAt,
            certificateHint: certificate.hint,
          }
        : keepsCertificate && previous
          ? {
              certificatePem: previous.certificatePem,
              certificateThumbprint: previous.certificateThumbprint,
              certificateExpiresAt: previous.certificateExpiresAt,
              certificateHint: previous.certificateHint,
            }
          : {}),
      ...(next ? { nextSecret: next } : {}),
    };

    const changedFields = this.changedFields(previous, settings, setSecrets, removeSecrets, fields);
    const result = await this.store.saveConfig(configId, {
      settings,
      setSecrets,
      removeSecrets: [...removeSecrets],
      // The compare-and-swap closes the gap between the If-Match check above and the write.
      expectRevision: options.ifMatch !== undefined ? (record?.revision ?? null) : undefined,
      audit: { actor: options.actor, action: 'config.save', fields: changedFields },
    });
    if (!result.ok) throw new ConfigStaleError(etagOf(result.current));

    const locked = this.locked(previous, connection);
    // An unlocked save starts the connection afresh: an application-mode token state or a stale
    // disconnected row means nothing for the new settings.
    if (connection && !locked) await this.store.deleteConnection(configId);
    if (this.tokenRelevantChange(previous, settings, setSecrets, removeSecrets)) this.options.onCredentialChange?.(configId);
    return this.view(configId);
  }

  private changedFields(
    previous: StoredSettings | undefined,
    next: StoredSettings,
    setSecrets: Partial<Record<SecretField, string>>,
    removeSecrets: Set<SecretField>,
    storedFields: SecretField[],
  ): string[] {
    const changed: string[] = [];
    const simple = ['mode', 'cloud', 'tenantId', 'clientId', 'credential', 'secretExpiresAt', 'fromName', 'fromAddress', 'saveToSentItems'] as const;
    for (const name of simple) if (!previous || previous[name] !== next[name]) changed.push(name);
    const before = previous ? this.resolveEndpoints(previous.cloud, previous.endpoints) : null;
    const after = this.resolveEndpoints(next.cloud, next.endpoints);
    for (const name of ENDPOINT_NAMES) if (!before || before[name] !== after[name]) changed.push(`endpoints.${name}`);
    if (setSecrets.clientSecret) changed.push('clientSecret');
    if (setSecrets.privateKey) changed.push('certificate');
    if (setSecrets.nextClientSecret) changed.push('nextClientSecret');
    if ((previous?.nextSecret?.expiresAt ?? '') !== (next.nextSecret?.expiresAt ?? '') && !setSecrets.nextClientSecret && next.nextSecret) changed.push('nextSecretExpiresAt');
    for (const field of removeSecrets) {
      if (storedFields.includes(field) && !setSecrets[field]) changed.push(field === 'privateKey' ? 'certificate.removed' : `${field}.removed`);
    }
    return changed;
  }

  private tokenRelevantChange(
    previous: StoredSettings | undefined,
    next: StoredSettings,
    setSecrets: Partial<Record<SecretField, string>>,
    removeSecrets: Set<SecretField>,
  ): boolean {
    if (!previous) return true;
    // A new second secret is tried at the next token request, not when the cached token expires.
    if (setSecrets.clientSecret || setSecrets.privateKey || setSecrets.nextClientSecret || removeSecrets.size) return true;
    const keys = ['mode', 'cloud', 'tenantId', 'clientId', 'credential'] as const;
    if (keys.some((key) => previous[key] !== next[key])) return true;
    return JSON.stringify(previous.endpoints) !== JSON.stringify(next.endpoints);
  }

  /** Clear: configuration, credential, tokens and connect states go; the log and the audit trail stay. */
  async clear(configId: string, actor: string): Promise<void> {
    await this.store.clearConfig(configId, { actor, action: 'config.clear', fields: ['*'] });
    this.options.onCredentialChange?.(configId);
  }

  /** Forgets the connection (and its refresh token); the settings unlock. */
  async disconnect(configId: string, actor: string): Promise<ConfigView> {
    await this.store.deleteConnection(configId, { actor, action: 'disconnect', fields: ['connection'] });
    this.options.onCredentialChange?.(configId);
    return this.view(configId);
  }

  /** The configuration in effect (defaults merged), or null while nothing usable is saved. */
  async effective(configId: string): Promise<MailConfig | null> {
    const [record, connection] = await Promise.all([this.store.getConfig(configId), this.store.getConnection(configId)]);
    return this.effectiveOf(record, connection);
  }

  private effectiveOf(record: ConfigRecord | null, connection: ConnectionRecord | null): MailConfig | null {
    if (!record || !this.offers(record.settings.cloud)) return null;
    const s = record.settings;
    return {
      mode: s.mode,
      cloud: s.cloud,
      tenantId: s.tenantId,
      clientId: s.clientId,
      fromName: s.fromName,
      fromAddress: s.fromAddress,
      saveToSentItems: s.saveToSentItems,
      endpoints: this.resolveEndpoints(s.cloud, s.endpoints),
      account: s.mode === 'delegated' ? (connection?.account ?? null) : null,
    };
  }

  async status(configId: string): Promise<MailStatus | null> {
    const [record, connection] = await Promise.all([this.store.getConfig(configId), this.store.getConnection(configId)]);
    if (!record) return null;
    const view = this.toView(record, connection, await this.store.secretFields(configId));
    return { connection: view.connection, secretExpiresAt: view.secret.expiresAt || null, credential: view.credential };
  }

  /** The configuration, connection and a stamp of everything tokens depend on. Null while unusable. */
  async tokenContext(configId: string): Promise<TokenContext | null> {
    const [record, connection] = await Promise.all([this.store.getConfig(configId), this.store.getConnection(configId)]);
    const config = this.effectiveOf(record, connection);
    if (!record || !config) return null;
    const field: SecretField = record.settings.credential === 'certificate' ? 'privateKey' : 'clientSecret';
    const sealed = (await this.store.getSecret(configId, field)) ?? '';
    const stamp = createHash('sha256')
      .update(
        JSON.stringify([
          config.mode,
          config.cloud,
          config.tenantId,
          config.clientId,
          config.endpoints.tokenEndpoint,
          config.endpoints.defaultScope,
          field,
          sealed,
          // Delegated: a token belongs to one sign-in; a disconnect or another account drops it.
          config.mode === 'delegated' ? [connection?.state ?? '', connection?.account ?? '', connection?.connectedAt ?? ''] : null,
        ]),
      )
      .digest('base64url');
    return { config, stamp, connection };
  }

  /** The pending second secret, opened; null when there is none (or it was refused, or does not open). */
  async nextCredential(configId: string): Promise<Extract<Credential, { kind: 'secret' }> | null> {
    const record = await this.store.getConfig(configId);
    if (record?.settings.credential !== 'secret' || record.settings.nextSecret?.state !== 'pending') return null;
    const sealed = await this.store.getSecret(configId, 'nextClientSecret');
    if (!sealed) return null;
    try {
      return { kind: 'secret', clientSecret: this.options.sealer.open(sealed, sealedAt.secret(configId, 'nextClientSecret')) };
    } catch (error) {
      if (error instanceof SealError) return null;
      throw error;
    }
  }

  /**
   * The second secret worked: it becomes the secret (with its hint and expiry) and the old one is
   * forgotten, in one write with an audit entry. False when the settings changed in between (a save
   * by an admin wins; the next token request tries again).
   */
  async promoteNextSecret(configId: string): Promise<boolean> {
    const record = await this.store.getConfig(configId);
    const next = record?.settings.nextSecret;
    const sealed = await this.store.getSecret(configId, 'nextClientSecret');
    if (!record || !next || !sealed) return false;
    const clientSecret = this.options.sealer.open(sealed, sealedAt.secret(configId, 'nextClientSecret'));
    const { nextSecret: _promoted, ...rest } = record.settings;
    const settings: StoredSettings = { ...rest, secretHint: next.hint, secretExpiresAt: next.expiresAt };
    const result = await this.store.saveConfig(configId, {
      settings,
      setSecrets: { clientSecret: this.options.sealer.seal(clientSecret, sealedAt.secret(configId, 'clientSecret')) },
      removeSecrets: ['nextClientSecret'],
      expectRevision: record.revision,
      audit: { actor: 'token-service', action: 'secret.rotate', fields: ['clientSecret', 'secretExpiresAt', 'nextClientSecret.removed'] },
    });
    if (result.ok) this.options.onCredentialChange?.(configId);
    return result.ok;
  }

  /** The identity platform refused the second secret: it is kept, marked with why, and not tried again until replaced. */
  async rejectNextSecret(configId: string, error: UpstreamError): Promise<void> {
    const record = await this.store.getConfig(configId);
    const next = record?.settings.nextSecret;
    if (!record || !next || next.state !== 'pending') return;
    await this.store.saveConfig(configId, {
      settings: { ...record.settings, nextSecret: { ...next, state: 'rejected', error } },
      expectRevision: record.revision,
      audit: { actor: 'token-service', action: 'secret.next-rejected', fields: ['nextClientSecret'] },
    });
  }

  /** Opens the stored credential. Throws `CredentialUnavailableError` when there is none or it does not open. */
  async credential(configId: string): Promise<Credential> {
    const record = await this.store.getConfig(configId);
    if (!record) throw new CredentialUnavailableError('No configuration is saved.');
    const { settings } = record;
    const field: SecretField = settings.credential === 'certificate' ? 'privateKey' : 'clientSecret';
    const sealed = await this.store.getSecret(configId, field);
    if (!sealed) throw new CredentialUnavailableError('No credential is saved.');
    let opened: string;
    try {
      opened = this.options.sealer.open(sealed, sealedAt.secret(configId, field));
    } catch (error) {
      if (error instanceof SealError) throw new CredentialUnavailableError(`The stored credential does not open: ${error.message}`);
      throw error;
    }
    if (settings.credential === 'certificate') {
      if (!settings.certificatePem || !settings.certificateThumbprint) throw new CredentialUnavailableError('The certificate is missing.');
      return { kind: 'certificate', privateKeyPem: opened, certificatePem: settings.certificatePem, thumbprintS256: settings.certificateThumbprint };
    }
    return { kind: 'secret', clientSecret: opened };
  }
}

export { CLOUD_IDS };

function nextSecretView(next: NonNullable<StoredSettings['nextSecret']>): NextSecretView {
  return { set: true, hint: next.hint, expiresAt: next.expiresAt, kind: 'secret', state: next.state, ...(next.error ? { error: next.error } : {}) };
}
