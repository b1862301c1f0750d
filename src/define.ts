/**
 * Importing this module registers the four tags under their default names (`graph-mail-elements/define`).
 * To choose other names, import `define` from the main entry instead and call it with them.
 */
import { defineAll } from './registry.js';

export { DEFAULT_TAGS, define, defineAll, type DefaultTag } from './registry.js';

defineAll();
