# رسائل عامل الشهادات (lawha-cert-worker) بالعربية: سبب فشل الطلب، وسطور معالج IssueCertificate و
# RenewCertificate في سجل المهمة. القواعد نفسها كما في domain.ftl.

certs-acme_problem = رفضت جهة الإصدار: { $detail } ({ $kind })
certs-acme_timed_out = لم تُنهِ جهة الإصدار الطلب في الوقت المحدد
certs-acme_failed = فشل الاتصال بجهة الإصدار: { $reason }
certs-io_failed = { $action ->
        [create] إنشاء
        [read] قراءة
        [write] كتابة
        [rename] إعادة تسمية
        [remove] حذف
       *[other] { $action }
    } { $path }: { $reason }
certs-dir_refused = مجلد الشهادات { $path } مرفوض: يجب أن يكون مسارًا مطلقًا، وألا يكون مجلد نظام أو مجلدًا أعلى منه، وألا يقع داخل /usr أو /boot أو /proc أو /sys أو /dev أو شجرة نظام أخرى؛ اضبط certificates.dir على مجلد مثل /var/lib/lawha/certificates
certs-path_refused = { $path } خارج مجلد الشهادات
certs-account_unopenable = تعذّر فتح حساب ACME المحفوظ في { $path }: { $reason }
certs-hook_spawn_failed = تعذّر تشغيل أمر DNS: { $reason }
certs-hook_timed_out = تجاوز أمر DNS ({ $action }) مدة { $seconds } ث فأُوقف
certs-hook_failed = فشل أمر DNS ({ $action }) بالحالة { $status }: { $output }
certs-token_invalid = أرسلت جهة الإصدار رمز تحدٍّ لا يصلح اسمًا لملف: { $token }
certs-key_failed = تعذّر إنشاء مفتاح الشهادة أو طلبها: { $reason }
certs-rsa_unsupported = لا يستطيع هذا الإصدار توليد مفاتيح RSA؛ استخدم مفتاح ECDSA P-256
certs-authorization_status = تفويض { $name } حالته { $status }
certs-challenge_not_offered = لا تقدّم جهة الإصدار تحدي { $challenge } للاسم { $name }
certs-order_invalid = عدّت جهة الإصدار الطلب غير صالح دون ذكر السبب
certs-chain_unreadable = تعذّرت قراءة الشهادة التي أرسلتها جهة الإصدار: { $reason }
certs-ari_id_invalid = { $id } ليس معرّف معلومات تجديد
certs-ari_window_invalid = نافذة التجديد التي اقترحتها جهة الإصدار خارج النطاق
certs-nginx_test_failed = رفض nginx الشهادة الجديدة، وما زالت السابقة قيد الخدمة: { $output }
certs-nginx_reload_failed = تعذّرت إعادة تحميل nginx، وما زالت الشهادة السابقة قيد الخدمة: { $output }

certs-ordering = جارٍ طلب شهادة للأسماء { $names } من { $directory }
certs-issued = أصدرت جهة الإصدار الشهادة { $serial }، وهي صالحة حتى { $not_after }
certs-installed = ثُبّتت الشهادة في { $path }
certs-installing_staged = جارٍ تثبيت الشهادة { $serial } التي حصلت عليها محاولة سابقة
certs-staged_missing = الشهادة { $serial } لم تعد على القرص فلا يمكن تثبيتها؛ ستُطلب من جديد
certs-nothing_to_do = لا شيء لفعله: حالة الشهادة { $status }
certs-failed = فشل الطلب في خطوة { $step }: { $reason }
certs-certificate_missing = الشهادة { $certificate } لم تُطلب قط
certs-payload_missing = لا تذكر المهمة أيّ { $name }
certs-stream_unreadable = لا يستطيع هذا الإصدار قراءة { $stream }: { $reason }
certs-read_failed = فشلت قراءة { $stream }: { $reason }
certs-query_failed = فشلت قراءة { $table }: { $reason }
certs-record_failed = فشل تسجيل { $fact }: { $reason }
certs-record_conflicts = ظلّ تسجيل { $fact } يتعارض مع كتّاب آخرين
