# رسائل قواعد لوحة (lawha-domain) بالعربية. لكل رمز في ../en/domain.ftl رسالة هنا بالمعطيات نفسها.

## رسالة محتواها كله بيانات: مخرجات أداة، أو كلام النظام نفسه، أو نص سُجّل قبل أن تصير الرسائل رموزًا.

text = { $text }

## خطط النسخ الاحتياطي وعمليّاتها

backups-field_problem = { $field }: { $problem }
backups-plan_invalid = خطة النسخ الاحتياطي غير صالحة: { $problems }
backups-name_invalid = يجب أن يتكوّن من 1 إلى 64 حرفًا لاتينيًا أو رقمًا أو '-' أو '_' أو '.'، ويبدأ بحرف أو رقم (فهو اسم مجلد الأرشيف)
backups-source_path_required = يجب أن يكون مسارًا مطلقًا (ومن دون رابط)
backups-source_url_required = يجب أن يكون رابط قاعدة بيانات (ومن دون مسار)
backups-destination_kind_unsupported = النوع "{ $kind }" غير مدعوم؛ استعمل "local"
backups-path_relative = يجب أن يكون مسارًا مطلقًا
backups-compression_level_range = يجب أن يكون من 1 (الأسرع) إلى 19 (الأصغر حجمًا)
backups-keep_last_zero = يجب ألا يقل عن 1 (أحدث نسخة احتياطية تُحفظ دائمًا)
backups-recipient_invalid = يجب أن يكون مستلِم age من نوع X25519 ‏(age1…)
backups-plan_exists = خطة النسخ الاحتياطي موجودة من قبل
backups-plan_not_found = لا توجد خطة نسخ احتياطي كهذه
backups-plan_deleted = حُذفت خطة النسخ الاحتياطي
backups-run_exists = عملية النسخ الاحتياطي موجودة من قبل
backups-run_not_found = لا توجد عملية نسخ احتياطي كهذه
backups-run_stale = حالة العملية { $status }؛ لا ينطبق عليها { $what }
backups-no_archive = { $action ->
        [verify] لا أرشيف لهذه العملية للتحقق منه
        [restore] لا أرشيف لهذه العملية لاستعادته
        [prune] لا أرشيف لهذه العملية لحذفه
       *[other] لا أرشيف لهذه العملية ({ $action })
    }: وحدها النسخة المكتملة التي لم تُحذف لها أرشيف
backups-not_a_fact = { $event_type } ليس حدثًا يسجّله العامل

## الحسابات والرموز

users-name_invalid = اسم المستخدم "{ $name }" غير صالح: استعمل من 1 إلى 64 حرفًا لاتينيًا صغيرًا أو رقمًا أو '.' أو '_' أو '-'، يبدأ بحرف
users-role_unknown = الدور "{ $value }" غير معروف؛ الأدوار المتاحة: { $valid }
users-scope_unknown = النطاق "{ $value }" غير معروف؛ النطاقات المتاحة: { $valid }
users-exists = المستخدم موجود من قبل
users-not_found = لا يوجد مستخدم كهذا
users-token_not_found = لا يوجد رمز وصول فعّال كهذا
users-same_role = لدى المستخدم الدور { $role } من قبل
users-two_factor_on = التحقق بخطوتين مفعّل من قبل
users-two_factor_off = التحقق بخطوتين غير مفعّل
users-token_name_invalid = اسم رمز الوصول من 1 إلى 100 حرف قابل للطباعة
users-token_no_scope = يحتاج رمز الوصول إلى نطاق واحد على الأقل (read أو operate أو admin)
users-token_scope_above = لا يستطيع صاحب الدور { $owner } إصدار رمز وصول بالنطاق { $scope }

## المهام

jobs-ended = انتهت المهمة من قبل ({ $status })
jobs-stale = هذه الرسالة للمحاولة { $got }، والمهمة عند المحاولة { $due }
jobs-not_retryable = لا تُعاد إلا مهمة فاشلة أو متوقفة نهائيًا؛ حالة هذه المهمة { $status }
jobs-never_queued = لم تدخل هذه المهمة قائمة الانتظار قط، فإعادتها ستفشل بالطريقة نفسها: { $reason }
jobs-abandoned = تُركت المحاولة { $attempt }: توقف العامل الذي يشغّلها (قُتل أو انقطع) قبل أن يبلّغ بنتيجتها

## المواقع وعمليات النشر وخطافات GitHub

