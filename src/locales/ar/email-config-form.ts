/**
 * Arabic text of `<email-config-form>`: the keys of `email-config-form.strings.ts`, validation messages
 * included. The Azure portal is not offered in Arabic, so its page and column names stay in English,
 * as the reader sees them there.
 */
import type { EmailConfigFormStringKey } from '../../components/email-config-form/email-config-form.strings.js';
import { registerStrings } from '../../components/shared/strings.js';

export const emailConfigFormAr: Record<EmailConfigFormStringKey, string> = {
  'field.required': '{field} مطلوب.',
  'field.tooLong': '{field} طويل جدًا: {max} حرفًا على الأكثر.',
  'field.lineBreak': 'لا يمكن أن يحتوي {field} على فواصل أسطر.',
  'field.invalid': '{field} غير صالح.',
  'mode.invalid': 'اختر طريقة بريد: خدمة Azure (صندوق بريد مسجَّل الدخول) أو Exchange Online (تطبيق).',
  'cloud.invalid': 'اختر نطاقًا (سحابة وطنية) يوفّره هذا الخادم.',
  'tenantId.required':
    'معرّف المستأجر مطلوب. انسخ «Directory (tenant) ID» من صفحة Overview لتسجيل التطبيق في مدخل Azure.',
  'tenantId.format':
    'يجب أن يكون معرّف المستأجر GUID مثل 72f988bf-86f1-41af-91ab-2d7cd011db47 أو نطاقًا مثل contoso.onmicrosoft.com.',
  'clientId.required': 'معرّف التطبيق (العميل) مطلوب. انسخه من صفحة Overview لتسجيل التطبيق في مدخل Azure.',
  'clientId.guid':
    'يجب أن يكون معرّف التطبيق (العميل) GUID مثل 3aacd4f2-1c9e-4a57-9d3e-0c4f1f2a6b7d، منسوخًا من صفحة Overview لتسجيل التطبيق.',
  'clientId.sameAsTenant':
    'معرّف التطبيق (العميل) مطابق لمعرّف المستأجر. انسخ «Application (client) ID» وليس «Directory (tenant) ID».',
  'clientSecret.required':
    'سر العميل مطلوب. في تسجيل التطبيق افتح Certificates & secrets، وأنشئ سر عميل جديدًا وانسخ قيمته («Value»).',
  'clientSecret.secretId':
    'هذا معرّف السر وليس السر نفسه. في Certificates & secrets انسخ عمود «Value» (يظهر فقط بعد إنشاء السر مباشرة)، وليس «Secret ID».',
  'clientSecret.tooShort': 'هذا أقصر من أن يكون قيمة سر عميل. انسخ «Value» كاملة من Certificates & secrets.',
  'clientSecret.whitespace': 'لا يمكن أن يحتوي سر العميل على مسافات أو فواصل أسطر. انسخ القيمة مرة أخرى دون أحرف زائدة.',
  'certificate.required': 'الصق الشهادة (PEM) ومفتاحها الخاص (PEM)، أو اختر «سر العميل» بيانات اعتماد.',
  'certificate.pem': 'يجب أن تكون الشهادة (PEM) شهادة PEM: نص يبدأ بـ -----BEGIN CERTIFICATE-----.',
  'privateKey.pem':
    'يجب أن يكون المفتاح الخاص (PEM) مفتاحًا خاصًا بتنسيق PEM: نص يبدأ بـ -----BEGIN PRIVATE KEY----- (أو RSA PRIVATE KEY).',
  'privateKey.encrypted':
    'المفتاح الخاص (PEM) مشفَّر بعبارة مرور. صدّر المفتاح دون عبارة مرور (PKCS#8) ثم الصقه مرة أخرى.',
  'secretExpiresAt.format':
    'يجب أن يكون «انتهاء صلاحية السر» تاريخًا (YYYY-MM-DD) كما يظهر في عمود Expires في Certificates & secrets.',
  'fromAddress.required': 'عنوان المرسِل مطلوب لـ Exchange Online (تطبيق): صندوق البريد الذي تُرسَل منه الرسائل.',
  'fromAddress.format': 'يجب أن يكون عنوان المرسِل عنوان بريد إلكتروني مثل notifications@contoso.com.',
  'email.format': 'يجب أن يكون {field} عنوان بريد إلكتروني مثل someone@contoso.com.',
  'email.list': 'يجب أن يتضمن {field} عنوان بريد إلكتروني واحدًا على الأقل.',
  'email.tooMany': 'يتضمن {field} عناوين كثيرة جدًا: {max} على الأكثر.',
  'attachmentBytes.range': 'يجب أن يكون حجم مرفق الاختبار بين 0 و{max} بايت.',
  'log.status': 'يجب أن تكون الحالة إحدى: queued أو sending أو sent أو failed أو unknown.',
  'log.limit': 'يجب أن يكون الحد عددًا صحيحًا من 1 إلى 200.',
  'log.date': 'يجب أن يكون {field} تاريخًا أو تاريخًا ووقتًا بتنسيق ISO 8601.',
  'log.cursor': 'مؤشر الصفحة غير صالح: ابدأ مجددًا من الصفحة الأولى.',
  'connect.mode': 'يجب أن يكون وضع الاتصال «popup» أو «redirect».',
  'connect.returnTo': 'يجب أن يكون returnTo مسارًا في هذا الموقع يبدأ بـ «/» واحدة.',
  'message.body': 'تحتاج الرسالة إلى نص عادي أو نص HTML.',
  'attachment.name': 'يحتاج كل مرفق إلى اسم ملف.',
  'attachment.base64': 'يجب أن يكون محتوى المرفق بترميز base64.',

  'tabs.label': 'إعدادات البريد الإلكتروني',
  'tab.connection': 'الاتصال',
  'tab.endpoints': 'نقاط نهاية API',

  'label.mode': 'طريقة البريد الإلكتروني',
  'label.tenantId': 'معرّف المستأجر',
  'label.clientId': 'معرّف التطبيق (العميل)',
  'label.credential': 'بيانات الاعتماد',
  'label.clientSecret': 'سر العميل',
  'label.certificatePem': 'الشهادة (PEM)',
  'label.privateKeyPem': 'المفتاح الخاص (PEM)',
  'label.secretExpiresAt': 'انتهاء صلاحية السر',
  'label.cloud': 'النطاق',
  'label.redirectUri': 'عنوان URI لإعادة التوجيه',
  'label.fromName': 'اسم المرسِل',
  'label.fromAddress': 'عنوان المرسِل',
  'label.saveToSentItems': 'حفظ البريد في العناصر المرسلة',

  'mode.delegated': 'خدمة Azure (صندوق بريد مسجَّل الدخول)',
  'mode.application': 'Exchange Online (تطبيق)',
  'credential.secret': 'سر العميل',
  'credential.certificate': 'شهادة',
  'cloud.global': 'عالمي',
  'cloud.usgov': 'حكومة الولايات المتحدة (GCC High)',
  'cloud.usgov-dod': 'حكومة الولايات المتحدة (DoD)',
  'cloud.china': 'الصين (21Vianet)',
  'cloud.sandbox': 'بيئة الاختبار (دون اتصال)',

  'hint.tenantId': '«Directory (tenant) ID» في صفحة Overview لتسجيل التطبيق، أو نطاق مثل contoso.onmicrosoft.com.',
  'hint.clientId': '«Application (client) ID» في صفحة Overview لتسجيل التطبيق.',
  'hint.clientSecret': 'قيمة السر («Value») من Certificates & secrets، وليس «Secret ID».',
  'hint.clientSecretKeep': 'اتركه فارغًا للإبقاء على السر المحفوظ.',
  'hint.certificateKeep': 'اترك الحقلين فارغين للإبقاء على الشهادة المحفوظة.',
  'hint.secretExpiresAt': 'التاريخ في عمود Expires في Certificates & secrets، لكي تُنبَّه في الوقت المناسب.',
  'hint.redirectUri':
    'سجّل هذا العنوان كما هو في تسجيل التطبيق، ضمن Authentication، بوصفه عنوان URI لإعادة التوجيه لمنصة Web.',
  'hint.fromAddressDelegated':
    'اختياري: يُرسَل البريد افتراضيًا من الحساب المتصل. يحتاج صندوق بريد آخر إلى إذن «الإرسال باسم» (Send As) لذلك الحساب.',
  'hint.fromAddressApplication': 'صندوق البريد الذي تُرسَل منه الرسائل.',
  'hint.sentItemsSendMail':
    'مع Mail.Send وحده تُرسَل الرسائل عبر sendMail ويُحترَم هذا الإعداد. وعند استخدام مسودة (مرفقات كبيرة، أو منح Mail.ReadWrite للإرسال مرة واحدة بالضبط) تُحفَظ الرسالة المرسلة دائمًا في العناصر المرسلة.',
  'hint.sentItemsDraft': 'تُرسَل الرسائل مسوداتٍ (Mail.ReadWrite)، وتُحفَظ المسودة المرسلة دائمًا في العناصر المرسلة.',

  'secret.saved': 'يوجد سر محفوظ ({hint}).',
  'secret.savedExpires': 'يوجد سر محفوظ ({hint})، تنتهي صلاحيته خلال {days} يومًا.',
  'secret.savedExpiresToday': 'يوجد سر محفوظ ({hint})، تنتهي صلاحيته اليوم.',
  'certificate.saved': 'توجد شهادة محفوظة ({hint}).',
  'certificate.savedExpires': 'توجد شهادة محفوظة ({hint})، تنتهي صلاحيتها خلال {days} يومًا.',
  'secret.expiringSoon':
    'تنتهي صلاحية بيانات الاعتماد خلال {days} يومًا. أنشئ سر عميل جديدًا في Certificates & secrets واحفظ قيمته هنا قبل أن يتوقف البريد.',
  'secret.expired':
    'انتهت صلاحية بيانات الاعتماد المحفوظة في {date}: لا يمكن إرسال البريد. أنشئ سر عميل جديدًا في Certificates & secrets واحفظ قيمته هنا.',
  'secret.remove': 'إزالة السر المحفوظ',
  'secret.keep': 'الإبقاء على السر المحفوظ',
  'secret.removePending': 'سيُزال السر المحفوظ عند اختيار «حفظ».',

  'action.save': 'حفظ',
  'action.test': 'اختبار الإعدادات',
  'action.clear': 'مسح',
  'action.reset': 'إعادة تعيين',
  'action.copy': 'نسخ',
  'action.copyRedirectUri': 'نسخ عنوان URI لإعادة التوجيه',
  'action.retry': 'إعادة المحاولة',
  'action.cancel': 'إلغاء',
  'copy.done': 'تم النسخ إلى الحافظة.',
  'copy.failed': 'تعذّر النسخ. حدّد النص وانسخه باستخدام لوحة المفاتيح.',

  'status.loading': 'جارٍ تحميل إعدادات البريد…',
  'status.loadFailed': 'تعذّر تحميل إعدادات البريد: لم يستجب خادم البريد. تحقّق من أنه يعمل، ثم اختر «إعادة المحاولة».',
  'status.saving': 'جارٍ الحفظ…',
  'status.saved': 'تم حفظ الإعدادات.',
  'status.reset': 'تم تجاهل التغييرات: تُعرض الإعدادات المحفوظة مرة أخرى.',
  'status.cleared': 'تم مسح جميع إعدادات البريد الإلكتروني.',
  'status.invalid': 'بعض الحقول تحتاج إلى انتباه. صحّح الحقول المميّزة، ثم اختر «حفظ».',
  'status.endpointsInvalid': 'بعض نقاط نهاية API تحتاج إلى انتباه: راجع علامة التبويب «نقاط نهاية API».',
  'save.locked':
    'لا يمكن تغيير الطريقة والنطاق ومعرّف المستأجر ومعرّف التطبيق (العميل) ونقاط النهاية أثناء الاتصال. اختر «قطع اتصال بريد Azure» أولًا.',
  'save.stale': 'حفظ شخص آخر هذه الإعدادات في هذه الأثناء. اختر «إعادة تعيين» لتحميلها، ثم أجرِ تغييراتك مرة أخرى.',
  'save.network': 'تعذّر الوصول إلى خادم البريد، لذا لم يُحفَظ شيء. تحقّق من الاتصال واختر «حفظ» مرة أخرى.',
  'save.unauthorized': 'غير مسموح لك بتغيير إعدادات البريد. سجّل الدخول بصفتك مسؤولًا.',
  'save.failed': 'تعذّر حفظ الإعدادات: {message}',
  'clear.failed': 'تعذّر مسح الإعدادات: {message}',

  'clear.title': 'هل تريد مسح جميع إعدادات البريد الإلكتروني؟',
  'clear.body':
    'يُزال معرّف المستأجر والتطبيق والسر والاتصال بـ Microsoft، ويتوقف البريد حتى تُدخَل الإعدادات مرة أخرى. يبقى سجل الإشعارات.',
  'clear.confirm': 'مسح الإعدادات',

  'lock.notice': 'متصل: إعدادات الاتصال مقفلة. اختر «قطع اتصال بريد Azure» لتغييرها.',
  'lock.needsReconnect': 'يجب تجديد الاتصال بـ Microsoft: {reason}',
  'lock.needsReconnectNoReason': 'يجب تجديد الاتصال بـ Microsoft. اختر «إعادة ربط بريد Azure» وسجّل الدخول مرة أخرى.',

  'test.title': 'اختبار الإعدادات',
  'test.to': 'إرسال الاختبار إلى',
  'test.subject': 'الموضوع (اختياري)',
  'test.send': 'إرسال الاختبار',
  'test.close': 'إغلاق الاختبار',
  'test.running': 'جارٍ إرسال رسالة اختبار…',
  'test.ok': 'نجحت جميع الفحوص: أُرسلت رسالة الاختبار.',
  'test.failed': 'فشل الاختبار عند الخطوة «{step}».',
  'test.couldNotRun': 'تعذّر تشغيل الاختبار: {message}',
  'test.unsaved': 'يستخدم الاختبار الإعدادات المحفوظة: احفظ تغييراتك أولًا.',
  'test.toRequired': '«إرسال الاختبار إلى» مطلوب: أدخل العنوان الذي يجب أن يتلقى رسالة الاختبار.',
  'test.report': 'نتائج الاختبار',
  'test.fix': 'طريقة الإصلاح: {hint}',
  'test.requestId': 'معرّف الطلب',
  'test.correlationId': 'معرّف الارتباط',
  'test.timestamp': 'الوقت',
  'test.copyIds': 'نسخ المعرّفات',
  'step.ok': 'نجح',
  'step.failed': 'فشل',
  'step.skipped': 'تم التخطي',
  'step.ms': '{ms} مللي ثانية',
  'step.config': 'الإعدادات مكتملة',
  'step.tenant': 'تم العثور على المستأجر',
  'step.token': 'تم إصدار الرمز المميز',
  'step.permissions': 'تم منح الأذونات',
  'step.mailbox': 'تم العثور على صندوق البريد',
  'step.send': 'أُرسلت رسالة الاختبار',

  'perm.title': 'الأذونات',
  'perm.needDelegated': 'أضف أذونات Microsoft Graph المفوَّضة (Delegated) التالية إلى تسجيل التطبيق:',
  'perm.needApplication':
    'أضف أذونات تطبيق Microsoft Graph (Application) التالية إلى تسجيل التطبيق، ثم اختر «Grant admin consent»:',
  'perm.offline_access': 'يحافظ على الاتصال بعد تسجيل الدخول (رموز التحديث)',
  'perm.User.Read': 'يقرأ اسم الحساب المسجَّل الدخول',
  'perm.Mail.Send': 'يرسل البريد',
  'perm.Mail.ReadWrite.delegated': 'اختياري: مسودات للمرفقات الكبيرة والإرسال مرة واحدة بالضبط',
  'perm.Mail.ReadWrite.application': 'المسودات: المرفقات الكبيرة والإرسال مرة واحدة بالضبط',
  'perm.User.Read.All': 'يعثر على صندوق بريد المرسِل من عنوانه',
  'perm.adminConsent': 'موافقة المسؤول مطلوبة لأذونات التطبيق.',
  'perm.granted': 'ممنوح',
  'perm.missing': 'مفقود',
  'perm.token': 'كانت لآخر رمز مميز صادر هذه الأذونات:',
  'perm.none': 'لا شيء',
  'perm.missingList': 'مفقود: {list}.',

  'guide.summary': 'دليل الإعداد: سجّل التطبيق في مدخل Azure',
  'guide.step1': 'سجّل الدخول إلى مدخل Azure وافتح Microsoft Entra ID، ثم App registrations، ثم New registration.',
  'guide.step2': 'الاسم (Name): مثلًا «{appName}».',
  'guide.step3': 'أنواع الحسابات المدعومة: «Accounts in this organizational directory only (Single tenant)».',
  'guide.step4Delegated': 'عنوان URI لإعادة التوجيه: اختر المنصة «Web» وأدخل {redirectUri}',
  'guide.step4Application': 'عنوان URI لإعادة التوجيه: غير مطلوب لـ Exchange Online (تطبيق).',
  'guide.step5':
    'اختر Register. في صفحة Overview انسخ «Application (client) ID» و«Directory (tenant) ID» إلى الحقول أعلاه.',
  'guide.step6': 'افتح API permissions، ثم Add a permission، ثم Microsoft Graph، ثم {type}، وأضف: {permissions}.',
  'guide.step6Consent': 'ثم اختر «Grant admin consent»، أو افتح رابط موافقة المسؤول أدناه بصفتك مسؤولًا.',
  'guide.step7':
    'افتح Certificates & secrets، ثم New client secret، واختر موعد انتهاء صلاحيته ثم Add. انسخ «Value» وليس «Secret ID»: تظهر القيمة مرة واحدة فقط. الصقها في «سر العميل» وأدخل تاريخ الانتهاء في «انتهاء صلاحية السر».',
  'guide.step8Delegated': 'اختر «حفظ» هنا، ثم «ربط بريد Azure» وسجّل الدخول بصندوق البريد الذي يرسل البريد.',
  'guide.step8Application': 'أدخل عنوان المرسِل (صندوق البريد الذي يرسل البريد)، واختر «حفظ»، ثم «اختبار الإعدادات».',
  'guide.appName': 'البريد من {host}',
  'guide.consentLink': 'رابط موافقة المسؤول',
  'guide.consentNeeds': 'يظهر رابط موافقة المسؤول عند ملء معرّف المستأجر ومعرّف التطبيق (العميل).',
  'guide.delegatedType': 'الأذونات المفوَّضة (Delegated permissions)',
  'guide.applicationType': 'أذونات التطبيق (Application permissions)',

  'method.hostFields': 'إعدادات {method}',
};

registerStrings('ar', emailConfigFormAr);
