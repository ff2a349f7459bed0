//! Which paths a backup may read, write its archives into or restore over: one policy that the panel checks up
//! front (a refused plan or restore is a 422 and nothing is recorded) and the backup worker checks again before it
//! reads or writes anything, since it runs on the host with more rights than whoever asked.
//!
//! Every path is resolved first ([`resolve`]): the longest part that exists goes through `canonicalize`
//! (symlinks and `..` as the kernel follows them), the rest is appended, and a `..` in that rest is refused,
//! because what it will mean depends on folders and links that do not exist yet. The resolved path is what is
//! checked and what the caller then works on, so a link cannot send a checked path elsewhere.
//!
//! The rules, by what a path is used for:
//! - **Protected paths** (the panel's configuration, secrets, data folder and database files, as
//!   `lawha_config::Config::protected_paths` lists them, and [`NEVER_READ`]): no source, destination or restore
//!   target may be one or lie inside one; no destination or restore target may hold one. A directory source that
//!   holds one is accepted and leaves it out ([`PathPolicy::left_out_of`]), so a backup of `/etc` or `/` is
//!   possible without the panel's secrets in it.
//! - **System folders** ([`SYSTEM_FOLDERS`]): no destination or restore target may be one or hold one; a folder
//!   inside one is fine (`/home/alice`, `/etc/nginx`, `/srv/site`).
//! - **System trees** ([`SYSTEM_TREES`]): no destination or restore target may lie anywhere inside one.
//!
//! Sources may be system folders: backing up `/etc` or `/home` is what backups are for.
//!
//! Deliberately absent: bind mounts and hard links that show a protected file under another name are not
//! detected, and database servers are compared by the names in their URLs (loopback names count as one host),
//! without DNS: the policy keeps mistakes and requests from the API away from the panel's own state; it is not a
//! sandbox for someone who can already mount file systems.

#[cfg(test)]
mod tests;

use std::{
    ffi::OsString,
    fs, io,
    path::{Component, Path, PathBuf},
};

use crate::{
    BackupError, messages,
    sources::process::url::{DatabaseUrl, Endpoint},
};

pub use lawha_domain::system_paths::{SYSTEM_FOLDERS, SYSTEM_TREES};

/// Trees no backup reads, whatever the configuration: `/proc` holds every process's environment (the panel's
/// secret key among them), `/sys` and `/dev` are the kernel's and the devices'.
pub const NEVER_READ: &[&str] = &["/proc", "/sys", "/dev"];

/// What a path is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathUse {
    /// What a backup reads (a folder or a SQLite file).
    Source,
    /// The folder a plan's archives go into.
    Destination,
    /// What a restore writes (a folder or a SQLite file).
    RestoreTarget,
}

/// The protected paths of one panel, resolved, and its own database.
#[derive(Debug, Clone, Default)]
pub struct PathPolicy {
    /// The protected paths, resolved (a relative one against the working directory); [`NEVER_READ`] is not
    /// among them, as its trees are system trees for every other use.
    protected: Vec<PathBuf>,
    /// The panel's event store when it is a database server (a SQLite file is among the protected paths).
    panel_database: Option<DatabaseUrl>,
}