deployments-field_problem = { $field }: { $problem }
deployments-site_invalid = الموقع غير صالح: { $problems }
deployments-name_invalid = يجب أن يتكوّن من 1 إلى 64 حرفًا لاتينيًا أو رقمًا أو '-' أو '_' أو '.'، ويبدأ بحرف أو رقم (فهو اسم مجلد الإصدارات)
deployments-repository_invalid = يجب أن يكون رابط https:// أو ssh://، أو بالصيغة git@host:path، أو file:// يتبعه مسار مطلق
deployments-repository_credentials = يجب ألا يحتوي على اسم مستخدم أو كلمة مرور (فستُسجَّل في السجل كما هي)؛ استعمل مفتاح نشر
deployments-branch_invalid = يجب أن يكون اسم فرع صالحًا في git: بلا مسافات، ولا '..' ولا أيٍّ من '~' و'^' و':' و'?' و'*' و'[' و'\'، ولا يبدأ بـ'-' ولا ينتهي بـ'/' أو '.' أو '.lock'
deployments-deploy_key_needs_ssh = لا يُستعمل إلا مع مستودع يُبلَغ عبر SSH ‏(git@host:path أو ssh://)؛ مستودعات https وfile لا تحتاج إليه
deployments-command_invalid = يجب ألا يكون فارغًا، وألا يتجاوز 4096 بايت، وألا يحتوي على محرف تحكّم غير الجدولة والسطر الجديد
deployments-start_command_port = يجب أن يستعمل { "\u0024PORT" }، وهو منفذ اللون الذي يبدأ عليه الإصدار
deployments-health_path_invalid = يجب أن يكون مسارًا يبدأ بـ'/' بلا مسافات (1024 حرفًا على الأكثر)
deployments-env_name_invalid = يجب أن تتكوّن الأسماء من حروف لاتينية وأرقام و'_' وأن تبدأ بحرف أو '_' (والاسم "{ $name }" ليس كذلك)
deployments-env_name_reserved = يجب ألا تتضمّن { $name }: فعملية النشر تضبطه على منفذ اللون
deployments-env_name_duplicate = يجب أن يُذكر كل متغير مرة واحدة (ذُكر { $name } مرتين)
deployments-env_values_missing = مطلوبة: للمتغيرات أسماء بلا قيم
deployments-env_values_unexpected = يجب ألا تُعطى ما دام لم يُسمَّ أي متغير
deployments-port_range = يجب أن يكون من 1024 إلى 65535
deployments-ports_same = يجب أن يختلفا: لكلٍّ من الأزرق والأخضر منفذه الخاص
deployments-domain_invalid = يجب أن تكون أسماء نطاقات بحروف صغيرة (و"{ $domain }" ليس كذلك)
deployments-domain_duplicate = يجب أن يُذكر كل نطاق مرة واحدة (ذُكر { $domain } مرتين)
deployments-releases_to_keep_range = يجب أن يكون من 1 إلى 50
deployments-host_invalid = يجب أن يكون اسم مضيف: من 1 إلى 63 من الحروف اللاتينية الصغيرة والأرقام و'-'، لا يبدأ بـ'-' ولا ينتهي بها
deployments-site_exists = الموقع موجود من قبل
deployments-site_not_found = لا يوجد موقع كهذا
deployments-site_deleted = حُذف الموقع
deployments-deployment_exists = عملية النشر موجودة من قبل
deployments-deployment_not_found = لا توجد عملية نشر كهذه
deployments-commit_invalid = "{ $commit }" ليس إيداعًا: المتوقَّع 40 رقمًا ست عشريًا بحروف صغيرة
deployments-commit_mismatch = طُلب نشر الإيداع { $requested }، لكن الإيداع الذي جُلب هو { $fetched }
deployments-fact_out_of_order = { $fact } ليس الخطوة التالية لعملية نشر { $status ->
        [requested] لم تبدأ بعد
        [fetched] جُلب إيداعها
        [built] بُني إصدارها
        [started] بدأ إصدارها
        [health_passed] اجتاز إصدارها فحص السلامة
        [switched] حُوّلت حركتها إلى اللون الجديد
        [drained] أُوقف لونها القديم
        [succeeded] نجحت
        [failed] فشلت
       *[other] حالتها { $status }
    }
deployments-deployment_ended = انتهت عملية النشر ({ $status ->
        [succeeded] نجحت
        [failed] فشلت
       *[other] { $status }
    })؛ لا يُسجَّل بعد ذلك شيء
deployments-colour_mismatch = بدأ الإصدار على اللون { $started ->
        [blue] الأزرق
        [green] الأخضر
       *[other] { $started }
    }، فلا يمكن تحويل الحركة إلى اللون { $switched ->
        [blue] الأزرق
        [green] الأخضر
       *[other] { $switched }
    }
deployments-not_a_fact = { $event_type } ليس حدثًا يسجّله العامل
deployments-signature_missing = لا يحمل الطلب الترويسة X-Hub-Signature-256: أعطِ خطاف GitHub سرّ خطافات الموقع
deployments-signature_malformed = الترويسة X-Hub-Signature-256 ليست sha256= متبوعة بـ64 رقمًا ست عشريًا
deployments-signature_mismatch = التوقيع لا يطابق سرّ خطافات الموقع
deployments-delivery_ping = رسالة ping من GitHub: الخطاف يصل إلى اللوحة؛ لا شيء للنشر
deployments-delivery_tag_push = دفعٌ للوسم { $git_ref }: لا شيء للنشر
deployments-delivery_branch_deleted = حُذف الفرع { $git_ref }: لا شيء للنشر
deployments-delivery_other_branch = دفعٌ إلى { $git_ref }، وهو ليس فرع الموقع: لا شيء للنشر
deployments-delivery_other_event = حدث { $event }: لا يُنشر إلا عند الدفع (push)
deployments-delivery_malformed = حمولة الحدث { $event } ينقصها الحقل { $field } أو فيه قيمة خاطئة

## شهادات TLS

certificates-field_problem = { $field }: { $problem }
certificates-certificate_invalid = الشهادة غير صالحة: { $problems }
certificates-names_empty = يجب أن تضمّ اسمًا واحدًا على الأقل
certificates-names_too_many = يجب ألا يزيد عدد الأسماء على { $max } (وعددها هنا { $count })
certificates-name_too_long = يجب ألا يزيد طول الاسم على { $max } حرفًا ("{ $name }" أطول من ذلك)
certificates-name_invalid = يجب أن تكون أسماء نطاقات بحروف صغيرة، أو '*.' يتبعها اسم نطاق مع تحدي dns-01 (و"{ $name }" ليس كذلك)
certificates-name_ip_address = يجب أن تكون أسماء نطاقات لا عناوين IP ‏({ $name } عنوان IP)
certificates-name_wildcard_needs_dns = يجب ألا تضمّ نطاقًا شاملًا (wildcard) مع تحدي http-01: يحتاج { $name } إلى تحدي dns-01
certificates-name_duplicate = يجب أن يُذكر كل اسم مرة واحدة (ذُكر { $name } مرتين)
certificates-name_redundant = يجب ألا تضمّ { $name }: فالنطاق الشامل { $wildcard } يغطيه من قبل
certificates-dns_hook_blank = يجب أن يكون أمرًا، وهو فارغ
certificates-dns_hook_too_long = يجب ألا يزيد على { $max } بايت
certificates-dns_hook_control = يجب أن يكون سطر أوامر واحدًا بلا محارف تحكّم كالسطر الجديد
certificates-directory_url_invalid = يجب أن يكون رابط https:// لدليل ACME، بلا اسم مستخدم ولا كلمة مرور
certificates-directory_not_https = يجب أن يستعمل https (ولا يُقبل http إلا لدليل على هذا الجهاز: localhost أو 127.0.0.1 أو [::1])
certificates-trusted_root_invalid = يجب أن يكون المسار المطلق لملف PEM
certificates-email_invalid = يجب أن يكون عنوان بريد إلكتروني مثل ops@example.com
certificates-profile_invalid = يجب أن يكون اسم ملف تعريف ACME: من 1 إلى 64 من الحروف اللاتينية الصغيرة والأرقام و'-' (مثل classic أو shortlived)
certificates-host_invalid = يجب أن يكون اسم مضيف: من 1 إلى 63 من الحروف اللاتينية الصغيرة والأرقام و'-'، لا يبدأ بـ'-' ولا ينتهي بها
certificates-certificate_exists = الشهادة موجودة من قبل
certificates-certificate_not_found = لا توجد شهادة كهذه
certificates-certificate_deleted = حُذفت الشهادة
certificates-order_under_way = طلبُ إصدارٍ لهذه الشهادة جارٍ من قبل: انتظر حتى ينتهي، أو افرض التجديد
certificates-no_order_under_way = لا يجري أي طلب إصدار لهذه الشهادة
certificates-not_issued = لم تُصدَر أي شهادة بعد
certificates-serial_mismatch = الرقم التسلسلي للشهادة الحالية هو { $current }، لا { $given }
certificates-validity_inverted = يجب أن تنتهي صلاحية الشهادة بعد أن تبدأ
certificates-window_inverted = يجب أن تنتهي نافذة التجديد بعد أن تبدأ
certificates-fact_invalid = في الحدث الذي سجّله العامل قيمة غير صالحة في الحقل { $field }
