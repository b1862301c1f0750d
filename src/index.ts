/**
 * graph-mail-elements: the element classes, the adapters and the contract, free of side effects.
 * Importing this module registers nothing; import `graph-mail-elements/define` (or call each class's
 * static `define(tag)`) to register the tags.
 */
export { AzureConnectButton } from './components/azure-connect-button/azure-connect-button.js';
export { EmailConfigForm } from './components/email-config-form/email-config-form.js';
export type { HostMethod } from './components/email-config-form/email-config-form.js';
export { EndpointTemplateEditor } from './components/endpoint-template-editor/endpoint-template-editor.js';
export { NotificationLog } from './components/notification-log/notification-log.js';
export { DEFAULT_TAGS, defineAll, type DefaultTag } from './registry.js';
export { registerStrings, provideAdapter, adapterContext } from './components/shared/index.js';
export { HttpAdapter } from './services/http-adapter.js';
export type { HttpAdapterOptions } from './services/http-adapter.js';
export { MemoryAdapter } from './services/memory-adapter.js';
export * from './services/contract.js';
export * from './services/errors.js';
