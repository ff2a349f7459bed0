//! Query strings of the audit endpoints, parsed into types that exist only in valid form. Every refusal is a
//! 400 `invalid_query` whose message names the parameter.
//!
//! The query string is read as a list of pairs rather than with a derived struct: `event_type` may repeat,
//! which a derived `Deserialize` refuses as a duplicate field, and unknown keys must still be refused.

use std::{collections::HashMap, fmt};

use chrono::DateTime;
use lawha_domain::StreamId;
use serde::Deserialize;

use lawha_domain::Message;

use super::messages;
use crate::http::error::{Kind, Problem};

/// The filter keys both endpoints accept.
const FILTER_KEYS: [&str; 6] = ["actor", "event_type", "stream", "since", "until", "q"];
/// The longest free-text search accepted, in characters.
const MAX_TEXT: usize = 200;
/// The most event types one query may name.
const MAX_TYPES: usize = 500;
/// The longest value of one `event_type` parameter, in characters.
const MAX_TYPE_LIST: usize = 1000;
/// Page sizes of the list.
const LIMITS: std::ops::RangeInclusive<i64> = 1..=500;
const DEFAULT_LIMIT: i64 = 50;

/// Why a query string was refused; the message names the parameter. A 400 `invalid_query`.
#[derive(Debug)]
pub struct QueryError(pub Message);

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::error::Error for QueryError {}

impl Problem for QueryError {
    fn kind(&self) -> Kind {
        Kind::BadRequest
    }

    fn code(&self) -> &'static str {
        "invalid_query"
    }

    fn message(&self) -> Message {
        self.0.clone()
    }
}

/// Why an audit request was refused, beyond its query string.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// No event at this position (or not a position at all).
    #[error("no event at position {0}")]
    NoEvent(i64),
    /// A path segment that is not a position.
    #[error("no event at position {0:?}")]
    NotAPosition(String),
}

impl Problem for AuditError {
    fn kind(&self) -> Kind {
        Kind::NotFound
    }

    fn code(&self) -> &'static str {
        "not_found"
    }

    fn message(&self) -> Message {
        match self {
            Self::NoEvent(position) => messages::no_event(*position),
            Self::NotAPosition(text) => messages::no_event(shown(text)),
        }
    }
}

/// Which stream(s) the `stream` parameter selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamSelector {
    /// `backup_run-…`: exactly this stream.
    Exact(String),
    /// `backup_run`: every stream of the category.
    Category(String),
}

/// The filters shared by the list and the export. Every field is optional; absent means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// The exact actor (`user:alice`).
    pub(super) actor: Option<String>,
    /// Event types, any of which matches.
    pub(super) event_types: Vec<String>,
    /// A stream or a category.
    pub(super) stream: Option<StreamSelector>,
    /// Inclusive lower bound on `recorded_at`, in microseconds since the epoch.
    pub(super) since: Option<i64>,
    /// Exclusive upper bound on `recorded_at`, in microseconds (half-open, so adjacent windows never overlap).
    pub(super) until: Option<i64>,
    /// A LIKE pattern (`%text%`, with `\`, `%` and `_` escaped) for the case-insensitive free-text search.
    pub(super) text_pattern: Option<String>,
}

/// `GET /api/v1/audit`: the filters, a page size and where the page ends.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Vec<(String, String)>")]
pub struct AuditQuery {
    pub(super) filter: AuditFilter,
    /// Rows per page, 1..=500.
    pub(super) limit: i64,
    /// Only rows with a position below this one (the previous page's `next_before`).
    pub(super) before: Option<i64>,
}

/// The formats of the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// RFC 4180 CSV with a header row.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

/// `GET /api/v1/audit/export`: the filters and a format.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Vec<(String, String)>")]
pub struct ExportQuery {
    pub(super) filter: AuditFilter,
    pub(super) format: ExportFormat,
}

impl TryFrom<Vec<(String, String)>> for AuditQuery {
    type Error = QueryError;

    fn try_from(pairs: Vec<(String, String)>) -> Result<Self, QueryError> {
        let mut values = Values::parse(pairs, &[&FILTER_KEYS[..], &["limit", "before"]].concat())?;
        let filter = AuditFilter::parse(&mut values)?;
        let limit = match values.take("limit") {
            None => DEFAULT_LIMIT,
            Some(v) => v
                .parse()
                .ok()
                .filter(|l| LIMITS.contains(l))
                .ok_or_else(|| QueryError(messages::limit_range(shown(&v))))?,
        };
        let before = values
            .take("before")
            .map(|v| {
                v.parse().ok().filter(|b: &i64| *b >= 1).ok_or_else(|| QueryError(messages::before_invalid(shown(&v))))
            })
            .transpose()?;
        Ok(Self { filter, limit, before })
    }
}

impl TryFrom<Vec<(String, String)>> for ExportQuery {
    type Error = QueryError;

