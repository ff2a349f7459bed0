//! Helpers for the engine tests: keys, trees on disk and their comparison, backups in one call, crafted tar
//! archives (raw headers, so that hostile names get through) signed like real ones.

use std::{
    fs,
    io::Write as _,
    os::unix::fs::{FileTypeExt as _, MetadataExt as _, PermissionsExt as _},
    path::{Path, PathBuf},
};

use chrono::{DateTime, Utc};
use lawha_backup::{
    archive::{BackupRequest, Completed, archive_file_name, run_backup},
    manifest::{Compression, FORMAT_VERSION, Manifest, ManifestKey, manifest_path, write_manifest},
    restore::directory::RestoreOptions,
    sources::{SourceDescription, directory::DirectorySource},
};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

/// The key every test signs with.
pub fn key() -> ManifestKey {
    ManifestKey::derive(b"engine tests secret")
}

/// A fixed start time, `seconds` after a base.
pub fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("time")
}

/// Restore options that allow a lot and refuse external links.
pub fn options() -> RestoreOptions {
    RestoreOptions { overwrite: false, keep_previous: false, max_bytes: 1 << 30, allow_external_symlinks: false }
}

/// A backup request for a directory with the defaults tests use.
pub fn request(source: &Path, destination: &Path, run: u128, started: i64) -> BackupRequest {
    BackupRequest {
        source: Box::new(DirectorySource::new(source).expect("source")),
        destination: destination.to_path_buf(),
        plan_id: Uuid::from_u128(7),
        plan_name: "site files".into(),
        run_id: Uuid::from_u128(run),
        started_at: at(started),
        level: 3,
        threads: 2,
        recipient: None,
        key: key(),
        progress: None,
    }
}

/// Backs up `source` into `destination` as run `run`.
pub fn backup(source: &Path, destination: &Path, run: u128, started: i64) -> Completed {
    run_backup(request(source, destination, run, started)).expect("backup")
}

/// Deterministic pseudo-random bytes (xorshift64*).
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

/// Writes a file and sets its mode and mtime.
pub fn file(path: &Path, bytes: &[u8], mode: u32, mtime: i64) {
    fs::write(path, bytes).expect("write");
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
    set_mtime(path, mtime);
}

/// Sets a path's mtime without following a symlink.
pub fn set_mtime(path: &Path, mtime: i64) {
    use rustix::fs::{AtFlags, CWD, Timespec, Timestamps, utimensat};
    let t = Timespec { tv_sec: mtime, tv_nsec: 0 };
    utimensat(CWD, path, &Timestamps { last_access: t, last_modification: t }, AtFlags::SYMLINK_NOFOLLOW)
        .expect("utimensat");
}

/// Every entry below `root` (not `root` itself), sorted, with what a restore must reproduce: kind, permission
/// bits, mtime, owner, and the contents or link target.
pub fn snapshot(root: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        let mut names: Vec<_> =
            fs::read_dir(root.join(&rel)).expect("read_dir").map(|e| e.expect("entry").file_name()).collect();
        names.sort();
        for name in names {
            let rel = rel.join(name);
            let path = root.join(&rel);
            let meta = fs::symlink_metadata(&path).expect("lstat");
            let common = format!("uid {} gid {} mtime {}", meta.uid(), meta.gid(), meta.mtime());
            let kind = meta.file_type();
            let what = if kind.is_fifo() || kind.is_socket() || kind.is_char_device() || kind.is_block_device() {
                format!("special {common}")
            } else if kind.is_symlink() {
                format!("symlink -> {} {common}", fs::read_link(&path).expect("readlink").display())
            } else if meta.is_dir() {
                pending.push(rel.clone());
                format!("dir {:o} {common}", meta.mode() & 0o7777)
            } else {
                let digest = hex::encode(Sha256::digest(fs::read(&path).expect("read")));
                format!(
                    "file {:o} {} bytes sha {digest} links {} {common}",
                    meta.mode() & 0o7777,
                    meta.len(),
                    meta.nlink()
                )
            };
            out.push((rel, what));
        }
    }
    out.sort();
    out
}

/// The names in a folder, sorted (for "nothing was left behind" checks).
pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.expect("entry").file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// One crafted tar entry.
pub struct Raw<'a> {
    /// The name exactly as stored (may be absolute or contain `..`).
    pub name: &'a [u8],
    /// The entry type byte.
    pub kind: tar::EntryType,
    /// The link target for links.
    pub link: &'a [u8],
    /// The contents of a file.
    pub data: &'a [u8],
}

/// Builds a tar stream from raw entries, bypassing the `tar` crate's own path checks.
pub fn raw_tar(entries: &[Raw<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..entry.name.len()].copy_from_slice(entry.name);
        header.as_old_mut().linkname[..entry.link.len()].copy_from_slice(entry.link);
        header.set_entry_type(entry.kind);
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        header.set_size(entry.data.len() as u64);
        header.set_cksum();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(entry.data);
        out.resize(out.len().next_multiple_of(512), 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// Compresses a tar stream and stores it in `folder` as run `run` with a correctly signed manifest, as if the
/// panel had written it: a hostile archive then reaches the extractor through the real restore path.
pub fn signed_archive(folder: &Path, tar: &[u8], run: u128) -> PathBuf {
    fs::create_dir_all(folder).expect("folder");
    let stored = zstd::encode_all(tar, 3).expect("zstd");
    let name = archive_file_name(at(0), Uuid::from_u128(run), "tar", false);
    let path = folder.join(&name);
    fs::File::create(&path).and_then(|mut f| f.write_all(&stored)).expect("write archive");
    let mut manifest = Manifest {
        format_version: FORMAT_VERSION,
        plan_id: Uuid::from_u128(7),
        plan_name: "crafted".into(),
        run_id: Uuid::from_u128(run),
        source: SourceDescription { kind: "directory".into(), location: "/crafted".into() },
        archive_file: name,
        stored_bytes: stored.len() as u64,
        source_bytes: tar.len() as u64,
        entries: 0,
        skipped: Vec::new(),
        sha256: hex::encode(Sha256::digest(&stored)),
        compression: Compression { algorithm: "zstd".into(), level: 3 },
        encryption: None,
        tool_versions: Vec::new(),
        created_at: at(0),
        key_id: String::new(),
        hmac: String::new(),
    };
    manifest.sign(&key());
    write_manifest(&manifest, &manifest_path(&path)).expect("manifest");
    path
}
