export { Localize, langOf, registerStrings, type Table } from './localize.js';
export { ImplicitSubmitGuard } from './implicit-submit.js';
export { adapterContext, consumeAdapter, provideAdapter } from './adapter-context.js';
export { defineElement, ensureDefined, staticTag } from './define-element.js';
export { defaultAdapterFor, setDefaultAdapterFactory } from './default-adapter.js';
export { PLUMBING } from './plumbing.js';
