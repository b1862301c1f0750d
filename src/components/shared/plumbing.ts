/**
 * The shared plumbing gathered under the names `<email-config-form>` and `<azure-connect-button>` were
 * written against (`PLUMBING.Base`, `PLUMBING.Localize`, …). New code imports the pieces directly.
 */
import { LitElement, type ReactiveControllerHost } from 'lit';
import { consumeAdapter, provideAdapter } from './adapter-context.js';
import { defineElement, staticTag } from './define-element.js';
import { ImplicitSubmitGuard } from './implicit-submit.js';
import { Localize } from './localize.js';

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
