import { nothing, type TemplateResult } from 'lit';
import { html } from 'lit/static-html.js';
import { property, query, state } from 'lit/decorators.js';
import { live } from 'lit/directives/live.js';
import { Task, TaskStatus } from '@lit/task';
import type {
  AuthMode,
  CloudId,
  CloudInfo,
  ConfigInput,
  ConfigView,
  CredentialKind,
  EmailBackendAdapter,
  EndpointTemplates,
  SendAsCheck,
  TestReport,
  TestStep,
} from '../../services/contract.js';
import { ConflictError, NetworkError, StaleError, UnauthorizedError, ValidationProblem, isAbort, type FieldError } from '../../services/errors.js';
import { CLOUD_PRESETS, defaultEndpoints } from '../../services/endpoints.js';
import { secretReminderDays } from '../../services/secret-reminder.js';
import {
  CertificatePemSchema,
  ClientIdSchema,
  ClientSecretSchema,
  DisplayNameSchema,
  EmailSchema,
  OptionalEmailSchema,
  PrivateKeyPemSchema,
  SecretExpiresSchema,
  TenantIdSchema,
  fieldIssue,
  type Issue,
} from '../../services/schemas.js';
import { AzureConnectButton } from '../azure-connect-button/azure-connect-button.js';
import { EndpointTemplateEditor } from '../endpoint-template-editor/endpoint-template-editor.js';
import { emailConfigFormStyles } from './email-config-form.styles.js';
import { emailConfigFormStrings, type EmailConfigFormStringKey } from './email-config-form.strings.js';
import { permissionRows, usesDrafts } from './permissions.js';
import { PLUMBING, defaultAdapterFor, defineElement, ensureDefined } from '../shared/index.js';

/** The ids a field's control carries: its own, what describes it, and whether it is invalid. */
type FieldIds = { id: string; describedBy: string | typeof nothing; invalid: boolean };

/** A sending method the host adds (SMTP, say); its fields go into the slot `method-<value>`. */
export interface HostMethod {
  value: string;
  label: string;
}

type FieldPath =
  | 'mode'
  | 'tenantId'
  | 'clientId'
  | 'credential'
  | 'clientSecret'
  | 'certificate.certificatePem'
  | 'certificate.privateKeyPem'
  | 'secretExpiresAt'
  | 'nextClientSecret'
  | 'nextSecretExpiresAt'
  | 'cloud'
  | 'fromName'
  | 'fromAddress'
  | 'saveToSentItems';

/** Fields in the order they appear, for "focus the first invalid field". */
const FIELD_ORDER: readonly FieldPath[] = [
  'mode',
  'tenantId',
  'clientId',
  'credential',
  'clientSecret',
  'certificate.certificatePem',
  'certificate.privateKeyPem',
  'secretExpiresAt',
  'nextClientSecret',
  'nextSecretExpiresAt',
  'cloud',
  'fromName',
  'fromAddress',
  'saveToSentItems',
];

/** The fields a connection locks (the server answers 409 when they change while connected). */
const LOCKED_FIELDS = new Set<FieldPath>(['mode', 'tenantId', 'clientId', 'cloud']);

const LABEL_KEYS: Record<FieldPath, EmailConfigFormStringKey> = {
  mode: 'label.mode',
  tenantId: 'label.tenantId',
  clientId: 'label.clientId',
  credential: 'label.credential',
  clientSecret: 'label.clientSecret',
  'certificate.certificatePem': 'label.certificatePem',
  'certificate.privateKeyPem': 'label.privateKeyPem',
  secretExpiresAt: 'label.secretExpiresAt',
  nextClientSecret: 'label.nextClientSecret',
  nextSecretExpiresAt: 'label.nextSecretExpiresAt',
  cloud: 'label.cloud',
  fromName: 'label.fromName',
  fromAddress: 'label.fromAddress',
  saveToSentItems: 'label.saveToSentItems',
};

interface Draft {
  mode: string;
  cloud: CloudId;
  tenantId: string;
  clientId: string;
  credential: CredentialKind;
  secretExpiresAt: string;
  fromName: string;
  fromAddress: string;
  saveToSentItems: boolean;
  endpoints: EndpointTemplates;
  removeSecret: boolean;
  /** The second secret of a rotation: its expiry, and whether to drop the saved one. */
  nextSecretExpiresAt: string;
  removeNextSecret: boolean;
}

/** Write-only values: held here and in their inputs only, never in reactive state or attributes. */
interface Secrets {
  clientSecret: string;
  certificatePem: string;
  privateKeyPem: string;
  nextClientSecret: string;
}

const emptySecrets = (): Secrets => ({ clientSecret: '', certificatePem: '', privateKeyPem: '', nextClientSecret: '' });

const dateOnly = (iso: string | undefined) => (iso ? iso.slice(0, 10) : '');

function draftOf(view: ConfigView): Draft {
  return {
    mode: view.mode,
    cloud: view.cloud,
    tenantId: view.tenantId ?? '',
    clientId: view.clientId ?? '',
    credential: view.credential ?? view.secret?.kind ?? 'secret',
    secretExpiresAt: dateOnly(view.secretExpiresAt || view.secret?.expiresAt),
    fromName: view.fromName ?? '',
    fromAddress: view.fromAddress ?? '',
    saveToSentItems: view.saveToSentItems ?? true,
    endpoints: { ...view.endpoints },
    removeSecret: false,
    nextSecretExpiresAt: dateOnly(view.nextSecret?.expiresAt),
    removeNextSecret: false,
  };
}

const DAY = 24 * 60 * 60 * 1000;
const EXPIRY_WARNING_DAYS = 30;

/** A step's status as an icon (hidden from assistive technology) plus text. */
const STEP_ICONS: Record<TestStep['status'], string> = { ok: '✓', failed: '✗', skipped: '–' };

/** A field message: a translation key with parameters, or text the server sent. */
type Feedback = { issue: Issue } | { text: string };

