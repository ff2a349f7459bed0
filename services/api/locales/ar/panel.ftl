# The panel's own messages (services/api capabilities), filled as they are declared.

## طبقة HTTP

http-not_found = لا يوجد مورد كهذا
http-unauthorized = سجّل الدخول أو أرسل `Authorization: Bearer <token>`
http-authorization_malformed = يجب أن تكون ترويسة Authorization على الشكل `Bearer <token>`
http-token_invalid = رمز الوصول غير معروف أو ملغى أو مشوّه
http-session_required = يحتاج هذا إلى جلسة دخول: لا تستطيع رموز الوصول إدارة الحسابات وكلمات المرور والتحقق بخطوتين والرموز
http-forbidden = يحتاج هذا إلى مستوى { $level }؛ ومستوى { $actor } هو { $has }
http-csrf_failed = رمز CSRF مفقود أو خاطئ: أعد تحميل الصفحة وحاول مجددًا
http-csrf_no_session = لا جلسة: افتح صفحة (أو GET /api/v1/session) أولًا
http-csrf_no_token = لا رمز CSRF في هذه الجلسة: أعد تحميل الصفحة
http-form_too_large = النموذج أكبر من الحد المسموح لحجم الطلب
http-ip_not_allowed = عنوان العميل { $ip } ليس في قائمة العناوين المسموح بها لهذه اللوحة (ui.allow_ips)
http-not_ready = فحوص فاشلة: { $failing }
http-invalid_language = اللغة "{ $value }" غير معروفة؛ استعمل en أو ar
http-invalid_body = محتوى الطلب غير صالح: { $reason }
http-internal = خطأ داخلي؛ راجع سجل الخادم
http-shutting_down = سجل الأحداث في طور الإيقاف
http-conflict = السجل { $stream } عند الإصدار { $actual }، والأمر توقّع { $expected }
http-invalid_command = إضافة غير صالحة: { $reason }
http-database_unavailable = تعذّر الوصول إلى قاعدة البيانات الآن؛ حاول مجددًا بعد { $retry_after } ث

input-json_syntax = محتوى الطلب ليس JSON صالحًا: { $reason }
input-body_required = يحتاج هذا الطلب إلى محتوى JSON يُرسل مع Content-Type: application/json
input-media_type = يجب أن يُرسل المحتوى بالنوع application/json لا { $got }
input-body_shape = { $path }: { $reason }
input-body_nul = { $path }: لا يجوز أن يحتوي النص على المحرف NUL
input-query_encoding = تعذّر فك ترميز نص الاستعلام: { $reason }
input-query_blank = المعامل `{ $parameter }` بلا قيمة: أعطه قيمة أو احذفه
input-query_nul = المعامل `{ $parameter }` يحتوي على المحرف NUL
input-path_unknown = لا شيء باسم "{ $value }" هنا
input-uri_too_long = عنوان الطلب أطول من { $limit } بايت
input-form_media_type = يجب أن يُرسل النموذج بالنوع application/x-www-form-urlencoded لا { $got }
input-form_encoding = تعذّر فك ترميز النموذج: { $reason }
input-form_repeated = الحقل `{ $field }` مذكور أكثر من مرة

## النسخ الاحتياطي: مدخلات الخطة كما تُفحص على هذا الخادم، ونموذج الخطة، والمعرّفات غير الموجودة

backups-name_taken = "{ $name }" اسم خطة أخرى
backups-path_missing = { $path } غير موجود
backups-path_unreadable = تتعذّر قراءة { $path }: { $reason }
backups-not_a_directory = { $path } ليس مجلدًا
backups-directory_unlistable = يتعذّر سرد محتوى { $path }: { $reason }
backups-not_a_file = { $path } ليس ملفًا
backups-not_sqlite = { $path } ليس قاعدة بيانات SQLite
backups-sqlite_unreadable = تتعذّر قراءة { $path } بوصفه قاعدة بيانات SQLite: { $reason }
backups-destination_not_folder = موجود وليس مجلدًا
backups-url_not_for_kind = الرابط لمصادر postgres وmysql فقط
backups-url_shape = يجب أن يكون على الشكل { $scheme }://user:password@host:port/database
backups-url_scheme = يجب أن يبدأ بـ { $first }:// أو { $second }:// لمصدر من نوع { $kind }
backups-url_no_host = لا يسمّي خادمًا
backups-url_no_database = لا يسمّي قاعدة بيانات (…/database في آخره)
backups-not_a_number = "{ $text }" ليس عددًا صحيحًا
backups-kind_choose = اختر directory أو sqlite أو postgres أو mysql
backups-target_one_of = يحتاج إلى واحد فقط من path (مجلد أو ملف جديد) وurl (قاعدة بيانات)
backups-plan_missing = لا توجد خطة نسخ احتياطي { $id }
backups-run_missing = لا توجد عملية نسخ احتياطي { $id }

## التدقيق: لماذا رُفض استعلام القائمة أو التصدير

