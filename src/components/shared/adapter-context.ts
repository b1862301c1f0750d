/**
 * How an element finds its backend: its own `adapter` property wins; otherwise the nearest ancestor
 * that provides one through @lit/context (a container element, the demo page, a Storybook decorator).
 * No global adapter: two elements on one page can talk to two backends.
 */
import { ContextConsumer, ContextProvider, createContext } from '@lit/context';
import type { ReactiveControllerHost } from 'lit';
import type { EmailBackendAdapter } from '../../services/contract.js';

type Host = ReactiveControllerHost & HTMLElement;

/** `Symbol.for`, so two copies of the library on one page (ESM and the bundle) still meet. */
export const adapterContext = createContext<EmailBackendAdapter | undefined, symbol>(Symbol.for('graph-mail-elements/adapter'));

export function consumeAdapter(host: Host): { readonly value: EmailBackendAdapter | undefined } {
  return new ContextConsumer(host, { context: adapterContext, subscribe: true }) as { readonly value: EmailBackendAdapter | undefined };
}

export function provideAdapter(host: Host): { setValue(value: EmailBackendAdapter | undefined): void } {
  return new ContextProvider(host, { context: adapterContext });
}
