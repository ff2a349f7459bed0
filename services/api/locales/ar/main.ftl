# واجهة لوحة باللغة العربية (Lawha's user interface, Arabic).
#
# Every message id here must also exist in ../en/main.ftl (a unit test compares them).
# Register: formal Modern Standard Arabic. Plural forms follow the Arabic CLDR categories
# (zero, one, two, few, many, other); numbers are shown with Arabic-Indic digits by the bundle.

## Application frame

app-name = لوحة
document-title = { $page } — لوحة
skip-to-content = الانتقال إلى المحتوى
nav-label = التنقل الرئيسي
nav-dashboard = لوحة المعلومات
nav-audit = سجل التدقيق
nav-jobs = المهام
nav-backups = النسخ الاحتياطي
nav-sites = المواقع
nav-users = المستخدمون
nav-account = الحساب
nav-settings = الإعدادات
nav-sign-in = تسجيل الدخول
nav-sign-out = تسجيل الخروج
header-signed-in-as = تم تسجيل الدخول باسم { $user }
language-endonym = العربية

## Sign-in

sign-in-title = تسجيل الدخول
sign-in-username = اسم المستخدم
sign-in-password = كلمة المرور
sign-in-totp = رمز التحقق بخطوتين
sign-in-totp-hint = أدخل الرمز المكوَّن من ستة أرقام من تطبيق المصادقة، أو أحد رموز الاسترداد.
sign-in-submit = دخول
sign-in-error-invalid = اسم المستخدم أو كلمة المرور غير صحيحة.
sign-in-error-totp = رمز التحقق بخطوتين غير صحيح.
sign-in-error-locked =
    هذا الحساب مقفل مؤقتًا. يُرجى المحاولة مرة أخرى بعد { $minutes ->
        [zero] أقل من دقيقة
        [one] دقيقة واحدة
        [two] دقيقتين
        [few] { $minutes } دقائق
        [many] { $minutes } دقيقة
       *[other] { $minutes } دقيقة
    }.
sign-in-error-throttled = محاولات كثيرة جدًا. يُرجى الانتظار قليلًا ثم المحاولة مرة أخرى.
sign-in-error-busy = الخادم مشغول بالتحقق من محاولات دخول أخرى. يُرجى المحاولة مرة أخرى بعد لحظات.

## Audit log

audit-title = سجل التدقيق
audit-filters = عوامل التصفية
audit-filter-actor = المنفِّذ
audit-filter-event-type = نوع الحدث
audit-filter-stream = التدفق
audit-filter-from = من
audit-filter-to = إلى
audit-filter-search = بحث
audit-filter-apply = تطبيق عوامل التصفية
audit-filter-reset = مسح عوامل التصفية
audit-table-caption = أحداث التدقيق، الأحدث أولًا
audit-col-time = الوقت
audit-col-actor = المنفِّذ
audit-col-ip = عنوان IP
audit-col-action = الإجراء
audit-col-target = الهدف
audit-col-summary = الملخص
audit-export-csv = تصدير بصيغة CSV
audit-export-jsonl = تصدير بصيغة JSON Lines
audit-chain-title = حالة السلسلة
audit-chain-verified = السلسلة سليمة.
audit-chain-broken = السلسلة مكسورة عند الموضع { $position }.
audit-chain-never = لم يُتحقَّق من السلسلة قط.
audit-chain-last-verified = آخر تحقق: { $time }
audit-verify-now = تحقق الآن
audit-raw-event = الحدث الخام
audit-show-raw = عرض الحدث الخام

## Dashboard

dashboard-title = لوحة المعلومات
dashboard-cpu = المعالج
dashboard-memory = الذاكرة
dashboard-disk = القرص
dashboard-load = متوسط الحمل
dashboard-uptime = مدة التشغيل
dashboard-recent-activity = النشاط الأخير
dashboard-last-hour = آخر ساعة
dashboard-percent-used = الاستخدام: { $percent }٪
duration-days =
    { $days ->
        [one] يوم واحد
        [two] يومان
        [few] { $days } أيام
        [many] { $days } يومًا
       *[other] { $days } يوم
    }
duration-hours =
    { $hours ->
        [one] ساعة واحدة
        [two] ساعتان
        [few] { $hours } ساعات
        [many] { $hours } ساعة
       *[other] { $hours } ساعة
    }
duration-minutes =
    { $minutes ->
        [one] دقيقة واحدة
        [two] دقيقتان
        [few] { $minutes } دقائق
        [many] { $minutes } دقيقة
       *[other] { $minutes } دقيقة
    }

## Users

users-title = المستخدمون
users-name = الاسم
users-role = الدور
users-password = كلمة المرور
users-create = إنشاء مستخدم
users-create-title = مستخدم جديد
role-admin = مسؤول
role-operator = مشغِّل
role-viewer = مُطَّلِع

## Account

account-title = الحساب
account-change-password = تغيير كلمة المرور
account-current-password = كلمة المرور الحالية
account-new-password = كلمة المرور الجديدة
account-confirm-password = تأكيد كلمة المرور الجديدة
account-two-factor = التحقق بخطوتين
account-2fa-on = التحقق بخطوتين مفعَّل.
account-2fa-off = التحقق بخطوتين غير مفعَّل.
account-2fa-enroll = تفعيل التحقق بخطوتين
account-2fa-scan = امسح هذا الرمز بتطبيق المصادقة، ثم أدخل الرمز الذي يظهر فيه.
account-2fa-code = رمز التحقق
account-2fa-confirm = تأكيد
account-2fa-disable = إيقاف التحقق بخطوتين
account-recovery-codes = رموز الاسترداد
account-recovery-codes-hint = يصلح كل رمز لمرة واحدة فقط. احفظ الرموز في مكان آمن، فلن تُعرض مرة أخرى.
account-tokens = رموز الواجهة البرمجية (API)
account-token-name = اسم الرمز
account-token-scopes = الصلاحيات
account-token-create = إنشاء رمز
account-token-created = انسخ هذا الرمز الآن، فلن يُعرض مرة أخرى.
account-token-revoke = إبطال
account-token-revoke-confirm = هل تريد إبطال هذا الرمز؟ ستتوقف البرامج التي تستخدمه عن العمل.
account-token-last-used = آخر استخدام
account-token-never-used = لم يُستخدم قط
account-sign-out-everywhere = تسجيل الخروج من جميع الأجهزة
scope-read = القراءة
scope-operate = التشغيل
scope-admin = الإدارة

