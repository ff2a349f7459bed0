//! Messages people read, as data: a code and its arguments (`backups.source_missing { path }`), never a sentence.
//!
//! The domain, the engines and the workers say *what* happened; the panel renders the message in the reader's
//! language at the edge (Fluent, `locales/<lang>/main.ftl`, where the code `a.b_c` is the message `a-b_c`), and
//! the JSON API gives the code, the arguments and the English text. A sentence built deep inside could never be
//! read in Arabic. Each layer declares the messages it can emit with [`messages!`](crate::messages), which also
//! lists them in an `ALL` table; a test in the panel checks that both languages define every one of them with
//! exactly its arguments.
//!
//! Text that is itself data (a tool's own output, the system's description of an I/O error) travels as an
//! argument, never as the message: [`Message::text`] is the one message whose whole content is such data.

use std::{collections::BTreeMap, fmt};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One message: what happened, as a code, with the values that make it particular.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Message {
    /// The message's code: dotted lowercase words, `<layer or capability>.<what>` (`backups.name_invalid`).
    pub code: String,
    /// The values the sentence names, by argument name; numbers stay numbers so each language writes them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, Arg>,
}

/// One argument of a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Arg {
    /// A count, a size, an attempt: written with the reader's digits, and it chooses plural forms.
    Number(i64),
    /// A name, a path, an id, a tool's output: shown as it is, isolated from the sentence's direction.
    Text(String),
    /// A message inside the sentence (a field's problem inside "the plan is invalid"), rendered first in the
    /// same language.
    Message(Box<Message>),
    /// Several messages, rendered each and joined with the language's list separator.
    List(Vec<Message>),
}

/// A message a layer can emit: its code and the names of its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// The code.
    pub code: &'static str,
    /// The arguments' names, in the order the constructor takes them.
    pub args: &'static [&'static str],
}

/// The code of [`Message::text`].
pub const TEXT: &str = "text";

impl Message {
    /// A message without arguments (add them with [`Message::with`]).
    pub fn new(code: &str) -> Self {
        Self { code: code.to_owned(), args: BTreeMap::new() }
    }

    /// Adds an argument.
    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<Arg>) -> Self {
        self.args.insert(name.to_owned(), value.into());
        self
    }

    /// Text that is data and is shown as it is: a tool's output, an error the system described, or a message
    /// recorded before messages were codes (old events are upcast into this).
    pub fn text(text: impl Into<String>) -> Self {
        Self::new(TEXT).with(TEXT, Arg::Text(text.into()))
    }

    /// The argument `name`, if the message has it.
    pub fn arg(&self, name: &str) -> Option<&Arg> {
        self.args.get(name)
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Text(t) => f.write_str(t),
            Self::Message(m) => write!(f, "{m}"),
            Self::List(list) => {
                let items: Vec<String> = list.iter().map(ToString::to_string).collect();
                write!(f, "[{}]", items.join("; "))
            }
        }
    }
}

impl From<Message> for Arg {
    fn from(value: Message) -> Self {
        Self::Message(Box::new(value))
    }
}

impl From<Vec<Message>> for Arg {
    fn from(value: Vec<Message>) -> Self {
        Self::List(value)
    }
}

/// For logs: `code(name=value, …)`. What people read is rendered from the locales, never from this.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.code == TEXT
            && let Some(text) = self.arg(TEXT)
        {
            return write!(f, "{text}");
        }
        f.write_str(&self.code)?;
        if !self.args.is_empty() {
            let args: Vec<String> = self.args.iter().map(|(k, v)| format!("{k}={v}")).collect();
            write!(f, "({})", args.join(", "))?;
        }
        Ok(())
    }
}

