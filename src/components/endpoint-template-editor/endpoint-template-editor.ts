import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { live } from 'lit/directives/live.js';
import type { CloudId, EndpointName, EndpointTemplates } from '../../services/contract.js';
import { ENDPOINT_NAMES } from '../../services/contract.js';
import type { FieldError } from '../../services/errors.js';
import {
  CLOUD_PRESETS,
  TEMPLATE_RULES,
  defaultEndpoints,
  normalizeSandboxOrigin,
  parseTemplate,
  validateEndpoints,
  type EndpointIssue,
  type Placeholder,
} from '../../services/endpoints.js';
import { ImplicitSubmitGuard, Localize, defineElement } from '../shared/index.js';
import { endpointTemplateEditorStyles } from './endpoint-template-editor.styles.js';
import { endpointTemplateEditorStrings, type EndpointTemplateEditorStringKey } from './endpoint-template-editor.strings.js';
import { basesOf, previewOf } from './preview.js';

/** `detail` of `gm-reset`: the templates that went back to their defaults. */
export interface EndpointResetDetail {
  names: EndpointName[];
  endpoints: EndpointTemplates;
}

/** The templates whose URL depends on the cloud's hosts (the relative ones are the same everywhere). */
const CLOUD_BOUND = new Set<EndpointName>(ENDPOINT_NAMES.filter((name) => !basesOf(name).length));

const ENGLISH_CLOUD_IDS = new Map<string, CloudId>(Object.values(CLOUD_PRESETS).map((preset) => [preset.label, preset.id]));

/** Every template present as a string, whatever the host passed. */
function complete(value: Partial<EndpointTemplates> | null | undefined): EndpointTemplates {
  const result = {} as EndpointTemplates;
  for (const name of ENDPOINT_NAMES) {
    const given = value?.[name];
    result[name] = typeof given === 'string' ? given : '';
  }
  return result;
}

const sameTemplates = (a: EndpointTemplates, b: EndpointTemplates) => ENDPOINT_NAMES.every((name) => a[name] === b[name]);

/** A loopback origin with a port, taken from a template (how the sandbox is recognised without being told). */
function loopbackOriginOf(template: string): string | undefined {
  try {
    const origin = new URL(template.replace(/\{[^{}]*\}/g, 'x')).origin;
    return normalizeSandboxOrigin(origin) ?? undefined;
  } catch {
    return undefined;
  }
}

interface CloudOffer {
  from: CloudId;
  /** Still the previous cloud's defaults: switching them is safe. */
  untouched: EndpointName[];
  /** Changed by someone, on a host that depends on the cloud: only a person can tell what they meant. */
  customised: EndpointName[];
}