## Settings

settings-title = الإعدادات
settings-language = اللغة
settings-language-ar = العربية
settings-language-en = الإنجليزية

## Generic

action-save = حفظ
action-cancel = إلغاء
action-confirm = هل أنت متأكد؟
pagination-label = التنقل بين الصفحات
pagination-previous = الصفحة السابقة
pagination-next = الصفحة التالية
no-results = لا توجد نتائج.

## Errors

error-status = خطأ { $status }
error-go-home = العودة إلى الصفحة الرئيسية
error-400-title = طلب غير صالح
error-400-text = تعذَّر فهم الطلب. يُرجى مراجعة البيانات المُدخلة والمحاولة مرة أخرى.
error-401-title = يلزم تسجيل الدخول
error-401-text = يجب تسجيل الدخول لعرض هذه الصفحة.
error-403-title = الوصول مرفوض
error-403-text = لا يملك حسابك صلاحية تنفيذ هذا الإجراء.
error-404-title = الصفحة غير موجودة
error-404-text = الصفحة المطلوبة غير موجودة أو نُقلت إلى مكان آخر.
error-500-title = حدث خطأ
error-500-text = تعذَّر على الخادم إتمام طلبك. سُجِّل الخطأ، فيُرجى المحاولة لاحقًا.

## Dates (month names, used by format_datetime)

month-1 = يناير
month-2 = فبراير
month-3 = مارس
month-4 = أبريل
month-5 = مايو
month-6 = يونيو
month-7 = يوليو
month-8 = أغسطس
month-9 = سبتمبر
month-10 = أكتوبر
month-11 = نوفمبر
month-12 = ديسمبر

## Two-factor sign-in, account, users, settings and the chain status

sign-in-second-factor-intro = كلمة المرور صحيحة. أدخل الرمز من تطبيق المصادقة لإكمال تسجيل الدخول.
sign-in-code = الرمز
sign-in-code-help = ستة أرقام من تطبيق المصادقة، أو أحد رموز الاسترداد.
sign-in-verify = تحقّق
sign-in-error-code = الرمز خاطئ أو منتهي الصلاحية أو مستخدم من قبل.
sign-in-error-expired = استغرق تسجيل الدخول وقتًا طويلًا. أدخل اسم المستخدم وكلمة المرور مرة أخرى.
account-recovery-left = { $count ->
        [zero] لم يبقَ أي رمز استرداد.
        [one] بقي رمز استرداد واحد.
        [two] بقي رمزا استرداد.
        [few] بقيت { $count } رموز استرداد.
       *[other] بقي { $count } رمز استرداد.
    }
account-2fa-qr = رمز QR لتطبيق المصادقة
account-2fa-manual = أو اكتب هذا المفتاح في التطبيق:
account-token-created-at = أُنشئ
account-sessions = الجلسات
account-done-password = تم تغيير كلمة المرور.
account-done-two-factor-on = المصادقة الثنائية مفعّلة الآن.
account-done-two-factor-off = المصادقة الثنائية معطّلة الآن.
account-done-token-revoked = تم إلغاء الرمز المميز.
users-created = أُنشئ
users-role-of = دور { $user }
users-change-role = تغيير
users-2fa-on = مفعّلة
users-2fa-off = معطّلة
users-name-help = أحرف لاتينية صغيرة وأرقام ونقاط وشرطات وشرطات سفلية، تبدأ بحرف.
users-done-created = تم إنشاء المستخدم.
users-done-role = تم تغيير الدور.
audit-chain-intact = السلسلة سليمة (تم فحص { $events } حدثًا).
audit-chain-verify = تحقّق الآن
settings-language-choose = لغة اللوحة
settings-security = الأمان
settings-profile = ملف التشغيل
settings-session-idle = تسجيل الخروج بعد عدم النشاط
settings-session-absolute = تسجيل الخروج بعد الدخول بحد أقصى
settings-minutes = { $minutes ->
        [zero] صفر دقيقة
        [one] دقيقة واحدة
        [two] دقيقتان
        [few] { $minutes } دقائق
       *[other] { $minutes } دقيقة
    }
settings-hours = { $hours ->
        [zero] صفر ساعة
        [one] ساعة واحدة
        [two] ساعتان
        [few] { $hours } ساعات
       *[other] { $hours } ساعة
    }
settings-effective-config = الإعدادات الفعلية
settings-effective-config-help = كما يطبعها الأمر `lawha config check`؛ الأسرار محجوبة. غيّرها في ملف الإعدادات أو متغيرات البيئة.
## entrance and setup

