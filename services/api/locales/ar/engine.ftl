# رسائل محرك النسخ الاحتياطي (lawha-backup، `lawha_backup::messages`) باللغة العربية.
# The backup engine's messages, Arabic.
#
# The engine reports what happened as a code with arguments; the code `engine.x` is the message `engine-x`
# here, with exactly the arguments its constructor takes (a test in shared/backup checks this file and
# ../en/engine.ftl against `lawha_backup::messages::ALL`). Arguments named problem, cause, outcome, status,
# expected/found of a manifest and reason of an archive refusal hold other messages, which the panel renders
# first. $action is a key of `lawha_backup::messages::actions::ALL_ACTIONS`, put into words by
# engine-io-action; $part is a piece of a database URL, put into words by engine-url-part. Those two are not
# codes but messages the others reference: a Fluent term cannot take a variable as an argument, while a message
# reference sees the variables of the message that references it.
# Register: formal Modern Standard Arabic. Numbers passed as placeables are formatted by the bundle; sizes are
# written with بايت, which does not change with the number.

## ما كان المحرك يفعله حين فشلت عملية إدخال/إخراج (the action of an I/O failure, as a verbal noun)

engine-io-action = { $action ->
        [reading] قراءة
        [writing] كتابة
        [syncing] مزامنة
        [syncing_the_folder] مزامنة المجلد
        [creating] إنشاء
        [opening] فتح
        [copying] نسخ
        [removing] حذف
        [creating_the_backup_folder] إنشاء مجلد النسخ الاحتياطي
        [creating_the_archive] إنشاء الأرشيف
        [writing_the_archive] كتابة الأرشيف
        [renaming_the_archive_to] إعادة تسمية الأرشيف إلى
        [renaming_the_manifest_to] إعادة تسمية ملف البيان الموقَّع إلى
        [listing_the_backup_folder] سرد محتويات مجلد النسخ الاحتياطي
        [starting_age_encryption_of] بدء تشفير age للملف
        [starting_zstd_for] بدء ضغط zstd للملف
        [starting_zstd_worker_threads_for] تشغيل خيوط zstd العاملة للملف
        [configuring_zstd_for] ضبط إعدادات zstd للملف
        [finishing_the_zstd_stream_of] إنهاء تدفق zstd للملف
        [finishing_the_age_stream_of] إنهاء تدفق age للملف
        [reading_the_source_folder] قراءة المجلد المصدر
        [listing_the_source_folder] سرد محتويات المجلد المصدر
        [writing_the_tar_stream_of] كتابة تدفق tar للمجلد
        [starting] تشغيل
        [waiting_for] انتظار انتهاء
        [reading_the_output_of] قراءة مخرجات
        [writing_the_output_of] كتابة مخرجات
        [feeding] تمرير البيانات إلى
        [reading_what_to_feed] قراءة البيانات المراد تمريرها إلى
        [reading_the_metadata_of] قراءة البيانات الوصفية للملف
        [creating_a_temporary_directory_in] إنشاء مجلد مؤقت في
        [opening_the_snapshot] فتح اللقطة
        [writing_the_snapshot_of] كتابة لقطة قاعدة البيانات
        [starting_a_runtime_for] تشغيل بيئة التنفيذ لقاعدة البيانات
        [creating_a_directory_for_the_safety_dump_in] إنشاء مجلد لنسخة الأمان في
        [opening_the_safety_dump] فتح نسخة الأمان
        [creating_a_temporary_file_in] إنشاء ملف مؤقت في
        [reading_the_snapshot_to_restore_into] قراءة اللقطة المراد استعادتها إلى
        [writing_the_snapshot_to_restore_into] كتابة اللقطة المراد استعادتها إلى
        [renaming_the_restored_snapshot_over] إحلال اللقطة المستعادة محل
        [renaming_over] إحلال الملف محل
        [opening_the_archive] فتح الأرشيف
        [creating_a_temporary_folder_in] إنشاء مجلد مؤقت في
        [reading_the_folder_of_the_restore_target] قراءة المجلد الذي يحوي هدف الاستعادة
        [reading_the_restore_target] قراءة هدف الاستعادة
        [renaming_the_restored_folder_to] إعادة تسمية المجلد المستعاد إلى
        [moving_the_old_target_away_from] نقل الهدف القديم من
        [creating_the_folder] إنشاء المجلد
        [creating_the_symlink] إنشاء الرابط الرمزي
        [creating_the_hard_link] إنشاء الرابط الصلب
        [reading_the_symlink] قراءة الرابط الرمزي
        [opening_the_folder] فتح المجلد
        [reading_the_mode_of] قراءة صلاحيات
        [setting_the_owner_of] تعيين مالك
        [setting_the_mode_of] تعيين صلاحيات
        [setting_the_mtime_of] تعيين وقت تعديل
       *[other] { $action }
    }

