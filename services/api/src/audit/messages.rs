//! The messages of the audit capability: why a query of the list or the export was refused, and an event that is
//! not there.

lawha_domain::messages! {
    /// `limit` out of range.
    limit_range = "audit.limit_range"(got);
    /// `before` not a positive position.
    before_invalid = "audit.before_invalid"(got);
    /// `format` neither csv nor jsonl.
    format_invalid = "audit.format_invalid"(got);
    /// No `format`.
    format_required = "audit.format_required";
    /// `since` after `until`.
    since_after_until = "audit.since_after_until";
    /// A parameter the route does not take.
    unknown_parameter = "audit.unknown_parameter"(key, accepted);
    /// A single-valued parameter given twice.
    given_twice = "audit.given_twice"(key);
    /// A value over its length.
    too_long = "audit.too_long"(key, max);
    /// Not an event type name.
    event_type_invalid = "audit.event_type_invalid"(value);
    /// Too many event types.
    too_many_types = "audit.too_many_types"(max);
    /// A stream id that does not parse.
    stream_invalid = "audit.stream_invalid"(value);
    /// Neither a stream id nor a category.
    stream_selector = "audit.stream_selector"(value);
    /// Not an RFC 3339 time.
    timestamp_invalid = "audit.timestamp_invalid"(key, value);
    /// A query of the event stream that does not parse; `reason` is the parser's.
    stream_query_invalid = "audit.stream_query_invalid"(reason);
    /// No event at this position.
    no_event = "audit.no_event"(position);
    /// A principal holds `limit` live streams already.
    too_many_streams = "audit.too_many_streams"(limit);
    /// The process holds `limit` live streams already.
    streams_exhausted = "audit.streams_exhausted"(limit);
}