ip-not-allowed-title = الوصول من هذا العنوان غير مسموح
ip-not-allowed-text = لا تقبل هذه اللوحة الاتصالات إلا من العناوين المدرجة في قائمة السماح، والعنوان { $ip } ليس منها. اطلب من المسؤول إضافته إلى ui.allow_ips.
setup-title = إنشاء أول مسؤول
setup-intro = لا يوجد أي حساب بعد. اختر اسم المستخدم وكلمة المرور لأول مسؤول، وسيُسجَّل دخوله فورًا. يعمل هذا الرابط مرة واحدة فقط، ولمدة ساعة واحدة.
setup-name = اسم المستخدم
setup-name-hint = من ١ إلى ٦٤ حرفًا: أحرف لاتينية صغيرة وأرقام ونقاط وشرطات وشرطات سفلية، ويبدأ بحرف.
setup-password = كلمة المرور
setup-password-hint = { $min } حرفًا على الأقل.
setup-confirm = كلمة المرور مرة أخرى
setup-submit = إنشاء المسؤول وتسجيل الدخول
setup-error-name = يجب أن يتكوّن اسم المستخدم من ١ إلى ٦٤ حرفًا، وأن يقتصر على الأحرف اللاتينية الصغيرة والأرقام والنقاط والشرطات والشرطات السفلية، وأن يبدأ بحرف.
setup-error-password-short = يجب أن تتكوّن كلمة المرور من { $min } حرفًا على الأقل.
setup-error-password-long = يجب ألا تزيد كلمة المرور على { $max } حرفًا.
setup-error-password-mismatch = كلمتا المرور غير متطابقتين.
setup-error-name-taken = اسم المستخدم هذا مستخدم بالفعل. اختر اسمًا آخر.
## dashboard

dashboard-host = هذا الخادم
dashboard-measured-at = آخر قياس: { $time }
dashboard-no-data = لا توجد قياسات بعد.
dashboard-unavailable = غير متاح
dashboard-percent = { $value }٪
dashboard-of-total = من أصل { $total }
dashboard-cpu-cores =
    { $count ->
        [zero] لا أنوية
        [one] نواة واحدة
        [two] نواتان
        [few] { $count } أنوية
        [many] { $count } نواة
       *[other] { $count } نواة
    }
dashboard-swap = الذاكرة التبديلية: { $used } من أصل { $total }
dashboard-swap-none = لا توجد ذاكرة تبديلية
dashboard-disk-mount = نظام الملفات في { $mount }
dashboard-load-later = خلال ٥ دقائق: { $five }، وخلال ١٥ دقيقة: { $fifteen }
dashboard-booted = منذ { $time }
dashboard-duration-pair = { $first } و{ $second }
dashboard-cpu-trend = المعالج خلال الساعة الأخيرة: الأدنى { $min }، الأعلى { $max }
dashboard-memory-trend = الذاكرة المستخدمة خلال الساعة الأخيرة: الأدنى { $min }، الأعلى { $max }
dashboard-disk-trend = مساحة القرص المستخدمة خلال الساعة الأخيرة: الأدنى { $min }، الأعلى { $max }
dashboard-load-trend = متوسط الحمل لدقيقة واحدة خلال الساعة الأخيرة: الأدنى { $min }، الأعلى { $max }
dashboard-trend-empty = لا توجد قياسات خلال الساعة الأخيرة بعد.
dashboard-activity-caption = أحدث عشرة أحداث في سجل التدقيق
dashboard-see-all = فتح سجل التدقيق
# وحدات ثنائية (١ كيلوبايت = ١٠٢٤ بايت)؛ $value مُنسَّق مسبقًا.
unit-bytes = { $value } بايت
unit-kib = { $value } كيلوبايت
unit-mib = { $value } ميغابايت
unit-gib = { $value } غيغابايت
unit-tib = { $value } تيرابايت
unit-pib = { $value } بيتابايت

## Audit summaries (the words before the recorded fields) and refusals shown on pages

event-UserCreated = إنشاء مستخدم
event-PasswordChanged = تغيير كلمة المرور
event-ApiTokenCreated = إنشاء رمز API
event-ApiTokenRevoked = إلغاء رمز API
event-RoleChanged = تغيير الدور
event-TwoFactorEnabled = تفعيل المصادقة الثنائية
event-TwoFactorDisabled = تعطيل المصادقة الثنائية
event-RecoveryCodeUsed = استخدام رمز استرداد
event-SignedIn = تسجيل دخول
event-SignInFailed = فشل تسجيل الدخول
event-SignInLockedOut = قفل تسجيل الدخول
event-SignedOut = تسجيل خروج
event-SignedOutEverywhere = تسجيل الخروج من كل مكان
event-AuditChainVerified = التحقق من سلسلة التدقيق
error-code-wrong_password = كلمة المرور خاطئة.
error-code-wrong_code = الرمز خاطئ أو منتهي الصلاحية أو مستخدم من قبل.
error-code-last_admin = لا يمكن أن يفقد آخر مسؤول دور المسؤول؛ اجعل مستخدمًا آخر مسؤولًا أولًا.
error-code-already_exists = هذا الاسم مستخدم من قبل.
error-code-not_found = غير موجود (أو لم يعد موجودًا).
error-code-session_required = يتطلب هذا جلسة تسجيل دخول.

## المهام

