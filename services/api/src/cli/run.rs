//! What the one-shot subcommands do: each opens what it needs, does one thing, prints a result, returns an exit
//! status.

use std::process::ExitCode;

use anyhow::Context as _;
use lawha_config::Config;

use lawha_domain::{
    Metadata,
    users::{Role, Scope},
};

use lawha::{
    app::{open_database, projection_runner},
    ui::i18n::english,
    users::{self, UserError},
};

use super::RebuildArgs;

/// `lawha migrate`.
pub async fn migrate(config: &Config) -> anyhow::Result<ExitCode> {
    let db = open_database(config).await?;
    db.migrate().await.context("applying database migrations")?;
    let status = db.migration_status().await?;
    println!("ok: schema current ({} backend)", format!("{:?}", db.backend()).to_lowercase());
    db.close().await;
    Ok(if status.is_current() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// `lawha projections rebuild NAME|--all`.
pub async fn projections_rebuild(config: &Config, args: &RebuildArgs) -> anyhow::Result<ExitCode> {
    let db = open_database(config).await?;
    db.migrate().await.context("applying database migrations")?;
    let runner = projection_runner(config, &db);
    let chosen = match &args.name {
        Some(name) => match runner.find(name) {
            Some(p) => vec![p],
            None => {
                let known: Vec<_> = runner.projections().iter().map(|p| p.name()).collect();
                eprintln!("error: no projection named {name:?}; known: {}", known.join(", "));
                return Ok(ExitCode::from(2));
            }
        },
        None => runner.projections().to_vec(),
    };
    for projection in chosen {
        let started = std::time::Instant::now();
        let events =
            runner.rebuild(projection.as_ref()).await.with_context(|| format!("rebuilding {}", projection.name()))?;
        println!("rebuilt {}: {events} events in {:.1} s", projection.name(), started.elapsed().as_secs_f64());
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `lawha admin create-user NAME --role ROLE` (password on stdin).
pub async fn create_user(config: &Config, name: &str, role: Role) -> anyhow::Result<ExitCode> {
    let mut password = String::new();
    std::io::stdin().read_line(&mut password).context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\n', '\r']);
    let db = open_database(config).await?;
    db.migrate().await.context("applying database migrations")?;
    let result = users::create_user(&db, name, role, password, &cli_metadata()).await;
    db.close().await;
    report(result.map(|_| format!("created user {name} ({role})")), false)
}

/// `lawha admin create-token NAME --user USER --scope …` (prints the token once, alone on stdout).
pub async fn create_token(config: &Config, name: &str, user: &str, scopes: Vec<Scope>) -> anyhow::Result<ExitCode> {
    let db = open_database(config).await?;
    db.migrate().await.context("applying database migrations")?;
    let result = users::create_token(&db, user, name, scopes, &cli_metadata()).await;
    db.close().await;
    report(result.map(|issued| issued.token), true)
}

fn cli_metadata() -> Metadata {
    Metadata { actor: Some("system:cli".into()), ..Metadata::default() }
}

/// Prints a command's outcome: success on stdout, a refusal on stderr with exit 2 (bad input) or 1.
fn report(result: Result<String, UserError>, secret_output: bool) -> anyhow::Result<ExitCode> {
    match result {
        Ok(line) => {
            println!("{line}");
            if secret_output {
                eprintln!("This token is shown once; store it now.");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(UserError::Invalid(message)) => {
            eprintln!("error: {}", english(&message));
            Ok(ExitCode::from(2))
        }
        Err(UserError::Rejected(rejection)) => {
            eprintln!("error: {}", english(&rejection.message()));
            Ok(ExitCode::FAILURE)
        }
        Err(other) => Err(other.into()),
    }
}

/// `lawha backup verify FILE [--identity FILE]`: exit 0 only when the archive matches its signed manifest and
/// decodes to the size its manifest says the source wrote (an encrypted archive is decoded only with its
/// identity; without it, its signature, size and hash are checked and the output says so).
pub fn backup_verify(
    config: &Config,
    file: &std::path::Path,
    identity: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    use lawha_backup::verify::{Check, verify_archive_with};
    let key = lawha_backup::manifest::ManifestKey::derive_with_previous(
        config.secret_key_bytes(),
        &config.previous_secret_key_bytes(),
    );
    let identity = match identity {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the identity {}", path.display()))?;
            // A bare key line or a whole `age-keygen` file: parse_identity takes either.
            Some(
                lawha_backup::encryption::parse_identity(&text)
                    .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), english(&e.message())))?,
            )
        }
        None => None,
    };
    match verify_archive_with(file, &key, None, Check::DecodeIfReadable(identity.as_ref())) {
        Ok(manifest) => {
            let decoded = if manifest.encryption.is_none() || identity.is_some() {
                format!("decodes to {} bytes", manifest.source_bytes)
            } else {
                "encrypted: not decoded without --identity".to_owned()
            };
            println!(
                "ok: {} intact ({} bytes, sha256 {}, {decoded}, plan {}, run {})",
                file.display(),
                manifest.stored_bytes,
                manifest.sha256,
                manifest.plan_name,
                manifest.run_id
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {}: {}", file.display(), english(&e.message()));
            Ok(ExitCode::FAILURE)
        }
    }
}
