/**
 * German for every element: `import 'graph-mail-elements/locales/de'`. Each element follows the
 * nearest `lang` attribute, so `<html lang="de">` (or `lang="de"` on a container) switches it.
 */
import './azure-connect-button.js';
import './email-config-form.js';
import './endpoint-template-editor.js';
import './notification-log.js';
