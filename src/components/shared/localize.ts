/**
 * The localize controller: every string an element shows comes from a translation table, English by
 * default, chosen by the nearest `lang` attribute (the element's ancestors, then `<html>`), and the
 * element re-renders when that attribute or a registered table changes. Lit's own @lit/localize needs a
 * build step per locale; a host of these elements adds a locale by importing one module instead.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { formatMessage } from '../../services/messages.js';

export type Table = Readonly<Record<string, string>>;
export type Host = ReactiveControllerHost & HTMLElement;

const tables = new Map<string, Table[]>();

/** Adds translations for a locale (`de`, `de-AT`); a locale module calls this when it is imported. */
export function registerStrings(locale: string, table: Table): void {
  const key = locale.toLowerCase();
  tables.set(key, [...(tables.get(key) ?? []), table]);
  for (const controller of controllers) controller.refresh();
}

const controllers = new Set<Localize>();

/** Follows the nearest `lang` (the element's ancestors, then `<html>`), falling back to English. */
export class Localize implements ReactiveController {
  private observer?: MutationObserver;

  constructor(
    private readonly host: Host,
    private readonly english: Table,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    controllers.add(this);
    this.observer = new MutationObserver(() => this.refresh());
    this.observer.observe(document.documentElement, { attributes: true, attributeFilter: ['lang'], subtree: true });
  }

  hostDisconnected(): void {
    controllers.delete(this);
    this.observer?.disconnect();
    this.observer = undefined;
  }

  refresh(): void {
    this.host.requestUpdate();
  }

  get lang(): string {
    const owner = this.host.closest('[lang]') as HTMLElement | null;
    return (owner?.lang || document.documentElement.lang || 'en').toLowerCase();
  }

  term(key: string, params?: Record<string, string | number>): string {
    const lang = this.lang;
    const candidates = [...(tables.get(lang) ?? []), ...(tables.get(lang.split('-')[0]) ?? [])];
    const found = candidates.find((table) => key in table)?.[key] ?? this.english[key] ?? key;
    return formatMessage(found, params);
  }
}

