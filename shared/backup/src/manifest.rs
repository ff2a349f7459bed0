//! The manifest beside every archive (`<archive file name>.manifest.json`): what was backed up, how it was stored
//! and the SHA-256 of the stored bytes, signed with HMAC-SHA256 under a key derived from the panel's secret key.
//!
//! **Canonical bytes.** The signature covers `serde_json::to_vec` of the [`Manifest`] with its `hmac` field set
//! to the empty string: compact JSON, fields in declaration order, no maps whose order could vary. A verifier
//! parses the file, re-serialises it that way and checks the HMAC, so whitespace in the file does not matter but
//! every value does. Unknown fields are refused rather than silently dropped from the signed content.

use std::{fs, io::Write as _, path::Path};

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use lawha_domain::Message;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use crate::{
    BackupError,
    messages::{self, actions},
    sources::SourceDescription,
};

type HmacSha256 = Hmac<Sha256>;

/// The only manifest format this engine writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// What follows an archive's file name to name its manifest.
pub const MANIFEST_SUFFIX: &str = ".manifest.json";

/// The key that signs manifests: HMAC-SHA256(panel secret, "lawha/backup/manifest/v1"), so the secret itself
/// never signs anything and no other purpose shares this key. After the panel's secret key was rotated, the keys of
/// the previous secrets still check the manifests they signed (each manifest names its key by `key_id`).
#[derive(Clone)]
pub struct ManifestKey {
    key: [u8; 32],
    previous: Vec<[u8; 32]>,
}

impl std::fmt::Debug for ManifestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ManifestKey({})", self.key_id())
    }
}

impl ManifestKey {
    /// Derives the manifest key from the panel's secret key.
    pub fn derive(secret: &[u8]) -> Self {
        Self { key: Self::key_of(secret), previous: Vec::new() }
    }

    /// The manifest key of `secret`, which signs, and those of the previous secret keys, which still check what
    /// they signed.
    pub fn derive_with_previous(secret: &[u8], previous: &[&[u8]]) -> Self {
        Self { key: Self::key_of(secret), previous: previous.iter().map(|s| Self::key_of(s)).collect() }
    }

    fn key_of(secret: &[u8]) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
        mac.update(b"lawha/backup/manifest/v1");
        mac.finalize().into_bytes().into()
    }

    /// A public fingerprint of the key (16 hex digits of HMAC(key, "key-id")), stored in each manifest so that a
    /// verifier can tell "signed with another key" from "changed after signing".
    pub fn key_id(&self) -> String {
        id_of(&self.key)
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.key).expect("HMAC accepts keys of any length")
    }

    /// The key (current or previous) whose id is `key_id`.
    fn named(&self, key_id: &str) -> Option<&[u8; 32]> {
        std::iter::once(&self.key).chain(&self.previous).find(|k| id_of(k) == key_id)
    }
}

fn id_of(key: &[u8; 32]) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(b"key-id");
    hex::encode(&mac.finalize().into_bytes()[..8])
}

/// How the stored bytes were compressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compression {
    /// Always `zstd`.
    pub algorithm: String,
    /// The zstd level, 1..=19.
    pub level: i32,
}

/// How the stored bytes were encrypted, when they were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Encryption {
    /// Always `age`.
    pub algorithm: String,
    /// The age recipient (`age1…`, a public key) the archive was encrypted to.
    pub recipient: String,
}

/// An external tool a source ran, for a restore that wants the same version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolVersion {
    /// The program (`pg_dump`).
    pub tool: String,
    /// What it reported (`pg_dump (PostgreSQL) 15.8`).
    pub version: String,
}

