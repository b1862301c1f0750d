/**
 * The localize controller: every string an element shows comes from a translation table, English by
 * default, chosen by the nearest `lang` attribute (the element's ancestors, across shadow roots, then
 * `<html>`), and the element re-renders when that attribute or a registered table changes. Lit's own
 * @lit/localize needs a build step per locale; a host of these elements adds a locale by importing one
 * module instead.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { formatMessage } from '../../services/messages.js';
import { registerStrings, stringStore, tablesFor, type Table } from './strings.js';

export { registerStrings, type Table };
export type Host = ReactiveControllerHost & HTMLElement;

const controllers = new Set<Localize>();
let observer: MutationObserver | undefined;
const refreshAll = (): void => {
  for (const controller of controllers) controller.refresh();
};

/** The nearest `lang`, crossing shadow roots: an element rendered by another follows its container. */
export function langOf(element: Element): string {
  let node: Node | null = element;
  while (node) {
    if (node.nodeType === Node.ELEMENT_NODE && (node as Element).hasAttribute('lang')) {
      const value = (node as Element).getAttribute('lang')!.trim();
      // `lang=""` means "unknown"; keep looking outwards as a browser would fall back.
      if (value) return value.toLowerCase();
    }
    node = node.parentNode ?? (node as ShadowRoot).host ?? null;
  }
  return (document.documentElement.lang || 'en').toLowerCase();
}

/** Follows the nearest `lang`, falling back to English. */
export class Localize implements ReactiveController {
  constructor(
    private readonly host: Host,
    private readonly english: Table,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    if (controllers.size === 0) {
      // One observer for every element of this copy of the library: a `lang` change anywhere in the page.
      observer = new MutationObserver(refreshAll);
      observer.observe(document.documentElement, { attributes: true, attributeFilter: ['lang'], subtree: true });
      stringStore().listeners.add(refreshAll);
    }
    controllers.add(this);
  }

  hostDisconnected(): void {
    controllers.delete(this);
    if (controllers.size === 0) {
      observer?.disconnect();
      observer = undefined;
      stringStore().listeners.delete(refreshAll);
    }
  }

  refresh(): void {
    this.host.requestUpdate();
  }

  /** The language the element shows, lower case (`de`, `de-at`, `en`). */
  get lang(): string {
    return langOf(this.host);
  }

  /** The text for `key` in the element's language, then English, then the key itself. */
  term(key: string, params?: Record<string, string | number>): string {
    const found = tablesFor(this.lang).find((table) => key in table)?.[key] ?? this.english[key] ?? key;
    return formatMessage(found, params);
  }
}
