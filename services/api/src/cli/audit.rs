//! `lawha audit verify [--checkpoints FILE] [--no-anchor]`: recompute the chain, check it against heads anchored
//! outside the database, and anchor the verified head.

use std::{path::PathBuf, process::ExitCode, time::Duration};

use anyhow::Context as _;
use clap::Args;
use lawha::{app::open_database, audit::anchor::Anchor};
use lawha_config::Config;
use lawha_store::{ChainKey, ChainVerdict, Checkpoints, verify_chain_anchored};

/// How long the command waits for the checkpoint URL before it exits anyway.
const SEND_WAIT: Duration = Duration::from_secs(15);

/// What `lawha audit verify` checks and whether it anchors.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Also check every checkpoint in FILE (the panel's `<data_dir>/audit-checkpoints.jsonl`, a copy of it, or an
    /// export of the JSON logs with the `audit chain checkpoint` events): each must name a position the log still
    /// holds with the same chain value. Fails, naming the checkpoint's line, position and time, when the log was
    /// truncated, rolled back or rewritten, and when a line is not a checkpoint signed by this panel's keys.
    #[arg(long, value_name = "FILE")]
    pub checkpoints: Option<PathBuf>,
    /// Do not anchor: write no checkpoint (for a copy of the database examined elsewhere).
    #[arg(long)]
    pub no_anchor: bool,
}

/// `lawha audit verify`.
pub async fn verify(config: &Config, args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let key = ChainKey::derive(config.secret_key_bytes());
    let checkpoints = match &args.checkpoints {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read the checkpoints {}", file.display()))?;
            Checkpoints::parse(&text, &key)
        }
        None => Checkpoints::default(),
    };
    let db = open_database(config).await?;
    let verdict = verify_chain_anchored(db.events.as_ref(), &key, &checkpoints).await.context("reading the event log");
    db.close().await;
    let (events, head) = match verdict? {
        ChainVerdict::Intact { events, head } => (events, head),
        ChainVerdict::Broken { position, reason, .. } => {
            println!("FAILED at position {position}: {reason}");
            return Ok(ExitCode::FAILURE);
        }
    };
    println!("ok: {events} events, head {}", hex::encode(&head));
    if let Some(file) = &args.checkpoints {
        println!("checkpoints: the log holds all {} of {}", checkpoints.valid.len(), file.display());
    }
    if !args.no_anchor && events > 0 {
        let anchor = Anchor::new(config, key);
        let (checkpoint, sent) = anchor
            .record(events, head)
            .await
            .with_context(|| format!("anchoring the head in {}", anchor.file().display()))?;
        println!("anchored: position {} in {}", checkpoint.position, anchor.file().display());
        if let Some(sent) = sent {
            // A failure is logged by the task; the verdict stands either way.
            let _ = tokio::time::timeout(SEND_WAIT, sent).await;
        }
    }
    Ok(ExitCode::SUCCESS)
}