/// Everything known about one stored archive. See the module documentation for what the signature covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The backup plan this run belongs to.
    pub plan_id: Uuid,
    /// The plan's name when the run happened (for people reading the folder).
    pub plan_name: String,
    /// The run that wrote the archive; also part of the archive's file name.
    pub run_id: Uuid,
    /// What was backed up, without secrets.
    pub source: SourceDescription,
    /// The archive's file name (no folder): a manifest renamed beside another archive does not match it.
    pub archive_file: String,
    /// Bytes in the stored file.
    pub stored_bytes: u64,
    /// Uncompressed bytes the source wrote.
    pub source_bytes: u64,
    /// Entries the source wrote (files, folders and links of a directory).
    pub entries: u64,
    /// What the source left out and why: each a message's log form (`engine.skipped_fifo(path=run/pipe)`), so
    /// that the signed format stays the same while the engine reports messages.
    pub skipped: Vec<String>,
    /// SHA-256 of the stored bytes, lowercase hex.
    pub sha256: String,
    /// How the bytes were compressed.
    pub compression: Compression,
    /// How they were encrypted, or `null`.
    pub encryption: Option<Encryption>,
    /// The external tools the source ran, with their versions.
    pub tool_versions: Vec<ToolVersion>,
    /// When the run started (RFC 3339, UTC); also the start of the archive's file name.
    pub created_at: DateTime<Utc>,
    /// [`ManifestKey::key_id`] of the key that signed this manifest.
    pub key_id: String,
    /// HMAC-SHA256 (hex) over the canonical bytes.
    pub hmac: String,
}

/// Why a manifest's signature does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// The manifest names another key: `(expected, found)` key ids.
    WrongKey(String, String),
    /// The key matches but the content changed after signing.
    Changed,
}

impl Manifest {
    /// The bytes the HMAC covers: compact JSON of this manifest with `hmac` empty.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let unsigned = Manifest { hmac: String::new(), ..self.clone() };
        serde_json::to_vec(&unsigned).expect("a manifest always serialises")
    }

    /// Sets `key_id` and `hmac` for `key`.
    pub fn sign(&mut self, key: &ManifestKey) {
        self.key_id = key.key_id();
        let mut mac = key.mac();
        mac.update(&self.canonical_bytes());
        self.hmac = hex::encode(mac.finalize().into_bytes());
    }

    /// Checks the signature in constant time (`hmac`'s `verify_slice`), under the key (current or previous) that
    /// `key_id` names.
    pub fn check_signature(&self, key: &ManifestKey) -> Result<(), SignatureError> {
        let Some(signer) = key.named(&self.key_id) else {
            return Err(SignatureError::WrongKey(key.key_id(), self.key_id.clone()));
        };
        let tag = hex::decode(&self.hmac).map_err(|_| SignatureError::Changed)?;
        let mut mac = HmacSha256::new_from_slice(signer).expect("HMAC accepts keys of any length");
        mac.update(&self.canonical_bytes());
        mac.verify_slice(&tag).map_err(|_| SignatureError::Changed)
    }

    /// Parses a manifest file's bytes (any JSON formatting), refusing other format versions; the error says why.
    pub fn parse(bytes: &[u8]) -> Result<Self, Message> {
        let manifest: Manifest =
            serde_json::from_slice(bytes).map_err(|e| messages::manifest_not_json(e.to_string()))?;
        if manifest.format_version != FORMAT_VERSION {
            return Err(messages::manifest_version_unsupported(manifest.format_version, FORMAT_VERSION));
        }
        Ok(manifest)
    }
}

/// The manifest path of an archive: `<archive>.manifest.json` in the same folder.
pub fn manifest_path(archive: &Path) -> std::path::PathBuf {
    let mut name = archive.file_name().unwrap_or_default().to_os_string();
    name.push(MANIFEST_SUFFIX);
    archive.with_file_name(name)
}

/// Writes `manifest` to `path` durably: a temporary file in the same folder, fsynced, renamed, then the folder
/// fsynced, so a manifest under its final name is always complete.
pub fn write_manifest(manifest: &Manifest, path: &Path) -> Result<(), BackupError> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(path.file_name().unwrap_or_default());
    temp_name.push(".partial");
    let temp = folder.join(temp_name);
    let result = (|| {
        let mut bytes = serde_json::to_vec_pretty(manifest).expect("a manifest always serialises");
        bytes.push(b'\n');
        let mut file = crate::fsutil::create_new(&temp).map_err(|e| BackupError::io(actions::CREATING, &temp, e))?;
        file.write_all(&bytes).map_err(|e| BackupError::io(actions::WRITING, &temp, e))?;
        file.sync_all().map_err(|e| BackupError::io(actions::SYNCING, &temp, e))?;
        fs::rename(&temp, path).map_err(|e| BackupError::io(actions::RENAMING_THE_MANIFEST_TO, path, e))?;
        crate::fsutil::sync_dir(folder)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}
