//! The switch: which colour nginx sends a site's requests to is one line in the site's upstream file,
//! `server 127.0.0.1:<port>;`, included inside the site's `upstream { … }` block (the contract `ops/bluegreen.sh`
//! already keeps for Lawha itself). A switch writes the new line atomically, runs the test command (`nginx -t`)
//! and the reload command (`nginx -s reload`). nginx's reload is graceful: new workers take new connections with
//! the new upstream while the old workers finish the requests they hold, so no request is lost, provided the old
//! colour keeps running until they are done (the drain, the caller's).
//!
//! When the test fails, the previous file is put back (nginx never saw the new one). When the reload fails, the
//! previous file is put back and the reload is run once more, so nginx serves what it served. One switch runs at
//! a time in a worker: every site's switch tests and reloads the same nginx.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use lawha_domain::Message;
use tokio::sync::{Mutex, mpsc::UnboundedSender};

use super::{
    EngineError,
    command::Process,
    fsutil::{read_if_exists, remove_if_exists, write_atomically},
};
use crate::messages;

/// Serialises switches within the worker (see the module's documentation).
static SWITCHING: Mutex<()> = Mutex::const_new(());

/// The upstream line for `port`, as written to the file.
pub fn upstream_line(port: u16) -> String {
    format!("server 127.0.0.1:{port};\n")
}

/// The port of an upstream file's content, when it is exactly one `server 127.0.0.1:<port>;` line (spaces
/// between the words and around the line do not matter).
pub fn parse_upstream(content: &str) -> Option<u16> {
    let line = content.trim();
    let rest = line.strip_prefix("server").filter(|rest| rest.starts_with(char::is_whitespace))?;
    let address = rest.trim_start().strip_suffix(';')?.trim_end();
    let port = address.strip_prefix("127.0.0.1:")?;
    port.parse().ok().filter(|p| *p != 0)
}

/// The port a site's upstream file points at, or `None` when the file does not exist (the first deployment).
pub async fn current_port(upstream_file: &Path) -> Result<Option<u16>, EngineError> {
    let Some(content) = read_if_exists(upstream_file).await? else { return Ok(None) };
    let text = String::from_utf8_lossy(&content);
    match parse_upstream(&text) {
        Some(port) => Ok(Some(port)),
        None => Err(EngineError::UpstreamUnreadable {
            path: upstream_file.to_owned(),
            content: text.chars().take(200).collect(),
        }),
    }
}

/// How nginx is tested and reloaded.
#[derive(Debug, Clone)]
pub struct Nginx {
    /// The test command, as an argv vector (`["nginx", "-t"]`); empty: none is run.
    pub test: Vec<String>,
    /// The reload command (`["nginx", "-s", "reload"]`, or `["systemctl", "reload", "nginx"]`); empty: none is
    /// run.
    pub reload: Vec<String>,
    /// The time limit of each command.
    pub timeout: Duration,
}

impl Default for Nginx {
    fn default() -> Self {
        let argv = |words: &[&str]| words.iter().map(|w| (*w).to_owned()).collect();
        Self {
            test: argv(&["nginx", "-t"]),
            reload: argv(&["nginx", "-s", "reload"]),
            timeout: Duration::from_secs(30),
        }
    }
}

/// A switch that took place.
#[derive(Debug, Clone, Copy)]
pub struct Switched {
    /// The port the file pointed at before (None: there was no file, or not an upstream line).
    pub previous: Option<u16>,
    /// How long writing, testing and reloading took.
    pub duration: Duration,
}

impl Nginx {
    /// Points `upstream_file` at `port`, then tests and reloads nginx; on failure, puts the previous file back.
    pub async fn switch(
        &self,
        upstream_file: &Path,
        port: u16,
        log: &UnboundedSender<Message>,
    ) -> Result<Switched, EngineError> {
        let _one_at_a_time = SWITCHING.lock().await;
        let started = Instant::now();
        let _ = log.send(messages::switching(port));
        let previous = read_if_exists(upstream_file).await?;
        write_atomically(upstream_file, upstream_line(port).as_bytes()).await?;

        if let Err(cause) = self.run(&self.test, log).await {
            let restore = restore(upstream_file, previous.as_deref()).await.err();
            return Err(failed(upstream_file, port, cause, restore, log));
        }
        if let Err(cause) = self.run(&self.reload, log).await {
            let restore = match restore(upstream_file, previous.as_deref()).await {
                Ok(()) => self.run(&self.reload, log).await.err(),
                Err(e) => Some(e),
            };
            return Err(failed(upstream_file, port, cause, restore, log));
        }
        let duration = started.elapsed();
        let _ = log.send(messages::switched(port, u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)));
        let previous = previous.and_then(|content| parse_upstream(&String::from_utf8_lossy(&content)));
        Ok(Switched { previous, duration })
    }

    async fn run(&self, argv: &[String], log: &UnboundedSender<Message>) -> Result<(), EngineError> {
        // The package named when the program is missing.
        let package = match argv.first().map(|p| p.rsplit('/').next().unwrap_or(p)) {
            Some("systemctl") => "systemd",
            _ => "nginx",
        };
        let Some(process) = Process::argv(argv, package) else { return Ok(()) };
        process.timeout(self.timeout).run(log).await.map(drop)
    }
}

/// The switch's error, after the previous file was put back (or not).
fn failed(
    upstream_file: &Path,
    port: u16,
    cause: EngineError,
    restore: Option<EngineError>,
    log: &UnboundedSender<Message>,
) -> EngineError {
    if restore.is_none() {
        let _ = log.send(messages::switch_restored(upstream_file));
    }
    EngineError::Switch { port, cause: Box::new(cause), restore: restore.map(Box::new) }
}

/// Puts the previous content back, or removes the file when there was none.
async fn restore(upstream_file: &Path, previous: Option<&[u8]>) -> Result<(), EngineError> {
    match previous {
        Some(content) => write_atomically(upstream_file, content).await,
        None => remove_if_exists(upstream_file).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upstream_line_reads_back_as_its_port() {
        assert_eq!(parse_upstream(&upstream_line(8081)), Some(8081));
        assert_eq!(parse_upstream("  server   127.0.0.1:9000 ;  \n"), Some(9000));
        for bad in [
            "",
            "server 127.0.0.1:0;",
            "server 10.0.0.1:80;",
            "server 127.0.0.1:80",
            "# x",
            "server 127.0.0.1:x;",
            "server127.0.0.1:80;",
        ] {
            assert_eq!(parse_upstream(bad), None, "{bad:?}");
        }
    }
}
