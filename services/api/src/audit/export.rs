//! The streamed export: pages of rows, oldest first, each turned into one chunk of CSV or JSON Lines as the
//! client reads, so neither the server nor the database holds the whole result.

use axum::{
    BoxError,
    body::{Body, Bytes},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use futures::stream::{self, TryStreamExt as _};
use sqlx::AnyPool;

use super::{
    input::{AuditFilter, ExportFormat, ExportQuery},
    read::{AuditItem, fetch},
    sql::Page,
};

/// Rows per database round trip and per body chunk.
const PAGE: i64 = 1000;

/// The RFC 4180 header row.
const CSV_HEADER: &str = "position,recorded_at,actor,ip,event_type,stream,summary,request_id\r\n";

/// Where the export has got to.
struct Cursor {
    pool: AnyPool,
    filter: AuditFilter,
    format: ExportFormat,
    /// The last position sent.
    after: i64,
    /// The head when the export started; rows appended later are left for the next export.
    upto: i64,
    started: bool,
    done: bool,
}

/// The streaming response of rows in `(0, upto]` that pass the query's filter.
pub(super) fn response(pool: AnyPool, query: ExportQuery, upto: i64) -> Response {
    let format = query.format;
    let cursor = Cursor { pool, filter: query.filter, format, after: 0, upto, started: false, done: false };
    let body = stream::try_unfold(cursor, next_chunk)
        .inspect_err(|e| tracing::error!(error = %e, "audit export failed mid-stream; the client gets a cut body"));
    let (content_type, extension) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::JsonLines => ("application/x-ndjson", "jsonl"),
    };
    let filename = format!("lawha-audit-{}.{extension}", Utc::now().format("%Y%m%dT%H%M%SZ"));
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// The next chunk: the header (CSV, first call) and one page of rows; `None` once a short page was sent.
async fn next_chunk(mut cursor: Cursor) -> Result<Option<(Bytes, Cursor)>, BoxError> {
    if cursor.done {
        return Ok(None);
    }
    let mut chunk = Vec::new();
    if !cursor.started && cursor.format == ExportFormat::Csv {
        chunk.extend_from_slice(CSV_HEADER.as_bytes());
    }
    cursor.started = true;
    let rows =
        fetch(&cursor.pool, cursor.filter.select(Page::OldestAfter { after: cursor.after, upto: cursor.upto }, PAGE))
            .await?;
    cursor.done = rows.len() < PAGE as usize;
    if let Some(last) = rows.last() {
        cursor.after = last.position;
    }
    for row in &rows {
        match cursor.format {
            ExportFormat::Csv => csv_row(&mut chunk, row),
            ExportFormat::JsonLines => {
                serde_json::to_writer(&mut chunk, row)?;
                chunk.push(b'\n');
            }
        }
    }
    Ok(Some((Bytes::from(chunk), cursor)))
}

fn csv_row(out: &mut Vec<u8>, row: &AuditItem) {
    let fields = [
        &row.position.to_string(),
        &row.recorded_at,
        row.actor.as_deref().unwrap_or_default(),
        row.ip.as_deref().unwrap_or_default(),
        &row.event_type,
        &row.stream,
        &row.summary,
        row.request_id.as_deref().unwrap_or_default(),
    ];
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        csv_field(out, field);
    }
    out.extend_from_slice(b"\r\n");
}

/// One RFC 4180 field. A value a spreadsheet would run as a formula (leading `=`, `+`, `-`, `@`, tab or CR)
/// gets a leading `'`, so opening an export cannot execute what an actor typed.
fn csv_field(out: &mut Vec<u8>, value: &str) {
    let guard = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = value.contains([',', '"', '\r', '\n']);
    if quote {
        out.push(b'"');
    }
    if guard {
        out.push(b'\'');
    }
    for byte in value.bytes() {
        if byte == b'"' {
            out.push(b'"');
        }
        out.push(byte);
    }
    if quote {
        out.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(value: &str) -> String {
        let mut out = Vec::new();
        csv_field(&mut out, value);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fields_are_quoted_per_rfc_4180_and_formulas_are_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(field("=HYPERLINK(\"x\",\"y\")"), "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"");
        assert_eq!(field("\rx"), "\"'\rx\"");
        assert_eq!(field("-1"), "'-1");
    }
}