jobs-title = المهام
jobs-filters = عوامل التصفية
jobs-filter-state = الحالة
jobs-filter-kind = النوع
jobs-filter-any = الكل
jobs-table-caption = المهام، الأحدث طلبًا أولًا
jobs-col-requested = وقت الطلب
jobs-col-kind = النوع
jobs-col-queue = الطابور
jobs-col-state = الحالة
jobs-col-attempts = المحاولات
jobs-col-error = الخطأ
job-state-queued = في الطابور
job-state-running = قيد التنفيذ
job-state-retrying = بانتظار إعادة المحاولة
job-state-succeeded = نجحت
job-state-failed = فشلت
job-state-dead = متوقفة (استُنفدت المحاولات)
job-state-dispatch_failed = لم تُوضع في الطابور
job-state-worker_lost = فُقد العامل، وستُعاد المحاولة
job-title = مهمة
job-back = العودة إلى المهام
job-heading = المهمة { $kind }
job-status = الحالة
job-started = البدء
job-finished = الانتهاء
job-next-run = المحاولة التالية
job-next-run-now = حالما يتفرغ عامل
job-duration = المدة
job-duration-ms = { $ms } ملّي ثانية
job-id = معرّف المهمة
job-correlation = معرّف الارتباط
job-last-error = آخر خطأ: { $error }
job-output = النتيجة
job-retry = إعادة المحاولة
job-retry-confirm = هل تريد تشغيل هذه المهمة مرة أخرى؟
job-attempts = المحاولات
job-attempt = المحاولة
job-worker = العامل
job-outcome = النتيجة
job-no-attempts = لم تبدأ أي محاولة بعد.
job-outcome-running = قيد التنفيذ
job-outcome-succeeded = نجحت
job-outcome-failed = فشلت (يمكن إعادة المحاولة)
job-outcome-failed_permanently = فشلت (لن تفيد إعادة المحاولة)
job-outcome-worker_lost = فُقد العامل (انقطع نبضه)، وستُعاد المحاولة
job-log = سجل المخرجات
job-log-help = آخر { $lines } سطر؛ تظهر الأسطر الجديدة هنا ما دامت الصفحة مفتوحة.
job-log-attempt = المحاولة { $attempt }
job-log-empty = لا مخرجات بعد.
job-done-retry = طُلبت إعادة المحاولة؛ عادت المهمة إلى الطابور.
job-refused = رُفضت إعادة المحاولة.
job-refused-not_retryable = لا تمكن إعادة المحاولة إلا لمهمة فاشلة أو متوقفة.
job-refused-never_queued = لم تُوضع هذه المهمة في الطابور قط، لذا ستفشل إعادة المحاولة بالطريقة نفسها.
job-refused-conflict = تغيّرت المهمة في اللحظة نفسها؛ راجع حالتها ثم حاول مرة أخرى.
job-refused-not_found = لا توجد مهمة كهذه.
job-refused-forbidden = تحتاج إعادة هذه المهمة إلى مستوى الطلب الذي أنشأها (مسؤول لإعادة البناء وفحص سجل التدقيق والاختبارات).
audit-chain-queued = وُضع التحقق في الطابور: تظهر النتيجة هنا بعد تنفيذ المهمة.
event-AuditChainVerifyRequested = طلب التحقق من سلسلة التدقيق
event-ProjectionRebuildRequested = طلب إعادة بناء إسقاط
event-ProbeRequested = طلب مهمة اختبار
event-JobStarted = بدء مهمة
event-JobSucceeded = نجاح مهمة
event-JobFailed = فشل مهمة
event-JobRetryScheduled = جدولة إعادة محاولة مهمة
event-JobDeadLettered = توقف مهمة بعد استنفاد المحاولات
event-JobRetryRequested = طلب إعادة محاولة مهمة
event-JobDispatchFailed = تعذّر وضع مهمة في الطابور
error-code-not_retryable = لا تمكن إعادة المحاولة إلا لمهمة فاشلة أو متوقفة.
error-code-never_queued = لم تُوضع هذه المهمة في الطابور قط، لذا ستفشل إعادة المحاولة بالطريقة نفسها.

