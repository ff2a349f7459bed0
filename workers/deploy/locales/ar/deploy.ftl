# رسائل عامل النشر (lawha-deploy-worker) بالعربية: أسطر تقدّم المحرّك في سجل النشر، وأسباب فشل كل خطوة.
# `deploy-colour-name` يكتب اسم اللون للرسائل التي تشير إليه.

deploy-colour-name = { $colour ->
        [blue] الأزرق
        [green] الأخضر
       *[other] { $colour }
    }

deploy-fetching = جلب { $reference } من { $repository }
deploy-fetched = استُخرج الإيداع { $commit }
deploy-building = البناء: { $command }
deploy-built = نجح البناء في { $duration_ms } ملّي ثانية
deploy-image_building = بناء صورة Docker ‏{ $image }
deploy-app_starting = تشغيل الإصدار على اللون { deploy-colour-name } (المنفذ { $port })
deploy-app_stopping = إيقاف اللون { deploy-colour-name } (يُنهى قسرًا إن بقي يعمل بعد { $seconds } ث)
deploy-app_stopped = توقّف اللون { deploy-colour-name }
deploy-app_killed = لم يتوقّف اللون { deploy-colour-name } خلال { $seconds } ث فأُنهي قسرًا
deploy-health_checking = انتظار الإجابة 200 من { $url } { $count ->
        [one] مرة واحدة
        [two] مرتين متتاليتين
        [few] { $count } مرات متتالية
       *[other] { $count } مرة متتالية
    }
deploy-health_passed = أجاب { $url } بالحالة 200 { $count ->
        [one] مرة واحدة
        [two] مرتين متتاليتين
        [few] { $count } مرات متتالية
       *[other] { $count } مرة متتالية
    } بعد { $duration_ms } ملّي ثانية
deploy-switching = تحويل nginx إلى المنفذ { $port }
deploy-switched = صار nginx يرسل الطلبات إلى المنفذ { $port } (تمّ التحويل في { $duration_ms } ملّي ثانية)
deploy-switch_restored = أُعيد الملف السابق { $file }
deploy-release_pruned = حُذف الإصدار القديم { $path }

deploy-command_failed = فشل { $command } ({ $status }): { $output }
deploy-command_failed_no_output = فشل { $command } ({ $status }) دون أن يكتب شيئًا
deploy-command_timed_out = لم ينتهِ { $command } خلال { $seconds } ث فأُوقف مع كل ما شغّله: { $output }
deploy-command_timed_out_no_output = لم ينتهِ { $command } خلال { $seconds } ث فأُوقف مع كل ما شغّله
deploy-exit_status = رمز الخروج { $code }
deploy-killed_by_signal = أُنهي بالإشارة { $signal }
deploy-missing_tool = البرنامج { $program } غير مثبّت (حزمة دبيان { $package })
deploy-spawn_failed = تعذّر تشغيل { $program }: { $reason }
deploy-io_failed = { $action ->
        [create] إنشاء
        [read] قراءة
        [write] كتابة
        [rename] إعادة تسمية
        [remove] حذف
        [open] فتح
       *[other] { $action }
    } { $path }: { $reason }
deploy-name_invalid = لا يصلح { $what ->
        [site] اسم الموقع
        [release] اسم الإصدار
        [colour] اللون
       *[other] { $what }
    } { $name } اسمًا لمجلد
deploy-commit_invalid = { $commit } ليس إيداعًا (40 رقمًا ستّ عشريًا)
deploy-branch_invalid = { $branch } ليس اسم فرع يستطيع git جلبه
deploy-folder_not_empty = المجلد { $path } ليس فارغًا: يُجلب الإيداع إلى مجلد جديد
deploy-commit_mismatch = طُلب الإيداع { $requested } لكنّ git استخرج { $fetched }
deploy-unhealthy_status = لم يُجب { $url } بالحالة 200 { $count ->
        [one] مرة واحدة
        [two] مرتين متتاليتين
        [few] { $count } مرات متتالية
       *[other] { $count } مرة متتالية
    } خلال { $seconds } ث؛ وكانت إجابته الأخيرة { $status }
