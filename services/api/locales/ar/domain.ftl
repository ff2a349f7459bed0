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