/**
 * @summary The mail settings page: the Microsoft 365 method, tenant, application, credential, national
 * cloud and sender, with validation, the sign-in, a test send, a setup guide and the API endpoints.
 *
 * With an adapter that offers them (`HttpAdapter` and `MemoryAdapter` do), the form also looks up the
 * cloud of a tenant when the Tenant ID is left and offers to switch the Domain to it, downloads the
 * redacted support bundle ("Download support bundle"), and in application mode shows the Exchange Online
 * PowerShell that restricts the app to the sender mailbox.
 *
 * @tag email-config-form
 *
 * @slot - Shown below the settings (for example a link to the notification log).
 * @slot method-<value> - The fields of a host method added through `methods` (for example `method-smtp`).
 *
 * @csspart base - The wrapper of everything.
 * @csspart tabs - The tab list.
 * @csspart tab - Each tab.
 * @csspart panel - Each tab panel.
 * @csspart field - A label with its control.
 * @csspart label - A field's label.
 * @csspart input - Every input, select and text area.
 * @csspart hint - Help text below a field.
 * @csspart feedback - A field's validation message.
 * @csspart secret-status - "A secret is saved …" and its expiry warning.
 * @csspart lock-notice - The notice that the connection settings are locked.
 * @csspart next-secret - The second secret of a rotation (shown within 30 days of the expiry, or on demand).
 * @csspart next-secret-status - Whether the saved second secret is waiting to be used or was refused.
 * @csspart send-as - Delegated: whether the signed-in account may send as the From address.
 * @csspart actions - The row of Save, Test Settings, Clear and Reset.
 * @csspart button - Every button of the form.
 * @csspart status - Announcements (saved, reset, errors).
 * @csspart test-panel - The inline test panel.
 * @csspart test-steps - The checklist of the test report.
 * @csspart permissions - The permission panel.
 * @csspart guide - The collapsible setup guide.
 * @csspart cloud-notice - Below the Tenant ID: the tenant lives in another cloud (with a button that switches
 * the Domain), or in none.
 * @csspart restrict-app - Application mode: the disclosure with the PowerShell that restricts the app to the
 * sender mailbox (loaded when opened), the server's warnings and a copy button.
 * @csspart script - The read-only PowerShell text in `restrict-app`.
 * @csspart dialog - The Clear confirmation.
 * @csspart connect - The `<azure-connect-button>` in the Connection tab.
 * @csspart endpoints - The `<endpoint-template-editor>` in the API Endpoints tab.
 *
 * @cssproperty --gm-color-primary - Background of the Save button. Default #0f6cbd.
 * @cssproperty --gm-color-on-primary - Text on the Save button. Default #ffffff.
 * @cssproperty --gm-color-text - Text colour. Default inherit.
 * @cssproperty --gm-color-text-muted - Hints and times. Default #505050.
 * @cssproperty --gm-color-border - Borders of tabs, panels and inputs. Default #8a8886.
 * @cssproperty --gm-color-surface - Background of panels and the selected tab. Default #ffffff.
 * @cssproperty --gm-color-danger-text - Errors. Default #a4262c.
 * @cssproperty --gm-color-danger-background - Error background. Default #fde7e9.
 * @cssproperty --gm-color-warning-text - Warnings. Default #6a4b00.
 * @cssproperty --gm-color-warning-background - Warning background. Default #fff4ce.
 * @cssproperty --gm-color-success-text - Passed steps. Default #0e5c0e.
 * @cssproperty --gm-color-success-background - Success background. Default #dff6dd.
 * @cssproperty --gm-color-info-text - Notices. Default #0c3b5e.
 * @cssproperty --gm-color-info-background - Notice background. Default #ebf3fc.
 * @cssproperty --gm-color-link - Link-styled buttons. Default #0f6cbd.
 * @cssproperty --gm-input-background - Inputs. Default #ffffff.
 * @cssproperty --gm-input-readonly-background - Read-only inputs. Default #f3f2f1.
 * @cssproperty --gm-input-border-color - Input borders. Default #8a8886.
 * @cssproperty --gm-input-padding - Input padding. Default 0.375rem 0.5rem.
 * @cssproperty --gm-button-padding - Button padding. Default 0.375rem 0.875rem.
 * @cssproperty --gm-border-radius - Corner radius. Default 4px.
 * @cssproperty --gm-spacing-small - Small gaps. Default 0.5rem.
 * @cssproperty --gm-spacing-medium - Gaps between fields. Default 1rem.
 * @cssproperty --gm-focus-ring - Focus outline. Default 2px solid #0f6cbd.
 * @cssproperty --gm-font-mono - Font of PEM fields and ids. Default ui-monospace, monospace.
 * @cssproperty --gm-form-max-width - Maximum width. Default 48rem.
 *
 * @event gm-save - Save was selected and the fields are valid. Cancelable. `detail.config` is the
 * `ConfigInput` without its write-only values (`clientSecret`, `certificate`); `detail.credentialChanged`
 * says whether a new credential is part of the save; `detail.method` names the method (a host method's
 * save is the host's to do: the form calls the adapter only for the Microsoft methods).
 * @event gm-saved - The server saved the settings. `detail.config` is the saved `ConfigView`.
 * @event gm-cleared - The settings were cleared after confirmation.
 * @event gm-test-complete - A test finished. `detail.report` is the `TestReport`.
 */
export class EmailConfigForm extends PLUMBING.Base {
  static override styles = emailConfigFormStyles;

  /** Registers the element and what it renders (default tag `email-config-form`); warns on a second definition. */
  static define(tagName = 'email-config-form'): void {
    ensureDefined('azure-connect-button', AzureConnectButton);
    ensureDefined('endpoint-template-editor', EndpointTemplateEditor);
    defineElement(tagName, this);
  }

  /** The backend. When not set, the one provided by an ancestor is used. */
  @property({ attribute: false }) adapter?: EmailBackendAdapter;

  /** Sending methods the host adds to "Email method"; each renders its fields in the slot `method-<value>`. */
  @property({ attribute: false }) methods: HostMethod[] = [];

  /** The app name the setup guide suggests; by default one made from this site's host name. */
  @property({ attribute: 'app-name' }) appName = '';

  @state() private view?: ConfigView;
  @state() private draft?: Draft;
  @state() private clouds: CloudInfo[] = [];
  @state() private activeTab: 'connection' | 'endpoints' = 'connection';
  @state() private touched = new Set<string>();
  @state() private submitted = false;
  @state() private serverErrors = new Map<string, Feedback>();
  @state() private endpointErrors: FieldError[] = [];
  @state() private saving = false;
  @state() private formError = '';
  @state() private announcement = '';
  @state() private testOpen = false;
  @state() private testTo = '';
  @state() private testSubject = '';
  @state() private testToTouched = false;
  @state() private testRunning = false;
  @state() private testReport?: TestReport;
  @state() private testError = '';
  @state() private copyStatus = '';
  @state() private clearing = false;
  /** The tenant to look up: set when the field is left with a valid value, emptied when it changes. */
  @state() private tenantToCheck = '';
  @state() private restrictOpen = false;
  /** The second-secret fields, opened on demand before the secret is due (they open by themselves within 30 days). */
  @state() private nextSecretOpen = false;

  private secrets: Secrets = emptySecrets();
  private readonly localize = new PLUMBING.Localize(this, emailConfigFormStrings);
  private readonly adapterConsumer = PLUMBING.consumeAdapter(this);
  private readonly adapterProvider = PLUMBING.provideAdapter(this);
  private readonly submitGuard = PLUMBING.preventImplicitSubmit(this);

  @query('dialog') private dialog?: HTMLDialogElement;

  private readonly loadTask = new Task(this, {
    task: async ([adapter], { signal }) => {
      if (!adapter) throw new NetworkError('No adapter');
      const [view, clouds] = await Promise.all([
        adapter.getConfig(signal),
        adapter.getClouds(signal).catch((error: unknown) => {
          if (isAbort(error)) throw error;
          return [] as CloudInfo[];
        }),
      ]);
      this.clouds = clouds;
      this.applyView(view);
      return view;
    },
    args: () => [this.backend] as const,
  });

  /** Debounced, and aborted when the tenant changes; a failed lookup says nothing. */
  private readonly tenantTask = new Task(this, {
    task: async ([tenant, adapter], { signal }) => {
      if (!tenant || !adapter?.lookupTenant) return null;
      await new Promise((resolve) => setTimeout(resolve, 300));
      signal.throwIfAborted();
      return adapter.lookupTenant(tenant, signal).catch(() => null);
    },
    args: () => [this.tenantToCheck, this.backend] as const,
  });

  /** Loaded when the disclosure opens, again after a save. */
  private readonly restrictTask = new Task(this, {
    task: ([open, adapter], { signal }) => (open && adapter?.getAppRestriction ? adapter.getAppRestriction(signal) : Promise.resolve(null)),
    args: () => [this.restrictOpen, this.backend, this.view?.etag] as const,
  });

  private get backend(): EmailBackendAdapter | undefined {
    return this.adapter ?? this.adapterConsumer.value ?? defaultAdapterFor(this);
  }

  private t(key: EmailConfigFormStringKey | string, params?: Record<string, string | number>): string {
    return this.localize.term(key, params);
  }

  protected override willUpdate(): void {
    // Children (the connect button, the endpoint editor) get the same backend, whichever way it came.
    this.adapterProvider.setValue(this.backend);
  }

  // State.

  private applyView(view: ConfigView): void {
    this.view = view;
    this.draft = draftOf(view);
    this.clearSecrets();
    this.touched = new Set();
    this.submitted = false;
    this.serverErrors = new Map();
    this.endpointErrors = [];
  }

  private clearSecrets(): void {
    this.secrets = emptySecrets();
    // The inputs hold the only other copy; `live` bindings write '' on the next render, but do it now too.
    for (const input of this.renderRoot?.querySelectorAll?.<HTMLInputElement | HTMLTextAreaElement>('[data-secret]') ?? []) {
      input.value = '';
    }
  }

