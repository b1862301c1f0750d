/**
 * Arabic for `<email-config-form>` and `<azure-connect-button>` (a right-to-left locale):
 * `import 'graph-mail-elements/locales/ar'`. Strings without a translation here (the endpoint editor,
 * most of the log) show in English. Set `lang="ar"` and `dir="rtl"` on the page or a container.
 */
import './azure-connect-button.js';
import './email-config-form.js';
import './notification-log.js';
