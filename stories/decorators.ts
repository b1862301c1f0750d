/**
 * What every story shares: a MemoryAdapter per story, provided to the elements through @lit/context by
 * a small wrapper element that also carries the story's language and direction; a stand-in for the
 * Microsoft sign-in window; and helpers for play functions (the elements live in shadow roots).
 *
 * A story chooses its backend with `parameters.backend`: MemoryAdapter options, a factory (for a state
 * that needs calls after construction, such as `loseConnection()`), or `false` for none. Options are
 * merged over `sandboxOrigin` (the sandbox cloud is offered, as `npm start` does) and the stand-in
 * sign-in URL.
 */
import { LitElement, css, html } from 'lit';
import type { Decorator, Loader, StoryContext } from '@storybook/web-components-vite';
import { userEvent, within } from 'storybook/test';
import { CONNECT_STORAGE_KEY } from '../src/components/azure-connect-button/azure-connect-button.js';
import { provideAdapter } from '../src/components/shared/adapter-context.js';
import { defineElement } from '../src/components/shared/define-element.js';
import type { EmailBackendAdapter } from '../src/services/contract.js';
import { MemoryAdapter, type MemoryAdapterOptions } from '../src/services/memory-adapter.js';

/** `parameters.backend` of a story. */
export type AdapterSetup = MemoryAdapterOptions | (() => MemoryAdapter) | false;

/** What the loader hands to the decorator and to play functions (`context.loaded.adapter`). */
export interface AdapterLoaded {
  adapter?: MemoryAdapter;
}

/** The URL the MemoryAdapter hands out for a popup sign-in in Storybook, recognised by the stand-in. */
export const SIGN_IN_STAND_IN_URL = 'about:blank#graph-mail-elements-sign-in';

/**
 * Provides an adapter to every element inside it, as a host page's container would. The value is
 * handed on as soon as the property is set (before the children connect and ask for it).
 *
 * @tag gm-story-adapter
 * @slot - The story.
 */