audit-limit_range = يجب أن يكون `limit` عددًا صحيحًا من 1 إلى 500، والمُرسَل "{ $got }"
audit-before_invalid = يجب أن يكون `before` موضع حدث موجبًا، والمُرسَل "{ $got }"
audit-format_invalid = يجب أن يكون `format` ‏csv أو jsonl، والمُرسَل "{ $got }"
audit-format_required = `format` مطلوب: csv أو jsonl
audit-since_after_until = يجب ألا يكون `since` بعد `until`
audit-unknown_parameter = مُعامل الاستعلام "{ $key }" غير معروف؛ المقبول: { $accepted }
audit-given_twice = لا يُعطى `{ $key }` إلا مرة واحدة
audit-too_long = يجب ألا يزيد `{ $key }` على { $max } حرفًا
audit-event_type_invalid = `event_type` ‏"{ $value }" ليس اسم نوع حدث مثل BackupCompleted
audit-too_many_types = لا يسمّي `event_type` أكثر من { $max } نوعًا
audit-stream_invalid = `stream` ‏"{ $value }" ليس معرّف سجل (الفئة-المعرّف، مثل backup_run-…)
audit-stream_selector = يجب أن يكون `stream` معرّف سجل (backup_run-…) أو فئة من أحرف لاتينية صغيرة وشرطات سفلية، والمُرسَل "{ $value }"
audit-timestamp_invalid = يجب أن يكون `{ $key }` وقتًا بصيغة RFC 3339 مثل 2025-01-31T12:00:00Z (اكتب الإزاحة + بالشكل %2B)، والمُرسَل "{ $value }"
audit-stream_query_invalid = { $reason }؛ استعمل ?after=<position> أو ?job=<job id> أو ?log_after=<line id>
audit-no_event = لا حدث عند الموضع { $position }
audit-too_many_streams = لديك { $limit } من البثوث الحية مفتوحة بالفعل (http.max_streams_per_principal)؛ أغلق صفحة أو لسانًا يعرض التحديثات الحية
audit-streams_exhausted = بلغت اللوحة أقصى عدد من البثوث الحية ({ $limit }، http.max_streams)؛ حاول مجددًا بعد قليل

## المهام: مهام ونماذج قراءة غير موجودة، واستعلامات وطلبات فحص مرفوضة، وسجل المهام التي تعمل داخل اللوحة

jobs-not_found = لا توجد مهمة { $id }
jobs-unknown_state = الحالة "{ $value }" غير معروفة
jobs-unknown_kind = النوع "{ $value }" غير معروف
jobs-retry_needs_level = تحتاج إعادة مهمة من نوع { $kind } إلى المستوى { $level ->
        [admin] مسؤول
        [operator] مشغِّل
       *[other] { $level }
    }، وهو مستوى الطلب الذي أنشأها
jobs-retry_needs_session = تحتاج إعادة مهمة من نوع { $kind } إلى جلسة دخول بمستوى { $level ->
        [admin] مسؤول
        [operator] مشغِّل
       *[other] { $level }
    } كما احتاج طلبها؛ ولا يكفي رمز وصول
jobs-number_range = يجب أن يكون `{ $parameter }` عددًا صحيحًا من { $min } إلى { $max }، والمُرسَل "{ $got }"
jobs-unknown_parameter = المُعامل `{ $parameter }` غير معروف
jobs-unknown_projection = لا يوجد نموذج قراءة باسم "{ $name }"؛ الموجود: { $known }
jobs-chain_verdict_intact = النتيجة: السلسلة سليمة ({ $events } حدثًا)
jobs-chain_verdict_broken = النتيجة: السلسلة مكسورة عند الموضع { $position }: { $reason }
jobs-chain_missing = مفقود: الحدث المخزَّن التالي عند الموضع { $next }
jobs-chain_not_json = البيانات أو البيانات الوصفية ليست JSON صالحًا
jobs-chain_mismatch = عدم تطابق في السلسلة: غُيِّر الحدث بعد تسجيله
jobs-chain_head_beyond = مفقود: رأس السلسلة المسجَّل عند الموضع { $head }، والسجل ينتهي عند { $last }
jobs-chain_head_mismatch = رأس السلسلة المسجَّل لا يطابق الحدث الأخير
jobs-chain_unknown_key = مربوط بالمفتاح { $key_id }، وهو ليس المفتاح السري ولا أحد المفاتيح السابقة (previous_secret_keys)
jobs-chain_checkpoint_beyond = نقطة التثبيت في السطر { $line } (الموضع { $position }، ثُبِّتت في { $at }) ليست في السجل الذي ينتهي عند { $last }: اقتُطع السجل أو أُعيد إلى نسخة أقدم
jobs-chain_checkpoint_mismatch = نقطة التثبيت في السطر { $line } (الموضع { $position }، ثُبِّتت في { $at }) لا تطابق الحدث في ذلك الموضع: أُعيدت كتابة السجل، أو أُعيد إلى نسخة أقدم ثم أُضيفت إليه أحداث
jobs-chain_checkpoint_invalid = السطر { $line } من ملف نقاط التثبيت ليس نقطة تثبيت موقَّعة بمفاتيح هذه اللوحة
jobs-chain_checkpoints_held = السجل يحوي نقاط التثبيت كلها في { $file } ({ $count })
jobs-chain_checkpoints_unreadable = تعذّرت قراءة ملف نقاط التثبيت { $file }: { $reason }
jobs-chain_anchored = تثبيت: كُتبت نقطة تثبيت للموضع { $position } في { $file }
jobs-chain_anchor_failed = تعذّر تثبيت الرأس الذي جرى التحقق منه في { $file }: { $reason }
jobs-store_failed = تعطّل سجل الأحداث: { $reason }
jobs-rebuilding = إعادة بناء { $name }
jobs-rebuilt = أُعيد بناء { $name }: { $events } حدثًا في { $millis } ملّي ثانية