/**
 * @summary Edits the API endpoint templates (seed 001's "API Endpoints" tab): one row per template with
 * its placeholders highlighted, an insert-placeholder menu, a live preview of the URL as it will be sent,
 * validation messages that name the template and the fix, and resets to the chosen cloud's defaults.
 *
 * @tag endpoint-template-editor
 *
 * @csspart base - The wrapper of everything.
 * @csspart notice - The notice that these fields should not change under normal circumstances.
 * @csspart locked - The notice shown while the fields are locked.
 * @csspart summary - How many templates need attention.
 * @csspart cloud-offer - The offer to switch untouched templates after the cloud changed.
 * @csspart cloud-warning - The warning about customised templates after the cloud changed.
 * @csspart row - One template: label, input, buttons, messages and preview.
 * @csspart label - The label of a template.
 * @csspart field - The input with its highlighting layer.
 * @csspart input - The native text input of a template.
 * @csspart tokens - The highlighting layer behind the input.
 * @csspart token - One highlighted placeholder (`token-invalid` too when it is wrong there).
 * @csspart hint - What a template is relative to and which placeholders it takes.
 * @csspart messages - The list of validation messages of a template.
 * @csspart error - One validation or server message.
 * @csspart preview - The expanded URL.
 * @csspart menu-button - "Insert placeholder".
 * @csspart menu - The placeholder menu.
 * @csspart menu-item - One placeholder in the menu.
 * @csspart reset-button - "Reset to default" of a row.
 * @csspart reset-all-button - "Reset all".
 * @csspart button - Every button (with one of the parts above).
 *
 * @cssproperty --gm-color-text - Text colour. Default inherit.
 * @cssproperty --gm-color-text-muted - Hints and the preview. Default #505050.
 * @cssproperty --gm-color-danger-text - Messages and invalid borders. Default #a4262c.
 * @cssproperty --gm-color-warning-text - Cloud change notices. Default #6a4b00.
 * @cssproperty --gm-color-warning-background - Cloud change notices. Default #fff4ce.
 * @cssproperty --gm-color-info-text - The notice. Default #1b1b1b.
 * @cssproperty --gm-color-info-background - The notice. Default #eef4fb.
 * @cssproperty --gm-input-background - Input background. Default #ffffff.
 * @cssproperty --gm-input-border-color - Input border. Default #8a8886.
 * @cssproperty --gm-input-color - Input text. Default #1b1b1b.
 * @cssproperty --gm-input-padding - Input padding. Default 0.375rem 0.5rem.
 * @cssproperty --gm-token-background - Highlight of a placeholder. Default #dcebfa.
 * @cssproperty --gm-token-invalid-background - Highlight of a wrong placeholder or brace. Default #fde7e9.
 * @cssproperty --gm-font-monospace - Font of the templates. Default ui-monospace and friends.
 * @cssproperty --gm-menu-background - Menu background. Default #ffffff.
 * @cssproperty --gm-menu-active-background - Focused menu item. Default #eef4fb.
 * @cssproperty --gm-border-radius - Corner radius. Default 4px.
 * @cssproperty --gm-spacing - Gap between rows. Default 1rem.
 * @cssproperty --gm-spacing-small - Gap between pieces. Default 0.5rem.
 * @cssproperty --gm-button-padding - Padding of buttons. Default 0.375rem 0.875rem.
 * @cssproperty --gm-focus-ring - Focus outline. Default 2px solid #0f6cbd.
 *
 * @cssstate invalid - At least one template has a problem.
 * @cssstate modified - At least one template differs from the cloud's default.
 * @cssstate locked - `disabled` or `readonly`.
 *
 * @event change - A person edited the templates (typed and left the field or pressed Enter, inserted a
 * placeholder, or switched to the new cloud's defaults). Never fired for a programmatic change.
 * @event gm-reset - A person reset one or all templates. `detail.names` lists them, `detail.endpoints`
 * is the new value.
 */
export class EndpointTemplateEditor extends LitElement {
  static override styles = endpointTemplateEditorStyles;

  /** Form-associated, but only submits a value and constrains the form when the host opts in. */
  static formAssociated = true;

  /** Registers the element (default tag `endpoint-template-editor`); a second call warns and does nothing. */
  static define(tagName = 'endpoint-template-editor'): void {
    defineElement(tagName, this);
  }

  /** The chosen cloud (the form's "Domain"): its hosts are the allowed ones and its templates the defaults. */
  @property({ reflect: true }) cloud: CloudId = 'global';

  /** The sandbox's exact origin (`http://127.0.0.1:PORT`), for the `sandbox` cloud's defaults and hosts. */
  @property({ attribute: 'sandbox-origin' }) sandboxOrigin?: string;

  /** The Tenant ID, for the preview. */
  @property({ attribute: 'tenant-id' }) tenantId = '';

  /** The sender's address, for the preview. */
  @property({ attribute: 'from-address' }) fromAddress = '';

  /** Another name for `fromAddress` (attribute `sender`); `fromAddress` wins when both are set. */
  @property() sender = '';

  /** Nothing can be changed (the inputs are disabled; a disabled editor is not submitted with a form). */
  @property({ type: Boolean, reflect: true }) disabled = false;

  /** Nothing can be changed, but the templates can be read, selected and copied (locked while connected). */
  @property({ type: Boolean, reflect: true }) readonly = false;

  /** The form field name; setting it (or `form-associated`) makes a host `<form>` submit the templates as JSON. */
  @property({ reflect: true }) name = '';

  /** Opts in to taking part in a host `<form>` (under `name`, else `endpoints`). */
  @property({ type: Boolean, reflect: true, attribute: 'form-associated' }) formAssociatedOptIn = false;

  /** Field errors from the server; those with the path `endpoints.<name>` are shown on their row. */
  @property({ attribute: false }) errors: FieldError[] = [];

  @state() private openMenu?: EndpointName;
  @state() private activeItem = 0;
  @state() private offer?: CloudOffer;
  @state() private announcement = '';
  /** Rows edited since `errors` was last set: the server's old verdict no longer applies to them. */
  @state() private editedSinceErrors = new Set<EndpointName>();
  @state() private formDisabled = false;

