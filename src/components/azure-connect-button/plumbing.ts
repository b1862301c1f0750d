/**
 * The shared element plumbing under the names these two elements were written against.
 * New code imports from `../shared/index.js` directly.
 */
import { LitElement, type ReactiveControllerHost } from 'lit';
import { ImplicitSubmitGuard, Localize, consumeAdapter, defineElement, provideAdapter, staticTag } from '../shared/index.js';

export { registerStrings } from '../shared/index.js';

export const PLUMBING = {
  Base: LitElement,
  Localize,
  defineElement,
  consumeAdapter,
  provideAdapter,
  preventImplicitSubmit(host: ReactiveControllerHost & HTMLElement): ImplicitSubmitGuard {
    return new ImplicitSubmitGuard(host);
  },
  staticTag,
};