  private get locked(): boolean {
    return Boolean(this.view && (this.view.locked || this.view.connection?.state === 'connected'));
  }

  private get isMicrosoftMode(): boolean {
    return this.draft?.mode === 'delegated' || this.draft?.mode === 'application';
  }

  private get hasChanges(): boolean {
    const { draft, view } = this;
    if (!draft || !view) return false;
    const saved = draftOf(view);
    const keys = Object.keys(saved) as (keyof Draft)[];
    const changed = keys.some((key) =>
      key === 'endpoints' ? JSON.stringify(saved.endpoints) !== JSON.stringify(draft.endpoints) : saved[key] !== draft[key],
    );
    return changed || Object.values(this.secrets).some((value) => value !== '');
  }

  private isDirty(path: string): boolean {
    if (!this.draft || !this.view) return false;
    if (path === 'clientSecret') return this.secrets.clientSecret !== '';
    if (path === 'nextClientSecret') return this.secrets.nextClientSecret !== '';
    if (path === 'certificate.certificatePem') return this.secrets.certificatePem !== '';
    if (path === 'certificate.privateKeyPem') return this.secrets.privateKeyPem !== '';
    const saved = draftOf(this.view) as unknown as Record<string, unknown>;
    return saved[path] !== (this.draft as unknown as Record<string, unknown>)[path];
  }

  private update_(patch: Partial<Draft>): void {
    if (!this.draft) return;
    this.draft = { ...this.draft, ...patch };
    this.formError = '';
  }

  private onFieldInput(path: FieldPath, value: string | boolean): void {
    if (path === 'clientSecret' || path === 'nextClientSecret' || path === 'certificate.certificatePem' || path === 'certificate.privateKeyPem') {
      const key = path === 'clientSecret' || path === 'nextClientSecret' ? path : path === 'certificate.certificatePem' ? 'certificatePem' : 'privateKeyPem';
      this.secrets[key] = String(value);
      this.requestUpdate();
    } else if (path === 'cloud') {
      this.onCloudChange(value as CloudId);
    } else {
      if (path === 'tenantId') this.tenantToCheck = '';
      this.update_({ [path]: value } as Partial<Draft>);
    }
    if (this.serverErrors.has(path)) {
      const next = new Map(this.serverErrors);
      next.delete(path);
      this.serverErrors = next;
    }
  }

  /** A new cloud moves the templates that were still the old cloud's defaults along with it. */
  private onCloudChange(cloud: CloudId): void {
    const draft = this.draft;
    if (!draft) return;
    let endpoints = draft.endpoints;
    try {
      const before = this.defaultsFor(draft.cloud);
      const after = this.defaultsFor(cloud);
      if (before && after) {
        endpoints = { ...endpoints };
        for (const name of Object.keys(after) as (keyof EndpointTemplates)[]) {
          if (endpoints[name] === before[name]) endpoints[name] = after[name];
        }
      }
    } catch {
      // An unknown cloud keeps the templates; the server validates them.
    }
    this.update_({ cloud, endpoints });
  }

  private defaultsFor(cloud: CloudId): EndpointTemplates | null {
    if (cloud === 'sandbox') {
      const info = this.clouds.find((c) => c.id === 'sandbox');
      return info ? defaultEndpoints('sandbox', `http://${info.loginHost}`) : null;
    }
    return defaultEndpoints(cloud);
  }

  private onFieldBlur(path: string): void {
    if (path === 'tenantId' && !this.locked && !this.issueFor(path)) this.tenantToCheck = this.draft!.tenantId.trim();
    if (this.touched.has(path)) return;
    this.touched = new Set(this.touched).add(path);
  }

  // Validation.

  /** The problem with one field now, from the shared schemas and the rules that depend on the mode. */
  private issueFor(path: FieldPath): Issue | null {
    const d = this.draft;
    if (!d || !this.isMicrosoftMode) return null;
    const secret = this.view?.secret;
    const credentialSet = Boolean(secret?.set) && !d.removeSecret;
    switch (path) {
      case 'tenantId':
        return fieldIssue(TenantIdSchema, d.tenantId, path);
      case 'clientId': {
        const issue = fieldIssue(ClientIdSchema, d.clientId, path);
        if (issue) return issue;
        return d.tenantId.trim() && d.tenantId.trim().toLowerCase() === d.clientId.trim().toLowerCase()
          ? { path, key: 'clientId.sameAsTenant' }
          : null;
      }
      case 'clientSecret': {
        if (d.credential !== 'secret') return null;
        const value = this.secrets.clientSecret;
        if (!value.trim() && (!credentialSet || secret?.kind === 'certificate')) return { path, key: 'clientSecret.required' };
        return fieldIssue(ClientSecretSchema, value, path);
      }
      case 'certificate.certificatePem':
      case 'certificate.privateKeyPem': {
        if (d.credential !== 'certificate') return null;
        const { certificatePem, privateKeyPem } = this.secrets;
        const keepSaved = credentialSet && secret?.kind === 'certificate';
        if (!certificatePem.trim() && !privateKeyPem.trim()) {
          return keepSaved || path === 'certificate.privateKeyPem' ? null : { path, key: 'certificate.required' };
        }
        return path === 'certificate.certificatePem'
          ? fieldIssue(CertificatePemSchema, certificatePem, path)
          : fieldIssue(PrivateKeyPemSchema, privateKeyPem, path);
      }
      case 'secretExpiresAt':
        return fieldIssue(SecretExpiresSchema, d.secretExpiresAt, path);
      case 'nextClientSecret':
        return this.secrets.nextClientSecret.trim() ? fieldIssue(ClientSecretSchema, this.secrets.nextClientSecret, path) : null;
      case 'nextSecretExpiresAt':
        return fieldIssue(SecretExpiresSchema, d.nextSecretExpiresAt, path);
      case 'fromName':
        return fieldIssue(DisplayNameSchema, d.fromName, path);
      case 'fromAddress':
        if (d.mode === 'application' && !d.fromAddress.trim()) return { path, key: 'fromAddress.required' };
        return fieldIssue(OptionalEmailSchema, d.fromAddress, path);
      default:
        return null;
    }
  }

  /** What a field shows now: the server's word first, then the schema's once touched and dirty, or after Save. */
  private feedbackFor(path: FieldPath): Feedback | null {
    const server = this.serverErrors.get(path);
    if (server) return server;
    const show = this.submitted || (this.touched.has(path) && this.isDirty(path));
    if (!show) return null;
    const issue = this.issueFor(path);
    return issue ? { issue } : null;
  }

  private messageOf(feedback: Feedback, path: string): string {
    if ('text' in feedback) return feedback.text;
    const labelKey = LABEL_KEYS[path as FieldPath];
    return this.t(feedback.issue.key, { field: labelKey ? this.t(labelKey) : path, ...feedback.issue.params });
  }

  private invalidFields(): FieldPath[] {
    return FIELD_ORDER.filter((path) => this.fieldShown(path) && (this.serverErrors.has(path) || this.issueFor(path)));
  }

  private fieldShown(path: FieldPath): boolean {
    const d = this.draft;
    if (!d) return false;
    if (path === 'mode') return true;
    if (!this.isMicrosoftMode) return false;
    if (path === 'clientSecret') return d.credential === 'secret';
    if (path === 'nextClientSecret' || path === 'nextSecretExpiresAt') return this.nextSecretShown;
    if (path === 'certificate.certificatePem' || path === 'certificate.privateKeyPem') return d.credential === 'certificate';
    return true;
  }

  private async focusField(path: string): Promise<void> {
    if (path.startsWith('endpoints.')) {
      this.activeTab = 'endpoints';
      await this.updateComplete;
      (this.renderRoot.querySelector('[part~="endpoints"]') as HTMLElement | null)?.focus();
      return;
    }
    this.activeTab = 'connection';
    await this.updateComplete;
    (this.renderRoot.querySelector(`#${CSS.escape(this.idOf(path))}`) as HTMLElement | null)?.focus();
  }

  private idOf(path: string): string {
    return `f-${path.replace(/\./g, '-')}`;
  }

