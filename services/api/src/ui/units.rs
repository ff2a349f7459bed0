//! Measurements written for people: decimals, byte sizes and durations in the page's language, with the units
//! from the Fluent files (`unit-*`, `duration-*`).

use super::i18n::{self, FluentValue, Lang, format_number, localize_digits};

/// Binary units, each 1024 times the one before, with their message ids.
const BYTE_UNITS: [&str; 6] = ["unit-bytes", "unit-kib", "unit-mib", "unit-gib", "unit-tib", "unit-pib"];

/// A non-negative `value` with `fraction_digits` decimals, thousands grouped: `1,234.5` in English, `١٬٢٣٤٫٥` in
/// Arabic. Measurements are never negative; a negative value or one that is not a number is written as 0.
pub fn format_decimal(lang: Lang, value: f64, fraction_digits: usize) -> String {
    let value = if value.is_finite() && value > 0.0 { value } else { 0.0 };
    let fixed = format!("{value:.fraction_digits$}");
    let (whole, fraction) = fixed.split_once('.').unwrap_or((&fixed, ""));
    // Up to 9.2e18 the whole part fits an i64; larger measurements do not occur, and saturate.
    let grouped = format_number(lang, whole.parse::<i64>().unwrap_or(i64::MAX));
    if fraction.is_empty() { grouped } else { format!("{grouped}{}", localize_digits(lang, &format!(".{fraction}"))) }
}

/// A byte count in the largest binary unit that keeps the number at 1 or more: `512 B`, `3.2 GiB`, `23.5 GiB`,
/// `252 GiB` (one decimal below 100, none from 100 up). The unit and its place come from the page's language.
pub fn format_bytes(lang: Lang, bytes: u64) -> String {
    if bytes < 1024 {
        return unit(lang, BYTE_UNITS[0], format_number(lang, i64::try_from(bytes).unwrap_or(i64::MAX)));
    }
    // Conversions to f64 round beyond 2^53 bytes (8 PiB), far below what one decimal shows.
    let mut scaled = bytes as f64;
    let mut index = 0;
    loop {
        scaled /= 1024.0;
        index += 1;
        let digits = decimals_for(scaled);
        let factor = 10f64.powi(i32::try_from(digits).unwrap_or(0));
        let shown = (scaled * factor).round() / factor;
        if shown < 1024.0 || index == BYTE_UNITS.len() - 1 {
            return unit(lang, BYTE_UNITS[index], format_decimal(lang, shown, digits));
        }
    }
}

/// One decimal below 100 (`23.5`), none from 100 up (`252`): three significant digits or more.
fn decimals_for(value: f64) -> usize {
    if value < 99.95 { 1 } else { 0 }
}

fn unit(lang: Lang, id: &str, value: String) -> String {
    i18n::t_args(lang, id, &[("value", FluentValue::from(value))])
}

/// A length of time to the minute, in at most its two largest parts: `3 days, 4 hours`, `2 hours, 5 minutes`,
/// `7 minutes`. A zero second part is left out (`3 days`); under a minute is `0 minutes`.
pub fn format_duration(lang: Lang, seconds: u64) -> String {
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3_600 % 24, seconds / 60 % 60);
    let part = |id: &str, name: &str, count: u64| {
        i18n::t_args(lang, id, &[(name, FluentValue::from(i64::try_from(count).unwrap_or(i64::MAX)))])
    };
    let (first, second) = if days > 0 {
        (part("duration-days", "days", days), (hours > 0).then(|| part("duration-hours", "hours", hours)))
    } else if hours > 0 {
        (part("duration-hours", "hours", hours), (minutes > 0).then(|| part("duration-minutes", "minutes", minutes)))
    } else {
        (part("duration-minutes", "minutes", minutes), None)
    };
    match second {
        None => first,
        Some(second) => i18n::t_args(
            lang,
            "dashboard-duration-pair",
            &[("first", FluentValue::from(first)), ("second", FluentValue::from(second))],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fluent isolates each placeable in FSI…PDI marks; the tests compare the visible text.
    fn visible(text: &str) -> String {
        text.replace(['\u{2068}', '\u{2069}'], "")
    }

    #[test]
    fn decimals_are_grouped_and_use_the_language_digits() {
        assert_eq!(format_decimal(Lang::En, 1234.56, 1), "1,234.6");
        assert_eq!(format_decimal(Lang::Ar, 1234.56, 1), "١٬٢٣٤٫٦");
        assert_eq!(format_decimal(Lang::En, 0.5, 2), "0.50");
        assert_eq!(format_decimal(Lang::En, 7.0, 0), "7");
        assert_eq!(format_decimal(Lang::En, -3.0, 1), "0.0");
        assert_eq!(format_decimal(Lang::En, f64::NAN, 1), "0.0");
    }

    #[test]
    fn bytes_are_written_in_binary_units() {
        let en = |bytes| visible(&format_bytes(Lang::En, bytes));
        assert_eq!(en(0), "0 B");
        assert_eq!(en(1023), "1,023 B");
        assert_eq!(en(1024), "1.0 KiB");
        assert_eq!(en(1536), "1.5 KiB");
        assert_eq!(en(3_435_973_837), "3.2 GiB");
        assert_eq!(en(25_232_932_864), "23.5 GiB");
        assert_eq!(en(270_582_939_648), "252 GiB");
        assert_eq!(en(2 * 1024u64.pow(4)), "2.0 TiB");
        assert_eq!(en(u64::MAX), "16,384 PiB");
    }

    #[test]
    fn a_value_that_rounds_up_to_1024_moves_to_the_next_unit() {
        assert_eq!(visible(&format_bytes(Lang::En, 1_048_575)), "1.0 MiB");
        assert_eq!(visible(&format_bytes(Lang::En, 1024 * 1024 - 300)), "1.0 MiB");
        assert_eq!(visible(&format_bytes(Lang::En, 102_350)), "100 KiB");
        assert_eq!(visible(&format_bytes(Lang::En, 102_348)), "99.9 KiB");
    }

    #[test]
    fn byte_units_are_translated() {
        assert_eq!(visible(&format_bytes(Lang::Ar, 3_435_973_837)), "٣٫٢ غيغابايت");
        assert_eq!(visible(&format_bytes(Lang::Ar, 512)), "٥١٢ بايت");
    }

    #[test]
    fn durations_show_their_two_largest_parts() {
        let en = |secs| visible(&format_duration(Lang::En, secs));
        assert_eq!(en(0), "0 minutes");
        assert_eq!(en(59), "0 minutes");
        assert_eq!(en(60), "one minute");
        assert_eq!(en(2 * 3600 + 5 * 60 + 7), "2 hours, 5 minutes");
        assert_eq!(en(3600), "one hour");
        assert_eq!(en(3 * 86_400 + 4 * 3600 + 59), "3 days, 4 hours");
        assert_eq!(en(86_400 + 30 * 60), "one day");
        let ar = visible(&format_duration(Lang::Ar, 2 * 86_400 + 3 * 3600));
        assert_eq!(ar, "يومان و٣ ساعات");
    }
}
