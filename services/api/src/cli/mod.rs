//! The command line: `lawha serve | migrate | config check | audit verify | projections rebuild | worker | admin … |
//! bench …`.

pub mod audit;
pub mod keys;
pub mod run;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use lawha_domain::users::{Role, Scope};

/// Lawha, a server control panel: backups, blue-green deployments and TLS certificates, with every action in
/// one tamper-evident event log.
///
/// Configuration comes from defaults, then a TOML file (--config or LAWHA_CONFIG), then LAWHA_* environment
/// variables; `lawha config check` shows the result. Exit status: 0 success, 1 failure, 2 usage error,
/// 78 configuration problem.
#[derive(Debug, Parser)]
#[command(name = "lawha", version, propagate_version = true)]
pub struct Cli {
    /// A TOML configuration file (overrides LAWHA_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the panel: API, UI and health endpoints; applies migrations first. Stops on SIGTERM/SIGINT after
    /// finishing in-flight requests (http.shutdown_grace_secs).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Configuration commands.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Audit log commands.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Backup archive commands.
    #[command(subcommand)]
    Backup(BackupCommand),
    /// Read-model commands.
    #[command(subcommand)]
    Projections(ProjectionsCommand),
    /// Run job workers for some queues as a process of their own; SIGTERM stops taking jobs, lets in-flight
    /// ones finish (jobs.shutdown_grace_secs) and exits 0.
    Worker(lawha::jobs::worker::WorkerArgs),
    /// User and token administration.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Benchmarks that print their rate next to a reference measured in the same run.
    #[command(subcommand)]
    Bench(lawha_bench::BenchCommand),
}

/// `lawha backup …`
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Check an archive against the signed manifest beside it (`FILE.manifest.json`): the HMAC with this
    /// panel's secret key, the run and file name, the size and the SHA-256 of every stored byte. Exits 0 only
    /// when the archive is intact; otherwise prints the precise mismatch and exits 1.
    Verify {
        /// The archive (`…/<plan>/<time>-<run>.tar.zst[.age]`).
        file: std::path::PathBuf,
        /// For an encrypted archive: a file holding its age identity (`AGE-SECRET-KEY-1…`); then it is also
        /// decrypted and decoded to the size the source wrote.
        #[arg(long, value_name = "FILE")]
        identity: Option<std::path::PathBuf>,
    },
}

/// `lawha config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration (secrets redacted) with where each value came from; exit 78 and list
    /// every problem when it is not valid.
    Check,
}

/// `lawha audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain over the whole log. Prints `ok: N events, head <hex>` and exits 0, or names
    /// the first position that does not match and exits 1. With --checkpoints, also fails when the log no longer
    /// holds a head anchored outside the database (truncated, rolled back or rewritten), naming the checkpoint.
    /// An intact chain is anchored: a signed checkpoint of its head is appended to
    /// <data_dir>/audit-checkpoints.jsonl, logged and sent to audit.checkpoint_url (unless --no-anchor).
    Verify(audit::VerifyArgs),
}

/// `lawha projections …`
#[derive(Debug, Subcommand)]
pub enum ProjectionsCommand {
    /// Empty a read model and replay the whole log into it.
    Rebuild(RebuildArgs),
}

/// Which projections to rebuild.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct RebuildArgs {
    /// The projection's name (e.g. audit_log).
    pub name: Option<String>,
    /// Rebuild every projection.
    #[arg(long)]
    pub all: bool,
}

/// `lawha admin …`
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Replace the secret key with a new random one and keep the current one as a previous key, so that new events,
    /// checkpoints, sealed secrets and backup manifests use the new key while those made under the old one still
    /// verify and open (each carries the id of its key).
    ///
    /// When the key is the development key file (<data_dir>/secret.key), both files are rewritten: the old key is
    /// appended to <data_dir>/previous-secret.keys, the new one replaces secret.key, and the rotation is recorded
    /// in the log (SecretKeyRotated). When the key comes from LAWHA_SECRET_KEY, a *_FILE or the configuration
    /// file, which this command does not rewrite, it prints the new key once, alone on standard output, and on
    /// standard error what to set: secret_key to the new key, and the current one added to previous_secret_keys.
    /// Either way, restart `lawha serve` and every worker with the new settings.
    RotateKey,
    /// Create a user. The password is read from standard input (its first line), so it never appears in the
    /// shell history or the process list: `printf '%s\n' "$PASSWORD" | lawha admin create-user amira --role admin`.
    CreateUser {
        /// The user name: lowercase letters, digits, '.', '_' or '-', starting with a letter.
        name: String,
        /// admin, operator or viewer.
        #[arg(long)]
        role: Role,
    },
    /// Issue an API token for a user and print it once, alone on standard output. Send it as
    /// `Authorization: Bearer <token>`.
    CreateToken {
        /// A label for the token (e.g. the machine or job that uses it).
        name: String,
        /// The user who owns it.
        #[arg(long)]
        user: String,
        /// read, operate or admin; repeat for several. Never more than the owner's role.
        #[arg(long = "scope", required = true)]
        scopes: Vec<Scope>,
    },
}
