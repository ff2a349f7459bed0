//! `lawha admin rotate-key`: a new secret key, the current one kept as a previous key. Everything the secret key
//! makes (the chain's links, checkpoints, sealed secrets, backup manifests) names the key that made it, so a
//! rotation only has to keep the old key in the keyring for what it made to verify and open.

use std::{
    fs::{self, OpenOptions},
    io::Write as _,
    path::Path,
    process::ExitCode,
};

use anyhow::Context as _;
use lawha::app::open_database;
use lawha_config::{Config, Origin, PREVIOUS_KEYS_FILE};
use lawha_domain::{ExpectedVersion, Metadata, NewEvent, StreamId};
use lawha_store::KeyId;
use serde_json::json;

/// The stream the rotation is recorded on, beside the chain's verifications.
const STREAM: &str = lawha::jobs::commands::AUDIT_CHAIN_STREAM;

/// `lawha admin rotate-key`.
pub async fn rotate(config: &Config) -> anyhow::Result<ExitCode> {
    let current = config.secret_key_bytes();
    let new_key = hex::encode(rand::random::<[u8; 32]>());
    let (old_id, new_id) = (KeyId::of(current), KeyId::of(new_key.as_bytes()));
    let previous_in_file =
        matches!(config.origin("previous_secret_keys"), Some(Origin::Default | Origin::KeyFile(_)) | None);
    let Some(Origin::KeyFile(key_file)) = config.origin("secret_key").filter(|_| previous_in_file) else {
        return Ok(print_instructions(config, &new_key, old_id, new_id));
    };
    let previous_file = config.data_dir.join(PREVIOUS_KEYS_FILE);
    keep_previous(&previous_file, current)
        .with_context(|| format!("keeping the current key in {}", previous_file.display()))?;
    replace_key(key_file, &new_key).with_context(|| format!("writing the new key to {}", key_file.display()))?;
    println!("rotated: key {new_id} now signs, chains and seals; key {old_id} is kept in {}", previous_file.display());
    if let Err(error) = record(config, old_id, new_id).await {
        eprintln!("warning: the rotation is done but could not be recorded in the log: {error:#}");
    }
    eprintln!("Restart `lawha serve` and every worker so they use the new key.");
    Ok(ExitCode::SUCCESS)
}

/// The key comes from a place this command does not rewrite: the new key goes to standard output, alone, once;
/// what to do with it to standard error.
fn print_instructions(config: &Config, new_key: &str, old_id: KeyId, new_id: KeyId) -> ExitCode {
    let origin = config.origin("secret_key").map_or_else(|| "the configuration".to_owned(), ToString::to_string);
    println!("{new_key}");
    eprintln!(
        "This is the new secret key (id {new_id}); it is shown once. The current key (id {old_id}) comes from \
         {origin}, which this command does not rewrite. To rotate:\n  \
         1. add the current secret key to previous_secret_keys (LAWHA_PREVIOUS_SECRET_KEYS, comma-separated, or \
         LAWHA_PREVIOUS_SECRET_KEYS_FILE, one per line), after any keys already there;\n  \
         2. set secret_key (LAWHA_SECRET_KEY or LAWHA_SECRET_KEY_FILE) to the new key;\n  \
         3. restart `lawha serve` and every worker with both settings.\n\
         Keep a previous key as long as events, checkpoints, sealed secrets or backups made under it matter."
    );
    ExitCode::SUCCESS
}

/// Appends the current key to the previous keys' file (created readable by its owner only) unless it is there,
/// and syncs it: the old key must be safe before the new one replaces it.
fn keep_previous(path: &Path, current: &[u8]) -> std::io::Result<()> {
    let known = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    if known.split(|b| *b == b'\n').any(|line| line.trim_ascii() == current) {
        return Ok(());
    }
    let mut file = private(OpenOptions::new().append(true).create(true)).open(path)?;
    let mut line = Vec::with_capacity(current.len() + 2);
    if !known.is_empty() && !known.ends_with(b"\n") {
        line.push(b'\n');
    }
    line.extend_from_slice(current);
    line.push(b'\n');
    file.write_all(&line)?;
    file.sync_all()
}

/// Writes the new key to a private temporary file beside `path`, syncs it and renames it into place, so the key
/// file is always whole: the old key or the new one.
fn replace_key(path: &Path, key: &str) -> std::io::Result<()> {
    let temp = path.with_extension(format!("rotating-{}", std::process::id()));
    let _ = fs::remove_file(&temp);
    let mut file = private(OpenOptions::new().write(true).create_new(true)).open(&temp)?;
    file.write_all(format!("{key}\n").as_bytes())?;
    file.sync_all()?;
    fs::rename(&temp, path)?;
    if let Some(folder) = path.parent() {
        fs::File::open(folder)?.sync_all()?;
    }
    Ok(())
}

fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
}

/// Records `SecretKeyRotated` (the two key ids, never a key) in the log, chained under the old key.
async fn record(config: &Config, old_id: KeyId, new_id: KeyId) -> anyhow::Result<()> {
    let db = open_database(config).await?;
    db.migrate().await.context("applying database migrations")?;
    let metadata = Metadata { actor: Some("system:cli".into()), ..Metadata::default() };
    let data = json!({ "previous_key_id": old_id.to_string(), "key_id": new_id.to_string() });
    let event = NewEvent::new("SecretKeyRotated", data, metadata);
    let stream = StreamId::parse(STREAM)?;
    let result = db.events.append(&stream, ExpectedVersion::Any, vec![event]).await;
    db.close().await;
    result?;
    Ok(())
}
