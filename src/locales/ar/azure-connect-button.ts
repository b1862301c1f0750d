/** Arabic text of `<azure-connect-button>`: the keys of `azure-connect-button.strings.ts`. */
import type { AzureConnectButtonStringKey } from '../../components/azure-connect-button/azure-connect-button.strings.js';
import { registerStrings } from '../../components/shared/strings.js';

export const azureConnectButtonAr: Record<AzureConnectButtonStringKey, string> = {
  'connect.connect': 'ربط بريد Azure',
  'connect.disconnect': 'قطع اتصال بريد Azure',
  'connect.reconnect': 'إعادة ربط بريد Azure',
  'connect.retry': 'إعادة المحاولة',
  'connect.cancel': 'إلغاء',
  'connect.loading': 'جارٍ تحميل الاتصال…',
  'connect.loadFailed': 'تعذّر تحميل إعدادات البريد: لم يستجب خادم البريد.',
  'connect.connectedTo': 'متصل بـ {account}',
  'connect.notConnected': 'غير متصل',
  'connect.waiting': 'في انتظار تسجيل دخولك إلى Microsoft في النافذة التي فُتحت…',
  'connect.waitingRedirect': 'جارٍ إكمال تسجيل الدخول إلى Microsoft…',
  'connect.progress': 'تسجيل الدخول قيد التقدم',
  'connect.disconnecting': 'جارٍ قطع الاتصال…',
  'connect.connectedNow': 'تم الاتصال بـ {account}.',
  'connect.disconnected': 'تم قطع الاتصال. يمكن تغيير الإعدادات مرة أخرى.',
  'connect.cancelled': 'تم إلغاء تسجيل الدخول.',
  'connect.reason.incomplete':
    'احفظ أولًا معرّف المستأجر ومعرّف التطبيق (العميل) وسر عميل أو شهادة: يحتاج تسجيل الدخول إليها.',
  'connect.reason.unsaved': 'احفظ تغييراتك أولًا: يستخدم تسجيل الدخول الإعدادات المحفوظة.',
  'connect.reason.application':
    'لا يحتاج Exchange Online (تطبيق) إلى تسجيل دخول: يمنح المسؤول الموافقة في مدخل Azure بدلًا من ذلك.',
  'connect.reason.noAdapter': 'لم يُعيَّن خادم بريد لهذه الصفحة.',
  'connect.needsReconnect': 'يجب تجديد الاتصال بـ Microsoft. سجّل الدخول مرة أخرى لمواصلة إرسال البريد.',
  'connect.needsReconnectReason': 'يجب تجديد الاتصال بـ Microsoft: {reason}',
  'connect.error.timeout':
    'لم يكتمل تسجيل الدخول خلال {minutes} دقيقة. اختر «إعادة المحاولة» وأكمل تسجيل الدخول في نافذة Microsoft.',
  'connect.error.network': 'تعذّر الوصول إلى خادم البريد. تحقّق من اتصال الشبكة واختر «إعادة المحاولة».',
  'connect.error.denied':
    'أُلغي تسجيل الدخول أو رُفضت الموافقة. اختر «إعادة المحاولة» واقبل الأذونات في نافذة Microsoft.',
  'connect.error.failed': 'فشل تسجيل الدخول: {message}',
  'connect.error.conflict': 'تغيّرت الإعدادات في هذه الأثناء: {message}',
  'connect.error.unauthorized': 'غير مسموح لك بتغيير إعدادات البريد. سجّل الدخول بصفتك مسؤولًا.',
  'connect.error.generic': 'تعذّر إنشاء الاتصال: {message}',
};

registerStrings('ar', azureConnectButtonAr);
