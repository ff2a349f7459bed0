//! The one SQL builder of the audit endpoints: an [`AuditFilter`] becomes a WHERE clause with numbered
//! placeholders and its binds in the same order, for the list (newest first, before a position) and the
//! export (oldest first, after a position). The text is the same on PostgreSQL and SQLite; every value is
//! bound, never spliced into the SQL.

use super::input::{AuditFilter, StreamSelector};

/// A value for one numbered placeholder. Read models hold only integers and text (see ARCHITECTURE.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Bind {
    Int(i64),
    Text(String),
}

/// Which slice of the filtered rows to read.
#[derive(Debug, Clone, Copy)]
pub(super) enum Page {
    /// Newest first, positions below `before` when given: the audit view and its paging.
    NewestBefore(Option<i64>),
    /// Oldest first, positions in `(after, upto]`: the export, bounded by the head it started at.
    OldestAfter { after: i64, upto: i64 },
}

/// A SELECT over `audit_log` and its binds, in placeholder order.
#[derive(Debug)]
pub(super) struct Select {
    pub(super) sql: String,
    pub(super) binds: Vec<Bind>,
}

/// The columns every audit query returns, in the order `AuditItem::from_row` reads them.
pub(super) const COLUMNS: &str = "position, recorded_at, actor, ip, event_type, stream_id, summary, request_id";

/// The columns the free-text search looks at.
const TEXT_COLUMNS: [&str; 4] = ["summary", "actor", "event_type", "stream_id"];

impl Select {
    /// Adds a bind and returns its placeholder.
    fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }
}

impl AuditFilter {
    /// The query for one page of at most `limit` rows.
    pub(super) fn select(&self, page: Page, limit: i64) -> Select {
        let mut select = Select { sql: String::new(), binds: vec![] };
        let mut conditions = self.conditions(&mut select);
        let order = match page {
            Page::NewestBefore(before) => {
                if let Some(before) = before {
                    conditions.push(format!("position < {}", select.bind(Bind::Int(before))));
                }
                "DESC"
            }
            Page::OldestAfter { after, upto } => {
                conditions.push(format!("position > {}", select.bind(Bind::Int(after))));
                conditions.push(format!("position <= {}", select.bind(Bind::Int(upto))));
                "ASC"
            }
        };
        let limit = select.bind(Bind::Int(limit));
        let filter = if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
        select.sql = format!("SELECT {COLUMNS} FROM audit_log{filter} ORDER BY position {order} LIMIT {limit}");
        select
    }

    fn conditions(&self, select: &mut Select) -> Vec<String> {
        let mut conditions = vec![];
        let mut text = |select: &mut Select, column: &str, value: &str| {
            conditions.push(format!("{column} = {}", select.bind(Bind::Text(value.to_owned()))));
        };
        if let Some(actor) = &self.actor {
            text(select, "actor", actor);
        }
        match &self.stream {
            Some(StreamSelector::Exact(stream)) => text(select, "stream_id", stream),
            Some(StreamSelector::Category(category)) => text(select, "category", category),
            None => {}
        }
        if !self.event_types.is_empty() {
            let list: Vec<String> = self.event_types.iter().map(|t| select.bind(Bind::Text(t.clone()))).collect();
            conditions.push(format!("event_type IN ({})", list.join(", ")));
        }
        if let Some(since) = self.since {
            conditions.push(format!("recorded_at >= {}", select.bind(Bind::Int(since))));
        }
        if let Some(until) = self.until {
            conditions.push(format!("recorded_at < {}", select.bind(Bind::Int(until))));
        }
        if let Some(pattern) = &self.text_pattern {
            // One placeholder, used once per column: both backends number parameters, so a repeat is allowed.
            let p = select.bind(Bind::Text(pattern.clone()));
            let any: Vec<String> =
                TEXT_COLUMNS.iter().map(|c| format!("LOWER({c}) LIKE LOWER({p}) ESCAPE '\\'")).collect();
            conditions.push(format!("({})", any.join(" OR ")));
        }
        conditions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_bind_order() {
        let filter = AuditFilter {
            actor: Some("user:a".into()),
            event_types: vec!["A".into(), "B".into()],
            since: Some(5),
            text_pattern: Some("%x%".into()),
            ..AuditFilter::default()
        };
        let select = filter.select(Page::NewestBefore(Some(10)), 51);
        assert_eq!(
            select.sql,
            "SELECT position, recorded_at, actor, ip, event_type, stream_id, summary, request_id FROM audit_log \
             WHERE actor = $1 AND event_type IN ($2, $3) AND recorded_at >= $4 AND (LOWER(summary) LIKE LOWER($5) \
             ESCAPE '\\' OR LOWER(actor) LIKE LOWER($5) ESCAPE '\\' OR LOWER(event_type) LIKE LOWER($5) ESCAPE '\\' \
             OR LOWER(stream_id) LIKE LOWER($5) ESCAPE '\\') AND position < $6 ORDER BY position DESC LIMIT $7"
        );
        assert_eq!(select.binds.len(), 7);
        assert_eq!(select.binds[6], Bind::Int(51));
    }
}
