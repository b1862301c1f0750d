// The framework turns every member of a manifest declaration into a control, private state included,
// and the analyzer records an event it guessed from a helper's `dispatchEvent(new CustomEvent(name, …))`
// as an event called "name". Controls and the args table show the public API only: what the JSDoc
// documents.
import type { ArgTypesEnhancer } from 'storybook/internal/types';
import manifest from '../custom-elements.json';

interface Member {
  name: string;
  kind?: string;
  privacy?: string;
  static?: boolean;
}
interface Declaration {
  tagName?: string;
  members?: Member[];
  events?: { name: string; description?: string }[];
}

const declarations = new Map<string, Declaration>();
for (const module of manifest.modules as { declarations?: Declaration[] }[]) {
  for (const declaration of module.declarations ?? []) if (declaration.tagName) declarations.set(declaration.tagName, declaration);
}

const eventArg = (event: string) => `on${event.replace(/[-_:.\s]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : '')).replace(/^./, (c) => c.toUpperCase())}`;

export const publicApiOnly: ArgTypesEnhancer = (context) => {
  const declaration = typeof context.component === 'string' ? declarations.get(context.component) : undefined;
  if (!declaration) return context.argTypes;
  const hidden = new Set<string>();
  for (const member of declaration.members ?? []) {
    if (member.static || (member.privacy && member.privacy !== 'public')) hidden.add(member.name);
  }
  const guessed = (declaration.events ?? []).filter((event) => !event.description).map((event) => event.name);
  const argTypes = { ...context.argTypes };
  for (const [key, argType] of Object.entries(argTypes)) {
    const category = argType.table?.category;
    if (category === 'properties' && hidden.has(key)) delete argTypes[key];
    if (category === 'events' && guessed.includes(key)) delete argTypes[key];
  }
  for (const event of guessed) delete argTypes[eventArg(event)];
  return argTypes;
};

/**
 * The documented custom properties become controls (colours as colour pickers); the stories' render
 * functions apply the values that are set (`cssVariables` in stories/decorators.ts).
 */
export const cssPropertyControls: ArgTypesEnhancer = (context) => {
  const argTypes = { ...context.argTypes };
  for (const [key, argType] of Object.entries(argTypes)) {
    if (argType.table?.category !== 'css custom properties' || argType.control !== undefined) continue;
    argTypes[key] = { ...argType, control: key.startsWith('--gm-color-') ? 'color' : 'text' };
  }
  return argTypes;
};
