//! `lawha bench backup`: backs up a generated folder (1 GiB by default, half text-like, half random binary) with
//! Lawha's engine and, in the same run and on the same file system, with `tar -cf - DIR | zstd -T0 -3 | tee OUT |
//! sha256sum` and with `restic backup` into a fresh repository, and prints MB/s and peak RSS of each with the
//! ratios the issue sets as targets (≥ 1.0× the pipeline while also verifying, ≥ 2× restic, peak RSS ≤ 64 MB).
//!
//! Fairness: the folder is generated once and written back to disk before the first run, so every contender reads
//! it from the page cache; each run writes into an empty folder beside it, which is removed and synced to disk
//! before the next run starts. Rounds rotate the order, and the table shows each contender's median. Lawha's
//! backup runs in a child process (`lawha bench backup-child`, hidden) so that its RSS is the backup's alone. It is
//! a measurement, not a test: only a contender that fails makes the exit status 1.

mod contenders;

use std::{path::PathBuf, process::ExitCode, time::Instant};

use anyhow::{Context as _, bail};
use clap::Args;
use contenders::{Contender, Sample, Setup, tool_version};
use lawha_backup::bench::{self, data};
use lawha_config::Config;

use crate::common::thousands;

/// Options of `lawha bench backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Size of the generated folder, in MiB.
    #[arg(long, default_value_t = 1024)]
    pub size_mib: u64,
    /// Where the bench makes its temporary folder (the data, and what each contender writes beside it); the
    /// system's temporary folder when omitted. Choose one on the file system backups would go to.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// zstd level of Lawha's backup and of the shell pipeline (restic compresses as it does by default).
    #[arg(long, default_value_t = 3)]
    pub level: i32,
    /// Rounds: each runs every contender once, in an order rotated from round to round.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Seed of the generated folder: the same seed and size give the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Keep the temporary folder (its path is printed) instead of removing it.
    #[arg(long)]
    pub keep: bool,
}

/// Options of the hidden `lawha bench backup-child`: one backup, reported as one line on stdout.
#[derive(Debug, Args)]
pub struct ChildArgs {
    /// The folder to back up.
    #[arg(long)]
    pub source: PathBuf,
    /// The plan folder the archive goes to.
    #[arg(long)]
    pub destination: PathBuf,
    /// zstd level.
    #[arg(long)]
    pub level: i32,
}

/// The targets of the issue.
const TARGET_VS_SHELL: f64 = 1.0;
const TARGET_VS_RESTIC: f64 = 2.0;
const TARGET_RSS_BYTES: f64 = 64e6;

/// Runs the backup benchmark.
pub fn backup(config: &Config, args: &BackupArgs) -> anyhow::Result<ExitCode> {
    if args.size_mib == 0 || args.rounds == 0 || !(1..=19).contains(&args.level) {
        bail!("--size-mib and --rounds must be at least 1, --level 1 to 19");
    }
    let versions = [
        tool_version("tar", &["--version"])?,
        tool_version("zstd", &["--version"])?,
        tool_version("sha256sum", &["--version"])?,
        tool_version("restic", &["version"])?,
    ];
    let parent = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let temp = tempfile::Builder::new()
        .prefix("lawha-bench-backup-")
        .tempdir_in(&parent)
        .with_context(|| format!("creating a temporary folder in {}", parent.display()))?;
    let result = run(config, args, temp.path(), &versions);
    if args.keep {
        println!("kept: {}", temp.keep().display());
    }
    result
}

