//! What the engine was doing when an I/O call failed, as keys (`reading_the_output_of`) instead of English
//! fragments. Each key is its English fragment in snake_case; the locales render every key through the one
//! Fluent select `engine-io-action` (a message the I/O messages reference: a Fluent term cannot take a variable
//! as an argument), and a test checks that both languages have a variant for each of [`ALL_ACTIONS`].

use std::fmt;

/// One action an I/O failure names: a key of [`ALL_ACTIONS`], always one of the constants of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IoAction(&'static str);

impl IoAction {
    /// The key, as the `action` argument of the I/O messages carries it.
    pub fn key(self) -> &'static str {
        self.0
    }
}

/// For logs: the English fragment (`reading the output of`).
impl fmt::Display for IoAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.replace('_', " "))
    }
}

/// Declares the action constants and [`ALL_ACTIONS`] from one list, so that no key can be missing from the table.
macro_rules! io_actions {
    ($( $(#[$attr:meta])* $name:ident = $key:literal; )+) => {
        $( $(#[$attr])* pub const $name: IoAction = IoAction($key); )+
        /// Every action key, each a `[key]` variant of `engine-io-action` in both locales.
        pub const ALL_ACTIONS: &[&str] = &[$($key),+];
    };
}

io_actions! {
    /// Reading a file or a stream.
    READING = "reading";
    /// Writing a file or a stream.
    WRITING = "writing";
    /// Flushing a file to disk.
    SYNCING = "syncing";
    /// Flushing a folder to disk, so that a rename in it survives a crash.
    SYNCING_THE_FOLDER = "syncing_the_folder";
    /// Creating a file.
    CREATING = "creating";
    /// Opening a file.
    OPENING = "opening";
    /// Copying a file.
    COPYING = "copying";
    /// Removing a file.
    REMOVING = "removing";
    /// Creating a plan's backup folder.
    CREATING_THE_BACKUP_FOLDER = "creating_the_backup_folder";
    /// Creating the archive's temporary file.
    CREATING_THE_ARCHIVE = "creating_the_archive";
    /// Writing into the archive file.
    WRITING_THE_ARCHIVE = "writing_the_archive";
    /// Renaming the complete archive to its final name.
    RENAMING_THE_ARCHIVE_TO = "renaming_the_archive_to";
    /// Renaming the complete manifest to its final name.
    RENAMING_THE_MANIFEST_TO = "renaming_the_manifest_to";
    /// Listing a plan's backup folder.
    LISTING_THE_BACKUP_FOLDER = "listing_the_backup_folder";
    /// Starting age encryption of the archive.
    STARTING_AGE_ENCRYPTION_OF = "starting_age_encryption_of";
    /// Starting the zstd encoder of the archive.
    STARTING_ZSTD_FOR = "starting_zstd_for";
    /// Starting zstd's worker threads.
    STARTING_ZSTD_WORKER_THREADS_FOR = "starting_zstd_worker_threads_for";
    /// Setting a zstd parameter.
    CONFIGURING_ZSTD_FOR = "configuring_zstd_for";
    /// Writing the end of the zstd stream.
    FINISHING_THE_ZSTD_STREAM_OF = "finishing_the_zstd_stream_of";
    /// Writing the end of the age stream.
    FINISHING_THE_AGE_STREAM_OF = "finishing_the_age_stream_of";
    /// Reading a source folder's metadata.
    READING_THE_SOURCE_FOLDER = "reading_the_source_folder";
    /// Listing a source folder.
    LISTING_THE_SOURCE_FOLDER = "listing_the_source_folder";
    /// Writing a directory's tar stream into the archive.
    WRITING_THE_TAR_STREAM_OF = "writing_the_tar_stream_of";
    /// Starting an external tool.
    STARTING = "starting";
    /// Waiting for an external tool to end.
    WAITING_FOR = "waiting_for";
    /// Reading what an external tool writes.
    READING_THE_OUTPUT_OF = "reading_the_output_of";
    /// Writing what an external tool writes into the archive.
    WRITING_THE_OUTPUT_OF = "writing_the_output_of";
    /// Writing into an external tool's input.
    FEEDING = "feeding";
    /// Reading the archive to feed an external tool.
    READING_WHAT_TO_FEED = "reading_what_to_feed";
    /// Reading a file's metadata.
    READING_THE_METADATA_OF = "reading_the_metadata_of";
    /// Creating a temporary folder for a SQLite snapshot.
    CREATING_A_TEMPORARY_DIRECTORY_IN = "creating_a_temporary_directory_in";
    /// Opening a SQLite snapshot.
    OPENING_THE_SNAPSHOT = "opening_the_snapshot";
    /// Writing a SQLite snapshot into the archive.
    WRITING_THE_SNAPSHOT_OF = "writing_the_snapshot_of";
    /// Starting the runtime that runs SQLite's calls.
    STARTING_A_RUNTIME_FOR = "starting_a_runtime_for";
    /// Creating the folder of a safety dump.
    CREATING_A_DIRECTORY_FOR_THE_SAFETY_DUMP_IN = "creating_a_directory_for_the_safety_dump_in";
    /// Opening a safety dump to put it back.
    OPENING_THE_SAFETY_DUMP = "opening_the_safety_dump";
    /// Creating a temporary file beside a target.
    CREATING_A_TEMPORARY_FILE_IN = "creating_a_temporary_file_in";
    /// Reading the SQLite snapshot out of the archive.
    READING_THE_SNAPSHOT_TO_RESTORE_INTO = "reading_the_snapshot_to_restore_into";
    /// Writing the SQLite snapshot beside the target.
    WRITING_THE_SNAPSHOT_TO_RESTORE_INTO = "writing_the_snapshot_to_restore_into";
    /// Renaming the checked SQLite snapshot over the target.
    RENAMING_THE_RESTORED_SNAPSHOT_OVER = "renaming_the_restored_snapshot_over";
    /// Renaming a file over another.
    RENAMING_OVER = "renaming_over";
    /// Opening the archive to restore it.
    OPENING_THE_ARCHIVE = "opening_the_archive";
    /// Creating the temporary folder a restore extracts into.
    CREATING_A_TEMPORARY_FOLDER_IN = "creating_a_temporary_folder_in";
    /// Reading the folder a restore target goes into.
    READING_THE_FOLDER_OF_THE_RESTORE_TARGET = "reading_the_folder_of_the_restore_target";
    /// Reading the restore target.
    READING_THE_RESTORE_TARGET = "reading_the_restore_target";
    /// Renaming the restored folder into place.
    RENAMING_THE_RESTORED_FOLDER_TO = "renaming_the_restored_folder_to";
    /// Moving the replaced target aside.
    MOVING_THE_OLD_TARGET_AWAY_FROM = "moving_the_old_target_away_from";
    /// Creating a restored folder.
    CREATING_THE_FOLDER = "creating_the_folder";
    /// Creating a restored symlink.
    CREATING_THE_SYMLINK = "creating_the_symlink";
    /// Creating a restored hard link.
    CREATING_THE_HARD_LINK = "creating_the_hard_link";
    /// Reading a restored symlink back.
    READING_THE_SYMLINK = "reading_the_symlink";
    /// Opening a restored folder to set its metadata.
    OPENING_THE_FOLDER = "opening_the_folder";
    /// Reading an entry's mode from the tar header.
    READING_THE_MODE_OF = "reading_the_mode_of";
    /// Setting a restored entry's owner.
    SETTING_THE_OWNER_OF = "setting_the_owner_of";
    /// Setting a restored entry's mode.
    SETTING_THE_MODE_OF = "setting_the_mode_of";
    /// Setting a restored entry's modification time.
    SETTING_THE_MTIME_OF = "setting_the_mtime_of";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_fluent_identifiers_and_read_as_english() {
        let mut seen = std::collections::BTreeSet::new();
        for key in ALL_ACTIONS {
            assert!(seen.insert(key), "{key} is listed twice");
            let mut chars = key.chars();
            assert!(chars.next().is_some_and(|c| c.is_ascii_lowercase()), "{key}");
            assert!(chars.all(|c| c.is_ascii_lowercase() || c == '_'), "{key} is not snake_case");
        }
        assert_eq!(READING_THE_OUTPUT_OF.to_string(), "reading the output of");
        assert_eq!(READING_THE_OUTPUT_OF.key(), "reading_the_output_of");
    }
}