## إخفاق نسخ احتياطي أو تحقق أو استعادة

engine-command_failed = فشل الأمر { $command } ({ $status }): { $stderr }
engine-command_failed_no_stderr = فشل الأمر { $command } ({ $status })
engine-exit_status = رمز الخروج { $code }
engine-killed_by_signal = أُنهي بالإشارة { $signal }
engine-missing_tool = لم يُعثر على البرنامج { $program } في PATH: ثبّت الحزمة { $package } (على Debian: apt-get install { $package })
engine-disk_full = نفدت المساحة في وجهة النسخ الاحتياطي أثناء { engine-io-action } { $path }
engine-permission_denied = رُفض الإذن أثناء { engine-io-action } { $path }
engine-io_failed = حدث خطأ أثناء { engine-io-action } { $path }: { $reason }
engine-database_failed = قاعدة البيانات { $location }: { $problem }
engine-read_back_mismatch = الأرشيف المقروء بعد كتابته لا يطابق ما كُتب: { $problem }
engine-read_back_manifest_differs = البيان الموقَّع المقروء بعد كتابته يختلف عن البيان الذي كُتب
engine-level_out_of_range = مستوى ضغط zstd { $level } خارج النطاق: استخدم قيمة من ١ إلى ١٩
engine-pipe_missing = شُغّل { $program } دون قناة { $pipe } الخاصة به
engine-no_mariadb_program = لا يوجد برنامج MariaDB لتشغيله
engine-source_folder_missing = المجلد المصدر { $path } غير موجود
engine-source_not_a_folder = المصدر { $path } ليس مجلدًا

## روابط قواعد البيانات

engine-url-part = { $part ->
        [database] اسم قاعدة البيانات
        [user] اسم المستخدم
        [password] كلمة المرور
        [host] اسم المضيف
        [parameter_name] اسم أحد المعاملات
        [parameter_value] قيمة أحد المعاملات
       *[other] { $part }
    }

