//! The paths that belong to the panel itself, which no backup may read and no backup or restore may write
//! into: what `lawha-backup`'s path policy is built from, in the panel and in the backup worker alike.

use std::path::{Path, PathBuf};

use crate::{Config, Origin};

/// Protected on every machine: where the install script keeps the environment file and the TLS key
/// (`ops/install.sh`), and where Compose mounts secrets. Neither is a key the panel reads, so the configuration
/// cannot name them otherwise.
pub const ALWAYS_PROTECTED: &[&str] = &["/etc/lawha", "/run/secrets"];

impl Config {
    /// Every path a backup must leave alone, as configured (a relative `data_dir` stays relative; the policy
    /// makes it absolute against the working directory, as the panel opens it): [`ALWAYS_PROTECTED`], the
    /// configuration file, `data_dir`, the files `*_FILE` variables were read from, the development key file,
    /// the SQLite files of the event store and of the job queue (with their `-wal`, `-shm` and `-journal`), and
    /// `backups.protected_paths`.
    pub fn protected_paths(&self) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = ALWAYS_PROTECTED.iter().map(PathBuf::from).collect();
        paths.extend(self.config_file.iter().cloned());
        paths.push(self.data_dir.clone());
        paths.extend(self.secret_files.iter().cloned());
        if let Some(Origin::KeyFile(path)) = self.origin("secret_key") {
            paths.push(path.clone());
        }
        let databases = sqlite_file(self.database_url.expose()).into_iter().chain([self.jobs.queue_path.clone()]);
        for file in databases {
            paths.extend(["-wal", "-shm", "-journal"].map(|suffix| with_suffix(&file, suffix)));
            paths.push(file);
        }
        paths.extend(self.backups.protected_paths.iter().cloned());
        paths
    }
}

/// The file of a `sqlite:` URL (`sqlite:///var/lib/lawha/lawha.db`, `sqlite://./data/lawha.db`,
/// `sqlite:lawha.db?mode=rwc`); `None` for another scheme or an in-memory database.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.get(..7).filter(|s| s.eq_ignore_ascii_case("sqlite:")).map(|_| &url[7..])?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// `<path><suffix>`: a SQLite side file.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(sqlite_file("sqlite:///var/lib/lawha/lawha.db"), Some("/var/lib/lawha/lawha.db".into()));
        assert_eq!(sqlite_file("SQLITE://./data/lawha.db?mode=rwc"), Some("./data/lawha.db".into()));
        assert_eq!(sqlite_file("sqlite:lawha.db"), Some("lawha.db".into()));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://db/lawha"), None);
    }

    #[test]
    fn the_test_configuration_protects_its_data_folder_and_databases() {
        let mut config = Config::test(Path::new("/tmp/lawha-protected"));
        config.backups.protected_paths = vec![PathBuf::from("/srv/keys")];
        let paths = config.protected_paths();
        for expected in [
            "/etc/lawha",
            "/run/secrets",
            "/tmp/lawha-protected",
            "/tmp/lawha-protected/lawha.db",
            "/tmp/lawha-protected/lawha.db-wal",
            "/tmp/lawha-protected/queue.db",
            "/srv/keys",
        ] {
            assert!(paths.contains(&PathBuf::from(expected)), "{expected} in {paths:?}");
        }
    }
}
