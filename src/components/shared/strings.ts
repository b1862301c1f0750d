/**
 * The translation tables, kept on a global under `Symbol.for`: a page may carry two copies of the
 * library (its own ESM build and the one-tag bundle), and a locale module loaded by either one must
 * reach the elements of both. This module imports nothing, so a locale entry built on it is a small
 * self-contained file that a page can load next to the one-tag bundle.
 */

export type Table = Readonly<Record<string, string>>;

interface Store {
  readonly tables: Map<string, Table[]>;
  /** Called after a table was added, so elements showing that locale render again. */
  readonly listeners: Set<() => void>;
}

const KEY = Symbol.for('graph-mail-elements/strings');

export function stringStore(): Store {
  const global = globalThis as { [KEY]?: Store };
  return (global[KEY] ??= { tables: new Map(), listeners: new Set() });
}

/**
 * Adds translations for a locale (`de`, `de-AT`, `ar`); each locale module calls this for every
 * element when it is imported. A later table wins over an earlier one for the same key, so a host can
 * override single strings: `registerStrings('de', { 'action.save': 'Übernehmen' })`.
 */
export function registerStrings(locale: string, table: Table): void {
  const { tables, listeners } = stringStore();
  const key = locale.toLowerCase();
  tables.set(key, [table, ...(tables.get(key) ?? [])]);
  for (const listener of listeners) listener();
}

/** The tables for a language tag, most specific first (`de-at`, then `de`). */
export function tablesFor(lang: string): Table[] {
  const { tables } = stringStore();
  const base = lang.split('-')[0];
  return [...(tables.get(lang) ?? []), ...(base !== lang ? (tables.get(base) ?? []) : [])];
}