## المستخدمون: كلمات المرور والرموز وتسجيل الدخول

users-password_too_short = يجب ألا تقل كلمة المرور عن { $min } حرفًا
users-password_too_long = يجب ألا تزيد كلمة المرور على { $max } حرفًا
users-passwords_differ = كلمتا المرور الجديدتان مختلفتان
users-wrong_code = الرمز خاطئ أو منتهي الصلاحية أو مستعمل من قبل
users-wrong_password = كلمة المرور الحالية خاطئة
users-last_admin = لا يمكن نزع دور المدير عن آخر مدير؛ اجعل مستخدمًا آخر مديرًا أولًا
users-no_pending_secret = ابدأ التفعيل أولًا: لا يوجد سرّ في الانتظار
users-secret_unopenable = تعذّر فتح سرّ التحقق بخطوتين المخزَّن
users-credential_failed = تعذّرت معالجة بيانات الاعتماد: { $reason }
users-invalid_credentials = اسم المستخدم أو كلمة المرور غير صحيحة
users-locked_out = محاولات دخول فاشلة كثيرة؛ حاول مجددًا بعد { $seconds } ثانية
users-no_pending_sign_in = سجّل الدخول بكلمة المرور أولًا؛ يجب أن يأتي الرمز خلال 5 دقائق
users-busy = الخادم مشغول بالتحقق من كلمات مرور أخرى؛ حاول مجددًا بعد { $seconds } ثانية
users-password_checks_throttled = كلمات مرور خاطئة كثيرة؛ حاول مجددًا بعد { $seconds } ثانية
users-role_change_in_progress = يجري تسجيل تغيير دور آخر؛ حاول مجددًا بعد لحظات

## Deployments
deployments-name_taken = الاسم "{ $name }" لموقع آخر
deployments-host_unknown = لم يسجّل أي عامل نشر المضيف "{ $host }": المضيفون المعروفون هم { $known } (GET /api/v1/hosts)
deployments-runtime_not_offered = لا يوفّر المضيف { $host } بيئة التشغيل { $runtime }؛ يوفّر { $offered }
deployments-site_missing = لا يوجد موقع بالمعرّف { $id }
deployments-deployment_missing = لا يوجد نشر أو إصدار بالمعرّف { $id }
deployments-secret_unreadable = تعذّر فتح سرّ من أسرار هذا الموقع (هل غُيّر المفتاح السري دون الاحتفاظ بالقديم؟)
deployments-delivery_headers = التسليم بلا الترويسة { $header }
deployments-delivery_body = محتوى التسليم ليس حمولة GitHub: { $reason }
deployments-delivery_repeated = أُجيب عن التسليم { $delivery } من قبل؛ لم يُفعل شيء جديد
deployments-delivery_follows = يجري نشر الآن: سيُنشر هذا الدفع ضمن { $deployment } بعد انتهائه
deployments-not_a_number = "{ $text }" ليس عددًا صحيحًا
deployments-runtime_choose = اختر process أو docker أو systemd

## Certificates (the panel's checks)
certificates_api-host_unknown = لا يمكن الوصول إلى عامل شهادات على المضيف "{ $host }": المضيفون المعروفون هم { $known } (GET /api/v1/hosts)
certificates_api-certificate_missing = لا توجد شهادة { $id }
certificates_api-challenge_unknown = "{ $challenge }" ليس تحديًا: اختر http-01 أو dns-01
certificates_api-dns_hook_missing = يحتاج dns-01 إلى أمر خطّاف يضبط سجل TXT ويمحوه
certificates_api-dns_hook_unused = خطّاف DNS لا يُستعمل إلا مع dns-01: أزله أو اختر dns-01
certificates_api-trusted_root_unused = الجذر الموثوق لا يُستعمل إلا مع عنوان دليل: جذور Let's Encrypt موثوقة أصلًا
certificates_api-key_type_unknown = "{ $key_type }" ليس نوع مفتاح: اختر ecdsa-p256 أو rsa-2048
