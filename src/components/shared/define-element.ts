/**
 * Registration that tolerates what real pages do: load the library twice (ESM and the one-tag bundle),
 * rename a tag, or define the same class again after a partial-page update.
 */
import { unsafeStatic, type StaticValue } from 'lit/static-html.js';

/** Registers a tag unless it is taken; a second definition warns instead of throwing. */
export function defineElement(tag: string, ctor: CustomElementConstructor): void {
  const existing = customElements.get(tag);
  const name = customElements.getName(ctor);
  if (existing === ctor) return;
  if (existing) console.warn(`<${tag}> is already defined by another class; this definition was skipped.`);
  else if (name) console.warn(`This class is already defined as <${name}>; <${tag}> was not defined.`);
  else customElements.define(tag, ctor);
}

/** The tag a class is registered under (a host may have renamed it), as a static template value. */
export function staticTag(ctor: CustomElementConstructor, fallback: string): StaticValue {
  return unsafeStatic(customElements.getName(ctor) ?? fallback);
}

/**
 * Registers an element another one renders, unless its class is registered already under any name (a
 * host may have renamed it): the container then renders it under that name (`staticTag`).
 */
export function ensureDefined(tag: string, ctor: CustomElementConstructor): void {
  if (customElements.getName(ctor)) return;
  defineElement(tag, ctor);
}
