//! The live streams a process holds: at most `http.max_streams_per_principal` per principal (a user's
//! sessions together, or one API token) and `http.max_streams` in all, so that nobody can hold the read pool and
//! memory with streams; and the signal that ends every stream at once when the process stops (a browser
//! reconnects to the next process; before, one open live page made every stop wait the whole grace period).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use lawha_domain::Message;
use tokio_util::sync::CancellationToken;

use super::joblog::JobLogs;
use crate::{
    audit::messages,
    http::error::{Kind, Problem},
};

/// Every open stream of the process.
#[derive(Debug)]
pub struct Streams {
    per_principal: usize,
    total: usize,
    open: Mutex<HashMap<String, usize>>,
    stopping: CancellationToken,
    /// The job logs followed by streams, one poller each.
    pub job_logs: Arc<JobLogs>,
}

/// Why a stream was refused.
#[derive(Debug, thiserror::Error)]
pub enum StreamRefusal {
    /// The principal holds its most streams already.
    #[error("the principal holds {limit} streams already")]
    TooMany {
        /// `http.max_streams_per_principal`.
        limit: usize,
    },
    /// The process holds its most streams already.
    #[error("the process holds {limit} streams already")]
    Exhausted {
        /// `http.max_streams`.
        limit: usize,
    },
}

impl Problem for StreamRefusal {
    fn kind(&self) -> Kind {
        match self {
            Self::TooMany { .. } => Kind::TooMany,
            Self::Exhausted { .. } => Kind::Unavailable,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::TooMany { .. } => "too_many_streams",
            Self::Exhausted { .. } => "streams_exhausted",
        }
    }

    fn message(&self) -> Message {
        match self {
            Self::TooMany { limit } => messages::too_many_streams(*limit),
            Self::Exhausted { limit } => messages::streams_exhausted(*limit),
        }
    }

    fn details(&self) -> serde_json::Value {
        match self {
            Self::TooMany { limit } | Self::Exhausted { limit } => serde_json::json!({ "limit": limit }),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        // Another principal's stream may end any moment; one's own only when a page is closed.
        matches!(self, Self::Exhausted { .. }).then_some(5)
    }
}

/// A stream's place, given back when the stream ends (the ticket is dropped).
#[derive(Debug)]
pub struct Ticket {
    streams: Arc<Streams>,
    principal: String,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut open = self.streams.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        metrics::gauge!("lawha_event_streams_open").decrement(1.0);
        if let Some(count) = open.get_mut(&self.principal) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.principal);
            }
        }
    }
}

impl Streams {
    /// Limits from the configuration; `stopping` is cancelled when the process stops.
    pub fn new(per_principal: u32, total: u32, stopping: CancellationToken) -> Self {
        Self {
            per_principal: usize::try_from(per_principal).unwrap_or(usize::MAX),
            total: usize::try_from(total).unwrap_or(usize::MAX),
            open: Mutex::default(),
            stopping,
            job_logs: Arc::default(),
        }
    }

    /// A place for one more stream of `principal`, or why not.
    pub fn admit(self: &Arc<Self>, principal: &str) -> Result<Ticket, StreamRefusal> {
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mine = open.get(principal).copied().unwrap_or(0);
        if mine >= self.per_principal {
            return Err(StreamRefusal::TooMany { limit: self.per_principal });
        }
        if open.values().sum::<usize>() >= self.total {
            return Err(StreamRefusal::Exhausted { limit: self.total });
        }
        *open.entry(principal.to_owned()).or_default() += 1;
        metrics::gauge!("lawha_event_streams_open").increment(1.0);
        Ok(Ticket { streams: Arc::clone(self), principal: principal.to_owned() })
    }

    /// Streams open now.
    pub fn open(&self) -> usize {
        self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner).values().sum()
    }

    /// Cancelled when the process stops: every stream ends.
    pub fn stopping(&self) -> &CancellationToken {
        &self.stopping
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_capped_per_principal_and_in_all_and_places_come_back() {
        let streams = Arc::new(Streams::new(2, 3, CancellationToken::new()));
        let a1 = streams.admit("user:a").unwrap();
        let _a2 = streams.admit("user:a").unwrap();
        assert!(matches!(streams.admit("user:a"), Err(StreamRefusal::TooMany { limit: 2 })));
        let _b1 = streams.admit("user:b").unwrap();
        assert!(matches!(streams.admit("user:c"), Err(StreamRefusal::Exhausted { limit: 3 })));
        drop(a1);
        assert_eq!(streams.open(), 2);
        let _c1 = streams.admit("user:c").unwrap();
    }
}
