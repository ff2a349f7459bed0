# رسائل عامل النسخ الاحتياطي (lawha-backup-worker) بالعربية: أسطر سجل المهمة، والملخصات التي يسجّلها على العملية،
# وأسباب تخلّيه عن مهمة.

worker-run_already_completed = اكتملت هذه العملية من قبل؛ لا شيء لفعله
worker-waiting_for_plan = انتظار انتهاء أي عملية أخرى للخطة { $plan }
worker-removed_partials = حُذف { $count } من الملفات الجزئية التي تركتها محاولة مقطوعة لهذه العملية
worker-backing_up = نسخ { $source } ({ $kind }) احتياطيًا إلى { $folder }
worker-progress = قُرئ { $read_mib } م.ب، وخُزّن { $stored_mib } م.ب، بسرعة { $rate_mib } م.ب/ث
worker-failed = فشلت: { $reason }
worker-read_back = أُعيدت قراءة { $bytes } بايت: بصمة SHA-256 ‏{ $sha256 } تطابق البيان
worker-retention_removed = حذفت سياسة الاحتفاظ { $path }
worker-retention_failed = لم تُطبَّق سياسة الاحتفاظ: { $reason }
worker-pruned_by_retention = سياسة الاحتفاظ
worker-verifying = التحقق من { $archive }
worker-verify_intact = سليم: { $bytes } بايت، بصمة SHA-256 ‏{ $sha256 }، وتوقيع البيان صحيح
worker-restore_verifying = التحقق من { $archive } قبل استعادته إلى { $target }
worker-restored_directory = استُعيد { $entries } عنصرًا ({ $bytes } بايت) إلى { $path }
worker-restored_directory_keeping = استُعيد { $entries } عنصرًا ({ $bytes } بايت) إلى { $path }؛ والمجلد الذي استُبدل محفوظ في { $previous } مدة { $hours } ساعة
worker-restore_refused = رُفضت الاستعادة ولم يُكتب شيء: { $reason }
worker-swept = بجوار أهداف الاستعادة السابقة: حُذف { $staging } من مجلدات التجهيز لاستعادات مقطوعة و{ $previous } من المجلدات المستبدلة التي انقضت مدة حفظها
worker-swept_put_back = كان { $path } مفقودًا بعد استعادة مقطوعة، فأُعيد إليه مجلده السابق
worker-restored_database = استُعيد { $bytes } بايت إلى { $target }
worker-restored_database_after_dump = استُعيد { $bytes } بايت إلى { $target }، بعد أخذ نسخة أمان حجمها { $dump_bytes } بايت
worker-restore_needs_path = استعادة مجلد تحتاج target.path
worker-restore_needs_file = استعادة SQLite تحتاج target.path (ملفًا جديدًا)
worker-restore_needs_url = استعادة { $kind } تحتاج target.url (قاعدة بيانات)
worker-restore_needs_identity = الأرشيف مشفّر: تحتاج الاستعادة إلى مفتاحه السري
worker-payload_missing = ليس في حمولة المهمة { $name }
worker-plan_deleted = حُذفت خطة النسخ الاحتياطي { $plan }
worker-plan_missing = لا توجد خطة نسخ احتياطي { $plan }
worker-plan_unknown = خطة هذه العملية غير معروفة
worker-request_missing = الطلب { $job } ليس في سجل العملية
worker-request_wrong_kind = طلب المهمة ليس من نوع { $expected }
worker-no_archive = لا أرشيف لهذه العملية
worker-stream_unreadable = تعذّرت قراءة { $stream }: { $reason }
worker-read_failed = قراءة { $stream }: { $reason }
worker-record_failed = تسجيل { $fact }: { $reason }
worker-record_conflicts = تعارض تسجيل { $fact } مرارًا مع كتابات أخرى
worker-secret_unopenable = { $what ->
        [plan_password] كلمة مرور الخطة
        [target_password] كلمة مرور الهدف
        [age_identity] مفتاح age السري
       *[other] { $what }
    }: { $reason }
worker-secret_not_text = { $what ->
        [plan_password] كلمة مرور الخطة
        [target_password] كلمة مرور الهدف
        [age_identity] مفتاح age السري
       *[other] { $what }
    } ليس نصًا
worker-secret_forgotten = { $what ->
        [plan_password] كلمة مرور الخطة
        [target_password] كلمة مرور الهدف
        [age_identity] مفتاح age السري
       *[other] { $what }
    } حُذف عند انتهاء مهمة الطلب (أو بعد أسبوع): اطلب من جديد وأعطه مرة أخرى
worker-lock_failed = أخذ قفل الخطة: { $reason }
worker-task_failed = فشلت مهمة العامل: { $reason }