impl From<String> for Arg {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<&String> for Arg {
    fn from(value: &String) -> Self {
        Self::Text(value.clone())
    }
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<&std::path::Path> for Arg {
    fn from(value: &std::path::Path) -> Self {
        Self::Text(value.display().to_string())
    }
}

impl From<&std::path::PathBuf> for Arg {
    fn from(value: &std::path::PathBuf) -> Self {
        Self::Text(value.display().to_string())
    }
}

impl From<uuid::Uuid> for Arg {
    fn from(value: uuid::Uuid) -> Self {
        Self::Text(value.to_string())
    }
}

macro_rules! number_arg {
    ($($t:ty),+) => {$(
        impl From<$t> for Arg {
            fn from(value: $t) -> Self {
                Self::Number(i64::try_from(value).unwrap_or(i64::MAX))
            }
        }
    )+};
}
number_arg!(i64, i32, u32, u64, u128, usize, u16, u8);

/// Declares the messages a module can emit: one constructor function each, and the module's `ALL` table.
///
/// ```
/// mod messages {
///     lawha_domain::messages! {
///         /// A source folder that is not there.
///         source_missing = "backups.source_missing"(path);
///         /// The plan was deleted.
///         plan_deleted = "backups.plan_deleted";
///     }
/// }
/// let message = messages::source_missing("/srv/app");
/// assert_eq!(message.code, "backups.source_missing");
/// assert_eq!(messages::ALL[0].args, ["path"]);
/// ```
#[macro_export]
macro_rules! messages {
    ($( $(#[$attr:meta])* $name:ident = $code:literal $(($($arg:ident),+ $(,)?))? ; )+) => {
        $(
            $(#[$attr])*
            pub fn $name($($($arg: impl Into<$crate::message::Arg>),+)?) -> $crate::message::Message {
                #[allow(unused_mut)]
                let mut message = $crate::message::Message::new($code);
                $($( message = message.with(stringify!($arg), $arg); )+)?
                message
            }
        )+
        /// Every message this module can emit, with its arguments' names (both locales define each).
        pub const ALL: &[$crate::message::Spec] = &[
            $( $crate::message::Spec { code: $code, args: &[$($(stringify!($arg)),+)?] } ),+
        ];
    };
}

/// The messages of this module itself.
pub const ALL: &[Spec] = &[Spec { code: TEXT, args: &[TEXT] }];

/// Upcasting help: rewrites a field stored as plain text (before messages were codes) into
/// [`Message::text`]; a field that is already a message, or missing, is left as it is.
pub fn upcast_text_field(data: &mut Value, field: &str) {
    if let Some(slot) = data.get_mut(field)
        && let Value::String(text) = slot
    {
        *slot = serde_json::to_value(Message::text(std::mem::take(text))).unwrap_or(Value::Null);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::messages! {
        /// Test.
        plain = "test.plain";
        /// Test.
        with_args = "test.with_args"(path, count);
    }

    #[test]
    fn constructors_carry_their_code_and_arguments_and_the_table_lists_them() {
        assert_eq!(plain(), Message::new("test.plain"));
        let m = with_args("/srv", 3u64);
        assert_eq!(m.arg("path"), Some(&Arg::Text("/srv".into())));
        assert_eq!(m.arg("count"), Some(&Arg::Number(3)));
        assert_eq!(ALL.len(), 2);
        assert_eq!(ALL[1].args, ["path", "count"]);
    }

    #[test]
    fn a_message_round_trips_as_json_with_numbers_as_numbers() {
        let m = with_args("/srv", 3u64);
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json, serde_json::json!({"code": "test.with_args", "args": {"count": 3, "path": "/srv"}}));
        assert_eq!(serde_json::from_value::<Message>(json).unwrap(), m);
        assert_eq!(serde_json::to_value(plain()).unwrap(), serde_json::json!({"code": "test.plain"}));
        let nested = with_args(plain(), vec![plain(), with_args("x", 1u8)]);
        let json = serde_json::to_value(&nested).unwrap();
        assert_eq!(json["args"]["path"], serde_json::json!({"code": "test.plain"}));
        assert_eq!(serde_json::from_value::<Message>(json).unwrap(), nested, "nested messages and lists round-trip");
    }

    #[test]
    fn old_text_fields_are_upcast_into_text_messages() {
        let mut data = serde_json::json!({"error": "disk full", "other": 1});
        upcast_text_field(&mut data, "error");
        upcast_text_field(&mut data, "missing");
        let message: Message = serde_json::from_value(data["error"].clone()).unwrap();
        assert_eq!(message, Message::text("disk full"));
        assert_eq!(message.to_string(), "disk full");
        let mut already = serde_json::json!({"error": {"code": "x.y"}});
        upcast_text_field(&mut already, "error");
        assert_eq!(already["error"]["code"], "x.y");
    }
}
