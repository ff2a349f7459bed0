//! The languages the UI speaks, and how a request's language is chosen.

use unic_langid::LanguageIdentifier;

/// A language the UI is translated into. Adding one means a new `locales/<code>/main.ftl`, a variant here and
/// its row in [`Lang::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// English, written left to right; the fallback when nothing better is known.
    #[default]
    En,
    /// Arabic (Modern Standard), written right to left.
    Ar,
}

/// Browsers send a handful of entries; a header longer than this is not a browser, and reading further would
/// only cost time.
const MAX_ACCEPT_LANGUAGE_ENTRIES: usize = 32;

impl Lang {
    /// Every supported language, in the order a language switch lists them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ar];

    /// The BCP 47 code written into `<html lang>` and stored as the user's choice.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ar => "ar",
        }
    }

    /// The writing direction, for `<html dir>`: the stylesheet uses logical properties, so this one attribute
    /// mirrors the whole layout.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::En => "ltr",
            Lang::Ar => "rtl",
        }
    }

    /// Whether the language is written right to left.
    pub fn is_rtl(self) -> bool {
        self.dir() == "rtl"
    }

    /// The supported languages other than this one, for the language switch.
    pub fn others(self) -> impl Iterator<Item = Lang> {
        Lang::ALL.into_iter().filter(move |other| *other != self)
    }

    /// The language a BCP 47 tag names, by its primary subtag (`ar-EG` is Arabic), if it is supported.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let id: LanguageIdentifier = tag.trim().parse().ok()?;
        match id.language.as_str() {
            "en" => Some(Lang::En),
            "ar" => Some(Lang::Ar),
            _ => None,
        }
    }

    /// Chooses the language of a response: the user's own choice when it names a supported language, else the
    /// supported language the `Accept-Language` header ranks highest (the first listed wins a tie), else
    /// English.
    pub fn negotiate(user_choice: Option<&str>, accept_language: Option<&str>) -> Lang {
        user_choice.and_then(Lang::from_tag).or_else(|| accept_language.and_then(best_accepted)).unwrap_or_default()
    }
}

/// The supported language with the highest quality in an `Accept-Language` value (RFC 9110 §12.5.4).
/// Entries with `q=0` are refusals, malformed entries are skipped, and `*` stands for the default language.
fn best_accepted(header: &str) -> Option<Lang> {
    let mut best: Option<(Lang, f32)> = None;
    for entry in header.split(',').take(MAX_ACCEPT_LANGUAGE_ENTRIES) {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or_default().trim();
        let Some(quality) = quality(parts) else { continue };
        let lang = if tag == "*" { Some(Lang::default()) } else { Lang::from_tag(tag) };
        if let Some(lang) = lang
            && quality > 0.0
            && best.is_none_or(|(_, best_quality)| quality > best_quality)
        {
            best = Some((lang, quality));
        }
    }
    best.map(|(lang, _)| lang)
}

/// The `q` parameter of one entry: 1 when absent, `None` when it is not a number between 0 and 1.
fn quality<'a>(params: impl Iterator<Item = &'a str>) -> Option<f32> {
    for param in params {
        let (name, value) = param.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("q") {
            let q: f32 = value.trim().parse().ok()?;
            return (0.0..=1.0).contains(&q).then_some(q);
        }
    }
    Some(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_the_truth_table() {
        let cases: &[(Option<&str>, Option<&str>, Lang)] = &[
            // Nothing known: English.
            (None, None, Lang::En),
            (None, Some(""), Lang::En),
            // A region or script does not matter, only the language.
            (None, Some("ar-EG"), Lang::Ar),
            (None, Some("AR-eg"), Lang::Ar),
            (None, Some("en-GB,en;q=0.9"), Lang::En),
            // Unsupported languages are passed over.
            (None, Some("fr-FR"), Lang::En),
            (None, Some("fr-FR, de;q=0.9, ar;q=0.5"), Lang::Ar),
            // The highest quality wins, wherever it is listed.
            (None, Some("en;q=0.3, ar;q=0.8"), Lang::Ar),
            (None, Some("ar;q=0.3, en;q=0.8"), Lang::En),
            (None, Some("ar;q=0.8, en"), Lang::En),
            // A tie goes to the first listed.
            (None, Some("ar;q=0.5, en;q=0.5"), Lang::Ar),
            // q=0 means "not this one"; malformed qualities are ignored.
            (None, Some("ar;q=0, fr"), Lang::En),
            (None, Some("ar;q=2, en;q=0.1"), Lang::En),
            (None, Some("ar;q=abc"), Lang::En),
            (None, Some("ar; q = 0.7"), Lang::Ar),
            // The wildcard is the default language at its own quality.
            (None, Some("fr, *;q=0.5, ar;q=0.4"), Lang::En),
            (None, Some("*;q=0.1, ar;q=0.4"), Lang::Ar),
            // The user's choice beats the header; an unknown choice falls back to the header.
            (Some("ar"), Some("en-US,en;q=0.9"), Lang::Ar),
            (Some("en"), Some("ar-SA"), Lang::En),
            (Some("ar-EG"), None, Lang::Ar),
            (Some("klingon"), Some("ar"), Lang::Ar),
            (Some(""), Some("ar"), Lang::Ar),
        ];
        for (choice, header, expected) in cases {
            assert_eq!(Lang::negotiate(*choice, *header), *expected, "choice {choice:?}, header {header:?}");
        }
    }

    #[test]
    fn codes_and_directions_match_each_language() {
        assert_eq!((Lang::En.code(), Lang::En.dir()), ("en", "ltr"));
        assert_eq!((Lang::Ar.code(), Lang::Ar.dir()), ("ar", "rtl"));
        for lang in Lang::ALL {
            assert_eq!(Lang::from_tag(lang.code()), Some(lang));
            assert!(lang.others().all(|other| other != lang));
        }
    }
}