engine-url_not_a_url = رابط قاعدة البيانات ليس رابطًا: الصيغة المتوقعة postgres://user:password@host:port/database أو mysql://…
engine-url_unknown_scheme = مخطط رابط قاعدة البيانات «{ $scheme }» غير مدعوم: المتوقع postgres:// أو postgresql:// أو mysql:// أو mariadb://
engine-url_no_scheme = لا يحمل رابط قاعدة البيانات مخططًا معروفًا: المتوقع postgres:// أو postgresql:// أو mysql:// أو mariadb://
engine-url_database_slash = يسمّي رابط قاعدة البيانات قاعدةَ البيانات «{ $database }»، واسمها يحتوي على «/»
engine-url_socket_relative = يحتوي رابط قاعدة البيانات على «{ $parameter }={ $path }»: يجب أن يكون مسار مقبس يونكس مسارًا مطلقًا
engine-url_bracket_unclosed = المضيف «{ $host }» في رابط قاعدة البيانات يفتح «[» ولا يغلقه
engine-url_no_host = لا يحدد رابط قاعدة البيانات أي مضيف: الصيغة المتوقعة …://user:password@host:port/database
engine-url_bad_port = المنفذ «{ $port }» في رابط قاعدة البيانات ليس رقمًا من ١ إلى ٦٥٥٣٥
engine-url_unsupported_parameter = المعامل «{ $parameter }» في رابط قاعدة البيانات غير مدعوم هنا (المدعوم: { $supported })
engine-url_bad_percent = في { engine-url-part } ضمن رابط قاعدة البيانات علامة «%» لا يليها رقمان ست عشريان
engine-url_not_utf8 = { engine-url-part } في رابط قاعدة البيانات: النص الناتج بعد فك ترميز النسبة المئوية ليس بترميز UTF-8 صالح
engine-url_no_database = الرابط { $url } لا يحدد قاعدة بيانات: أضف «/<اسم قاعدة البيانات>» بعد المضيف
engine-url_not_postgres = { $url } ليس رابط PostgreSQL (postgres://…)
engine-url_not_mysql = { $url } ليس رابط MySQL/MariaDB (mysql://…)

## ما أصاب قاعدة البيانات (problem في engine-database_failed)

engine-count_tables_not_a_number = أعاد عدُّ الجداول «{ $output }»، وهذا ليس رقمًا
engine-show_create_database_unexpected = أجاب الأمر SHOW CREATE DATABASE بـ«{ $output }»، وهذه ليست عبارة CREATE DATABASE
engine-sqlite_file_missing = الملف غير موجود
engine-sqlite_not_a_file = المسار ليس ملفًا عاديًا
engine-sqlite_bad_header = الملف ليس قاعدة بيانات SQLite: بايتاته الأولى ليست الترويسة «SQLite format 3»
engine-sqlite_not_a_database = الملف ليس قاعدة بيانات SQLite ({ $problem })
engine-sqlite_version_failed = تعذّر سؤال SQLite عن إصداره: { $error }
engine-sqlite_snapshot_failed = تعذّر أخذ لقطة بالأمر VACUUM INTO: { $error }
engine-sqlite_integrity_check_failed = تعذّر فحص سلامتها: { $error }
engine-sqlite_count_tables_failed = تعذّر عدّ جداولها: { $error }
engine-sqlite_damaged = وجد الأمر PRAGMA integrity_check تلفًا: { $found }
engine-wal_checkpoint_failed = تعذّر دمج سجل WAL الخاص بها قبل الاستعادة: { $error }
engine-restore_failed = فشلت الاستعادة: { $cause }؛ { $outcome }
engine-restore_put_back = أُعيد محتواها السابق من نسخة الأمان المأخوذة قبل الاستعادة
engine-restore_dropped = حُذفت قاعدة البيانات التي أُنشئت من أجل الاستعادة
engine-restore_untouched = لم يتغيّر شيء
engine-restore_put_back_failed = وفشلت كذلك إعادة محتواها السابق ({ $error })؛ نسخة الأمان المأخوذة قبل الاستعادة محفوظة في { $path }
engine-restore_cleanup_failed = وفشل التنظيف كذلك ({ $error })
engine-safety_dump_failed = تعذّر أخذ نسخة الأمان قبل الاستعادة، فلم يتغيّر شيء: { $cause }

## استعادات رُفضت قبل كتابة أي شيء

engine-restore_target_folder_missing = المجلد { $path } الذي يحوي هدف الاستعادة غير موجود
engine-restore_snapshot_unsound = اللقطة المراد استعادتها إلى { $path } ليست قاعدة بيانات SQLite سليمة ({ $problem })؛ لم يُمَسّ الهدف
engine-restore_target_not_sqlite = رُفض استبدال { $path } لأنه ليس قاعدة بيانات SQLite: { $problem }
engine-restore_target_in_use = { $path } قيد الاستخدام: لا يزال سجل WAL الخاص به يحمل كتابات بعد الدمج؛ أوقف ما يستخدمه ثم أعد الاستعادة
engine-restore_target_no_file_name = هدف الاستعادة { $path } لا يسمّي ملفًا
engine-restore_not_a_directory_backup =
    { $path } نسخة احتياطية { $kind ->
        [postgres] لقاعدة بيانات PostgreSQL
        [mysql] لقاعدة بيانات MySQL/MariaDB
        [sqlite] لقاعدة بيانات SQLite
       *[other] من نوع { $kind }
    }، وليست نسخة احتياطية لمجلد
engine-restore_target_no_folder_name = هدف الاستعادة { $path } لا يحمل اسم مجلد
engine-restore_parent_not_a_folder = { $path } ليس مجلدًا
engine-restore_target_exists = هدف الاستعادة { $path } موجود مسبقًا؛ استعِد إلى مكان آخر أو اسمح بالاستبدال
engine-restore_target_appeared = ظهر هدف الاستعادة { $path } أثناء الاستعادة
engine-restore_previous_put_back = فشلت الاستعادة: { $cause }؛ وأُعيد المجلد السابق كما كان
engine-restore_previous_kept = فشلت الاستعادة: { $cause }؛ وفشلت كذلك إعادة المجلد السابق ({ $error }): وهو محفوظ في { $path }
engine-restore_no_space = في نظام ملفات { $path } مساحة فارغة قدرها { $available } بايت، وتحتاج هذه الاستعادة إلى { $needed } بايت (محتوى الأرشيف وهامش احتياطي): أفرِغ بعض المساحة أو استعِد إلى مكان آخر
engine-restore_into_panel_database = { $url } هي قاعدة بيانات اللوحة نفسها، ولا تُجرى استعادة إليها أبدًا: استعِد إلى قاعدة بيانات أخرى
engine-archive_refused = رُفض الأرشيف ولم يُستعَد شيء: العنصر { $entry }: { $reason }
# أسباب engine-archive_refused (the reasons of an archive refusal).
engine-entry_parent_dir = مسار يحتوي على «..»
engine-entry_absolute = مسار مطلق
engine-entry_unnamed = عنصر بلا اسم وليس مجلدًا
engine-entry_char_device = ملف جهاز محرفي، ولا تُنشئ الاستعادة مثل هذه الملفات
engine-entry_block_device = ملف جهاز كتلي، ولا تُنشئ الاستعادة مثل هذه الملفات
engine-entry_fifo = أنبوب مسمّى (FIFO)، ولا تُنشئ الاستعادة مثل هذه الملفات
engine-entry_sparse = ملف متناثر (غير مدعوم)، ولا تُنشئ الاستعادة مثل هذه الملفات
engine-entry_other_type = عنصر من النوع «{ $kind }»، ولا تُنشئ الاستعادة مثل هذه العناصر
engine-entry_symlink_without_target = رابط رمزي بلا هدف
engine-entry_symlink_outside = رابط رمزي إلى { $target }، وهو يقود إلى خارج مجلد الهدف
engine-entry_hardlink_outside = رابط صلب إلى { $target }، وهو خارج الهدف
engine-entry_hardlink_not_a_file = رابط صلب إلى { $target }، وهو ليس ملفًا استُعيد قبله
engine-entry_through_symlink = كان سيُكتب عبر الرابط الرمزي { $link }
engine-entry_parent_not_a_folder = أحد المجلدات في مساره ملفٌّ في الأرشيف
engine-entry_over_limit = يتجاوز حجم الأرشيف بعد فك ضغطه الحدَّ المسموح به لهذه الاستعادة، وهو { $limit } بايت
engine-entry_twice = المسار مكرر في الأرشيف، أو يرد فيه بنوعين مختلفين من العناصر

## التحقق من الأرشيف مقابل بيانه الموقَّع

engine-manifest_missing = البيان الموقَّع { $path } مفقود: لا يمكن التحقق من الأرشيف بدونه
engine-manifest_unreadable = تعذّرت قراءة البيان الموقَّع { $path }: { $reason }
engine-manifest_not_json = ليس بيانًا صالحًا: { $error }
engine-manifest_version_unsupported = إصدار التنسيق { $version } غير مدعوم (يقرأ هذا المحرك الإصدار { $supported })
engine-manifest_none_beside = لا يوجد بجانبه ملف .manifest.json
engine-manifest_wrong_key = وُقّع البيان بمفتاح آخر (معرّف المفتاح { $found }، ومعرّف مفتاح هذه اللوحة { $expected }): هل تغيّر المفتاح السري للوحة، أم أن الأرشيف آتٍ من لوحة أخرى؟
engine-manifest_changed = عُدّل البيان بعد توقيعه: رمز HMAC الخاص به لا يطابق محتواه
engine-manifest_other_backup = البيان الموقَّع يخص نسخة احتياطية أخرى: المتوقع { $expected }، والبيان يذكر { $found }
engine-backup_file = الملف { $name }
engine-backup_run = التشغيل { $run }
engine-verify_truncated = الأرشيف مبتور: حجمه على القرص { $actual } بايت، والبيان يذكر { $expected }
engine-verify_too_large = الأرشيف أكبر مما يذكره بيانه: حجمه على القرص { $actual } بايت، والبيان يذكر { $expected }
engine-archive_changed = تغيّر محتوى الأرشيف: بصمة SHA-256 الخاصة به { $actual }، والبيان يذكر { $expected }
engine-archive_corrupt = تعذّر فك ترميز الأرشيف: { $problem }
engine-decoded_size_mismatch = يُنتج فكُّ ترميزه { $decoded } بايت، بينما يذكر البيان أن المصدر كتب { $expected }
engine-corrupt_zstd = zstd: { $reason }
engine-corrupt_after_bytes = بعد { $bytes } بايت مفكوكة الترميز: { $reason }
engine-corrupt_after_tar = بعد نهاية تدفق tar: { $reason }
engine-corrupt_tar = تدفق tar: { $reason }
engine-corrupt_entry = { $entry }: { $reason }
engine-decoder_panicked = توقف خيط فك الترميز توقفًا مفاجئًا (panic)
engine-identity_required = الأرشيف مشفّر للمستلم { $recipient }: يتطلب فك ترميزه مفتاح age السري المطابق
engine-wrong_identity = المفتاح السري المُعطى يخص { $given }، لكن الأرشيف مشفّر للمستلم { $expected }
engine-archive_unreadable = تعذّرت قراءة الأرشيف { $path }: { $reason }

## مفاتيح age

engine-key_secret_as_recipient = هذا مفتاح age سري (AGE-SECRET-KEY-1…)؛ أدخل مفتاحه العام (age1…) بوصفه المستلم
engine-key_recipient_as_identity = هذا مفتاح age عام (age1…)؛ تتطلب الاستعادة المفتاح السري (AGE-SECRET-KEY-1…)
engine-key_ssh = مفاتيح SSH غير مدعومة بوصفها مستلمين أو هويات لـ age؛ أنشئ مفتاح X25519 باستخدام age-keygen
engine-key_malformed_recipient = ليس مستلم age صالحًا (age1…): { $reason }
engine-key_malformed_identity = ليس مفتاح age سريًا صالحًا (AGE-SECRET-KEY-1…): { $reason }
engine-key_count = كان المتوقع سطرًا واحدًا بالضبط يبدأ بـ AGE-SECRET-KEY-1…، لكن عدد الأسطر الموجودة { $count }
engine-age_wrong_identity = المفتاح السري لا يطابق المفتاح الذي شُفّر له هذا الأرشيف
engine-age_header_unreadable = تعذّرت قراءة ترويسة age: { $reason }

## ما تركه النسخ الاحتياطي لمجلد أو حفظه ناقصًا ($path نسبي إلى المجلد المصدر)

engine-skipped_socket = { $path }: مقبس، لم يُنسخ احتياطيًا
engine-skipped_fifo = { $path }: أنبوب مسمّى (FIFO)، لم يُنسخ احتياطيًا
engine-skipped_char_device = { $path }: ملف جهاز محرفي، لم يُنسخ احتياطيًا
engine-skipped_block_device = { $path }: ملف جهاز كتلي، لم يُنسخ احتياطيًا
engine-skipped_unknown_kind = { $path }: نوع ملف غير معروف، لم يُنسخ احتياطيًا
engine-skipped_permission_denied = { $path }: رُفض الإذن
engine-skipped_vanished = { $path }: اختفى قبل قراءته
engine-skipped_unlistable = { $path }: تعذّر سرد محتويات المجلد: { $reason }
engine-skipped_unreadable = { $path }: تعذّرت قراءته: { $reason }
engine-skipped_replaced = { $path }: استُبدل بشيء آخر أثناء النسخ الاحتياطي
engine-incomplete_shrank = { $path }: تقلّص حجمه أثناء قراءته: قُرئ { $read } من { $size } بايت؛ والباقي أصفار في الأرشيف
engine-incomplete_read_failed = { $path }: فشلت القراءة بعد { $read } من { $size } بايت: { $reason }؛ والباقي أصفار في الأرشيف
engine-incomplete_grew = { $path }: ازداد حجمه أثناء قراءته؛ حُفظت أول { $size } بايت منه
engine-skipped_protected = { $path }: مسار تحميه اللوحة (إعداداتها أو أسرارها أو بياناتها، أو مجلد نظام محمي مثل /proc)، لم يُنسخ احتياطيًا

# رفض سياسة المسارات (lawha_backup::paths): $path هو المسار بعد حلّه (بتتبّع الروابط الرمزية وتطبيق «..»).
engine-path_not_absolute = { $path } ليس مسارًا مطلقًا: ابدأه بالرمز /
engine-path_climbs_where_missing = يحتوي { $path } على «..» في جزء غير موجود بعد، فلا يمكن معرفة الموضع الذي يؤدي إليه: اكتب المسار دون «..»
engine-path_unresolvable = تعذّر حلّ المسار { $path }: { $reason }
engine-path_is_protected = { $path } يخص اللوحة نفسها (إعداداتها أو أسرارها أو بياناتها): لا تقرؤه النسخ الاحتياطية أبدًا ولا تكتب فيه ولا تستعيد فوقه
engine-path_in_protected = { $path } يقع داخل { $protected }، وهو يخص اللوحة نفسها (إعداداتها أو أسرارها أو بياناتها) أو النظام: لا تقرؤه النسخ الاحتياطية أبدًا ولا تكتب فيه ولا تستعيد فوقه
engine-path_holds_protected = يحتوي { $path } على { $protected }، وهو يخص اللوحة نفسها: اختر مجلدًا لا يحتوي عليه
engine-path_system_folder = { $path } مجلد من مجلدات النظام: اختر مجلدًا خاصًا داخله
engine-path_holds_system_folder = يحتوي { $path } على مجلد النظام { $folder }: اختر مجلدًا خاصًا في مكان آخر
engine-path_in_system_tree = { $path } يقع داخل { $tree } الذي يضم برامج النظام أو ملفات إقلاعه أو أجهزته أو حالة تشغيله: اختر مجلدًا في مكان آخر