## Backups
backups-title = النسخ الاحتياطي
backups-new = خطة نسخ احتياطي جديدة
backups-table-caption = خطط النسخ الاحتياطي حسب الاسم، مع آخر تشغيل لكل منها
backups-empty = لا توجد خطة نسخ احتياطي بعد.
backup-source = المصدر
backup-schedule = الجدول
backup-last-run = آخر تشغيل
backup-size = الحجم المخزَّن
backup-encrypted = مشفَّرة
backup-never-run = لم تُشغَّل قط
backup-kind-directory = مجلد
backup-kind-sqlite = قاعدة بيانات SQLite
backup-kind-postgres = قاعدة بيانات PostgreSQL
backup-kind-mysql = قاعدة بيانات MySQL/MariaDB
backup-schedule-cron = { $cron }
backup-schedule-none = يدويًا فقط
backup-keep-last = أحدث { $count }
backup-keep-days = { $days } يومًا
backup-keep-bytes = { $size } كحد أقصى
backup-keep-all = يُحتفَظ بكل شيء
backup-status-requested = بانتظار التشغيل
backup-status-running = قيد التشغيل
backup-status-verifying = قيد القراءة للتحقق
backup-status-completed = اكتملت وتم التحقق منها
backup-status-failed = فشلت
backup-trigger-manual = يدويًا
backup-trigger-schedule = مجدولة
backup-done-created = أُنشئت الخطة.
backup-done-updated = حُفظت الخطة.
backup-done-deleted = حُذفت الخطة؛ تبقى أرشيفاتها على القرص.
backup-done-verify = طُلب التحقق: تظهر النتيجة هنا بعد تشغيل المهمة.
backup-done-restore = طُلبت الاستعادة: يُتحقَّق من الأرشيف أولًا؛ تظهر النتيجة هنا.
backup-back = العودة إلى النسخ الاحتياطي
backup-plan-title = خطة نسخ احتياطي
backup-plan-heading = خطة النسخ الاحتياطي { $name }
backup-plan-settings = الإعدادات
backup-encryption = التشفير
backup-encryption-none = بلا تشفير (تُخزَّن الأرشيفات غير مشفَّرة)
backup-run-now = شغِّل الآن
backup-edit = تعديل
backup-delete = حذف
backup-delete-confirm = أتحذف هذه الخطة؟ تبقى أرشيفاتها على القرص.
backup-runs = عمليات التشغيل
backup-trigger = المُشغِّل
backup-status = الحالة
backup-pruned = أزالتها سياسة الاحتفاظ
backup-no-runs = لا يوجد تشغيل بعد.
backup-new-title = خطة نسخ احتياطي جديدة
backup-edit-title = تعديل خطة النسخ الاحتياطي
backup-form-problems = { $count ->
    [one] لم تُحفظ الخطة: حقل واحد يحتاج إلى تصحيح.
    [two] لم تُحفظ الخطة: حقلان يحتاجان إلى تصحيح.
    [few] لم تُحفظ الخطة: { $count } حقول تحتاج إلى تصحيح.
   *[other] لم تُحفظ الخطة: { $count } حقلًا تحتاج إلى تصحيح.
}
backup-form-source = ما يُنسخ
backup-form-destination = أين تُحفظ الأرشيفات
backup-form-schedule = متى
backup-form-retention = الاحتفاظ
backup-form-retention-help = تُطبَّق فقط بعد نسخة احتياطية تم التحقق منها؛ لا تُزال أحدث نسخة تم التحقق منها أبدًا. اترك الحقل فارغًا لعدم التقييد.
backup-form-archive = الأرشيف
backup-form-save = احفظ الخطة
backup-form-create = أنشئ الخطة
backup-field-name = الاسم
backup-field-name-help = أحرف لاتينية وأرقام و'-' و'_' و'.'؛ ويُسمّى به مجلد الأرشيفات أيضًا.
backup-field-source_kind = النوع
backup-field-source_path = المجلد أو ملف SQLite
backup-field-source_path-help = مسار مطلق على هذا الخادم، لمصدر من نوع مجلد أو SQLite.
backup-field-source_url = رابط قاعدة البيانات
backup-field-source_url-help = postgres://user:password@host:5432/db أو mysql://user:password@host:3306/db. تُشفَّر كلمة المرور وتظهر على شكل ***؛ اترك *** للإبقاء عليها.
backup-field-destination_path = مجلد الوجهة
backup-field-destination_path-help = مسار مطلق؛ تُحفظ الأرشيفات في مجلد يحمل اسم الخطة.
backup-field-schedule = تعبير cron
backup-field-schedule-help = مثل 0 3 * * * (كل يوم الساعة 03:00). فارغ: التشغيل يدويًا فقط.
backup-field-timezone = المنطقة الزمنية
backup-field-timezone-help = المنطقة التي يُقرأ بها الجدول، مثل UTC أو Asia/Riyadh.
backup-field-keep_last = الاحتفاظ بأحدث
backup-field-keep_last-help = أقل عدد من النسخ يُحتفَظ به.
backup-field-keep_days = الاحتفاظ لمدة (أيام)
backup-field-keep_days-help = يُحتفَظ بالنسخ الأحدث من هذا العدد من الأيام.
backup-field-max_total_mib = حد الحجم الكلي (ميبيبايت)
backup-field-max_total_mib-help = تُزال أقدم النسخ حتى يتسع الحد للباقي.
backup-field-compression_level = مستوى الضغط
backup-field-compression_level-help = zstd، من 1 (الأسرع) إلى 19 (الأصغر)؛ 3 اختيار جيد.
backup-field-recipient = التشفير لصالح (مستلم age)
backup-field-recipient-help = مفتاح عام age1…: تُشفَّر الأرشيفات عندها ولا يقرؤها إلا صاحب هويته. فارغ: بلا تشفير.
backup-run-title = تشغيل نسخ احتياطي
backup-run-back = العودة إلى الخطة { $name }
backup-run-heading = تشغيل نسخ احتياطي للخطة { $name }
backup-source-size = المقروء من المصدر
backup-entries = العناصر
backup-archive = الأرشيف
backup-run-error = فشل: { $error }
backup-pruned-because = أزالت سياسة الاحتفاظ هذا الأرشيف: { $reason }
backup-skipped = { $count ->
    [one] استُبعد عنصر واحد
    [two] استُبعد عنصران
    [few] استُبعدت { $count } عناصر
   *[other] استُبعد { $count } عنصرًا
}
backup-last-verify = آخر تحقق
backup-last-restore = آخر استعادة
backup-check-requested = بانتظار التشغيل
backup-check-ok = سليم
backup-check-restored = تمت الاستعادة
backup-check-failed = فشل
backup-check-job = مهمته
backup-live-help = يتحدّث هذا القسم تلقائيًا ما دام التشغيل جاريًا؛ وتظهر أسطر التقدم في السجل أدناه.
backup-actions = الإجراءات
backup-verify-help = يقرأ الأرشيف من جديد ويتحقق من حجمه وبصمة SHA-256 والبيان الموقَّع.
backup-verify = تحقَّق الآن
backup-identity = هوية age
backup-identity-help = مفتاح AGE-SECRET-KEY-1… الخاص بمستلم الخطة. يُختم قبل تسجيله.
backup-restore = استعادة
backup-restore-help = يُتحقَّق من الأرشيف أولًا؛ ولا يُستعاد شيء إن لم يتطابق.
backup-restore-path = الاستعادة إلى
backup-restore-path-help = مجلد جديد (أو ملف SQLite جديد) غير موجود بعد، إلا إذا اخترت الاستبدال أدناه.
backup-restore-url = إلى قاعدة البيانات
backup-restore-url-help = رابط قاعدة البيانات الهدف. تؤخذ منها نسخة أمان أولًا وتُعاد إن فشلت الاستعادة.
backup-restore-overwrite = استبدل المجلد إن كان موجودًا
backup-restore-confirm = أتستعيد هذه النسخة إلى الهدف؟
backup-download = تنزيل
backup-download-archive = الأرشيف
backup-download-manifest = البيان
backup-log = سجل المخرجات
error-code-no_archive = لا أرشيف لهذا التشغيل: لم يكتمل، أو أزالته سياسة الاحتفاظ.

