//! The three contenders of `lawha bench backup`, each a process tree of its own measured the same way (wall time
//! from spawn to exit, peak RSS summed over its processes): the shell pipeline the issue names, restic into a
//! fresh repository, and this binary's hidden `bench backup-child` running one real backup.

use std::{
    fs, io,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context as _, bail};
use lawha_backup::bench::{
    LawhaRun,
    process::{Measured, measure},
};

/// The reference pipeline, with the folder as `$1/$2`, the output file as `$3` and the zstd level as `$4`. `-C`
/// keeps tar from warning about a leading `/`; the bytes are those of `tar -cf - DIR`.
const SHELL_PIPELINE: &str = r#"tar -cf - -C "$1" "$2" | zstd -T0 -"$4" -q | tee "$3" | sha256sum"#;

/// restic's repository password: the repository is thrown away with the run.
const RESTIC_PASSWORD: &str = "lawha bench backup";

/// One way of backing the folder up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Contender {
    /// `tar | zstd | tee | sha256sum`.
    Shell,
    /// `restic backup` into a fresh repository.
    Restic,
    /// `run_backup` in a child process.
    Lawha,
}

/// What one contender did in one round.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sample {
    /// Wall time of its processes, from spawn to exit.
    pub seconds: f64,
    /// Sum of the peak RSS of its processes, in bytes.
    pub peak_rss: u64,
    /// Bytes it stored (the archive, or the repository's files).
    pub stored: u64,
}

/// What every contender needs.
#[derive(Debug)]
pub(super) struct Setup {
    /// The generated folder.
    pub data: PathBuf,
    /// A folder beside it, for what a contender writes; emptied after each run.
    pub out: PathBuf,
    /// zstd level for the pipeline and Lawha.
    pub level: i32,
    /// This binary, for the child.
    pub exe: PathBuf,
    /// The panel's secret key as text, for the child's configuration.
    pub secret: String,
}

impl Contender {
    /// Every contender, in the order of the first round.
    pub(super) const ALL: [Contender; 3] = [Contender::Shell, Contender::Restic, Contender::Lawha];

    pub(super) fn name(self) -> &'static str {
        match self {
            Contender::Shell => "shell",
            Contender::Restic => "restic",
            Contender::Lawha => "lawha",
        }
    }

    /// Runs once into an empty `setup.out`, which is removed afterwards.
    pub(super) fn run(self, setup: &Setup) -> anyhow::Result<Sample> {
        fs::create_dir_all(&setup.out).with_context(|| format!("creating {}", setup.out.display()))?;
        let sample = match self {
            Contender::Shell => shell(setup),
            Contender::Restic => restic(setup),
            Contender::Lawha => lawha(setup),
        };
        fs::remove_dir_all(&setup.out).with_context(|| format!("removing {}", setup.out.display()))?;
        sample
    }
}

fn shell(setup: &Setup) -> anyhow::Result<Sample> {
    let out = setup.out.join("shell.tar.zst");
    let (parent, name) = (setup.data.parent().unwrap_or(Path::new("/")), setup.data.file_name().unwrap_or_default());
    let mut command = Command::new("sh");
    command.arg("-c").arg(SHELL_PIPELINE).arg("sh").arg(parent).arg(name).arg(&out).arg(setup.level.to_string());
    let measured = measure(&mut command).context("running sh")?;
    // sh reports only sha256sum's status: a failing tar or zstd shows on stderr instead.
    let digest = String::from_utf8_lossy(&measured.stdout);
    let digest_ok = digest.split_whitespace().next().is_some_and(|d| d.len() == 64);
    if !measured.status.success() || !measured.stderr.is_empty() || !digest_ok {
        bail!("the shell pipeline failed ({}){}", measured.status, tail(&measured));
    }
    Ok(sample(&measured, fs::metadata(&out)?.len()))
}

