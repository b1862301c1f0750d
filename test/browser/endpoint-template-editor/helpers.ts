import { fixture, html } from '@open-wc/testing';
import type { CloudId, EndpointName, EndpointTemplates } from '../../../src/services/contract.js';
import { defaultEndpoints } from '../../../src/services/endpoints.js';
import { EndpointTemplateEditor } from '../../../src/components/endpoint-template-editor/endpoint-template-editor.js';
import { defineElement } from '../../../src/components/shared/define-element.js';
// axe-core registers itself on window; its accessible-name computation follows the W3C accname rules.
import 'axe-core/axe.min.js';

defineElement('endpoint-template-editor', EndpointTemplateEditor);

export const LABELS: Record<EndpointName, string> = {
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

export interface MountOptions {
  endpoints?: Partial<EndpointTemplates>;
  cloud?: CloudId;
  tenantId?: string;
  fromAddress?: string;
}

export async function mount(options: MountOptions = {}): Promise<EndpointTemplateEditor> {
  const cloud = options.cloud ?? 'global';
  const endpoints = { ...defaultEndpoints(cloud === 'sandbox' ? 'global' : cloud), ...options.endpoints };
  const el = await fixture<EndpointTemplateEditor>(html`<endpoint-template-editor
    .endpoints=${endpoints}
    cloud=${cloud}
    tenant-id=${options.tenantId ?? ''}
    from-address=${options.fromAddress ?? ''}
  ></endpoint-template-editor>`);
  await el.updateComplete;
  return el;
}

const root = (el: EndpointTemplateEditor) => el.shadowRoot!;
export const squash = (text: string | null | undefined) => (text ?? '').replace(/\s+/g, ' ').trim();

/** The input a label with exactly this text points at. */
export function field(el: EndpointTemplateEditor, label: string): HTMLInputElement {
  const found = [...root(el).querySelectorAll('label')].find((l) => squash(l.textContent) === label);
  if (!found) throw new Error(`no label "${label}"`);
  const input = root(el).getElementById(found.htmlFor);
  if (!(input instanceof HTMLInputElement)) throw new Error(`label "${label}" points at no input`);
  return input;
}

/** The text of everything an input's aria-describedby names. */
export function described(el: EndpointTemplateEditor, input: Element): string {
  const ids = (input.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
  return ids.map((id) => squash(root(el).getElementById(id)?.textContent)).join(' | ');
}

export function messages(el: EndpointTemplateEditor, name: EndpointName): string[] {
  return [...root(el).querySelectorAll(`#messages-${name} [part~="error"]`)].map((li) => squash(li.textContent));
}

export function preview(el: EndpointTemplateEditor, name: EndpointName): string {
  return squash(root(el).getElementById(`preview-${name}`)?.textContent);
}

export function previewUrl(el: EndpointTemplateEditor, name: EndpointName): string {
  return root(el).querySelector(`#preview-${name} code`)?.textContent ?? '';
}

export function buttonNamed(el: EndpointTemplateEditor, text: string): HTMLButtonElement {
  const found = [...root(el).querySelectorAll('button')].find((b) => squash(b.textContent) === text);
  if (!found) throw new Error(`no button "${text}"`);
  return found;
}

export function counter(target: EventTarget, type: string): { count: number; events: Event[] } {
  const record = { count: 0, events: [] as Event[] };
  target.addEventListener(type, (event) => {
    record.count += 1;
    record.events.push(event);
  });
  return record;
}

export const active = (el: EndpointTemplateEditor) => root(el).activeElement as HTMLElement | null;

interface AxeNames {
  setup(node?: Element | Document): unknown;
  teardown(): void;
  utils: { getNodeFromTree(node: Node): unknown };
  commons: { text: { accessibleTextVirtual(node: unknown): string } };
}

/** The accessible name of an element, computed by axe-core across shadow roots. */
export function accessibleName(node: Element): string {
  const axe = (window as unknown as { axe: AxeNames }).axe;
  axe.setup(document);
  try {
    return axe.commons.text.accessibleTextVirtual(axe.utils.getNodeFromTree(node));
  } finally {
    axe.teardown();
  }
}