deploy-unhealthy_error = لم يُجب { $url } بالحالة 200 { $count ->
        [one] مرة واحدة
        [two] مرتين متتاليتين
        [few] { $count } مرات متتالية
       *[other] { $count } مرة متتالية
    } خلال { $seconds } ث؛ وفشلت المحاولة الأخيرة: { $reason }
deploy-switch_failed = فشل تحويل nginx إلى المنفذ { $port } وأُعيد الملف السابق: { $reason }
deploy-switch_failed_unrestored = فشل تحويل nginx إلى المنفذ { $port }: { $reason }؛ وفشلت إعادة الملف السابق أيضًا: { $restore_reason }
deploy-upstream_unreadable = الملف { $path } ليس سطرًا واحدًا بالشكل "server 127.0.0.1:PORT;": { $content }
deploy-still_running = ما زال اللون { deploy-colour-name } يعمل بعد إنهائه قسرًا
deploy-release_exists = مجلد الإصدار { $path } موجود من قبل
deploy-release_index_invalid = تتعذّر قراءة قائمة الإصدارات { $path }: { $reason }

deploy-step-name = { $step ->
        [fetch] الجلب
        [build] البناء
        [start] التشغيل
        [health] فحص السلامة
        [switch] التبديل
        [drain] التصريف
       *[other] { $step }
    }
deploy-secret-name = { $what ->
        [deploy_key] مفتاح النشر
        [env_values] قيم متغيرات البيئة
       *[other] { $what }
    }

deploy-waiting_for_deployment = انتظار انتهاء النشر السابق { $deployment } لهذا الموقع
deploy-already_ended = انتهى هذا النشر من قبل ({ $status }): لا شيء يُفعل
deploy-resuming = استئناف النشر عند خطوة { deploy-step-name }
deploy-release_replaced = حُذف { $path } الذي تركته محاولة مقطوعة، للجلب من جديد
deploy-no_build_command = ليس للموقع أمر بناء: لا شيء يُبنى
deploy-rolling_back = الرجوع إلى الإصدار { $release }: لا جلب ولا بناء
deploy-draining = يواصل اللون { deploy-colour-name } خدمة الطلبات التي بين يديه مدة { $seconds } ث
deploy-stop_failed = فشل إيقاف اللون { deploy-colour-name }: { $reason }
deploy-prune_failed = فشل حذف الإصدارات القديمة: { $reason }
deploy-succeeded = نجح النشر: اللون { deploy-colour-name } يخدم الإصدار الجديد
deploy-failed = فشل النشر عند خطوة { deploy-step-name }: { $reason }

deploy-site_deleted = حُذف الموقع { $site }
deploy-site_missing = الموقع { $site } غير موجود
deploy-deployment_missing = لم يُطلب النشر { $deployment } قط
deploy-payload_missing = ليس في المهمة { $name } صالح
deploy-secret_forgotten = لم يعد { deploy-secret-name } للموقع محفوظًا: احفظ الموقع من جديد معه
deploy-secret_unopenable = تعذّر فتح { deploy-secret-name } للموقع: { $reason }
deploy-secret_not_text = { deploy-secret-name } للموقع ليس نصًا
deploy-env_values_invalid = قيم متغيرات البيئة ليست كائنًا من النصوص: { $reason }
deploy-env_value_missing = تنقص قيمَ متغيرات البيئة { $name }: احفظ الموقع من جديد معها
deploy-unit_name_invalid = لا يصلح اسم الموقع { $site } اسمًا لوحدة systemd: استعمل الحروف والأرقام والنقاط والشرطات السفلية والشرطات
deploy-release_missing = مجلد الإصدار { $path } لم يعد موجودًا
deploy-app_exited = انتهى الإصدار على اللون { deploy-colour-name } فور تشغيله؛ مخرجاته في ذيل السجل
deploy-stream_unreadable = لا يستطيع هذا الإصدار قراءة { $stream }: { $reason }
deploy-read_failed = فشلت قراءة { $stream }: { $reason }
deploy-query_failed = فشلت قراءة الجدول { $table }: { $reason }
deploy-record_failed = فشل تسجيل { $fact }: { $reason }
deploy-record_conflicts = ظل تسجيل { $fact } يتعارض مع كتّاب آخرين
deploy-lock_failed = فشل أخذ قفل الموقع: { $reason }