## Sites and deployments: the sites list, a site, the site form, a deployment
sites-title = المواقع
sites-new = موقع جديد
sites-table-caption = المواقع بأسمائها، مع ما يخدم الآن وآخر نشر لكل منها
sites-empty = لا يوجد موقع بعد.
site-title = موقع
site-heading = الموقع { $name }
site-back = العودة إلى المواقع
site-state = الحالة
site-state-deploying = جارٍ النشر
site-state-serving = يخدم
site-state-idle = لا يخدم بعد
site-live = ما يخدم الآن
site-live-colour = اللون الحي
site-live-commit = الإيداع الحي
site-live-since = يخدم منذ
site-last-deployment = آخر نشر
site-never-deployed = لم يُنشر قط
site-colour-blue = الأزرق
site-colour-green = الأخضر
site-runtime-process = عملية
site-runtime-docker = حاوية Docker
site-runtime-systemd = وحدة systemd
site-done-created = أُنشئ الموقع.
site-done-updated = حُفظ الموقع.
site-done-deleted = حُذف الموقع؛ تبقى عمليات نشره في سجل التدقيق.
site-done-rotated = أُنشئ سرّ جديد للخطّاف؛ لم يعد السرّ القديم يعمل.
site-webhook-url = عنوان الخطّاف
site-webhook-secret = سرّ الخطّاف
site-secret-once = انسخ السرّ الآن: لن يُعرض إلا هذه المرة.
site-webhook-help = في إعدادات المستودع على GitHub أضف خطّافًا بهذا العنوان، ونوع المحتوى application/json، وهذا السرّ، وحدث push.
site-webhook-rotated = إنشاء السرّ
site-rotate = سرّ جديد للخطّاف
site-rotate-confirm = أتنشئ سرًّا جديدًا للخطّاف؟ يتوقف السرّ الحالي عن العمل فورًا.
site-deploy-commit = الإيداع
site-deploy-commit-help = معرّف إيداع كامل من 40 خانة؛ إن تُرك فارغًا نُشر رأس الفرع { $branch }.
site-deploy-now = انشر الآن
site-releases = الإصدارات
site-commit = الإيداع
site-built = البناء
site-trigger = المُطلِق
site-who = مَن
site-release-live = حي
site-release-serving = يخدم
site-rollback = ارجع إليه
site-rollback-confirm = أتعيد تقديم هذا الإصدار؟ يمر بفحص السلامة نفسه.
site-no-releases = لا يوجد إصدار بعد.
site-deployments = عمليات النشر
site-started = الطلب
site-status = الحالة
site-duration = المدة
site-failed-step = الخطوة الفاشلة
site-no-deployments = لا يوجد نشر بعد.
site-settings = الإعدادات
site-ports = المنافذ
site-no-build = لا شيء يُبنى
site-env-names = متغيرات البيئة
site-deploy-key-kept = محفوظ (لا يُعرض أبدًا)
site-deploy-key-none = لا يوجد
site-edit = تعديل
site-delete = حذف
site-delete-confirm = أتحذف هذا الموقع؟ تبقى عمليات نشره في سجل التدقيق.
site-new-title = موقع جديد
site-edit-title = تعديل الموقع
site-form-problems = { $count ->
    [one] لم يُحفظ الموقع: حقل واحد يحتاج إلى تصحيح.
    [two] لم يُحفظ الموقع: حقلان يحتاجان إلى تصحيح.
    [few] لم يُحفظ الموقع: { $count } حقول تحتاج إلى تصحيح.
   *[other] لم يُحفظ الموقع: { $count } حقلًا تحتاج إلى تصحيح.
}
site-form-code = الشيفرة
site-form-run = البناء والتشغيل
site-form-serve = التقديم
site-form-save = احفظ الموقع
site-form-create = أنشئ الموقع
site-field-name = الاسم
site-field-name-help = حروف وأرقام و'-' و'_' و'.'؛ ويُسمّى به مجلد إصداراته.
site-field-repository = المستودع
site-field-repository-help = https://… أو git@host:path أو ssh://… أو file:///…، بلا كلمة مرور فيه.
site-field-branch = الفرع
site-field-branch-help = الدفع إلى هذا الفرع ينشره.
site-field-deploy_key = مفتاح النشر
site-field-deploy_key-help = مفتاح SSH خاص لمستودع ssh. يُختم ولا يُعرض مرة أخرى.
site-field-deploy_key-help-kept = مفتاح محفوظ ولا يُعرض؛ اترك الحقل فارغًا للإبقاء عليه، أو الصق مفتاحًا جديدًا.
site-field-deploy_key-again = المفتاح الذي لصقته لا يُعاد إرساله: الصقه مرة أخرى.
site-field-remove_deploy_key = احذف مفتاح النشر المحفوظ
site-field-runtime = بيئة التشغيل
site-field-runtime-help = كيف تعمل الإصدارات: عملية مستقلة، أو حاوية من ملف Dockerfile في المستودع.
site-field-build_command = أمر البناء
site-field-build_command-help = يُشغَّل في مجلد إصدار جديد، مثل npm ci && npm run build. إن تُرك فارغًا فلا شيء يُبنى.
site-field-start_command = أمر التشغيل
site-field-start_command-help = يشغّل التطبيق في المقدمة؛ ويجب أن يستمع على $PORT.
site-field-health_path = مسار السلامة
site-field-health_path-help = يجب أن يجيب بـ 200 على اللون الجديد قبل تحويل الحركة، مثل /health.
site-field-port_blue = المنفذ الأزرق
site-field-port_blue-help = حيث يستمع اللون الأزرق (1024-65535).
site-field-port_green = المنفذ الأخضر
site-field-port_green-help = حيث يستمع اللون الأخضر؛ غير منفذ الأزرق.
site-field-domains = النطاقات
site-field-domains-help = أسماء المضيفين التي يقدّم nginx الموقع بها، واحد في كل سطر.
site-field-env = متغيرات البيئة
site-field-env-help = NAME=value، واحد في كل سطر. تُختم القيم ولا تُعرض مرة أخرى.
site-field-env-help-edit = NAME=value، واحد في كل سطر. لا تُعرض القيم أبدًا: NAME= يُبقي القيمة المحفوظة؛ احذف السطر لحذف المتغير.
site-field-releases_to_keep = الإصدارات المحفوظة
site-field-releases_to_keep-help = كم إصدارًا يبقى على القرص للرجوع إليه (1-50)؛ ولا يُحذف الإصدار الحي أبدًا.
site-field-host = المضيف
site-field-host-help = الجهاز الذي يشغّل عاملُ النشر فيه الموقع؛ local هو هذا الجهاز.
deploy-status-requested = بانتظار عامل
deploy-status-fetched = جُلب
deploy-status-built = بُني
deploy-status-started = بدأ
deploy-status-health_passed = سليم
deploy-status-switched = حُوّلت الحركة
deploy-status-drained = أُوقف اللون القديم
deploy-status-succeeded = نجح
deploy-status-failed = فشل
deploy-trigger-push = دفع
deploy-trigger-manual = يدويًا
deploy-trigger-rollback = رجوع
deploy-trigger-follow_up = متابعة لدفعات
deploy-step-fetch = جلب الإيداع
deploy-step-build = البناء
deploy-step-start = التشغيل
deploy-step-health = فحص السلامة
deploy-step-switch = تحويل الحركة
deploy-step-drain = إيقاف اللون القديم
deploy-duration = { $seconds } ث
deployment-title = نشر
deployment-heading = نشر { $name }
deployment-back = العودة إلى الموقع { $name }
deployment-done-deploy = طُلب النشر: يبدأ حين يأخذه عامل على مضيف الموقع.
deployment-done-rollback = طُلب الرجوع: يمر الإصدار بفحص السلامة قبل أن يخدم.
deployment-branch-head = رأس الفرع
deployment-pusher = دفعه
deployment-delivery = تسليم GitHub
deployment-after = يتبع
deployment-colour = اللون
deployment-release = الإصدار
deployment-failed-at = فشل عند: { $step }
deployment-log-tail = آخر مخرجات الخطوة
deployment-steps = الخطوات
deployment-step-took = بعد { $duration }
deployment-live-help = يتحدّث هذا القسم من تلقاء نفسه ما دام النشر جاريًا؛ وتظهر المخرجات في السجل أدناه.
deployment-log = سجل المخرجات
deployment-event-requested = طُلب
deployment-event-fetched = جُلب الإيداع
deployment-event-built = بُني الإصدار
deployment-event-started = بدأ
deployment-event-health_passed = نجح فحص السلامة
deployment-event-switched = حُوّلت الحركة
deployment-event-drained = أُوقف اللون القديم
deployment-event-succeeded = نجح
deployment-event-failed = فشل