    fn try_from(pairs: Vec<(String, String)>) -> Result<Self, QueryError> {
        let mut values = Values::parse(pairs, &[&FILTER_KEYS[..], &["format"]].concat())?;
        let filter = AuditFilter::parse(&mut values)?;
        let format = match values.take("format").as_deref() {
            Some("csv") => ExportFormat::Csv,
            Some("jsonl") => ExportFormat::JsonLines,
            Some(other) => return Err(QueryError(messages::format_invalid(shown(other)))),
            None => return Err(QueryError(messages::format_required())),
        };
        Ok(Self { filter, format })
    }
}

impl AuditFilter {
    fn parse(values: &mut Values) -> Result<Self, QueryError> {
        let filter = Self {
            actor: values.take("actor").map(|a| bounded("actor", a, StreamId::MAX_LEN)).transpose()?,
            event_types: event_types(std::mem::take(&mut values.event_types))?,
            stream: values.take("stream").map(|s| stream_selector(&s)).transpose()?,
            since: values.take("since").map(|t| timestamp("since", &t)).transpose()?,
            until: values.take("until").map(|t| timestamp("until", &t)).transpose()?,
            text_pattern: values.take("q").map(|q| bounded("q", q, MAX_TEXT).map(|q| like_pattern(&q))).transpose()?,
        };
        if let (Some(since), Some(until)) = (filter.since, filter.until)
            && since > until
        {
            return Err(QueryError(messages::since_after_until()));
        }
        Ok(filter)
    }
}

/// The query string as named values: every key known, single-valued keys given at most once. An empty value
/// counts as absent, so a GET form with blank fields works.
struct Values {
    single: HashMap<&'static str, String>,
    event_types: Vec<String>,
}

impl Values {
    fn parse(pairs: Vec<(String, String)>, accepted: &[&'static str]) -> Result<Self, QueryError> {
        let mut values = Self { single: HashMap::new(), event_types: vec![] };
        for (key, value) in pairs {
            if key.contains('\0') || value.contains('\0') {
                return Err(QueryError(crate::http::input::messages::query_nul(shown(&key))));
            }
            let Some(&known) = accepted.iter().find(|k| **k == key) else {
                return Err(QueryError(messages::unknown_parameter(shown(&key), accepted.join(", "))));
            };
            if known == "event_type" {
                let value = bounded("event_type", value, MAX_TYPE_LIST)?;
                values.event_types.extend(value.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned));
            } else if values.single.insert(known, value).is_some() {
                return Err(QueryError(messages::given_twice(known)));
            }
        }
        Ok(values)
    }

    fn take(&mut self, key: &str) -> Option<String> {
        self.single.remove(key).filter(|v| !v.is_empty())
    }
}

use crate::http::input::shown;

fn bounded(key: &str, value: String, max: usize) -> Result<String, QueryError> {
    if value.chars().count() > max {
        return Err(QueryError(messages::too_long(key, max)));
    }
    Ok(value)
}

fn event_types(mut types: Vec<String>) -> Result<Vec<String>, QueryError> {
    if let Some(bad) = types.iter().find(|t| t.len() > 100 || !t.bytes().all(|b| b.is_ascii_alphanumeric())) {
        return Err(QueryError(messages::event_type_invalid(shown(bad))));
    }
    types.sort();
    types.dedup();
    if types.len() > MAX_TYPES {
        return Err(QueryError(messages::too_many_types(MAX_TYPES)));
    }
    Ok(types)
}

/// `backup_run-…` selects one stream, `backup_run` its whole category.
fn stream_selector(value: &str) -> Result<StreamSelector, QueryError> {
    if value.contains('-') {
        let stream = StreamId::parse(value).map_err(|_| QueryError(messages::stream_invalid(shown(value))))?;
        return Ok(StreamSelector::Exact(stream.into()));
    }
    if value.len() > StreamId::MAX_LEN || !value.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return Err(QueryError(messages::stream_selector(shown(value))));
    }
    Ok(StreamSelector::Category(value.to_owned()))
}

fn timestamp(key: &str, value: &str) -> Result<i64, QueryError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.timestamp_micros())
        .map_err(|_| QueryError(messages::timestamp_invalid(key, shown(value))))
}

/// `%text%` with LIKE's wildcards and the escape character itself escaped, so they match literally.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn wildcards_and_the_escape_character_match_literally() {
        assert_eq!(like_pattern(r"50%_a\b"), r"%50\%\_a\\b%");
    }

    #[test]
    fn event_types_may_repeat_and_be_comma_lists() {
        let query =
            AuditQuery::try_from(pairs(&[("event_type", "B,A"), ("event_type", "C"), ("event_type", "A")])).unwrap();
        assert_eq!(query.filter.event_types, ["A", "B", "C"]);
        assert_eq!(query.limit, DEFAULT_LIMIT);
    }
}
