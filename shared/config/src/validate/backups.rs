//! The backups' settings (`backups.*`): more protected paths, each absolute, and how long an overwriting
//! restore keeps the folder it replaced.

use std::path::{Component, PathBuf};

use super::Builder;
use crate::sections::BackupsConfig;

/// The fix offered when `backups.protected_paths` is of the wrong type or holds a bad entry.
const PATHS_FIX: &str = "write absolute paths such as [\"/srv/secrets\", \"/home/deploy/.ssh\"] (in the environment: \
                         /srv/secrets,/home/deploy/.ssh)";

impl Builder {
    /// `backups.*`.
    pub(super) fn backups(&mut self) -> BackupsConfig {
        let defaults = BackupsConfig::default();
        let protected_paths = match self.list("backups.protected_paths", "paths", PATHS_FIX) {
            None => defaults.protected_paths.clone(),
            Some(items) => {
                let mut paths = Vec::new();
                for (index, item) in items.iter().enumerate() {
                    let path = PathBuf::from(item.trim());
                    // A protected path is compared with resolved paths, so it must name one place on its own: an
                    // absolute path with no `..` whose meaning would depend on symlinks.
                    if path.is_absolute() && !path.components().any(|c| c == Component::ParentDir) {
                        paths.push(path);
                    } else {
                        let message = format!("entry {}: {item:?} is not an absolute path without `..`", index + 1);
                        self.report("backups.protected_paths", message, PATHS_FIX);
                    }
                }
                paths
            }
        };
        BackupsConfig {
            protected_paths,
            safety_copy_hours: self.number("backups.safety_copy_hours", defaults.safety_copy_hours, 0, Some(8760)),
        }
    }
}