## Hosts
nav-hosts = المضيفون
hosts-title = المضيفون
hosts-intro = الأجهزة التي يشغّل عاملُ النشر فيها المواقع. يظهر الجهاز هنا حين يبدأ lawha-deploy-worker عليه.
hosts-table-caption = كل مضيف مع حالته وآخر نبضة منه
hosts-help = لإضافة جهاز، ثبّت عليه lawha-deploy-worker بقاعدة بيانات اللوحة وRedis، وأعطه اسمًا خاصًا به في deployments.host، ثم اختر ذلك المضيف لمواقعه.
host-name = الاسم
host-state = الحالة
host-last-seen = آخر نبضة
host-runtimes = بيئات التشغيل
host-labels = الوسوم
host-version = الإصدار
host-sites = المواقع
host-own = جهاز هذه اللوحة
host-state-online = متصل
host-state-offline = غير متصل: توقّف عامله عن الرد
host-state-stopped = متوقف
host-state-unregistered = بانتظار بدء عامله

## Deployments and hosts in the audit log
event-SiteCreated = أُنشئ موقع
event-SiteUpdated = عُدّل موقع
event-SiteDeleted = حُذف موقع
event-WebhookSecretRotated = استُبدل سر الخطاف
event-WebhookDeliveryReceived = وصل تسليم من GitHub
event-WebhookDeliveryRejected = رُفض تسليم من GitHub
event-DeploymentRequested = طُلب نشر
event-DeploymentFetched = النشر: جُلبت الإيداعة
event-DeploymentBuilt = النشر: بُني الإصدار
event-DeploymentStarted = النشر: شُغّل الإصدار على اللون الخامل
event-DeploymentHealthPassed = النشر: اجتاز فحص السلامة
event-DeploymentSwitched = النشر: حُوّلت الحركة
event-DeploymentDrained = النشر: أُفرغ اللون القديم
event-DeploymentSucceeded = نجح النشر
event-DeploymentFailed = فشل النشر
event-HostRegistered = بدأ عامل النشر على المضيف
event-HostStopped = توقف عامل النشر على المضيف