  // Actions.

  /** Validates, fires `gm-save`, and saves through the adapter. Resolves when done. */
  async save(): Promise<void> {
    const adapter = this.backend;
    const d = this.draft;
    if (!adapter || !d || this.saving) return;
    this.submitted = true;
    this.announcement = '';
    this.formError = '';
    if (!this.isMicrosoftMode) {
      this.emit('gm-save', { config: null, credentialChanged: false, method: d.mode }, true);
      return;
    }
    const invalid = this.invalidFields();
    if (invalid.length) {
      this.formError = this.t('status.invalid');
      await this.focusField(invalid[0]);
      return;
    }
    const input = this.configInput(d);
    const { clientSecret, certificate, nextClientSecret, ...shown } = input;
    const credentialChanged = Boolean(clientSecret || certificate || nextClientSecret || input.removeSecret || input.removeNextSecret);
    if (!this.emit('gm-save', { config: shown, credentialChanged, method: d.mode }, true)) return;
    this.saving = true;
    try {
      const view = await adapter.saveConfig(input, { etag: this.view?.etag });
      this.applyView(view);
      this.announcement = this.t('status.saved');
      this.emit('gm-saved', { config: view });
    } catch (error) {
      await this.showSaveError(error);
    } finally {
      this.saving = false;
    }
  }

  private configInput(d: Draft): ConfigInput {
    const input: ConfigInput = {
      mode: d.mode as AuthMode,
      cloud: d.cloud,
      tenantId: d.tenantId.trim(),
      clientId: d.clientId.trim(),
      credential: d.credential,
      secretExpiresAt: d.secretExpiresAt,
      fromName: d.fromName.trim(),
      fromAddress: d.fromAddress.trim(),
      saveToSentItems: d.saveToSentItems,
      endpoints: { ...d.endpoints },
    };
    if (d.credential === 'secret' && this.secrets.clientSecret.trim()) input.clientSecret = this.secrets.clientSecret.trim();
    if (d.credential === 'certificate' && this.secrets.certificatePem.trim()) {
      input.certificate = { certificatePem: this.secrets.certificatePem.trim(), privateKeyPem: this.secrets.privateKeyPem.trim() };
    }
    if (d.removeSecret) input.removeSecret = true;
    if (d.credential === 'secret' && this.nextSecretShown) {
      if (this.secrets.nextClientSecret.trim()) input.nextClientSecret = this.secrets.nextClientSecret.trim();
      if (d.nextSecretExpiresAt || this.view?.nextSecret) input.nextSecretExpiresAt = d.nextSecretExpiresAt;
      if (d.removeNextSecret && !input.nextClientSecret) input.removeNextSecret = true;
    }
    return input;
  }

  private async showSaveError(error: unknown): Promise<void> {
    if (error instanceof ValidationProblem && error.errors.length) {
      this.applyServerErrors(error.errors);
      this.formError = this.t('status.invalid');
      const first = [...FIELD_ORDER.filter((path) => this.serverErrors.has(path)), ...this.endpointErrors.map((e) => e.path)][0];
      if (first) await this.focusField(first);
      return;
    }
    if (error instanceof ConflictError) this.formError = this.t('save.locked');
    else if (error instanceof StaleError) this.formError = this.t('save.stale');
    else if (error instanceof NetworkError) this.formError = this.t('save.network');
    else if (error instanceof UnauthorizedError) this.formError = this.t('save.unauthorized');
    else this.formError = this.t('save.failed', { message: error instanceof Error ? error.message : String(error) });
  }

  /** The server's field errors, on the same fields as our own (endpoint ones go to the editor). */
  private applyServerErrors(errors: readonly FieldError[]): void {
    const fields = new Map<string, Feedback>();
    const endpoints: FieldError[] = [];
    for (const error of errors) {
      if (error.path.startsWith('endpoints.')) {
        endpoints.push(error);
        continue;
      }
      const path = error.path === 'certificate' ? 'certificate.certificatePem' : error.path;
      if (fields.has(path)) continue;
      const known = error.key && error.key in emailConfigFormStrings;
      fields.set(path, known ? { issue: { path, key: error.key! } } : { text: error.message });
    }
    this.serverErrors = fields;
    this.endpointErrors = endpoints;
    if (endpoints.length && !FIELD_ORDER.some((path) => fields.has(path))) this.activeTab = 'endpoints';
  }

  /** Returns to the last saved settings. */
  reset(): void {
    if (!this.view) return;
    this.applyView(this.view);
    this.formError = '';
    this.announcement = this.t('status.reset');
  }

  private openClearDialog(): void {
    this.dialog?.showModal();
  }

  private async confirmClear(): Promise<void> {
    const adapter = this.backend;
    this.dialog?.close();
    if (!adapter) return;
    this.clearing = true;
    this.formError = '';
    try {
      await adapter.clearConfig();
      const view = await adapter.getConfig();
      this.applyView(view);
      this.testReport = undefined;
      this.announcement = this.t('status.cleared');
      this.emit('gm-cleared', {});
    } catch (error) {
      this.formError = this.t('clear.failed', { message: error instanceof Error ? error.message : String(error) });
    } finally {
      this.clearing = false;
      (this.renderRoot.querySelector('[data-action="clear"]') as HTMLElement | null)?.focus();
    }
  }

  private toggleTest(): void {
    this.testOpen = !this.testOpen;
    if (this.testOpen && !this.testTo) {
      this.testTo = this.view?.fromAddress || this.view?.connection?.account || '';
    }
  }

  private get testToIssue(): Issue | null {
    if (!this.testTo.trim()) return { path: 'to', key: 'test.toRequired' };
    return fieldIssue(EmailSchema, this.testTo, 'to');
  }

  private async runTest(): Promise<void> {
    const adapter = this.backend;
    if (!adapter || this.testRunning) return;
    this.testToTouched = true;
    if (this.testToIssue) {
      (this.renderRoot.querySelector('#test-to') as HTMLElement | null)?.focus();
      return;
    }
    this.testRunning = true;
    this.testError = '';
    this.testReport = undefined;
    try {
      const report = await adapter.test({ to: this.testTo.trim(), ...(this.testSubject.trim() ? { subject: this.testSubject.trim() } : {}) });
      this.testReport = report;
      this.emit('gm-test-complete', { report });
    } catch (error) {
      this.testError = this.t('test.couldNotRun', {
        message: error instanceof NetworkError ? this.t('save.network') : error instanceof Error ? error.message : String(error),
      });
    } finally {
      this.testRunning = false;
    }
  }

