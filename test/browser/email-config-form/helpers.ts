import { fixture, html, waitUntil } from '@open-wc/testing';
import { EmailConfigForm } from '../../../src/components/email-config-form/email-config-form.js';
import type { EmailBackendAdapter } from '../../../src/services/contract.js';

EmailConfigForm.define();

export async function mountForm(adapter: EmailBackendAdapter): Promise<EmailConfigForm> {
  const el = await fixture<EmailConfigForm>(html`<email-config-form .adapter=${adapter}></email-config-form>`);
  await waitUntil(() => el.shadowRoot!.querySelector('[role="tablist"]'), 'form did not load');
  return el;
}

/** The text of a label without the parts hidden from assistive technology (the required marker). */
export function labelText(label: Element): string {
  const clone = label.cloneNode(true) as Element;
  clone.querySelectorAll('[aria-hidden="true"]').forEach((n) => n.remove());
  return clone.textContent!.replace(/\s+/g, ' ').trim();
}

/** The control whose label reads exactly `name`. */
export function control<T extends HTMLElement = HTMLInputElement>(el: EmailConfigForm, name: string): T {
  const root = el.shadowRoot!;
  const label = [...root.querySelectorAll('label')].find((l) => labelText(l) === name);
  if (!label) throw new Error(`no label "${name}"`);
  const target = root.getElementById(label.htmlFor);
  if (!target) throw new Error(`label "${name}" points at nothing`);
  return target as T;
}

export function hasControl(el: EmailConfigForm, name: string): boolean {
  return [...el.shadowRoot!.querySelectorAll('label')].some((l) => labelText(l) === name);
}

/** The messages an input's aria-describedby points at. */
export function describedText(el: EmailConfigForm, input: Element): string {
  const ids = (input.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
  return ids.map((id) => el.shadowRoot!.getElementById(id)?.textContent?.trim() ?? '').join(' | ');
}

export function feedback(el: EmailConfigForm, name: string): string {
  const input = control(el, name);
  const id = `${input.id}-feedback`;
  return el.shadowRoot!.getElementById(id)?.textContent?.trim() ?? '';
}

/** Types into a field as a user would (value + input event), then leaves it. */
export async function typeInto(el: EmailConfigForm, name: string, value: string, blur = true): Promise<void> {
  const input = control<HTMLInputElement | HTMLTextAreaElement>(el, name);
  input.focus();
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
  if (blur) input.dispatchEvent(new FocusEvent('blur'));
  await el.updateComplete;
}

export async function choose(el: EmailConfigForm, name: string, value: string): Promise<void> {
  const select = control<HTMLSelectElement>(el, name);
  select.value = value;
  select.dispatchEvent(new Event('change', { bubbles: true, composed: true }));
  await el.updateComplete;
}

export function button(el: EmailConfigForm, text: string): HTMLButtonElement {
  const found = [...el.shadowRoot!.querySelectorAll('button')].find((b) => b.textContent!.replace(/\s+/g, ' ').trim() === text);
  if (!found) throw new Error(`no button "${text}"`);
  return found;
}

export function counter(el: EventTarget, type: string): { count: number; events: CustomEvent[] } {
  const record = { count: 0, events: [] as CustomEvent[] };
  el.addEventListener(type, (e) => {
    record.count += 1;
    record.events.push(e as CustomEvent);
  });
  return record;
}

export const text = (el: EmailConfigForm) => el.shadowRoot!.textContent!.replace(/\s+/g, ' ');

export const VALID = {
  tenant: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  client: '3aacd4f2-1c9e-4a57-9d3e-0c4f1f2a6b7d',
  secret: 'Qx8Q~abcdefghijklmnopqrstuvwxyz0123456789',
};
