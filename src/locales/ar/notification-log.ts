/**
 * Arabic text of `<notification-log>`, as far as it is translated: the sending budget's line. The other
 * keys of `notification-log.strings.ts` show in English until they are translated here.
 */
import { registerStrings } from '../../components/shared/strings.js';
import type { NotificationLogStringKey } from '../../components/notification-log/notification-log.strings.js';

export const notificationLogAr: Partial<Record<NotificationLogStringKey, string>> = {
  'log.budget': 'تبقّى اليوم {left} من {perDay} مستلِم · {perMinute} رسالة في الدقيقة على الأكثر',
};

registerStrings('ar', notificationLogAr as Record<string, string>);
