/**
 * Story plumbing: every story gets its own MemoryAdapter (the in-browser backend) through the adapter
 * context, the way a host page's container would provide one, and the language and direction chosen
 * in the toolbar.
 */
import { LitElement, html, type TemplateResult } from 'lit';
import type { Decorator } from '@storybook/web-components-vite';
import { defineAll } from '../src/registry.js';
import '../src/locales/de/index.js';
import { provideAdapter } from '../src/components/shared/index.js';
import { MemoryAdapter, type MemoryAdapterOptions } from '../src/services/memory-adapter.js';

defineAll();

/** Provides an adapter to everything inside it, as a host's container element would. */
class StoryBackend extends LitElement {
  static override properties = { adapter: { attribute: false } };
  declare adapter: MemoryAdapter | undefined;
  private readonly provider = provideAdapter(this);

  protected override willUpdate(): void {
    this.provider.setValue(this.adapter);
  }

  protected override render(): TemplateResult {
    return html`<slot></slot>`;
  }
}
if (!customElements.get('story-backend')) customElements.define('story-backend', StoryBackend);

/** `parameters.backend`: the MemoryAdapter options of a story. */
export const withBackend: Decorator = (story, context) => {
  const options = (context.parameters.backend ?? {}) as MemoryAdapterOptions;
  const adapter = new MemoryAdapter({ sandboxOrigin: 'http://127.0.0.1:8788', ...options });
  const lang = (context.globals.locale as string | undefined) ?? 'en';
  const dir = lang === 'ar' || context.globals.direction === 'rtl' ? 'rtl' : 'ltr';
  return html`<story-backend .adapter=${adapter} lang=${lang} dir=${dir}>${story()}</story-backend>`;
};
