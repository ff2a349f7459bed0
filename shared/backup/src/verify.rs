//! Verification of a stored archive against its signed manifest: the signature (and which key made it), that the
//! manifest belongs to this file and run, the size, the SHA-256 of the stored bytes (streamed, 1 MiB at a time)
//! and, when asked, that the zstd (and age) stream decodes to as many bytes as the source wrote. Hashing and
//! decoding run on two threads so that a check costs about one pass, not two.

use std::{
    fs::File,
    io::{self, Read},
    path::Path,
};

use lawha_domain::Message;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::{
    encryption::{DecryptError, Identity, decrypting_reader, recipient_of},
    manifest::{Manifest, ManifestKey, SignatureError, manifest_path},
    messages,
    naming::parse_archive_name,
};

mod error;
mod pipe;

pub use error::{BackupId, VerifyError};

/// Bytes read from the archive at a time.
const CHUNK: usize = 1 << 20;

/// How much to check beyond the signature and the size.
#[derive(Clone, Copy)]
pub enum Check<'a> {
    /// The SHA-256 of the stored bytes.
    Hash,
    /// The SHA-256, and that the stream decodes to the manifest's `source_bytes`. An encrypted archive needs its
    /// identity.
    Decode(Option<&'a Identity>),
    /// [`Check::Decode`] where the stream can be read: always for a plain archive, for an encrypted one when its
    /// identity is given; an encrypted archive without it gets [`Check::Hash`].
    DecodeIfReadable(Option<&'a Identity>),
}

impl std::fmt::Debug for Check<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Check::Hash => f.write_str("Hash"),
            Check::Decode(identity) | Check::DecodeIfReadable(identity) => {
                let name = if matches!(self, Check::Decode(_)) { "Decode" } else { "DecodeIfReadable" };
                write!(f, "{name}({})", if identity.is_some() { "identity" } else { "none" })
            }
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
        (Check::Hash, _) | (Check::DecodeIfReadable(None), Some(_)) => None,
        (Check::Decode(_) | Check::DecodeIfReadable(_), None) => Some(None),
        (Check::Decode(None), Some(enc)) => {
            return Err(VerifyError::IdentityRequired { recipient: enc.recipient.clone() });
        }
        (Check::Decode(Some(identity)) | Check::DecodeIfReadable(Some(identity)), Some(enc)) => {
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
        Some(Ok(n)) if n != manifest.source_bytes => {
            Err(VerifyError::Corrupt(messages::decoded_size_mismatch(n, manifest.source_bytes)))
        }
        _ => Ok(manifest),
    }
}

/// Reads the manifest beside `archive` and checks its signature.
pub fn read_signed_manifest(archive: &Path, key: &ManifestKey) -> Result<Manifest, VerifyError> {
    let path = manifest_path(archive);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(VerifyError::MissingManifest { path }),
        // The system's description of the failure is data, shown as it is.
        Err(e) => return Err(VerifyError::UnreadableManifest { path, reason: Message::text(e.to_string()) }),
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
        return Err(VerifyError::OtherRun {
            expected: BackupId::File(name.to_string()),
            found: BackupId::File(manifest.archive_file.clone()),
        });
    }
    let in_name = parse_archive_name(name).map(|(_, run)| run);
    for expected in [in_name, expected_run].into_iter().flatten() {
        if expected != manifest.run_id {
            return Err(VerifyError::OtherRun {
                expected: BackupId::Run(expected),
                found: BackupId::Run(manifest.run_id),
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
        header @ DecryptError::Header(_) => VerifyError::Corrupt(header.message()),
    }
}

/// Opens the plaintext of a stored stream: age (when `identity`), then zstd.
pub(crate) fn decoder<'a, R: io::BufRead + 'a>(
    input: R,
    identity: Option<(&Identity, &str)>,
) -> Result<Box<dyn Read + 'a>, VerifyError> {
    let corrupt = |e: io::Error| VerifyError::Corrupt(messages::corrupt_zstd(e.to_string()));
    Ok(match identity {
        None => Box::new(zstd::stream::read::Decoder::with_buffer(input).map_err(corrupt)?),
        Some((identity, recipient)) => {
            let plain = decrypting_reader(identity, input).map_err(|e| age_error(e, recipient, identity))?;
            Box::new(zstd::stream::read::Decoder::new(plain).map_err(corrupt)?)
        }
    })
}
