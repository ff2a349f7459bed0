# رسائل مسار المهام (lawha-jobs) بالعربية: لماذا لم يدخل طلبٌ قائمةَ الانتظار، ولماذا فشلت محاولة، وما تقوله مهمة
# الفحص، ولماذا رُفض جدول زمني.

dispatch-no_kind = لا يوجد نوع مهمة مسجّل لأحداث { $event_type }
dispatch-request_refused = رفض { $kind } الطلب: { $problem }
dispatch-field_invalid = ليس في الطلب { $name } صالح
dispatch-no_projection = لا يسمّي الطلب أي نموذج قراءة
dispatch-limit_range = يجب أن يكون { $name } عددًا صحيحًا من { $min } إلى { $max }
dispatch-outcome_invalid = يجب أن تكون outcome واحدة من: { $valid }
runtime-no_handler = ليس لدى العامل { $worker } معالج لمهام { $kind }
runtime-panicked = انهارت المهمة: { $reason }
runtime-timed_out = انتهت مهلة المحاولة بعد { $ms } ملّي ثانية
probe-sleeping = محاولة الفحص { $attempt }: انتظار { $ms } ملّي ثانية
probe-failed = طُلب من مهمة الفحص أن تفشل (المحاولة { $attempt })
probe-failed_permanently = طُلب من مهمة الفحص أن تفشل نهائيًا
schedule-cron_invalid = "{ $expression }" ليس تعبير cron صالحًا: استعمل خمسة حقول (الدقيقة الساعة اليوم الشهر يوم الأسبوع) أو ستة تبدأ بالثواني، مثل 0 3 * * *
schedule-cron_never_fires = تعبير cron ‏"{ $expression }" لا يحلّ موعده أبدًا (لا يوجد تاريخ كهذا)
schedule-cron_too_frequent = تعبير cron "{ $expression }" يتكرر أكثر من اللازم: مرة واحدة على الأكثر كل { $minutes ->
    [one] دقيقة
    [two] دقيقتين
    [few] { $minutes } دقائق
   *[other] { $minutes } دقيقة
}
schedule-timezone_unknown = "{ $zone }" ليس اسم منطقة زمنية (مثل UTC أو Asia/Riyadh)
