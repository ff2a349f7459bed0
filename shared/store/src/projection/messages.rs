//! Messages in read models: a projection keeps a [`Message`] (a code and its arguments) in a text column as its
//! JSON, and the reader renders it in the reader's language when it is shown. Rows projected before messages
//! were codes hold English text, which reads back as [`Message::text`].

use lawha_domain::Message;
use serde_json::Value;

/// A message as a read model keeps it in a text column: its JSON (`{"code", "args"}`), rendered in the reader's
/// language only when it is shown.
pub fn stored_message(message: &Message) -> String {
    serde_json::to_string(message).unwrap_or_default()
}

/// A message a read model kept: the JSON [`stored_message`] wrote, or, in a row projected before messages were codes,
/// the text itself (shown as it is).
pub fn message_from(text: &str) -> Message {
    serde_json::from_str(text).unwrap_or_else(|_| Message::text(text))
}

/// A message inside a JSON value a read model kept (an object with `code`), or plain text as it is.
pub fn message_from_value(value: &Value) -> Option<Message> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(Message::text(text.clone())),
        other => serde_json::from_value(other.clone()).ok(),
    }
}
