//! Verification of a stored archive against its signed manifest: the signature (and which key made it), that the
//! manifest belongs to this file and run, the size, the SHA-256 of the stored bytes (streamed, 1 MiB at a time)
//! and, when asked, that the zstd (and age) stream decodes to as many bytes as the source wrote. Hashing and
//! decoding run on two threads so that a check costs about one pass, not two.

use std::{
    fs::File,
    io::{self, Read},
    path::{Path, PathBuf},
};

use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::{
    archive::parse_archive_name,
    encryption::{DecryptError, Identity, decrypting_reader, recipient_of},
    manifest::{Manifest, ManifestKey, SignatureError, manifest_path},
};

mod pipe;

/// Bytes read from the archive at a time.
const CHUNK: usize = 1 << 20;

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
        /// The I/O or parse error.
        reason: String,
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
        /// The file name or run id expected.
        expected: String,
        /// What the manifest names.
        found: String,
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
    /// The zstd or age stream does not decode (checked only when decoding is asked).
    #[error("the archive does not decode: {0}")]
    Corrupt(String),
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

/// How much to check beyond the signature and the size.
#[derive(Clone, Copy)]
pub enum Check<'a> {
    /// The SHA-256 of the stored bytes.
    Hash,
    /// The SHA-256, and that the stream decodes to the manifest's `source_bytes`. An encrypted archive needs its
    /// identity.
    Decode(Option<&'a Identity>),
}

impl std::fmt::Debug for Check<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Check::Hash => f.write_str("Hash"),
            Check::Decode(identity) => write!(f, "Decode({})", if identity.is_some() { "identity" } else { "none" }),
        }
    }
}

/// Verifies signature, ownership, size and SHA-256; returns the manifest when all hold. `expected_run`, when
/// given, must be the manifest's run.
pub fn verify_archive(archive: &Path, key: &ManifestKey, expected_run: Option<Uuid>) -> Result<Manifest, VerifyError> {
    verify_archive_with(archive, key, expected_run, Check::Hash)
}

/// [`verify_archive`] with a choice of how deep to check.
pub fn verify_archive_with(
    archive: &Path,
    key: &ManifestKey,
    expected_run: Option<Uuid>,
    check: Check<'_>,
) -> Result<Manifest, VerifyError> {
    let manifest = read_signed_manifest(archive, key)?;
    check_belongs(archive, &manifest, expected_run)?;
    let unreadable = |source| VerifyError::ArchiveUnreadable { path: archive.to_path_buf(), source };
    let file = File::open(archive).map_err(unreadable)?;
    let actual = file.metadata().map_err(unreadable)?.len();
    let expected = manifest.stored_bytes;
    if actual < expected {
        return Err(VerifyError::Truncated { expected, actual });
    }
    if actual > expected {
        return Err(VerifyError::SizeMismatch { expected, actual });
    }
    let identity = match (check, &manifest.encryption) {
        (Check::Hash, _) => None,
        (Check::Decode(_), None) => Some(None),
        (Check::Decode(None), Some(enc)) => {
            return Err(VerifyError::IdentityRequired { recipient: enc.recipient.clone() });
        }
        (Check::Decode(Some(identity)), Some(enc)) => {
            let given = recipient_of(identity);
            if given != enc.recipient {
                return Err(VerifyError::WrongIdentity { expected: enc.recipient.clone(), given });
            }
            Some(Some((identity, enc.recipient.as_str())))
        }
    };
    let (sha, decoded) = match identity {
        None => (hash_file(file, &mut |_| true).map_err(unreadable)?, None),
        Some(identity) => {
            let (sha, decoded) = pipe::hash_and_decode(file, identity).map_err(unreadable)?;
            (sha, Some(decoded))
        }
    };
    let actual_sha = hex::encode(sha);
    if !constant_time_eq(actual_sha.as_bytes(), manifest.sha256.as_bytes()) {
        return Err(VerifyError::ArchiveChanged { expected: manifest.sha256.clone(), actual: actual_sha });
    }
    match decoded {
        Some(Err(e)) => Err(e),
        Some(Ok(n)) if n != manifest.source_bytes => Err(VerifyError::Corrupt(format!(
            "it decodes to {n} bytes, the manifest says the source wrote {}",
            manifest.source_bytes
        ))),
        _ => Ok(manifest),
    }
}

/// Reads the manifest beside `archive` and checks its signature.
pub fn read_signed_manifest(archive: &Path, key: &ManifestKey) -> Result<Manifest, VerifyError> {
    let path = manifest_path(archive);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(VerifyError::MissingManifest { path }),
        Err(e) => return Err(VerifyError::UnreadableManifest { path, reason: e.to_string() }),
    };
    let manifest = Manifest::parse(&bytes).map_err(|reason| VerifyError::UnreadableManifest { path, reason })?;
    manifest.check_signature(key).map_err(|e| match e {
        SignatureError::WrongKey(expected, found) => VerifyError::WrongKey { expected, found },
        SignatureError::Changed => VerifyError::ManifestChanged,
    })?;
    Ok(manifest)
}

/// The manifest must name this very file, its run must be the one in the file name and, when given, the
/// expected run.
fn check_belongs(archive: &Path, manifest: &Manifest, expected_run: Option<Uuid>) -> Result<(), VerifyError> {
    let name = archive.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if name != manifest.archive_file {
        return Err(VerifyError::OtherRun { expected: name.to_string(), found: manifest.archive_file.clone() });
    }
    let in_name = parse_archive_name(name).map(|(_, run)| run);
    for expected in [in_name, expected_run].into_iter().flatten() {
        if expected != manifest.run_id {
            return Err(VerifyError::OtherRun {
                expected: format!("run {expected}"),
                found: format!("run {}", manifest.run_id),
            });
        }
    }
    Ok(())
}

/// SHA-256 of everything `file` yields, 1 MiB at a time; `each` sees every chunk and returns false to stop being
/// called (hashing goes on).
pub(crate) fn hash_file(mut file: impl Read, each: &mut dyn FnMut(&[u8]) -> bool) -> io::Result<[u8; 32]> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0; CHUNK];
    let mut wanted = true;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        if wanted {
            wanted = each(&buf[..n]);
        }
    }
    Ok(hasher.finalize().into())
}

/// Equality whose time does not depend on where the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Maps an age failure to the verification error it means.
pub(crate) fn age_error(e: DecryptError, expected: &str, identity: &Identity) -> VerifyError {
    match e {
        DecryptError::WrongIdentity => {
            VerifyError::WrongIdentity { expected: expected.to_string(), given: recipient_of(identity) }
        }
        DecryptError::Header(reason) => VerifyError::Corrupt(format!("age header: {reason}")),
    }
}

/// Opens the plaintext of a stored stream: age (when `identity`), then zstd.
pub(crate) fn decoder<'a, R: io::BufRead + 'a>(
    input: R,
    identity: Option<(&Identity, &str)>,
) -> Result<Box<dyn Read + 'a>, VerifyError> {
    let corrupt = |e: io::Error| VerifyError::Corrupt(format!("zstd: {e}"));
    Ok(match identity {
        None => Box::new(zstd::stream::read::Decoder::with_buffer(input).map_err(corrupt)?),
        Some((identity, recipient)) => {
            let plain = decrypting_reader(identity, input).map_err(|e| age_error(e, recipient, identity))?;
            Box::new(zstd::stream::read::Decoder::new(plain).map_err(corrupt)?)
        }
    })
}