export class StoryAdapterProvider extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
  `;

  private readonly provider = provideAdapter(this);
  private current?: EmailBackendAdapter;

  get adapter(): EmailBackendAdapter | undefined {
    return this.current;
  }

  set adapter(value: EmailBackendAdapter | undefined) {
    this.current = value;
    this.provider.setValue(value);
  }

  protected override render() {
    return html`<slot></slot>`;
  }
}

defineElement('gm-story-adapter', StoryAdapterProvider);

/**
 * A MemoryAdapter with the story defaults: the sandbox cloud offered (as `npm start` does) and the
 * stand-in sign-in window. For `parameters.backend` factories.
 */
export function storyAdapter(options: MemoryAdapterOptions = {}): MemoryAdapter {
  return new MemoryAdapter({
    sandboxOrigin: 'http://127.0.0.1:8788',
    authorizeUrl: ({ mode, returnTo }) => (mode === 'popup' ? SIGN_IN_STAND_IN_URL : (returnTo ?? '/')),
    ...options,
  });
}

/** Makes the story's MemoryAdapter, once per story render (not again when a control changes). */
export const backendLoader: Loader = (context): AdapterLoaded => {
  const setup = context.parameters.backend as AdapterSetup | undefined;
  if (setup === false) return {};
  return { adapter: typeof setup === 'function' ? setup() : storyAdapter(setup) };
};

/** The locale and direction globals of the toolbar, with the story's adapter around the story. */
export const withBackend: Decorator = (story, context) => {
  const { adapter } = context.loaded as AdapterLoaded;
  const locale = (context.globals.locale as string | undefined) || 'en';
  const dir = context.globals.direction === 'rtl' ? 'rtl' : 'ltr';
  return html`<gm-story-adapter .adapter=${adapter} lang=${locale} dir=${dir}>${story()}</gm-story-adapter>`;
};

/**
 * Runs before each story: forgets a sign-in another story left waiting (the connect button resumes one
 * from sessionStorage, which would otherwise carry over from story to story), and stops the adapter's
 * timers when the story goes away.
 */
export function resetBetweenStories(context: StoryContext): () => void {
  try {
    sessionStorage.removeItem(CONNECT_STORAGE_KEY);
  } catch {
    // Storage may be off; nothing carries over then.
  }
  return () => (context.loaded as AdapterLoaded).adapter?.dispose();
}

/**
 * The MemoryAdapter has no Microsoft sign-in page to show: its sign-in finishes on its own after
 * `scenario.connect.delayMs`. Opening a blank popup for it would only get in the way (and a play
 * function's synthetic click is not a user gesture, so the browser would block it and the button would
 * fall back to a full-page redirect). This answers `window.open` for that URL with a window-like
 * object; every other URL opens as usual.
 */
export function installSignInStandIn(): void {
  const marker = '__graphMailSignInStandIn';
  const target = window as unknown as Record<string, unknown>;
  if (target[marker]) return;
  target[marker] = true;
  const open = window.open.bind(window);
  window.open = (url?: string | URL, name?: string, features?: string): Window | null => {
    if (String(url) !== SIGN_IN_STAND_IN_URL) return open(url, name, features);
    const standIn = {
      closed: false,
      close() {
        standIn.closed = true;
      },
      focus() {},
      postMessage() {},
    };
    return standIn as unknown as Window;
  };
}

// Play-function helpers.

/** A shadow root as a container for `within` (testing-library only needs `querySelectorAll`). */
function asContainer(root: ShadowRoot): HTMLElement {
  return root as unknown as HTMLElement;
}

/** The shadow root of the first `selector` under `root`, once the element is there and has rendered. */
export async function shadowOf(root: Element | ShadowRoot, selector: string): Promise<ShadowRoot> {
  for (let i = 0; i < 200; i += 1) {
    const element = root.querySelector(selector);
    const shadow = element?.shadowRoot;
    if (element && shadow) {
      await (element as LitElement).updateComplete;
      return shadow;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`<${selector}> did not render.`);
}

/** testing-library queries inside the shadow root of the first `selector` (nested: pass several). */
export async function withinShadow(canvasElement: HTMLElement, ...selectors: string[]) {
  let root: Element | ShadowRoot = canvasElement;
  for (const selector of selectors) root = await shadowOf(root, selector);
  return { root: root as ShadowRoot, ...within(asContainer(root as ShadowRoot)) };
}

/**
 * Replaces a field's text as a person would (select all, type). `userEvent.clear` refuses elements in a
 * shadow root (it compares `document.activeElement`, which is the host). In `text`, `{{` types one `{`.
 */
export async function retype(field: HTMLElement, text: string): Promise<void> {
  const input = field as HTMLInputElement;
  await userEvent.type(input, text, { initialSelectionStart: 0, initialSelectionEnd: input.value.length });
}

/**
 * Pastes `text` into a field: a `paste` event carrying the text, then, unless a listener cancelled it,
 * the browser's own text insertion (which fires `input` as a real paste does). `userEvent.paste` only
 * reaches `document.activeElement`, which for a field in a shadow root is the host.
 */
export async function pasteInto(input: HTMLInputElement | HTMLTextAreaElement, text: string): Promise<void> {
  await userEvent.click(input);
  const data = new DataTransfer();
  data.setData('text/plain', text);
  const event = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true, composed: true });
  if (!input.dispatchEvent(event)) return;
  if (!document.execCommand('insertText', false, text)) {
    input.setRangeText(text, input.selectionStart ?? input.value.length, input.selectionEnd ?? input.value.length, 'end');
    input.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true, inputType: 'insertFromPaste', data: text }));
  }
}

/** The handler of an action arg (`onGmSave` and friends, made from the manifest's events). */
export function actionOf(args: Record<string, unknown>, name: string): ((event: Event) => void) | undefined {
  const handler = args[name];
  return typeof handler === 'function' ? (handler as (event: Event) => void) : undefined;
}

/** The custom-property args that are set (`--gm-*` controls), as a style map. */
export function cssVariables(args: Record<string, unknown>): Record<string, string> {
  const style: Record<string, string> = {};
  for (const [key, value] of Object.entries(args)) if (key.startsWith('--') && typeof value === 'string' && value) style[key] = value;
  return style;
}

/** A date `days` from today as YYYY-MM-DD (secret expiry). */
export function daysFromNow(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}