fn restic(setup: &Setup) -> anyhow::Result<Sample> {
    let repo = setup.out.join("restic-repository");
    let cache = setup.out.join("restic-cache");
    let restic = |args: &[&str]| {
        let mut command = Command::new("restic");
        command
            .args(["--repo".as_ref(), repo.as_os_str(), "--cache-dir".as_ref(), cache.as_os_str()])
            .args(args)
            .env("RESTIC_PASSWORD", RESTIC_PASSWORD)
            .env_remove("RESTIC_PASSWORD_FILE")
            .env_remove("RESTIC_PASSWORD_COMMAND");
        command
    };
    // Creating the repository is not part of the backup; it is not measured.
    let init = measure(&mut restic(&["init"])).context("running restic init")?;
    if !init.status.success() {
        bail!("restic init failed ({}){}", init.status, tail(&init));
    }
    let mut backup = restic(&["backup", "--quiet"]);
    backup.arg(&setup.data);
    let measured = measure(&mut backup).context("running restic backup")?;
    if !measured.status.success() {
        bail!("restic backup failed ({}){}", measured.status, tail(&measured));
    }
    Ok(sample(&measured, bytes_under(&repo)?))
}

fn lawha(setup: &Setup) -> anyhow::Result<Sample> {
    let mut command = Command::new(&setup.exe);
    command
        .args(["bench", "backup-child", "--level", &setup.level.to_string(), "--source"])
        .arg(&setup.data)
        .arg("--destination")
        .arg(setup.out.join("lawha"))
        .env("LAWHA_ENV", "development")
        .env("LAWHA_SECRET_KEY", &setup.secret)
        .env("LAWHA_LOG__LEVEL", "warn");
    let measured = measure(&mut command).context("running this binary's bench backup-child")?;
    let run = LawhaRun::parse(&String::from_utf8_lossy(&measured.stdout));
    let Some(run) = run.filter(|_| measured.status.success()) else {
        bail!("lawha's backup failed ({}){}", measured.status, tail(&measured));
    };
    // The child's own VmHWM is exact; the sampled one can only be lower, so the larger is the figure.
    let mut sample = sample(&measured, run.stored_bytes);
    sample.peak_rss = sample.peak_rss.max(run.peak_rss);
    Ok(sample)
}

fn sample(measured: &Measured, stored: u64) -> Sample {
    Sample { seconds: measured.wall.as_secs_f64(), peak_rss: measured.peak_rss, stored }
}

/// `: <last lines of stderr>` when there are any.
fn tail(measured: &Measured) -> String {
    let stderr = String::from_utf8_lossy(&measured.stderr);
    let lines: Vec<&str> = stderr.lines().rev().take(5).collect();
    if lines.is_empty() {
        String::new()
    } else {
        format!(": {}", lines.into_iter().rev().collect::<Vec<_>>().join(" | "))
    }
}

/// Bytes of the files below `dir`.
fn bytes_under(dir: &Path) -> io::Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() { bytes_under(&entry.path())? } else { meta.len() };
    }
    Ok(total)
}

/// `program VERSION` from what `program args…` prints, or a message naming the tool and how to install it.
pub(super) fn tool_version(program: &str, args: &[&str]) -> anyhow::Result<String> {
    let output = match Command::new(program).args(args).output() {
        Ok(output) if output.status.success() => output,
        Ok(output) => bail!("`{program} {}` failed ({})", args.join(" "), output.status),
        Err(e) if e.kind() == io::ErrorKind::NotFound => bail!(
            "`{program}` was not found on PATH: the bench measures Lawha against it in the same run \
             (apt-get install -y restic zstd)"
        ),
        Err(e) => return Err(e).with_context(|| format!("running {program}")),
    };
    let text = String::from_utf8_lossy(&output.stdout);
    // `tar (GNU tar) 1.34`, `*** Zstandard CLI (64-bit) v1.5.4, by Yann Collet ***`, `restic 0.14.0 compiled …`.
    let version = text.split_whitespace().find(|word| {
        let digits = word.strip_prefix('v').unwrap_or(word);
        digits.starts_with(|c: char| c.is_ascii_digit()) && digits.contains('.')
    });
    Ok(format!("{program} {}", version.unwrap_or("(version unknown)").trim_end_matches(',')))
}