fn run(config: &Config, args: &BackupArgs, temp: &std::path::Path, versions: &[String; 4]) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let made = data::generate(&temp.join("data"), args.size_mib << 20, args.seed).context("generating the folder")?;
    bench::settle(temp).context("syncing the generated folder")?;
    #[allow(clippy::cast_precision_loss)] // sizes are far below 2^52
    let text_share = 100.0 * made.text_bytes as f64 / made.bytes as f64;
    println!(
        "data: {} bytes in {} files ({text_share:.0}% text-like, the rest random binary), {} folders, {} symlinks, \
         seed {}; generated in {:.1} s under {}",
        thousands(made.bytes as f64),
        thousands(made.files as f64),
        made.folders,
        made.symlinks,
        args.seed,
        started.elapsed().as_secs_f64(),
        temp.display()
    );
    println!(
        "shell:  tar -cf - DIR | zstd -T0 -{} | tee OUT | sha256sum ({}, {}, {}): no fsync, no read-back",
        args.level, versions[0], versions[1], versions[2]
    );
    println!("restic: restic backup DIR into a fresh repository ({}, its default compression)", versions[3]);
    println!(
        "lawha:  run_backup, zstd level {}, one thread per CPU: .partial, fsync, rename, signed manifest, read-back \
         (SHA-256 and full decompression), in a child process",
        args.level
    );
    let setup = Setup {
        data: made.root.clone(),
        out: temp.join("out"),
        level: args.level,
        exe: std::env::current_exe().context("locating this binary")?,
        secret: hex::encode(config.secret_key_bytes()),
    };
    let mut samples: Vec<(Contender, Vec<Sample>)> = Contender::ALL.iter().map(|c| (*c, Vec::new())).collect();
    for round in 0..args.rounds {
        let mut line = format!("round {}:", round + 1);
        for i in 0..Contender::ALL.len() {
            let index = (i + round) % Contender::ALL.len();
            let (contender, taken) = &mut samples[index];
            let sample = contender.run(&setup)?;
            bench::settle(temp).context("syncing after a run")?;
            line.push_str(&format!(" {} {:.0} MB/s;", contender.name(), rate(made.bytes, sample.seconds)));
            taken.push(sample);
        }
        println!("{}", line.trim_end_matches(';'));
    }
    report(&samples, made.bytes, args.rounds);
    Ok(ExitCode::SUCCESS)
}

/// The table, then the ratios against the targets.
fn report(samples: &[(Contender, Vec<Sample>)], bytes: u64, rounds: usize) {
    println!("contender      MB/s   peak RSS MB   stored MB   seconds");
    let mut rates = Vec::new();
    let mut lawha_rss = 0.0;
    for (contender, taken) in samples {
        let mut seconds: Vec<f64> = taken.iter().map(|s| s.seconds).collect();
        seconds.sort_by(f64::total_cmp);
        let median = seconds[seconds.len() / 2];
        #[allow(clippy::cast_precision_loss)] // sizes are far below 2^52
        let rss = taken.iter().map(|s| s.peak_rss).max().unwrap_or(0) as f64 / 1e6;
        #[allow(clippy::cast_precision_loss)]
        let stored = taken.last().map_or(0, |s| s.stored) as f64 / 1e6;
        println!("{:<9} {:>9.1} {:>13.1} {:>11.0} {:>9.2}", contender.name(), rate(bytes, median), rss, stored, median);
        rates.push(rate(bytes, median));
        if *contender == Contender::Lawha {
            lawha_rss = rss;
        }
    }
    println!(
        "(MB = 10^6 bytes; MB/s of the folder's {} bytes of files over the contender's wall time, the median of {rounds} \
         round(s); peak RSS: the largest of the rounds, summed over the contender's processes)",
        thousands(bytes as f64)
    );
    let (shell, restic, lawha) = (rates[0], rates[1], rates[2]);
    let verdict = |met: bool| if met { "met" } else { "NOT met" };
    println!(
        "lawha / shell   {:>6.2}×    target ≥ {TARGET_VS_SHELL:.2}×   {}",
        lawha / shell,
        verdict(lawha / shell >= TARGET_VS_SHELL)
    );
    println!(
        "lawha / restic  {:>6.2}×    target ≥ {TARGET_VS_RESTIC:.2}×   {}",
        lawha / restic,
        verdict(lawha / restic >= TARGET_VS_RESTIC)
    );
    println!(
        "lawha peak RSS  {lawha_rss:>6.1} MB   target ≤ {:.0} MB    {}",
        TARGET_RSS_BYTES / 1e6,
        verdict(lawha_rss * 1e6 <= TARGET_RSS_BYTES)
    );
}

/// MB/s of `bytes` in `seconds`.
#[allow(clippy::cast_precision_loss)] // sizes are far below 2^52
fn rate(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / seconds.max(1e-9) / 1e6
}

/// Runs the hidden `lawha bench backup-child`: one backup with the panel's key, its figures on stdout.
pub fn child(config: &Config, args: &ChildArgs) -> anyhow::Result<ExitCode> {
    let key = lawha_backup::manifest::ManifestKey::derive(config.secret_key_bytes());
    let run = bench::run_lawha(&args.source, &args.destination, args.level, key)?;
    println!("{}", run.to_line());
    Ok(ExitCode::SUCCESS)
}
