//! The health gate: a new colour receives traffic only after `GET http://127.0.0.1:<port><path>` answered 200
//! several times in a row. One good answer proves little (a server that answers once and then crashes while it
//! warms up); a run of them, some time apart, shows it stays up.
//!
//! Redirects are not followed (a 301 is not a 200) and no proxy is used: the release is on this host's loopback.

use std::time::{Duration, Instant};

use lawha_domain::Message;
use tokio::sync::mpsc::UnboundedSender;

use super::{EngineError, LastAnswer};
use crate::messages;

/// How many 200 answers in a row pass the gate, unless it says otherwise.
pub const DEFAULT_CONSECUTIVE: u32 = 3;
/// The time between two requests, unless the gate says otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(250);

/// What passing looks like.
#[derive(Debug, Clone)]
pub struct HealthGate {
    /// The path asked for (`/health`), starting with `/`.
    pub path: String,
    /// How many 200 answers in a row pass.
    pub consecutive: u32,
    /// The time between two requests.
    pub interval: Duration,
    /// The time the gate waits at most, from its first request.
    pub deadline: Duration,
    /// The time one request may take.
    pub request_timeout: Duration,
}

impl HealthGate {
    /// The gate for `path`: 3 answers in a row, 250 ms apart, within 60 s, each within 2 s.
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            consecutive: DEFAULT_CONSECUTIVE,
            interval: DEFAULT_INTERVAL,
            deadline: Duration::from_secs(60),
            request_timeout: Duration::from_secs(2),
        }
    }

    /// The URL asked for a release on `port` (a path without its leading `/` gets one).
    pub fn url(&self, port: u16) -> String {
        let slash = if self.path.starts_with('/') { "" } else { "/" };
        format!("http://127.0.0.1:{port}{slash}{}", self.path)
    }

    /// Asks until the gate passes or its deadline passes; returns how many requests it took.
    pub async fn wait(&self, port: u16, log: &UnboundedSender<Message>) -> Result<Passed, EngineError> {
        let url = self.url(port);
        let needed = self.consecutive.max(1);
        let _ = log.send(messages::health_checking(&url, needed));
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.request_timeout)
            .build()
            .map_err(|e| EngineError::Spawn { program: "reqwest".into(), reason: e.to_string() })?;
        let started = Instant::now();
        let (mut streak, mut requests) = (0, 0);
        loop {
            requests += 1;
            // The deadline bounds the request too: a gate of 1 s never waits a request's 2 s.
            let left = self.deadline.saturating_sub(started.elapsed());
            let last = match client.get(&url).timeout(left.min(self.request_timeout)).send().await {
                Ok(response) if response.status() == reqwest::StatusCode::OK => {
                    streak += 1;
                    if streak == needed {
                        let duration = started.elapsed();
                        let ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
                        let _ = log.send(messages::health_passed(&url, needed, ms));
                        return Ok(Passed { requests, duration });
                    }
                    LastAnswer::Status(200)
                }
                Ok(response) => {
                    streak = 0;
                    LastAnswer::Status(response.status().as_u16())
                }
                Err(e) => {
                    streak = 0;
                    LastAnswer::Error(describe(&e))
                }
            };
            if started.elapsed() + self.interval > self.deadline {
                return Err(EngineError::Unhealthy { url, needed, within: self.deadline, last });
            }
            tokio::time::sleep(self.interval).await;
        }
    }
}

/// A gate that passed.
#[derive(Debug, Clone, Copy)]
pub struct Passed {
    /// How many requests were made.
    pub requests: u32,
    /// How long it took.
    pub duration: Duration,
}

/// A request's failure in the client's words, with its causes ("error sending request: … Connection refused").
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
