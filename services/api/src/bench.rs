//! `lawha bench append`: written next.

use std::process::ExitCode;

use clap::Args;
use lawha_config::Config;

/// Options of `lawha bench append`.
#[derive(Debug, Args)]
pub struct AppendArgs {
    /// Events appended per writer count.
    #[arg(long, default_value_t = 100_000)]
    pub events: u64,
}

/// Runs the append benchmark.
pub async fn append(_config: &Config, _args: &AppendArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not yet")
}