  private async copy(text: string): Promise<void> {
    this.copyStatus = '';
    try {
      await navigator.clipboard.writeText(text);
      this.copyStatus = this.t('copy.done');
      return;
    } catch {
      // Without clipboard permission (an http intranet page), fall back to a selection and execCommand.
    }
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    this.renderRoot.appendChild(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    this.copyStatus = this.t(ok ? 'copy.done' : 'copy.failed');
  }

  /** Saves the redacted JSON the server makes (fetched with the adapter's credentials). */
  private async downloadSupportBundle(): Promise<void> {
    this.formError = '';
    try {
      const url = URL.createObjectURL(await this.backend!.downloadSupportBundle!());
      const link = document.createElement('a');
      link.href = url;
      link.download = `graph-mail-support-${new Date().toISOString().slice(0, 10)}.json`;
      this.renderRoot.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      this.formError = this.t('support.failed', { message: this.failure(error) });
    }
  }

  private failure(error: unknown): string {
    return error instanceof NetworkError ? this.t('assistant.network') : error instanceof Error ? error.message : String(error);
  }

  private async reloadQuietly(): Promise<void> {
    const adapter = this.backend;
    if (!adapter) return;
    try {
      this.applyView(await adapter.getConfig());
    } catch {
      this.formError = this.t('status.loadFailed');
    }
  }

  private emit(name: string, detail: object, cancelable = false): boolean {
    return this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true, cancelable }));
  }

  // Tabs: plain ARIA tabs with a roving tabindex.

  private onTabKeydown(event: KeyboardEvent): void {
    const order = ['connection', 'endpoints'] as const;
    const index = order.indexOf(this.activeTab);
    let next: number | null = null;
    if (event.key === 'ArrowRight') next = (index + 1) % order.length;
    else if (event.key === 'ArrowLeft') next = (index - 1 + order.length) % order.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = order.length - 1;
    if (next === null) return;
    event.preventDefault();
    this.activeTab = order[next];
    void this.updateComplete.then(() => (this.renderRoot.querySelector(`#tab-${order[next!]}`) as HTMLElement | null)?.focus());
  }

  // Rendering.

  protected override render() {
    if (!this.view || !this.draft) {
      if (this.loadTask.status === TaskStatus.ERROR || !this.backend) {
        return html`<div part="base">
          <p part="status" class="error" role="alert">${this.t(this.loadTask.error instanceof UnauthorizedError ? (this.loadTask.error.signIn ? 'status.signIn' : 'save.unauthorized') : 'status.loadFailed')}</p>
          <div part="actions" class="actions">
            <button part="button" type="button" @click=${() => void this.loadTask.run()}>${this.t('action.retry')}</button>
          </div>
        </div>`;
      }
      return html`<div part="base"><p part="status" role="status">${this.t('status.loading')}</p></div>`;
    }
    const tab = (id: 'connection' | 'endpoints', key: EmailConfigFormStringKey) => html`<button
      id="tab-${id}"
      part="tab"
      role="tab"
      type="button"
      aria-selected=${this.activeTab === id ? 'true' : 'false'}
      aria-controls="panel-${id}"
      tabindex=${this.activeTab === id ? 0 : -1}
      @click=${() => (this.activeTab = id)}
    >
      ${this.t(key)}
    </button>`;
    return html`<div part="base">
      <div part="tabs" class="tablist" role="tablist" aria-label=${this.t('tabs.label')} @keydown=${this.onTabKeydown}>
        ${tab('connection', 'tab.connection')} ${tab('endpoints', 'tab.endpoints')}
      </div>
      <div id="panel-connection" part="panel" role="tabpanel" aria-labelledby="tab-connection" ?hidden=${this.activeTab !== 'connection'}>
        ${this.renderConnection()}
      </div>
      <div id="panel-endpoints" part="panel" role="tabpanel" aria-labelledby="tab-endpoints" ?hidden=${this.activeTab !== 'endpoints'}>
        ${this.renderEndpoints()}
      </div>
      ${this.formError ? html`<p part="status" class="error" role="alert">${this.formError}</p>` : nothing}
      <div part="actions" class="actions">
        <button part="button" class="primary" type="button" data-action="save" ?disabled=${this.saving} @click=${() => void this.save()}>
          ${this.saving ? this.t('status.saving') : this.t('action.save')}
        </button>
        <button
          part="button"
          type="button"
          data-action="test"
          aria-expanded=${this.testOpen ? 'true' : 'false'}
          aria-controls="test-panel"
          ?disabled=${!this.isMicrosoftMode}
          @click=${this.toggleTest}
        >
          ${this.t('action.test')}
        </button>
        <button part="button" type="button" data-action="clear" ?disabled=${this.clearing} @click=${this.openClearDialog}>${this.t('action.clear')}</button>
        <button part="button" type="button" data-action="reset" @click=${this.reset}>${this.t('action.reset')}</button>
        ${this.backend?.downloadSupportBundle
          ? html`<button part="button" type="button" @click=${() => void this.downloadSupportBundle()}>
              ${this.t('action.supportBundle')}
            </button>`
          : nothing}
      </div>
      <div part="status" class="visually-hidden" role="status" aria-live="polite">${this.announcement}</div>
      ${this.testOpen ? this.renderTestPanel() : nothing}
      <slot></slot>
      ${this.renderClearDialog()}
    </div>`;
  }

  private renderField(
    path: FieldPath,
    control: (ids: FieldIds) => TemplateResult,
    options: { required?: boolean; hint?: string | TemplateResult; after?: TemplateResult | typeof nothing; note?: TemplateResult | null } = {},
  ): TemplateResult {
    const id = this.idOf(path);
    const feedback = this.feedbackFor(path);
    const describedBy = [feedback ? `${id}-feedback` : '', options.hint ? `${id}-hint` : '', options.note ? `${id}-note` : ''].filter(Boolean).join(' ');
    return html`<div part="field" class="field">
      <label part="label" for=${id}
        >${this.t(LABEL_KEYS[path])}${options.required ? html`<span class="required" aria-hidden="true">*</span>` : nothing}</label
      >
      <div class="control">
        ${control({ id, describedBy: describedBy || nothing, invalid: Boolean(feedback) })}
        ${feedback ? html`<p id="${id}-feedback" part="feedback" class="feedback">${this.messageOf(feedback, path)}</p>` : nothing}
        ${options.hint ? html`<p id="${id}-hint" part="hint" class="hint">${options.hint}</p>` : nothing} ${options.after ?? nothing}
        ${options.note ? html`<div id="${id}-note" part="cloud-notice" class="warning" role="status">${options.note}</div>` : nothing}
      </div>
    </div>`;
  }

  private textField(path: FieldPath, value: string, options: { required?: boolean; hint?: string; type?: string; autocomplete?: string; note?: TemplateResult | null } = {}) {
    const readOnly = this.locked && LOCKED_FIELDS.has(path);
    return this.renderField(
      path,
      ({ id, describedBy, invalid }) => html`<input
        id=${id}
        part="input"
        type=${options.type ?? 'text'}
        autocomplete=${options.autocomplete ?? 'off'}
        spellcheck="false"
        .value=${live(value)}
        ?readonly=${readOnly}
        ?required=${options.required}
        aria-invalid=${invalid ? 'true' : 'false'}
        aria-describedby=${describedBy}
        @input=${(e: Event) => this.onFieldInput(path, (e.target as HTMLInputElement).value)}
        @blur=${() => this.onFieldBlur(path)}
      />`,
      { required: options.required, hint: options.hint, note: options.note },
    );
  }

  private renderConnection(): TemplateResult {
    const d = this.draft!;
    const view = this.view!;
    const locked = this.locked;
    const modes: HostMethod[] = [
      { value: 'delegated', label: this.t('mode.delegated') },
      { value: 'application', label: this.t('mode.application') },
      ...this.methods,
    ];
    const modeField = this.renderField(
      'mode',
      ({ id, describedBy }) => html`<select
        id=${id}
        part="input"
        ?disabled=${locked}
        aria-describedby=${describedBy}
        @change=${(e: Event) => this.onFieldInput('mode', (e.target as HTMLSelectElement).value)}
      >
        ${modes.map((m) => html`<option value=${m.value} ?selected=${m.value === d.mode}>${m.label}</option>`)}
      </select>`,
      { required: true },
    );
    if (!this.isMicrosoftMode) {
      const method = this.methods.find((m) => m.value === d.mode);
      return html`${modeField}
        <div role="group" aria-label=${this.t('method.hostFields', { method: method?.label ?? d.mode })}>
          <slot name="method-${d.mode}"></slot>
        </div>`;
    }
    const delegated = d.mode === 'delegated';
    const connection = view.connection;
    return html`${modeField}
      ${locked ? html`<p part="lock-notice" class="notice" role="note">${this.t('lock.notice')}</p>` : nothing}
      ${connection?.state === 'needs-reconnect'
        ? html`<p part="lock-notice" class="warning" role="note">
            ${connection.reason ? this.t('lock.needsReconnect', { reason: connection.reason }) : this.t('lock.needsReconnectNoReason')}
          </p>`
        : nothing}
      ${delegated && connection?.state === 'connected' && connection.sendAs ? this.renderSendAs(connection.account, connection.sendAs) : nothing}
      ${this.textField('tenantId', d.tenantId, { required: true, hint: this.t('hint.tenantId'), note: this.tenantNote() })}
      ${this.textField('clientId', d.clientId, { required: true, hint: this.t('hint.clientId') })}
      ${this.renderField(
        'credential',
        ({ id }) => html`<select
          id=${id}
          part="input"
          @change=${(e: Event) => this.onFieldInput('credential', (e.target as HTMLSelectElement).value)}
        >
          <option value="secret" ?selected=${d.credential === 'secret'}>${this.t('credential.secret')}</option>
          <option value="certificate" ?selected=${d.credential === 'certificate'}>${this.t('credential.certificate')}</option>
        </select>`,
      )}
      ${d.credential === 'secret' ? this.renderSecretField() : this.renderCertificateFields()}
      ${this.textField('secretExpiresAt', d.secretExpiresAt, { type: 'date', hint: this.t('hint.secretExpiresAt') })}
      ${d.credential === 'secret' && this.view?.secret?.set && this.view.secret.kind !== 'certificate' ? this.renderNextSecret() : nothing}
      ${this.renderField(
        'cloud',
        ({ id, describedBy }) => html`<select
          id=${id}
          part="input"
          ?disabled=${locked}
          aria-describedby=${describedBy}
          .value=${d.cloud}
          @change=${(e: Event) => this.onFieldInput('cloud', (e.target as HTMLSelectElement).value)}
        >
          ${this.cloudOptions().map((c) => html`<option value=${c} ?selected=${c === d.cloud}>${this.t(`cloud.${c}`)}</option>`)}
        </select>`,
        { required: true },
      )}
      ${delegated ? this.renderRedirectUri() : nothing}
      ${this.textField('fromName', d.fromName)}
      ${this.textField('fromAddress', d.fromAddress, {
        type: 'email',
        required: !delegated,
        hint: delegated ? this.t('hint.fromAddressDelegated') : this.t('hint.fromAddressApplication'),
      })}
      ${this.renderField(
        'saveToSentItems',
        ({ id, describedBy }) => html`<input
          id=${id}
          part="input"
          type="checkbox"
          .checked=${live(d.saveToSentItems)}
          aria-describedby=${describedBy}
          @change=${(e: Event) => this.onFieldInput('saveToSentItems', (e.target as HTMLInputElement).checked)}
        />`,
        { hint: this.sentItemsHint() },
      )}
      ${delegated ? this.renderConnectButton() : nothing} ${this.renderPermissions()} ${this.renderGuide()}
      ${!delegated && this.backend?.getAppRestriction ? this.renderRestrict() : nothing}`;
  }

  /** Where the looked-up tenant lives, when that is not the chosen Domain; or that the Domain does not know it. */
  private tenantNote(): TemplateResult | null {
    const found = this.tenantTask.value;
    const chosen = this.draft!.cloud;
    if (!found || this.locked) return null;
    if (found.cloud && found.cloud !== chosen) {
      const cloud = this.t(`cloud.${found.cloud}`);
      return html`${this.t('tenant.elsewhere', { cloud, chosen: this.t(`cloud.${chosen}`) })}
      ${this.cloudOptions().includes(found.cloud)
        ? html`<button part="button" type="button" @click=${() => (this.onCloudChange(found.cloud!), void this.focusField('cloud'))}>
            ${this.t('tenant.switch', { cloud })}
          </button>`
        : nothing}`;
    }
    return !found.found && found.checked.some((c) => c.cloud === chosen && c.outcome === 'not-found')
      ? html`${this.t('tenant.unknown', { tenant: found.tenant, cloud: this.t(`cloud.${chosen}`) })}`
      : null;
  }

  private renderRestrict(): TemplateResult {
    const task = this.restrictTask;
    const result = task.value;
    return html`<details part="restrict-app" @toggle=${(e: Event) => (this.restrictOpen = (e.target as HTMLDetailsElement).open)}>
      <summary id="restrict-title">${this.t('restrict.summary')}</summary>
      ${task.status === TaskStatus.PENDING ? html`<p role="status">${this.t('restrict.loading')}</p>` : nothing}
      ${task.status === TaskStatus.ERROR ? html`<p class="error" role="alert">${this.failure(task.error)}</p>` : nothing}
      ${result
        ? html`<p>${this.t('restrict.intro', { mailbox: result.mailbox })}</p>
            ${result.warnings.map((warning) => html`<p class="warning">${warning}</p>`)}
            <p><textarea part="input script" readonly rows="12" spellcheck="false" aria-labelledby="restrict-title" .value=${result.script}></textarea></p>
            <button part="button" type="button" @click=${() => void this.copy(result.script)}>${this.t('action.copy')}</button>
            <p class="hint" role="status">${this.copyStatus}</p>`
        : nothing}
    </details>`;
  }

  private cloudOptions(): CloudId[] {
    const offered = this.clouds.map((c) => c.id);
    const ids = offered.length ? offered : (Object.keys(CLOUD_PRESETS) as CloudId[]);
    return ids.includes(this.draft!.cloud) ? ids : [...ids, this.draft!.cloud];
  }

  private sentItemsHint(): string {
    const drafts = usesDrafts(this.grantedPermissions());
    return drafts ? this.t('hint.sentItemsDraft') : this.t('hint.sentItemsSendMail');
  }

  private grantedPermissions(): string[] | undefined {
    return this.testReport?.permissions?.granted ?? this.view?.grantedPermissions;
  }

  private renderSecretField(): TemplateResult {
    const d = this.draft!;
    const secret = this.view!.secret;
    const savedSecret = secret?.set && secret.kind !== 'certificate';
    const hint = savedSecret && !d.removeSecret ? `${this.t('hint.clientSecret')} ${this.t('hint.clientSecretKeep')}` : this.t('hint.clientSecret');
    return this.renderField(
      'clientSecret',
      (slot) => this.secretInput('clientSecret', slot, !savedSecret || d.removeSecret),
      { required: !savedSecret || d.removeSecret, hint, after: savedSecret ? this.renderSecretStatus() : nothing },
    );
  }

  /** A write-only secret field: never autofilled, never spell-checked, its value kept out of the draft. */
  private secretInput(field: 'clientSecret' | 'nextClientSecret', { id, describedBy, invalid }: FieldIds, required: boolean): TemplateResult {
    return html`<input
      id=${id}
      part="input"
      type="password"
      autocomplete="new-password"
      spellcheck="false"
      data-secret
      .value=${live(this.secrets[field])}
      ?required=${required}
      aria-invalid=${invalid ? 'true' : 'false'}
      aria-describedby=${describedBy}
      @input=${(e: Event) => this.onFieldInput(field, (e.target as HTMLInputElement).value)}
      @blur=${() => this.onFieldBlur(field)}
    />`;
  }

  private renderSecretStatus(): TemplateResult {
    const d = this.draft!;
    const secret = this.view!.secret;
    const kindCert = secret.kind === 'certificate';
    const expires = secret.expiresAt || this.view!.secretExpiresAt;
    const days = expires ? Math.ceil((Date.parse(expires) - Date.now()) / DAY) : null;
    const hint = secret.hint || '…';
    let line: string;
    if (days === null || Number.isNaN(days)) line = this.t(kindCert ? 'certificate.saved' : 'secret.saved', { hint });
    else if (days <= 0) line = this.t(kindCert ? 'certificate.saved' : 'secret.saved', { hint });
    else line = this.t(kindCert ? 'certificate.savedExpires' : 'secret.savedExpires', { hint, days });
    const expired = days !== null && !Number.isNaN(days) && days <= 0;
    const soon = days !== null && !Number.isNaN(days) && days > 0 && days <= EXPIRY_WARNING_DAYS;
    const reminder = secretReminderDays(expires);
    return html`<div part="secret-status" class="control">
      ${d.removeSecret
        ? html`<p class="warning">${this.t('secret.removePending')}</p>`
        : html`<p class="hint">${line}</p>
            ${expired ? html`<p class="error" role="alert">${this.t('secret.expired', { date: dateOnly(expires) })}</p>` : nothing}
            ${soon && kindCert ? html`<p class="warning">${this.t('secret.expiringSoon', { days: days! })}</p>` : nothing}
            ${!kindCert && reminder ? html`<p class="warning" data-reminder=${reminder}>${this.t('secret.reminder', { days: days!, date: dateOnly(expires) })}</p>` : nothing}`}
      ${kindCert
        ? nothing
        : html`<button part="button" class="link-button" type="button" data-action="remove-secret" @click=${() => this.update_({ removeSecret: !d.removeSecret })}>
            ${d.removeSecret ? this.t('secret.keep') : this.t('secret.remove')}
          </button>`}
    </div>`;
  }

  /** The second secret, shown when the secret expires within 30 days, when one is saved, or on demand. */
  private get nextSecretShown(): boolean {
    const view = this.view;
    if (!view || this.draft?.credential !== 'secret' || !view.secret?.set || view.secret.kind === 'certificate') return false;
    return this.nextSecretOpen || Boolean(view.nextSecret) || secretReminderDays(view.secret.expiresAt || view.secretExpiresAt) !== null;
  }

  private renderNextSecret(): TemplateResult {
    const d = this.draft!;
    const next = this.view!.nextSecret;
    if (!this.nextSecretShown) {
      return html`<p part="next-secret" class="control">
        <button part="button" class="link-button" type="button" data-action="add-next-secret" @click=${() => (this.nextSecretOpen = true)}>
          ${this.t('secret.addNext')}
        </button>
      </p>`;
    }
    const status = next
      ? html`<div part="next-secret-status" class="control">
          ${d.removeNextSecret
            ? html`<p class="warning">${this.t('secret.nextRemovePending')}</p>`
            : next.state === 'rejected'
              ? html`<p class="error" role="note">${this.t('secret.nextRejected', { hint: next.hint || '…' })}</p>
                  ${next.error ? html`<p class="hint">${next.error.message} ${next.error.hint}</p>` : nothing}`
              : html`<p class="hint">${this.t('secret.nextPending', { hint: next.hint || '…' })}</p>`}
          <button part="button" class="link-button" type="button" data-action="remove-next-secret" @click=${() => this.update_({ removeNextSecret: !d.removeNextSecret })}>
            ${d.removeNextSecret ? this.t('secret.keepNext') : this.t('secret.removeNext')}
          </button>
        </div>`
      : nothing;
    return html`<div part="next-secret">
      ${this.renderField(
        'nextClientSecret',
        (slot) => this.secretInput('nextClientSecret', slot, false),
        { hint: this.t('hint.nextClientSecret'), after: status },
      )}
      ${this.textField('nextSecretExpiresAt', d.nextSecretExpiresAt, { type: 'date', hint: this.t('hint.secretExpiresAt') })}
    </div>`;
  }

  /** Delegated: whether the signed-in account may send as the From mailbox (checked after connecting). */
  private renderSendAs(account: string, check: SendAsCheck): TemplateResult {
    return check.ok
      ? html`<p part="send-as" class="notice" role="note">${this.t('sendAs.ok', { account, mailbox: check.mailbox })}</p>`
      : html`<div part="send-as" class="warning" role="note">
          <p>${this.t('sendAs.denied', { account, mailbox: check.mailbox })}</p>
          ${check.error ? html`<p class="hint">${check.error.message} ${check.error.hint}</p>` : nothing}
        </div>`;
  }

  private renderCertificateFields(): TemplateResult {
    const secret = this.view!.secret;
    const saved = secret?.set && secret.kind === 'certificate';
    const area = (path: 'certificate.certificatePem' | 'certificate.privateKeyPem', value: string) =>
      this.renderField(
        path,
        ({ id, describedBy, invalid }) => html`<textarea
          id=${id}
          part="input"
          spellcheck="false"
          autocomplete="off"
          data-secret
          .value=${live(value)}
          ?required=${!saved}
          aria-invalid=${invalid ? 'true' : 'false'}
          aria-describedby=${describedBy}
          @input=${(e: Event) => this.onFieldInput(path, (e.target as HTMLTextAreaElement).value)}
          @blur=${() => this.onFieldBlur(path)}
        ></textarea>`,
        {
          required: !saved,
          hint: saved ? this.t('hint.certificateKeep') : undefined,
          after: saved && path === 'certificate.certificatePem' ? this.renderSecretStatus() : nothing,
        },
      );
    return html`${area('certificate.certificatePem', this.secrets.certificatePem)} ${area('certificate.privateKeyPem', this.secrets.privateKeyPem)}`;
  }

  private renderRedirectUri(): TemplateResult {
    const uri = this.view!.redirectUri;
    return html`<div part="field" class="field">
      <label part="label" for="f-redirectUri">${this.t('label.redirectUri')}</label>
      <div class="control">
        <div class="row">
          <input id="f-redirectUri" part="input" type="text" readonly .value=${uri} aria-describedby="f-redirectUri-hint" />
          <button part="button" type="button" data-action="copy-redirect" aria-label=${this.t('action.copyRedirectUri')} @click=${() => void this.copy(uri)}>
            ${this.t('action.copy')}
          </button>
        </div>
        <p id="f-redirectUri-hint" part="hint" class="hint">${this.t('hint.redirectUri')}</p>
        <p class="hint" role="status" aria-live="polite">${this.copyStatus}</p>
      </div>
    </div>`;
  }

  private renderConnectButton(): TemplateResult {
    const tag = PLUMBING.staticTag(AzureConnectButton, 'azure-connect-button');
    return html`<${tag}
      part="connect"
      .adapter=${this.backend}
      .config=${this.view}
      ?pending-changes=${this.hasChanges}
      @gm-connected=${() => void this.reloadQuietly()}
      @gm-disconnected=${(e: CustomEvent<{ config: ConfigView }>) => this.applyView(e.detail.config)}
    ></${tag}>`;
  }

  private renderEndpoints(): TemplateResult {
    const d = this.draft!;
    const tag = PLUMBING.staticTag(EndpointTemplateEditor, 'endpoint-template-editor');
    return html`<${tag}
      part="endpoints"
      tabindex="-1"
      .value=${d.endpoints}
      cloud=${d.cloud}
      tenant-id=${d.tenantId}
      sender=${d.fromAddress}
      ?disabled=${this.locked}
      ?readonly=${this.locked}
      .serverErrors=${this.endpointErrors}
      @change=${(e: Event) => {
        const value = (e.target as EndpointTemplateEditor).value as EndpointTemplates;
        this.update_({ endpoints: { ...value } });
        this.endpointErrors = [];
      }}
      @gm-reset=${(e: Event) => {
        const value = (e.target as EndpointTemplateEditor).value as EndpointTemplates;
        this.update_({ endpoints: { ...value } });
        this.endpointErrors = [];
      }}
    ></${tag}>`;
  }

  private renderPermissions(): TemplateResult {
    const mode = this.draft!.mode as AuthMode;
    const granted = this.grantedPermissions();
    const rows = permissionRows(mode, granted);
    const missing = rows.filter((r) => r.granted === false && !r.optional).map((r) => r.name);
    return html`<section part="permissions" class="panel" aria-labelledby="perm-title">
      <h3 id="perm-title">${this.t('perm.title')}</h3>
      <p class="hint">${mode === 'delegated' ? this.t('perm.needDelegated') : this.t('perm.needApplication')}</p>
      <ul class="perms">
        ${rows.map((row) => {
          const note = this.t(row.name === 'Mail.ReadWrite' ? `perm.Mail.ReadWrite.${mode}` : `perm.${row.name}`);
          return html`<li>
            <code>${row.name}</code>: ${note}
            ${row.granted === true ? html` — <span class="granted">${this.t('perm.granted')}</span>` : nothing}
            ${row.granted === false ? html` — <span class=${row.optional ? '' : 'missing'}>${this.t('perm.missing')}</span>` : nothing}
          </li>`;
        })}
      </ul>
      ${mode === 'application' ? html`<p class="hint">${this.t('perm.adminConsent')}</p>` : nothing}
      ${granted
        ? html`<p class="hint">${this.t('perm.token')} <code>${granted.length ? granted.join(' ') : this.t('perm.none')}</code></p>
            ${missing.length ? html`<p class="warning">${this.t('perm.missingList', { list: missing.join(', ') })}</p>` : nothing}`
        : nothing}
    </section>`;
  }

  private loginOrigin(): string {
    const d = this.draft!;
    try {
      const url = new URL(d.endpoints.authorizeEndpoint.replace(/\{[^}]*\}/g, 'x'));
      return url.origin;
    } catch {
      const info = this.clouds.find((c) => c.id === d.cloud);
      const host = info?.loginHost ?? (d.cloud !== 'sandbox' ? CLOUD_PRESETS[d.cloud]?.loginHost : undefined) ?? 'login.microsoftonline.com';
      return `https://${host}`;
    }
  }

  private renderGuide(): TemplateResult {
    const d = this.draft!;
    const delegated = d.mode === 'delegated';
    const rows = permissionRows(d.mode as AuthMode, undefined);
    const appName = this.appName || this.t('guide.appName', { host: location.hostname || 'localhost' });
    const consent =
      !delegated && d.tenantId.trim() && d.clientId.trim()
        ? `${this.loginOrigin()}/${encodeURIComponent(d.tenantId.trim())}/adminconsent?client_id=${encodeURIComponent(d.clientId.trim())}`
        : '';
    return html`<details part="guide">
      <summary>${this.t('guide.summary')}</summary>
      <ol>
        <li>${this.t('guide.step1')}</li>
        <li>${this.t('guide.step2', { appName })}</li>
        <li>${this.t('guide.step3')}</li>
        <li>${delegated ? this.t('guide.step4Delegated', { redirectUri: this.view!.redirectUri }) : this.t('guide.step4Application')}</li>
        <li>${this.t('guide.step5')}</li>
        <li>
          ${this.t('guide.step6', {
            type: this.t(delegated ? 'guide.delegatedType' : 'guide.applicationType'),
            permissions: rows.map((r) => r.name).join(', '),
          })}
          ${delegated ? nothing : this.t('guide.step6Consent')}
        </li>
        <li>${this.t('guide.step7')}</li>
        <li>${this.t(delegated ? 'guide.step8Delegated' : 'guide.step8Application')}</li>
      </ol>
      ${delegated
        ? nothing
        : consent
          ? html`<p><a part="consent-link" href=${consent} target="_blank" rel="noopener noreferrer">${this.t('guide.consentLink')}</a>: <code>${consent}</code></p>`
          : html`<p class="hint">${this.t('guide.consentNeeds')}</p>`}
    </details>`;
  }

  private renderTestPanel(): TemplateResult {
    const toIssue = this.testToTouched ? this.testToIssue : null;
    const toMessage = toIssue ? (toIssue.key === 'test.toRequired' ? this.t('test.toRequired') : this.t(toIssue.key, { field: this.t('test.to') })) : '';
    return html`<section id="test-panel" part="test-panel" class="panel" aria-labelledby="test-title">
      <h3 id="test-title">${this.t('test.title')}</h3>
      ${this.hasChanges ? html`<p class="warning">${this.t('test.unsaved')}</p>` : nothing}
      <div part="field" class="field">
        <label part="label" for="test-to">${this.t('test.to')}<span class="required" aria-hidden="true">*</span></label>
        <div class="control">
          <input
            id="test-to"
            part="input"
            type="email"
            autocomplete="off"
            required
            .value=${live(this.testTo)}
            aria-invalid=${toIssue ? 'true' : 'false'}
            aria-describedby=${toIssue ? 'test-to-feedback' : nothing}
            @input=${(e: Event) => (this.testTo = (e.target as HTMLInputElement).value)}
            @blur=${() => (this.testToTouched = true)}
          />
          ${toIssue ? html`<p id="test-to-feedback" part="feedback" class="feedback">${toMessage}</p>` : nothing}
        </div>
      </div>
      <div part="field" class="field">
        <label part="label" for="test-subject">${this.t('test.subject')}</label>
        <div class="control">
          <input
            id="test-subject"
            part="input"
            type="text"
            autocomplete="off"
            .value=${live(this.testSubject)}
            @input=${(e: Event) => (this.testSubject = (e.target as HTMLInputElement).value)}
          />
        </div>
      </div>
      <div class="actions">
        <button part="button" class="primary" type="button" data-action="send-test" ?disabled=${this.testRunning} @click=${() => void this.runTest()}>
          ${this.t('test.send')}
        </button>
      </div>
      <div role="status" aria-live="polite">
        ${this.testRunning ? html`<p>${this.t('test.running')}</p>` : nothing}
        ${this.testReport ? this.renderReportSummary(this.testReport) : nothing}
      </div>
      ${this.testError ? html`<p class="error" role="alert">${this.testError}</p>` : nothing}
      ${this.testReport ? this.renderReport(this.testReport) : nothing}
    </section>`;
  }

  private stepLabel(step: TestStep): string {
    const key = `step.${step.id}`;
    return key in emailConfigFormStrings ? this.t(key) : step.label;
  }

  private renderReportSummary(report: TestReport): TemplateResult {
    const failed = report.steps.find((s) => s.status === 'failed');
    return report.ok || !failed
      ? html`<p class="success">${this.t('test.ok')}</p>`
      : html`<p class="error">${this.t('test.failed', { step: this.stepLabel(failed) })}</p>`;
  }

  private renderReport(report: TestReport): TemplateResult {
    return html`<h4 id="report-title">${this.t('test.report')}</h4>
      <ol part="test-steps" class="steps" aria-labelledby="report-title">
        ${report.steps.map((step) => {
          const error = step.error;
          const ids = error
            ? ([
                ['test.requestId', error.requestId],
                ['test.correlationId', error.correlationId],
                ['test.timestamp', error.timestamp],
              ].filter(([, value]) => value) as [EmailConfigFormStringKey, string][])
            : [];
          return html`<li class="step" data-step=${step.id} data-status=${step.status}>
            <span class="icon ${step.status}" aria-hidden="true">${STEP_ICONS[step.status]}</span>
            <span><span class="visually-hidden">${this.t(`step.${step.status}`)}: </span>${this.stepLabel(step)}</span>
            <span class="ms">${this.t('step.ms', { ms: Math.round(step.ms) })}</span>
            ${step.detail || error
              ? html`<div class="more">
                  ${step.detail ? html`<p class="hint">${step.detail}</p>` : nothing}
                  ${error
                    ? html`<p class="error">${error.message}</p>
                        ${error.hint ? html`<p>${this.t('test.fix', { hint: error.hint })}</p>` : nothing}
                        ${ids.length
                          ? html`<dl class="ids">
                                ${ids.map(([key, value]) => html`<dt>${this.t(key)}</dt><dd>${value}</dd>`)}
                              </dl>
                              <button
                                part="button"
                                type="button"
                                data-action="copy-ids"
                                @click=${() => void this.copy(ids.map(([key, value]) => `${this.t(key)}: ${value}`).join('\n'))}
                              >
                                ${this.t('test.copyIds')}
                              </button>`
                          : nothing}`
                    : nothing}
                </div>`
              : nothing}
          </li>`;
        })}
      </ol>
      ${this.copyStatus ? html`<p class="hint" role="status">${this.copyStatus}</p>` : nothing}`;
  }

  private renderClearDialog(): TemplateResult {
    return html`<dialog part="dialog" aria-labelledby="clear-title" aria-describedby="clear-body" @close=${() => void 0}>
      <h2 id="clear-title">${this.t('clear.title')}</h2>
      <p id="clear-body">${this.t('clear.body')}</p>
      <div class="actions">
        <button part="button" type="button" data-action="cancel-clear" autofocus @click=${() => this.dialog?.close()}>${this.t('action.cancel')}</button>
        <button part="button" class="primary" type="button" data-action="confirm-clear" @click=${() => void this.confirmClear()}>
          ${this.t('clear.confirm')}
        </button>
      </div>
    </dialog>`;
  }
}