  private current: EndpointTemplates = defaultEndpoints('global');
  /** The last value set from outside: what a form reset returns to. */
  private initial: EndpointTemplates = this.current;
  /** The value at the last `change` or programmatic set: a commit fires `change` only when it differs. */
  private committed: EndpointTemplates = this.current;
  private issues: EndpointIssue[] = [];
  private readonly internals: ElementInternals;
  private readonly localize = new Localize(this, endpointTemplateEditorStrings);
  private readonly submitGuard = new ImplicitSubmitGuard(this);

  constructor() {
    super();
    this.internals = this.attachInternals();
  }

  /** The templates. Setting them is not a user edit: no `change` fires. */
  get endpoints(): EndpointTemplates {
    return this.current;
  }

  set endpoints(value: Partial<EndpointTemplates> | null | undefined) {
    const old = this.current;
    this.current = complete(value);
    this.initial = this.current;
    this.committed = this.current;
    this.requestUpdate('endpoints', old);
  }

  /** Same as `endpoints` (the name forms and frameworks look for). */
  get value(): EndpointTemplates {
    return this.endpoints;
  }

  set value(value: Partial<EndpointTemplates> | null | undefined) {
    this.endpoints = value;
  }

  /** Same as `errors`. */
  get serverErrors(): FieldError[] {
    return this.errors;
  }

  set serverErrors(value: FieldError[]) {
    this.errors = value ?? [];
  }

  /** The problems of the current templates, as translation keys with parameters. */
  get validationIssues(): readonly EndpointIssue[] {
    return this.issues;
  }

  /** The form this editor belongs to, when it is inside one. */
  get form(): HTMLFormElement | null {
    return this.internals.form;
  }

  /** The validity a host form sees (always valid unless the host opted in). */
  get validity(): ValidityState {
    return this.internals.validity;
  }

  /** The first problem's message, when the host opted in. */
  get validationMessage(): string {
    return this.internals.validationMessage;
  }

  /** Whether the templates are valid, when the host opted in (true otherwise). */
  checkValidity(): boolean {
    return this.internals.checkValidity();
  }

  /** As `checkValidity`, and shows the browser's bubble at the first invalid template. */
  reportValidity(): boolean {
    return this.internals.reportValidity();
  }

  /** Focuses the first template with a problem, else the first one (the form calls this for server errors). */
  override focus(options?: FocusOptions): void {
    const root = this.renderRoot as ShadowRoot | undefined;
    const target =
      root?.querySelector<HTMLInputElement>('input[aria-invalid="true"]:not(:disabled)') ?? root?.querySelector<HTMLInputElement>('input:not(:disabled)');
    if (target) target.focus(options);
    else super.focus(options);
  }

  /** Puts every template back to the cloud's default, as "Reset all" does, without firing events. */
  resetAll(): void {
    const defaults = this.defaults();
    if (defaults) this.endpoints = defaults;
  }

  // Form-associated callbacks.

  /** @internal A host form's reset returns to the value the host last set, without events. */
  formResetCallback(): void {
    this.current = this.initial;
    this.committed = this.current;
    this.requestUpdate('endpoints');
  }

  /** @internal */
  formDisabledCallback(disabled: boolean): void {
    this.formDisabled = disabled;
  }

  /** @internal */
  formStateRestoreCallback(saved: string | File | FormData | null): void {
    const text = saved instanceof FormData ? saved.get(this.fieldName) : saved;
    if (typeof text !== 'string') return;
    try {
      this.endpoints = JSON.parse(text) as EndpointTemplates;
    } catch {
      // A restored state we did not write: keep what we have.
    }
  }

  private get locked(): boolean {
    return this.disabled || this.readonly || this.formDisabled;
  }

  private get fieldName(): string {
    return this.name || 'endpoints';
  }

  private get optedIn(): boolean {
    return this.formAssociatedOptIn || this.name !== '';
  }

  private get senderAddress(): string {
    return this.fromAddress || this.sender;
  }

  private t(key: EndpointTemplateEditorStringKey, params?: Record<string, string | number>): string {
    return this.localize.term(key, params);
  }

  private label(name: EndpointName): string {
    return this.t(`label.${name}` as EndpointTemplateEditorStringKey);
  }

  private cloudLabel(cloud: string): string {
    const key = `cloud.${cloud}`;
    return key in endpointTemplateEditorStrings ? this.t(key as EndpointTemplateEditorStringKey) : cloud;
  }

