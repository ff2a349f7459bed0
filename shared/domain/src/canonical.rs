//! The canonical byte encoding of an event, which the audit chain (invariant 7) hashes.
//!
//! Two encodings of the same event must be byte-identical whichever backend stored it, so JSON is written with
//! sorted keys, no whitespace and normalized numbers: a chain computed over the bytes a client sent would not
//! survive a round trip through a store that reorders keys or rewrites `1.0` as it likes (PostgreSQL's JSONB, which
//! held the log's JSON until migration 0011, does both). The log now stores this text as it is.

use serde_json::Value;
use uuid::Uuid;

/// Marks the encoding's version, so a future change of layout cannot collide with this one.
const DOMAIN: &[u8] = b"lawha.event.v1";

/// The fields of an event that the chain covers, borrowed from wherever they live.
#[derive(Debug, Clone, Copy)]
pub struct CanonicalEvent<'a> {
    /// Global position.
    pub position: i64,
    /// Event id.
    pub event_id: Uuid,
    /// Stream name.
    pub stream: &'a str,
    /// Version in the stream.
    pub version: i64,
    /// Type name.
    pub event_type: &'a str,
    /// Shape version.
    pub schema_version: i32,
    /// Commit time in microseconds since the Unix epoch (the precision both backends keep).
    pub recorded_at_micros: i64,
    /// The data as stored, in [`canonical_json`] form.
    pub data: &'a str,
    /// The metadata as stored (raw, so an added key is noticed too), in [`canonical_json`] form.
    pub metadata: &'a str,
}

impl CanonicalEvent<'_> {
    /// Length-prefixed fields in a fixed order. The JSON fields are given already canonical, so an appender renders
    /// them once, before it knows the position, and the verifier once per row it reads.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.stream.len() + self.data.len() + self.metadata.len());
        put(&mut out, DOMAIN);
        out.extend_from_slice(&self.position.to_be_bytes());
        out.extend_from_slice(self.event_id.as_bytes());
        put(&mut out, self.stream.as_bytes());
        out.extend_from_slice(&self.version.to_be_bytes());
        put(&mut out, self.event_type.as_bytes());
        out.extend_from_slice(&self.schema_version.to_be_bytes());
        out.extend_from_slice(&self.recorded_at_micros.to_be_bytes());
        put(&mut out, self.data.as_bytes());
        put(&mut out, self.metadata.as_bytes());
        out
    }
}

fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    // Stream names and types are short and JSON is bounded by the API's body limit, so u32 always fits.
    out.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// JSON with object keys sorted by their UTF-8 bytes, no whitespace, and numbers normalized: a float with no
/// fractional part below 2^53 is written as an integer, others in shortest round-trip form.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

fn write_number(out: &mut String, n: &serde_json::Number) {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every integer below it is exact in an f64
    if let Some(i) = n.as_i64() {
        out.push_str(&i.to_string());
    } else if let Some(u) = n.as_u64() {
        out.push_str(&u.to_string());
    } else if let Some(f) = n.as_f64() {
        if f.fract() == 0.0 && f.abs() < EXACT {
            // The guard above keeps the value exactly representable, so the cast loses nothing.
            #[allow(clippy::cast_possible_truncation)]
            out.push_str(&(f as i64).to_string());
        } else {
            out.push_str(&serde_json::Number::from_f64(f).map_or_else(|| "null".into(), |n| n.to_string()));
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    // serde_json's string escaping is deterministic; reuse it rather than writing a second escaper.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_and_whitespace_do_not_change_the_encoding() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"y": [1, 2], "x": "é"}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":{"x":"é","y":[1,2]},"b":1}"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(canonical_json(&a), r#"{"a":{"x":"é","y":[1,2]},"b":1}"#);
    }

    #[test]
    fn integral_floats_encode_like_integers_as_jsonb_returns_them() {
        assert_eq!(canonical_json(&json!(100.0)), "100");
        assert_eq!(canonical_json(&json!(1e2)), canonical_json(&json!(100)));
        assert_eq!(canonical_json(&json!(0.1)), "0.1");
    }

    #[test]
    fn every_field_changes_the_bytes() {
        let data = canonical_json(&json!({"a": 1}));
        let meta = canonical_json(&json!({"actor": "x"}));
        let base = CanonicalEvent {
            position: 1,
            event_id: Uuid::nil(),
            stream: "s-1",
            version: 1,
            event_type: "T",
            schema_version: 1,
            recorded_at_micros: 5,
            data: &data,
            metadata: &meta,
        };
        let other_data = canonical_json(&json!({"a": 2}));
        let variants = [
            CanonicalEvent { position: 2, ..base },
            CanonicalEvent { stream: "s-2", ..base },
            CanonicalEvent { version: 2, ..base },
            CanonicalEvent { event_type: "U", ..base },
            CanonicalEvent { schema_version: 2, ..base },
            CanonicalEvent { recorded_at_micros: 6, ..base },
            CanonicalEvent { data: &other_data, ..base },
            CanonicalEvent { metadata: &other_data, ..base },
        ];
        for v in variants {
            assert_ne!(v.to_bytes(), base.to_bytes(), "{v:?}");
        }
    }
}
