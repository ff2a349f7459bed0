//! Why an archive failed verification, and the message each cause gives people.

use std::{fmt, io, path::PathBuf};

use lawha_domain::Message;
use uuid::Uuid;

use crate::messages;

/// Why an archive failed verification. Each names one cause, so an operator knows whether the key, the manifest
/// or the archive is at fault.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// No manifest beside the archive.
    #[error("the manifest {} is missing: without it the archive cannot be verified", path.display())]
    MissingManifest {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The manifest exists but cannot be read or parsed.
    #[error("the manifest {} cannot be read: {reason}", path.display())]
    UnreadableManifest {
        /// The manifest.
        path: PathBuf,
        /// Why: the system's description of the I/O error, or what parsing found.
        reason: Message,
    },
    /// The manifest was signed with another key.
    #[error(
        "the manifest was signed with another key (key id {found}, this panel's is {expected}): was the panel's \
         secret key changed, or does the archive come from another panel?"
    )]
    WrongKey {
        /// This panel's key id.
        expected: String,
        /// The manifest's.
        found: String,
    },
    /// The key matches but the manifest's content changed after it was signed.
    #[error("the manifest was changed after it was signed: its HMAC does not match its content")]
    ManifestChanged,
    /// The manifest is genuine but describes another archive or run.
    #[error("the manifest belongs to another backup: expected {expected}, the manifest says {found}")]
    OtherRun {
        /// The file name or run expected.
        expected: BackupId,
        /// What the manifest names.
        found: BackupId,
    },
    /// The archive is shorter than the manifest says.
    #[error("the archive is truncated: {actual} bytes on disk, the manifest says {expected}")]
    Truncated {
        /// Bytes per the manifest.
        expected: u64,
        /// Bytes on disk.
        actual: u64,
    },
    /// The archive is longer than the manifest says.
    #[error("the archive is larger than its manifest says: {actual} bytes on disk, the manifest says {expected}")]
    SizeMismatch {
        /// Bytes per the manifest.
        expected: u64,
        /// Bytes on disk.
        actual: u64,
    },
    /// Same size, different content.
    #[error("the archive's content changed: its SHA-256 is {actual}, the manifest says {expected}")]
    ArchiveChanged {
        /// SHA-256 per the manifest.
        expected: String,
        /// SHA-256 of the file.
        actual: String,
    },
    /// The zstd or age stream does not decode (checked only when decoding is asked): where and how.
    #[error("the archive does not decode: {0}")]
    Corrupt(Message),
    /// Decoding an encrypted archive was asked without its secret key.
    #[error("the archive is encrypted for {recipient}: decoding it needs the matching age secret key")]
    IdentityRequired {
        /// The recipient it was encrypted to.
        recipient: String,
    },
    /// The secret key given is not the one the archive was encrypted to.
    #[error("the secret key given belongs to {given}, but the archive was encrypted to {expected}")]
    WrongIdentity {
        /// The manifest's recipient.
        expected: String,
        /// The given identity's recipient.
        given: String,
    },
    /// The archive itself cannot be opened or read.
    #[error("reading the archive {}: {source}", path.display())]
    ArchiveUnreadable {
        /// The archive.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
}

impl VerifyError {
    /// What people read.
    pub fn message(&self) -> Message {
        match self {
            Self::MissingManifest { path } => messages::manifest_missing(path),
            Self::UnreadableManifest { path, reason } => messages::manifest_unreadable(path, reason.clone()),
            Self::WrongKey { expected, found } => messages::manifest_wrong_key(found, expected),
            Self::ManifestChanged => messages::manifest_changed(),
            Self::OtherRun { expected, found } => messages::manifest_other_backup(expected.message(), found.message()),
            Self::Truncated { expected, actual } => messages::verify_truncated(*actual, *expected),
            Self::SizeMismatch { expected, actual } => messages::verify_too_large(*actual, *expected),
            Self::ArchiveChanged { expected, actual } => messages::archive_changed(actual, expected),
            Self::Corrupt(problem) => messages::archive_corrupt(problem.clone()),
            Self::IdentityRequired { recipient } => messages::identity_required(recipient),
            Self::WrongIdentity { expected, given } => messages::wrong_identity(given, expected),
            Self::ArchiveUnreadable { path, source } => messages::archive_unreadable(path, source.to_string()),
        }
    }
}

/// Which backup a manifest belongs to, as far as [`VerifyError::OtherRun`] compares them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupId {
    /// The archive's file name (no folder).
    File(String),
    /// The run that wrote it.
    Run(Uuid),
}

impl BackupId {
    /// What people read.
    pub fn message(&self) -> Message {
        match self {
            Self::File(name) => messages::backup_file(name),
            Self::Run(run) => messages::backup_run(*run),
        }
    }
}

/// For logs: the file name, or `run <id>`.
impl fmt::Display for BackupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(name) => f.write_str(name),
            Self::Run(run) => write!(f, "run {run}"),
        }
    }
}