impl PathPolicy {
    /// A policy protecting `protected` (sources also keep out of [`NEVER_READ`]). A relative path is taken against the working
    /// directory, as the panel opens it; a path that cannot be resolved is kept as written, made absolute.
    pub fn new<I, P>(protected: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: AsRef<Path>,
    {
        let mut resolved: Vec<PathBuf> = protected
            .into_iter()
            .map(|p| p.as_ref().to_path_buf())
            .map(|p| std::path::absolute(&p).unwrap_or(p))
            .map(|p| resolve(&p).unwrap_or(p))
            .collect();
        resolved.sort();
        resolved.dedup();
        Self { protected: resolved, panel_database: None }
    }

    /// Also refuses restores into `url`'s database (the panel's `database_url`); a URL that is not a database
    /// server's (SQLite) is ignored, its file being a protected path.
    pub fn with_panel_database(mut self, url: &str) -> Self {
        self.panel_database = DatabaseUrl::parse(url).ok();
        self
    }

    /// The protected paths, resolved.
    pub fn protected(&self) -> &[PathBuf] {
        &self.protected
    }

    /// Resolves `path` and checks it for `usage`; returns the resolved path, which is the one to work on.
    pub fn check(&self, path: &Path, usage: PathUse) -> Result<PathBuf, BackupError> {
        let resolved = resolve(path)?;
        let refused = |message| Err(BackupError::Refused(message));
        for protected in &self.protected {
            if resolved == *protected {
                return refused(messages::path_is_protected(&resolved));
            }
            if resolved.starts_with(protected) {
                return refused(messages::path_in_protected(&resolved, protected));
            }
        }
        if usage == PathUse::Source {
            return match NEVER_READ.iter().map(Path::new).find(|tree| resolved.starts_with(tree)) {
                Some(tree) => refused(messages::path_in_protected(&resolved, tree)),
                None => Ok(resolved),
            };
        }
        // What the path is comes before what it holds: `/etc` is a system folder first, and holds `/etc/lawha`.
        let system = || SYSTEM_FOLDERS.iter().chain(SYSTEM_TREES).map(Path::new);
        if system().any(|folder| resolved == folder) {
            return refused(messages::path_system_folder(&resolved));
        }
        if let Some(tree) = SYSTEM_TREES.iter().map(Path::new).find(|tree| resolved.starts_with(tree)) {
            return refused(messages::path_in_system_tree(&resolved, tree));
        }
        if let Some(protected) = self.protected.iter().find(|p| p.starts_with(&resolved)) {
            return refused(messages::path_holds_protected(&resolved, protected));
        }
        if let Some(folder) = system().find(|folder| folder.starts_with(&resolved)) {
            return refused(messages::path_holds_system_folder(&resolved, folder));
        }
        Ok(resolved)
    }

    /// The protected paths strictly inside `source` (a resolved folder a backup reads), which the backup leaves
    /// out.
    pub fn left_out_of(&self, source: &Path) -> Vec<PathBuf> {
        let never_read = NEVER_READ.iter().map(PathBuf::from);
        self.protected.iter().cloned().chain(never_read).filter(|p| p != source && p.starts_with(source)).collect()
    }

    /// Refuses a restore into the panel's own database: the same database name on the same server (the same
    /// host and port, loopback names and unix sockets counting as this machine).
    pub fn check_database_target(&self, url: &str) -> Result<(), BackupError> {
        let Some(panel) = &self.panel_database else { return Ok(()) };
        let target = DatabaseUrl::parse(url)?;
        if target.database == panel.database && same_server(&target.endpoint, &panel.endpoint) {
            return Err(BackupError::Refused(messages::restore_into_panel_database(target.redacted())));
        }
        Ok(())
    }
}

/// Resolves an absolute path: the longest part that exists through `canonicalize`, then the rest as written. A
/// `..` in the rest is refused, as is a path that cannot be resolved (a symlink loop).
pub fn resolve(path: &Path) -> Result<PathBuf, BackupError> {
    if !path.is_absolute() {
        return Err(BackupError::Refused(messages::path_not_absolute(path)));
    }
    let mut existing = path.to_path_buf();
    let mut rest: Vec<OsString> = Vec::new();
    loop {
        match fs::canonicalize(&existing) {
            Ok(mut resolved) => {
                resolved.extend(rest.iter().rev());
                return Ok(resolved);
            }
            Err(e) if not_there_yet(&e) => match existing.components().next_back() {
                Some(Component::Normal(name)) => {
                    rest.push(name.to_os_string());
                    existing.pop();
                }
                Some(Component::ParentDir) => {
                    return Err(BackupError::Refused(messages::path_climbs_where_missing(path)));
                }
                _ => return Err(BackupError::Refused(messages::path_unresolvable(path, e.to_string()))),
            },
            Err(e) => return Err(BackupError::Refused(messages::path_unresolvable(path, e.to_string()))),
        }
    }
}

/// Whether `canonicalize` failed because the path goes on where nothing is (yet), or where this process may not
/// look: the part before it is then resolved, and the worker, which may look, checks again.
fn not_there_yet(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory | io::ErrorKind::PermissionDenied)
}

/// Whether two endpoints are one server: the same port on the same host, where every loopback name and every
/// unix socket means this machine (a socket's port is not in its URL, so any port matches it).
fn same_server(a: &Endpoint, b: &Endpoint) -> bool {
    match (a, b) {
        (Endpoint::Tcp { host: h1, port: p1 }, Endpoint::Tcp { host: h2, port: p2 }) => {
            p1 == p2 && (h1.eq_ignore_ascii_case(h2) || (is_loopback(h1) && is_loopback(h2)))
        }
        (Endpoint::Socket(_), Endpoint::Socket(_)) => true,
        (Endpoint::Socket(_), Endpoint::Tcp { host, .. }) | (Endpoint::Tcp { host, .. }, Endpoint::Socket(_)) => {
            is_loopback(host)
        }
    }
}

/// `localhost`, `127.0.0.0/8` or `::1`.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
