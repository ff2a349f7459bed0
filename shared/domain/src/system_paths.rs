//! The machine's own folders, which nothing Lawha writes may be, hold or (for the system trees) lie in: the
//! backup engine's destinations and restore targets (`lawha_backup::paths`, which names each case) and the cert
//! worker's certificates folder ([`writes_system`]) follow the same list.

use std::path::Path;

/// Folders a destination or a restore target may not be, nor hold (every ancestor of one, `/` included, is
/// refused too); a folder inside one is fine. The top of the file system hierarchy that holds others' data, and
/// the parts of `/var` the system writes to.
pub const SYSTEM_FOLDERS: &[&str] = &[
    "/",
    "/etc",
    "/home",
    "/root",
    "/opt",
    "/srv",
    "/mnt",
    "/media",
    "/tmp",
    "/var",
    "/var/backups",
    "/var/cache",
    "/var/lib",
    "/var/log",
    "/var/mail",
    "/var/spool",
    "/var/tmp",
];

/// Trees a destination or a restore target may not lie anywhere in: the system's programs and libraries, its
/// boot files, and the kernel's and the runtime's pseudo file systems.
pub const SYSTEM_TREES: &[&str] =
    &["/bin", "/boot", "/dev", "/efi", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/run", "/sbin", "/sys", "/usr"];

/// Whether writing at `path` (an absolute path without `.` or `..`) could replace the machine's own files: it is
/// a system folder or tree, lies in a system tree, or holds one of them (`/` holds everything).
pub fn writes_system(path: &Path) -> bool {
    let system = || SYSTEM_FOLDERS.iter().chain(SYSTEM_TREES).map(Path::new);
    system().any(|folder| folder.starts_with(path))
        || SYSTEM_TREES.iter().map(Path::new).any(|tree| path.starts_with(tree))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_folders_their_parents_and_the_insides_of_system_trees_are_refused() {
        for path in ["/", "/etc", "/var", "/var/lib", "/usr", "/usr/local/certs", "/proc/1"] {
            assert!(writes_system(Path::new(path)), "{path}");
        }
        for path in ["/etc/lawha/certificates", "/var/lib/lawha/certificates", "/srv/site", "/tmp/x"] {
            assert!(!writes_system(Path::new(path)), "{path}");
        }
    }
}