  /** A shared message, with the template, base and cloud names in the reader's language. */
  private message(key: string, params: Record<string, string>): string {
    const localized: Record<string, string> = { ...params };
    if (params.name && (ENDPOINT_NAMES as readonly string[]).includes(params.name)) localized.template = this.label(params.name as EndpointName);
    if (params.baseName) localized.base = this.label(params.baseName as EndpointName);
    if (params.cloudId) localized.cloud = this.cloudLabel(params.cloudId);
    if (params.otherCloud) {
      localized.otherCloud = params.otherCloud
        .split(', ')
        .map((label) => this.cloudLabel(ENGLISH_CLOUD_IDS.get(label) ?? label))
        .join(', ');
    }
    return this.localize.term(key, localized);
  }

  /** The sandbox's origin: given, or recognised from the templates themselves. */
  private sandboxOriginFor(templates: EndpointTemplates): string | undefined {
    const given = this.sandboxOrigin ? normalizeSandboxOrigin(this.sandboxOrigin) : null;
    return given ?? loopbackOriginOf(templates.graphEndpoint) ?? loopbackOriginOf(templates.tokenEndpoint);
  }

  private defaults(cloud: CloudId = this.cloud, templates: EndpointTemplates = this.current): EndpointTemplates | null {
    try {
      return cloud === 'sandbox' ? defaultEndpoints('sandbox', this.sandboxOriginFor(templates)) : defaultEndpoints(cloud);
    } catch {
      return null;
    }
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('errors')) this.editedSinceErrors = new Set();
    if (changed.has('cloud') && this.hasUpdated) {
      const previous = changed.get('cloud') as CloudId | undefined;
      if (previous && previous !== this.cloud) this.offer = this.offerFor(previous);
    }
    this.issues = validateEndpoints(this.current, this.cloud, {
      sandboxOrigin: this.cloud === 'sandbox' ? this.sandboxOriginFor(this.current) : undefined,
    });
  }

  protected override updated(): void {
    this.syncFormValue();
    this.syncStates();
    for (const input of this.renderRoot.querySelectorAll('input')) this.syncScroll(input);
  }

  private offerFor(previous: CloudId): CloudOffer | undefined {
    const before = this.defaults(previous);
    const after = this.defaults();
    if (!after) return undefined;
    const untouched: EndpointName[] = [];
    const customised: EndpointName[] = [];
    for (const name of ENDPOINT_NAMES) {
      const value = this.current[name];
      if (value === after[name]) continue;
      if (before && value === before[name]) untouched.push(name);
      else if (CLOUD_BOUND.has(name)) customised.push(name);
    }
    return untouched.length || customised.length ? { from: previous, untouched, customised } : undefined;
  }

  private syncFormValue(): void {
    if (!this.optedIn) {
      this.internals.setFormValue(null);
      this.internals.setValidity({});
      return;
    }
    const data = new FormData();
    const json = JSON.stringify(this.current);
    data.append(this.fieldName, json);
    this.internals.setFormValue(data, json);
    const first = this.issues[0];
    if (first) {
      const anchor = this.renderRoot.querySelector<HTMLInputElement>(`#input-${first.name}`) ?? undefined;
      this.internals.setValidity({ customError: true }, this.message(first.key, first.params), anchor);
    } else {
      this.internals.setValidity({});
    }
  }

  private syncStates(): void {
    const defaults = this.defaults();
    const set = (name: string, on: boolean) => {
      try {
        if (on) this.internals.states.add(name);
        else this.internals.states.delete(name);
      } catch {
        // Browsers without custom states only lose the styling hook.
      }
    };
    set('invalid', this.issues.length > 0);
    set('modified', defaults ? !sameTemplates(defaults, this.current) : false);
    set('locked', this.locked);
  }

  // User edits.

  private setTemplate(name: EndpointName, text: string): void {
    const old = this.current;
    this.current = { ...this.current, [name]: text };
    if (!this.editedSinceErrors.has(name)) this.editedSinceErrors = new Set(this.editedSinceErrors).add(name);
    this.requestUpdate('endpoints', old);
  }

  /** Fires `change` when the templates differ from the last commit. */
  private commit(): void {
    if (sameTemplates(this.current, this.committed)) return;
    this.committed = this.current;
    this.dispatchEvent(new Event('change', { bubbles: true, composed: true }));
  }

  private onInput(name: EndpointName, event: Event): void {
    const input = event.target as HTMLInputElement;
    this.setTemplate(name, input.value);
    this.syncScroll(input);
  }

  private onInputKeydown(event: KeyboardEvent): void {
    // The ImplicitSubmitGuard keeps the outer form from submitting; Enter still commits, as in a native field.
    if (event.key === 'Enter') this.commit();
  }

  private resetRow(name: EndpointName): void {
    const defaults = this.defaults();
    if (!defaults || this.locked) return;
    this.setTemplate(name, defaults[name]);
    this.afterReset([name], this.t('editor.announceReset', { template: this.label(name) }));
  }

  private resetAllByUser(): void {
    const defaults = this.defaults();
    if (!defaults || this.locked) return;
    const names = ENDPOINT_NAMES.filter((name) => this.current[name] !== defaults[name]);
    if (!names.length) return;
    this.current = { ...defaults };
    this.editedSinceErrors = new Set([...this.editedSinceErrors, ...names]);
    this.requestUpdate('endpoints');
    this.afterReset(names, this.t('editor.announceResetAll'));
  }

  private afterReset(names: EndpointName[], announcement: string): void {
    this.committed = this.current;
    this.offer = undefined;
    this.announce(announcement);
    this.dispatchEvent(
      new CustomEvent<EndpointResetDetail>('gm-reset', { detail: { names, endpoints: this.current }, bubbles: true, composed: true }),
    );
  }

  private acceptOffer(): void {
    const offer = this.offer;
    const defaults = this.defaults();
    if (!offer || !defaults || this.locked) return;
    const next = { ...this.current };
    for (const name of offer.untouched) next[name] = defaults[name];
    this.current = next;
    this.editedSinceErrors = new Set([...this.editedSinceErrors, ...offer.untouched]);
    this.requestUpdate('endpoints');
    this.offer = offer.customised.length ? { ...offer, untouched: [] } : undefined;
    this.announce(this.t('editor.announceSwitched', { cloud: this.cloudLabel(this.cloud) }));
    this.commit();
  }

  private announce(text: string): void {
    // A repeated message must still be read out: clear, then set after the render.
    this.announcement = '';
    void this.updateComplete.then(() => {
      this.announcement = text;
    });
  }

  // The placeholder menu (WAI-ARIA menu button pattern).

  private async showMenu(name: EndpointName, item: 'first' | 'last'): Promise<void> {
    const count = TEMPLATE_RULES[name].allowed.length;
    this.openMenu = name;
    this.activeItem = item === 'first' ? 0 : count - 1;
    await this.updateComplete;
    this.focusItem();
  }

  private closeMenu(returnFocus: boolean): void {
    const name = this.openMenu;
    this.openMenu = undefined;
    if (returnFocus && name) this.renderRoot.querySelector<HTMLButtonElement>(`#menu-button-${name}`)?.focus();
  }

  private focusItem(): void {
    this.renderRoot.querySelectorAll<HTMLElement>('[role="menuitem"]')[this.activeItem]?.focus();
  }

  private onMenuButtonKeydown(name: EndpointName, event: KeyboardEvent): void {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      void this.showMenu(name, event.key === 'ArrowDown' ? 'first' : 'last');
    }
  }

  private onMenuButtonClick(name: EndpointName): void {
    if (this.openMenu === name) this.closeMenu(false);
    else void this.showMenu(name, 'first');
  }

  private onMenuKeydown(name: EndpointName, event: KeyboardEvent): void {
    const allowed = TEMPLATE_RULES[name].allowed;
    const count = allowed.length;
    let handled = true;
    switch (event.key) {
      case 'ArrowDown':
        this.activeItem = (this.activeItem + 1) % count;
        break;
      case 'ArrowUp':
        this.activeItem = (this.activeItem - 1 + count) % count;
        break;
      case 'Home':
        this.activeItem = 0;
        break;
      case 'End':
        this.activeItem = count - 1;
        break;
      case 'Enter':
      case ' ':
        void this.insert(name, allowed[this.activeItem]);
        break;
      case 'Escape':
        this.closeMenu(true);
        break;
      case 'Tab':
        this.closeMenu(false);
        handled = false;
        break;
      default: {
        handled = false;
        if (event.key.length === 1 && /\S/.test(event.key)) {
          // Type-ahead: the next placeholder starting with that letter.
          const letter = event.key.toLowerCase();
          for (let step = 1; step <= count; step += 1) {
            const index = (this.activeItem + step) % count;
            if (allowed[index].toLowerCase().startsWith(letter)) {
              this.activeItem = index;
              handled = true;
              break;
            }
          }
        }
      }
    }
    if (!handled) return;
    event.preventDefault();
    event.stopPropagation();
    if (this.openMenu) void this.updateComplete.then(() => this.focusItem());
  }

  private onMenuFocusOut(event: FocusEvent): void {
    const next = event.relatedTarget as Node | null;
    const menu = event.currentTarget as HTMLElement;
    if (next && (menu.contains(next) || next === menu.parentElement?.querySelector('[part~="menu-button"]'))) return;
    this.openMenu = undefined;
  }

  /** Inserts a placeholder at the caret (or over the selection) of the row's input, as a user edit. */
  private async insert(name: EndpointName, placeholder: Placeholder): Promise<void> {
    if (this.locked) return;
    const input = this.renderRoot.querySelector<HTMLInputElement>(`#input-${name}`);
    if (!input) return;
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? start;
    input.setRangeText(`{${placeholder}}`, start, end, 'end');
    const caret = input.selectionEnd ?? input.value.length;
    this.setTemplate(name, input.value);
    this.openMenu = undefined;
    this.announce(this.t('editor.announceInserted', { placeholder: `{${placeholder}}`, template: this.label(name) }));
    this.commit();
    await this.updateComplete;
    input.focus();
    input.setSelectionRange(caret, caret);
    this.syncScroll(input);
  }

  /** Keeps the highlighting layer under the input's text when the input scrolls sideways. */
  private syncScroll(input: HTMLInputElement): void {
    const inner = input.parentElement?.querySelector<HTMLElement>('.mirror-inner');
    if (inner) inner.style.transform = `translateX(${-input.scrollLeft}px)`;
  }

  // Rendering.

  protected override render(): TemplateResult {
    const defaults = this.defaults();
    const locked = this.locked;
    const invalidRows = new Set(this.issues.map((issue) => issue.name));
    const serverRows = new Set(this.visibleServerErrors().map((error) => error.path.slice('endpoints.'.length)));
    const attention = new Set([...invalidRows, ...serverRows]).size;
    const allDefault = defaults ? sameTemplates(defaults, this.current) : true;
    return html`<div part="base" class="base">
      <div class="header">
        <p part="notice" class="notice">${this.t('editor.notice', { sample: '{TenantId}' })}</p>
        ${locked
          ? nothing
          : html`<div class="actions">
              <button
                part="button reset-all-button"
                type="button"
                ?disabled=${!defaults || allDefault}
                @click=${() => this.resetAllByUser()}
              >
                ${this.t('editor.resetAll')}
              </button>
            </div>`}
      </div>
      ${locked ? html`<p part="locked" class="locked">${this.t('editor.locked')}</p>` : nothing}
      ${!defaults ? html`<p part="locked" class="locked">${this.t('editor.noDefaults', { cloud: this.cloudLabel(this.cloud) })}</p>` : nothing}
      ${this.renderOffer(locked)}
      ${attention ? html`<p part="summary" class="summary">${this.t('editor.invalidSummary', { count: attention })}</p>` : nothing}
      <div class="rows">${ENDPOINT_NAMES.map((name) => this.renderRow(name, defaults, locked))}</div>
      <div class="live" role="status" aria-live="polite">${this.announcement}</div>
    </div>`;
  }

  private renderOffer(locked: boolean): TemplateResult | typeof nothing {
    const offer = this.offer;
    if (!offer || locked) return nothing;
    const list = (names: EndpointName[]) => names.map((name) => this.label(name)).join(', ');
    const cloud = this.cloudLabel(this.cloud);
    return html`${offer.untouched.length
      ? html`<div part="cloud-offer" class="offer" role="group" aria-labelledby="offer-text">
          <p id="offer-text">
            ${this.t('editor.cloudChanged', {
              cloud,
              previous: this.cloudLabel(offer.from),
              count: offer.untouched.length,
              list: list(offer.untouched),
            })}
          </p>
          <div class="actions">
            <button part="button" type="button" @click=${() => this.acceptOffer()}>${this.t('editor.cloudSwitch', { cloud })}</button>
            <button
              part="button"
              type="button"
              @click=${() => {
                this.offer = offer.customised.length ? { ...offer, untouched: [] } : undefined;
              }}
            >
              ${this.t('editor.cloudKeep')}
            </button>
          </div>
        </div>`
      : nothing}
    ${offer.customised.length
      ? html`<div part="cloud-warning" class="warning" role="group" aria-labelledby="warning-text">
          <p id="warning-text">${this.t('editor.cloudCustomised', { cloud, list: list(offer.customised) })}</p>
          <div class="actions">
            <button
              part="button"
              type="button"
              @click=${() => {
                this.offer = offer.untouched.length ? { ...offer, customised: [] } : undefined;
              }}
            >
              ${this.t('editor.dismiss')}
            </button>
          </div>
        </div>`
      : nothing}`;
  }

  private visibleServerErrors(): FieldError[] {
    return (this.errors ?? []).filter((error) => {
      if (!error.path?.startsWith('endpoints.')) return false;
      const name = error.path.slice('endpoints.'.length) as EndpointName;
      return (ENDPOINT_NAMES as readonly string[]).includes(name) && !this.editedSinceErrors.has(name);
    });
  }

  private renderRow(name: EndpointName, defaults: EndpointTemplates | null, locked: boolean): TemplateResult {
    const rule = TEMPLATE_RULES[name];
    const value = this.current[name];
    const issues = this.issues.filter((issue) => issue.name === name);
    const server = this.visibleServerErrors().filter((error) => error.path === `endpoints.${name}`);
    const invalid = issues.length > 0 || server.length > 0;
    const bases = basesOf(name);
    const hint = [
      bases.length ? this.t('editor.relativeTo', { base: this.label(bases[0]) }) : '',
      rule.allowed.length
        ? this.t('editor.placeholdersAllowed', { list: rule.allowed.map((p) => `{${p}}`).join(', ') })
        : this.t('editor.noPlaceholders'),
    ]
      .filter(Boolean)
      .join(' ');
    const described = [`hint-${name}`, invalid ? `messages-${name}` : '', `preview-${name}`].filter(Boolean).join(' ');
    return html`<div part="row" class="row" data-name=${name}>
      <label part="label" id="label-${name}" for="input-${name}">${this.label(name)}</label>
      <div class="field">
        <div part="field" class="input-wrap ${invalid ? 'invalid' : ''} ${locked ? 'locked' : ''}">
          <!-- No whitespace inside the layer: it keeps white-space as typed, like the input. -->
          <div part="tokens" class="mirror" aria-hidden="true"><span class="mirror-inner">${this.renderTokens(name, value)}</span></div>
          <input
            part="input"
            id="input-${name}"
            type="text"
            spellcheck="false"
            autocomplete="off"
            autocapitalize="off"
            .value=${live(value)}
            ?disabled=${this.disabled || this.formDisabled}
            ?readonly=${this.readonly}
            aria-invalid=${invalid ? 'true' : 'false'}
            aria-describedby=${described}
            @input=${(event: Event) => this.onInput(name, event)}
            @change=${() => this.commit()}
            @keydown=${(event: KeyboardEvent) => this.onInputKeydown(event)}
            @scroll=${(event: Event) => this.syncScroll(event.target as HTMLInputElement)}
            @keyup=${(event: Event) => this.syncScroll(event.target as HTMLInputElement)}
            @click=${(event: Event) => this.syncScroll(event.target as HTMLInputElement)}
            @focus=${(event: Event) => this.syncScroll(event.target as HTMLInputElement)}
            @blur=${(event: Event) => this.syncScroll(event.target as HTMLInputElement)}
          />
        </div>
        ${locked
          ? nothing
          : html`<div class="actions">
              ${rule.allowed.length ? this.renderMenu(name, rule.allowed) : nothing}
              <button
                part="button reset-button"
                id="reset-${name}"
                type="button"
                aria-labelledby="reset-${name} label-${name}"
                ?disabled=${!defaults || defaults[name] === value}
                @click=${() => this.resetRow(name)}
              >
                ${this.t('editor.resetRow')}
              </button>
            </div>`}
      </div>
      <p part="hint" class="hint" id="hint-${name}">${hint}</p>
      ${invalid
        ? html`<ul part="messages" class="messages" id="messages-${name}">
            ${issues.map((issue) => html`<li part="error" class="error">${this.message(issue.key, issue.params)}</li>`)}
            ${server.map(
              (error) => html`<li part="error" class="error">${this.t('editor.serverError', { message: error.message })}</li>`,
            )}
          </ul>`
        : nothing}
      ${this.renderPreview(name, issues.length > 0)}
    </div>`;
  }

  private renderMenu(name: EndpointName, allowed: Placeholder[]): TemplateResult {
    const open = this.openMenu === name;
    return html`<div class="menu-anchor">
      <button
        part="button menu-button"
        id="menu-button-${name}"
        type="button"
        aria-haspopup="menu"
        aria-expanded=${open ? 'true' : 'false'}
        aria-controls=${open ? `menu-${name}` : nothing}
        aria-labelledby="menu-button-${name} label-${name}"
        @click=${() => this.onMenuButtonClick(name)}
        @keydown=${(event: KeyboardEvent) => this.onMenuButtonKeydown(name, event)}
      >
        ${this.t('editor.insert')}
      </button>
      ${open
        ? html`<div
            part="menu"
            class="menu"
            role="menu"
            id="menu-${name}"
            aria-labelledby="menu-button-${name}"
            @keydown=${(event: KeyboardEvent) => this.onMenuKeydown(name, event)}
            @focusout=${(event: FocusEvent) => this.onMenuFocusOut(event)}
          >
            ${allowed.map(
              (placeholder, index) => html`<div
                part="menu-item"
                role="menuitem"
                tabindex=${index === this.activeItem ? '0' : '-1'}
                data-placeholder=${placeholder}
                @click=${() => void this.insert(name, placeholder)}
              >
                <code>{${placeholder}}</code>
                <span class="description">${this.t(`placeholder.${placeholder}` as EndpointTemplateEditorStringKey)}</span>
              </div>`,
            )}
          </div>`
        : nothing}
    </div>`;
  }

  private renderTokens(name: EndpointName, value: string): TemplateResult[] {
    const parsed = parseTemplate(value);
    const allowed = TEMPLATE_RULES[name].allowed as string[];
    const badBraces = new Set(parsed.issues.filter((issue) => issue.key === 'endpoint.unbalanced').map((issue) => issue.start));
    const pieces: TemplateResult[] = [];
    for (const token of parsed.tokens) {
      if (token.kind === 'placeholder') {
        const ok = token.known && allowed.includes(token.name);
        pieces.push(html`<mark part=${ok ? 'token' : 'token token-invalid'} class="token ${ok ? '' : 'bad'}">${token.raw}</mark>`);
        continue;
      }
      // Stray braces are marked one character at a time; the text between stays plain.
      let plain = '';
      for (let i = 0; i < token.value.length; i += 1) {
        if (badBraces.has(token.start + i)) {
          if (plain) pieces.push(html`${plain}`);
          plain = '';
          pieces.push(html`<mark part="token token-invalid" class="token bad">${token.value[i]}</mark>`);
        } else plain += token.value[i];
      }
      if (plain) pieces.push(html`${plain}`);
    }
    return pieces;
  }

  private renderPreview(name: EndpointName, ownIssues: boolean): TemplateResult {
    const label = html`<span class="preview-label">${this.t('editor.previewLabel')}:</span>`;
    if (ownIssues) return html`<p part="preview" class="preview" id="preview-${name}">${label} ${this.t('editor.previewBlocked')}</p>`;
    const brokenBase = basesOf(name).find((base) => this.issues.some((issue) => issue.name === base));
    if (brokenBase) {
      return html`<p part="preview" class="preview" id="preview-${name}">
        ${label} ${this.t('editor.previewBlockedBase', { base: this.label(brokenBase) })}
      </p>`;
    }
    const preview = previewOf(name, this.current, { tenantId: this.tenantId, fromAddress: this.senderAddress });
    if (!preview.ok) {
      return html`<p part="preview" class="preview" id="preview-${name}">${label} ${this.message(preview.key, { ...preview.params, name })}</p>`;
    }
    const url = preview.pieces.map((piece) =>
      piece.kind === 'text' ? piece.text : html`<span class="pending">{${piece.placeholder}}</span>`,
    );
    return html`<p part="preview" class="preview" id="preview-${name}">
      ${label} <code class="url">${url}</code>
      ${preview.pending ? html`<span class="pending-note">${this.t('editor.previewPending')}</span>` : nothing}
      ${preview.viaFilter ? html`<span class="pending-note">${this.t('editor.previewFilter')}</span>` : nothing}
    </p>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'endpoint-template-editor': EndpointTemplateEditor;
  }
  interface GlobalEventHandlersEventMap {
    'gm-reset': CustomEvent<EndpointResetDetail>;
  }
}
