/**
 * The adapter of last resort. The ESM entry leaves the adapter to the host (property or context); the
 * one-tag bundle cannot, since a legacy page configures elements by attributes only, so it installs a
 * factory here that makes an HttpAdapter from the element's attributes (`api-base`, `csrf-header`, …).
 * Each element gets its own adapter, made once; nothing is installed unless the bundle does it.
 */
import type { EmailBackendAdapter } from '../../services/contract.js';

type Factory = (element: HTMLElement) => EmailBackendAdapter;

let factory: Factory | null = null;
const made = new WeakMap<HTMLElement, EmailBackendAdapter>();

export function setDefaultAdapterFactory(next: Factory | null): void {
  factory = next;
}

export function defaultAdapterFor(element: HTMLElement): EmailBackendAdapter | undefined {
  if (!factory) return undefined;
  let adapter = made.get(element);
  if (!adapter) {
    adapter = factory(element);
    made.set(element, adapter);
  }
  return adapter;
}
