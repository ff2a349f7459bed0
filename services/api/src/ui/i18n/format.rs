//! Numbers and dates written the way each language writes them.
//!
//! English uses Western digits and `,` between thousands; Arabic uses Arabic-Indic digits (U+0660…U+0669),
//! the Arabic thousands separator (U+066C) and decimal separator (U+066B), and the Arabic comma (U+060C).
//! The patterns are this small table rather than a CLDR library: the UI needs two languages and two formats.

use chrono::{DateTime, Datelike, Timelike, Utc};
use fluent_bundle::FluentValue;

use super::{Lang, t};

/// Arabic-Indic digit zero; the other nine follow it in order.
const ARABIC_ZERO: u32 = 0x0660;
/// ARABIC THOUSANDS SEPARATOR.
const ARABIC_GROUP: char = '\u{066C}';
/// ARABIC DECIMAL SEPARATOR.
const ARABIC_DECIMAL: char = '\u{066B}';
/// ARABIC COMMA, between the date and the time.
const ARABIC_COMMA: char = '\u{060C}';
/// ARABIC LETTER MARK before the minus sign keeps it on the number's side in right-to-left text (CLDR's choice).
const ARABIC_MINUS: &str = "\u{061C}-";

/// An integer with thousands grouped: `12,345` in English, `١٢٬٣٤٥` in Arabic.
pub fn format_number(lang: Lang, value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let group = match lang {
        Lang::En => ',',
        Lang::Ar => ARABIC_GROUP,
    };
    let mut grouped = String::with_capacity(digits.len() * 2 + 4);
    if value < 0 {
        grouped.push_str(match lang {
            Lang::En => "-",
            Lang::Ar => ARABIC_MINUS,
        });
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(group);
        }
        grouped.push(digit);
    }
    localize_digits(lang, &grouped)
}

/// A moment in UTC, to the minute: `25 Nov 2026, 18:30 UTC` in English, `٢٥ نوفمبر ٢٠٢٦، ١٨:٣٠ UTC` in Arabic.
/// The month names come from the `.ftl` files (`month-1` … `month-12`).
pub fn format_datetime(lang: Lang, at: DateTime<Utc>) -> String {
    let month = t(lang, &format!("month-{}", at.month()));
    let comma = match lang {
        Lang::En => ',',
        Lang::Ar => ARABIC_COMMA,
    };
    let text = format!("{} {month} {}{comma} {:02}:{:02} UTC", at.day(), at.year(), at.hour(), at.minute());
    localize_digits(lang, &text)
}

/// Replaces the Western digits (and the decimal point) of `text` with the language's own.
pub fn localize_digits(lang: Lang, text: &str) -> String {
    match lang {
        Lang::En => text.to_owned(),
        Lang::Ar => text
            .chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32(ARABIC_ZERO + (c as u32 - '0' as u32)).unwrap_or(c),
                '.' => ARABIC_DECIMAL,
                other => other,
            })
            .collect(),
    }
}

/// Formats the numbers Fluent placeables receive (`{ $minutes }`, `{ $position }`) like [`format_number`], so a
/// sentence and the table beside it write numbers the same way. Strings are left to Fluent.
pub(super) fn fluent_number(lang: Lang, value: &FluentValue<'_>) -> Option<String> {
    let FluentValue::Number(number) = value else { return None };
    let whole = number.value.fract() == 0.0 && number.value.abs() < 9.0e15;
    if whole && number.options.minimum_fraction_digits.is_none() && number.options.use_grouping {
        // The range check above makes the conversion exact.
        return Some(format_number(lang, number.value as i64));
    }
    Some(localize_digits(lang, &number.as_string()))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn numbers_are_grouped_in_each_language() {
        assert_eq!(format_number(Lang::En, 12_345), "12,345");
        assert_eq!(format_number(Lang::Ar, 12_345), "١٢٬٣٤٥");
        assert_eq!(format_number(Lang::En, 0), "0");
        assert_eq!(format_number(Lang::En, 999), "999");
        assert_eq!(format_number(Lang::En, 1_000), "1,000");
        assert_eq!(format_number(Lang::En, 1_234_567), "1,234,567");
        assert_eq!(format_number(Lang::Ar, 1_234_567), "١٬٢٣٤٬٥٦٧");
        assert_eq!(format_number(Lang::En, -12_345), "-12,345");
        assert_eq!(format_number(Lang::Ar, -7), "\u{061C}-٧");
        assert_eq!(format_number(Lang::En, i64::MIN), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn dates_are_written_in_each_language() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 18, 30, 59).single().expect("a valid date");
        assert_eq!(format_datetime(Lang::En, at), "25 Nov 2026, 18:30 UTC");
        assert_eq!(format_datetime(Lang::Ar, at), "٢٥ نوفمبر ٢٠٢٦، ١٨:٣٠ UTC");

        let early = Utc.with_ymd_and_hms(2027, 1, 5, 8, 5, 0).single().expect("a valid date");
        assert_eq!(format_datetime(Lang::En, early), "5 Jan 2027, 08:05 UTC");
        assert_eq!(format_datetime(Lang::Ar, early), "٥ يناير ٢٠٢٧، ٠٨:٠٥ UTC");
    }

    #[test]
    fn every_month_has_a_name_in_each_language() {
        for lang in Lang::ALL {
            for month in 1..=12 {
                let id = format!("month-{month}");
                assert_ne!(t(lang, &id), id, "{lang:?} lacks {id}");
            }
        }
    }
}
