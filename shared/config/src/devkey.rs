//! The development secret key kept in `<data_dir>/secret.key`.
//!
//! The audit chain is MACed with the secret key, so a key that changed on
//! every restart would make yesterday's chain unverifiable. Developers should
//! not have to invent a key, so one is generated once and reused.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Config, Origin, Secret};

/// The file name of the development key inside the data directory.
pub const KEY_FILE: &str = "secret.key";

/// The file name of the development keyring's previous keys inside the data directory, one per line
/// (`lawha admin rotate-key` appends the key it replaces).
pub const PREVIOUS_KEYS_FILE: &str = "previous-secret.keys";

impl Config {
    /// In development and test with no secret key configured, reads
    /// `<data_dir>/secret.key` or creates it (64 random hex characters from
    /// `/dev/urandom`, mode 0600, parent directory created), so the audit chain
    /// stays verifiable across restarts.
    ///
    /// Does nothing when a key is configured. Production never needs it,
    /// because [`Config::load`] already refused a production configuration
    /// without a key; called there anyway, it returns an error rather than
    /// inventing a key an operator does not know about.
    pub fn ensure_secret_key(&mut self) -> io::Result<()> {
        if self.secret_key.is_some() {
            return Ok(());
        }
        if self.profile.is_production() {
            return Err(io::Error::other("production requires secret_key to be configured; no key is generated"));
        }
        let path = self.data_dir.join(KEY_FILE);
        let key = match read_key(&path)? {
            Some(key) => key,
            None => create_key(&path)?,
        };
        self.secret_key = Some(Secret::new(key));
        self.origins.insert("secret_key", Origin::KeyFile(path));
        if self.previous_secret_keys.is_empty() && self.origin("previous_secret_keys") == Some(&Origin::Default) {
            let path = self.data_dir.join(PREVIOUS_KEYS_FILE);
            if let Some(keys) = read_previous(&path)? {
                self.previous_secret_keys = keys.into_iter().map(Secret::new).collect();
                self.origins.insert("previous_secret_keys", Origin::KeyFile(path));
            }
        }
        Ok(())
    }

    /// The previous secret keys' bytes, oldest first, for verifying and opening what they made.
    pub fn previous_secret_key_bytes(&self) -> Vec<&[u8]> {
        self.previous_secret_keys.iter().map(|k| k.expose().as_slice()).collect()
    }

    /// The secret key's bytes, for computing MACs.
    ///
    /// # Panics
    ///
    /// Panics when no key is configured and [`Config::ensure_secret_key`] has
    /// not been called, which can only happen outside production; calling it
    /// at startup is part of using this crate.
    pub fn secret_key_bytes(&self) -> &[u8] {
        match &self.secret_key {
            Some(key) => key.expose(),
            None => panic!("no secret key: call Config::ensure_secret_key at startup"),
        }
    }
}

/// Reads an existing key file; `Ok(None)` means it does not exist yet.
fn read_key(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(with_path(&err, "cannot read", path)),
    };
    let key = text.trim();
    if key.len() < 32 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} holds fewer than 32 bytes; delete it to generate a new key", path.display()),
        ));
    }
    Ok(Some(key.as_bytes().to_vec()))
}

/// Reads the development keyring's previous keys (one per line, each at least 32 bytes); `Ok(None)` when the file
/// does not exist.
fn read_previous(path: &Path) -> io::Result<Option<Vec<Vec<u8>>>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(with_path(&err, "cannot read", path)),
    };
    let keys: Vec<Vec<u8>> =
        text.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| l.as_bytes().to_vec()).collect();
    if let Some(line) = keys.iter().position(|k| k.len() < 32) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} line {} holds fewer than 32 bytes", path.display(), line + 1),
        ));
    }
    Ok(Some(keys))
}

/// Creates the key file without ever exposing a half-written or
/// world-readable key.
///
/// The key is written to a private temporary file and then hard-linked into
/// place, which fails if the file already exists; so two processes starting
/// at once agree on one key instead of overwriting each other's.
fn create_key(path: &Path) -> io::Result<Vec<u8>> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| with_path(&e, "cannot create", parent))?;
    }
    let mut random = [0_u8; 32];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut random))
        .map_err(|e| with_path(&e, "cannot read", Path::new("/dev/urandom")))?;
    let key: String = random.iter().map(|b| format!("{b:02x}")).collect();

    let temp = temp_path(path);
    // A stale temporary file from a crashed process with the same id would
    // make `create_new` fail, so it is cleared first.
    let _ = fs::remove_file(&temp);
    let written = write_private(&temp, key.as_bytes());
    let linked = written.and_then(|()| fs::hard_link(&temp, path));
    // The temporary name is removed whatever happened; failing to remove it
    // leaves only a private file behind, which is not worth failing over.
    let _ = fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok(key.into_bytes()),
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
            read_key(path)?.ok_or_else(|| io::Error::other(format!("{} vanished", path.display())))
        }
        Err(err) => Err(with_path(&err, "cannot create", path)),
    }
}

/// Writes `bytes` and a newline to a new file readable only by its owner.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// A temporary name next to `path`, unique to this process and call, so that
/// threads creating the key at once do not collide before the link decides.
fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".tmp-{}-{n}", std::process::id()));
    PathBuf::from(name)
}

/// Adds the path to an I/O error, so the operator knows which file failed.
fn with_path(err: &io::Error, action: &str, path: &Path) -> io::Error {
    io::Error::new(err.kind(), format!("{action} {}: {err}", path.display()))
}