## Certificates
nav-certificates = الشهادات
certificates-title = الشهادات
certificates-new = شهادة جديدة
certificates-table-caption = الشهادات، الأقرب انتهاءً أولًا، مع آخر طلب فشل لكل منها
certificates-empty = لا توجد شهادة بعد. اطلب شهادة للأسماء التي تقدّمها مواقعك.
certificate-title = شهادة
certificate-new-title = شهادة جديدة
certificate-back = العودة إلى الشهادات
certificate-status = الحالة
certificate-status-ordering = قيد الطلب
certificate-status-issued = قيد التثبيت
certificate-status-installed = مُقدَّمة
certificate-status-failed = فشل آخر طلب
certificate-status-deleted = محذوفة
certificate-status-new = جديدة
certificate-days = الأيام المتبقية
certificate-days-left = { $days ->
    [zero] أقل من يوم
    [one] يوم واحد
    [two] يومان
    [few] { $days } أيام
   *[other] { $days } يومًا
}
certificate-expired = منتهية الصلاحية
certificate-more-names = { $count ->
    [one] واسم آخر
    [two] واسمان آخران
    [few] و{ $count } أسماء أخرى
   *[other] و{ $count } اسمًا آخر
}
certificate-issuer = الجهة المُصدِرة
certificate-last-attempt = آخر طلب
certificate-not-after = تنتهي في
certificate-serial = الرقم التسلسلي
certificate-fingerprint = بصمة SHA-256
certificate-window = نافذة التجديد التي تقترحها الجهة
certificate-window-none = لم تُعطَ (تُجدَّد حين يبقى ثلث مدتها)
certificate-installed = الملف المثبَّت
certificate-state = أين هي
certificate-spec = ما تشهد له
certificate-events = أحداثها
certificate-renew = جدّد الآن
certificate-renew-force = اطلب من جديد وإن كان طلب قيد التنفيذ (يبدو عالقًا)
certificate-delete = احذف الشهادة
certificate-delete-confirm = أتحذف هذه الشهادة؟ لن تُجدَّد بعد الآن، وتبقى ملفاتها على المضيف حتى تُزال.
certificate-failed-orders = { $count ->
    [one] فشل آخر طلب
    [two] فشل آخر طلبين
    [few] فشلت آخر { $count } طلبات
   *[other] فشل آخر { $count } طلبًا
}
certificate-next-retry = المحاولة التالية
certificate-done-requested = طُلبت الشهادة؛ طلبها الأول في طابور عامل الشهادات على مضيفها.
certificate-done-renewing = وُضع طلب جديد في الطابور.
certificate-done-deleted = حُذفت الشهادة؛ لن تُجدَّد بعد الآن.
certificate-step-account = حساب الجهة
certificate-step-order = الطلب
certificate-step-authorization = التفويض
certificate-step-challenge = التحدي
certificate-step-finalize = الإتمام
certificate-step-download = التنزيل
certificate-step-install = التثبيت
certificate-field-names = الأسماء
certificate-field-names-help = اسم في كل سطر، والأول موضوع الشهادة، مثل example.com و www.example.com. الاسم العام (*.example.com) يحتاج إلى dns-01.
certificate-field-challenge = إثبات السيطرة
certificate-field-challenge-help = http-01: يقدّم nginx على المضيف ملفًا تحت /.well-known/acme-challenge/ على المنفذ 80. dns-01: يضبط أمر الخطّاف الخاص بك سجل TXT.
certificate-challenge-http-01 = http-01 (ملف يُقدَّم على المنفذ 80)
certificate-challenge-dns-01 = dns-01 (سجل TXT يضبطه خطّاف)
certificate-field-dns_hook = أمر خطّاف DNS
certificate-field-dns_hook-help = مع dns-01 فقط: يُشغَّل هكذا `<command> set <name> <value>` ثم `<command> clear <name> <value>`.
certificate-field-directory = دليل ACME
certificate-field-directory-help = letsencrypt، أو letsencrypt-staging (شهادات للتجربة)، أو عنوان دليل جهة ACME أخرى.
certificate-field-trusted_root = الجذر الموثوق
certificate-field-trusted_root-help = مع عنوان دليل فقط: المسار المطلق على المضيف لملف جذر PEM لجهة خاصة.
certificate-field-email = بريد التواصل
certificate-field-email-help = يُعطى لحساب الجهة لإشعارات الانتهاء والحوادث؛ يجوز تركه فارغًا.
certificate-field-key_type = نوع المفتاح
certificate-field-key_type-help = ECDSA P-256 يناسب كل العملاء الحاليين؛ RSA 2048 للعملاء القدامى جدًا فقط.
certificate-key-ecdsa-p256 = ECDSA P-256
certificate-key-rsa-2048 = RSA 2048
certificate-field-profile = ملف ACME
certificate-field-profile-help = ملف تعرضه الجهة (Let's Encrypt: classic وtlsserver وshortlived)؛ فارغ لملفها الافتراضي.
certificate-field-host = المضيف
certificate-field-host-help = الجهاز الذي يقدّم nginx عليه هذه الأسماء: عامل الشهادات عليه يجيب التحدي ويثبّت الشهادة.
certificate-form-proof = إثبات السيطرة
certificate-form-ca = جهة الإصدار
certificate-form-create = اطلب الشهادة
certificate-form-problems = { $count ->
    [one] لم تُطلب الشهادة: حقل واحد يحتاج إلى تصحيح.
    [two] لم تُطلب الشهادة: حقلان يحتاجان إلى تصحيح.
    [few] لم تُطلب الشهادة: { $count } حقول تحتاج إلى تصحيح.
   *[other] لم تُطلب الشهادة: { $count } حقلًا تحتاج إلى تصحيح.
}
dashboard-certificate-nearest = أقرب انتهاء لشهادة
dashboard-certificate-none = لا تُقدَّم أي شهادة بعد.
dashboard-certificate-failing = { $count ->
    [one] فشل آخر طلب لشهادة واحدة
    [two] فشل آخر طلب لشهادتين
    [few] فشل آخر طلب لـ{ $count } شهادات
   *[other] فشل آخر طلب لـ{ $count } شهادة
}
event-CertificateRequested = طُلبت شهادة
event-CertificateRenewalRequested = طُلب تجديد شهادة
event-CertificateIssued = أصدرت الجهة الشهادة
event-CertificateRenewalWindowFetched = جُلبت نافذة التجديد من الجهة
event-CertificateOrderFailed = فشل طلب شهادة
event-CertificateInstalled = ثُبّتت الشهادة وتُقدَّم
event-CertificateDeleted = حُذفت شهادة
