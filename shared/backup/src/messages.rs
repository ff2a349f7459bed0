//! Every message the backup engine can emit: a code and its arguments, never a sentence. The panel renders them
//! in the reader's language from `services/api/locales/<lang>/engine.ftl`, where the code `engine.a_b` is the
//! Fluent message `engine-a_b` with exactly the arguments declared here (a test in this module checks both files).
//!
//! Arguments are data only: paths, numbers, a command line, a tool's stderr, the system's own description of an
//! I/O error. A message that explains another one takes it as a nested message argument (`reason`, `problem`,
//! `cause`), which the panel renders first in the same language. The actions named by the I/O failures are keys
//! of [`actions`], put into words by one Fluent select (`engine-io-action`) that the I/O messages reference.

pub mod actions;
#[cfg(test)]
mod tests;

pub use actions::IoAction;

lawha_domain::messages! {
    /// An external tool ran and failed; `stderr` holds the last lines it wrote.
    command_failed = "engine.command_failed"(command, status, stderr);
    /// An external tool ran and failed without writing anything on stderr.
    command_failed_no_stderr = "engine.command_failed_no_stderr"(command, status);
    /// How a tool ended: with an exit status.
    exit_status = "engine.exit_status"(code);
    /// How a tool ended: killed by a signal.
    killed_by_signal = "engine.killed_by_signal"(signal);
    /// An external tool is not installed; `package` is the Debian package that provides it.
    missing_tool = "engine.missing_tool"(program, package);
    /// The destination's file system is full; `action` is a key of [`actions`].
    disk_full = "engine.disk_full"(action, path);
    /// The system refused access; `action` is a key of [`actions`].
    permission_denied = "engine.permission_denied"(action, path);
    /// Any other I/O failure; `action` is a key of [`actions`], `reason` the system's own words.
    io_failed = "engine.io_failed"(action, path, reason);
    /// The database could not be reached or refused a query; `problem` says how.
    database_failed = "engine.database_failed"(location, problem);
    /// The archive read back does not match what was written; `problem` says how.
    read_back_mismatch = "engine.read_back_mismatch"(problem);
    /// The manifest read back is not the one written.
    read_back_manifest_differs = "engine.read_back_manifest_differs";
    /// A zstd level outside 1 to 19.
    level_out_of_range = "engine.level_out_of_range"(level);
    /// A tool was started without one of its pipes (`stdin`, `stdout`, `stderr`).
    pipe_missing = "engine.pipe_missing"(program, pipe);
    /// No MariaDB or MySQL program was given to run.
    no_mariadb_program = "engine.no_mariadb_program";
    /// A directory source that does not exist.
    source_folder_missing = "engine.source_folder_missing"(path);
    /// A directory source that is not a folder.
    source_not_a_folder = "engine.source_not_a_folder"(path);

    /// A database URL without `://`.
    url_not_a_url = "engine.url_not_a_url";
    /// A database URL with a scheme the engine does not know.
    url_unknown_scheme = "engine.url_unknown_scheme"(scheme);
    /// A database URL whose scheme is too odd to quote (it could be a password).
    url_no_scheme = "engine.url_no_scheme";
    /// A database name holding `/`.
    url_database_slash = "engine.url_database_slash"(database);
    /// A socket parameter (`host`, `socket`) that is not an absolute path.
    url_socket_relative = "engine.url_socket_relative"(parameter, path);
    /// An IPv6 host whose `[` is never closed.
    url_bracket_unclosed = "engine.url_bracket_unclosed"(host);
    /// A database URL without a host.
    url_no_host = "engine.url_no_host";
    /// A port that is not a number from 1 to 65535.
    url_bad_port = "engine.url_bad_port"(port);
    /// A query parameter the engine does not support; `supported` lists the ones it does.
    url_unsupported_parameter = "engine.url_unsupported_parameter"(parameter, supported);
    /// A `%` not followed by two hex digits; `part` is a key (`database`, `user`, `password`, `host`,
    /// `parameter_name`, `parameter_value`).
    url_bad_percent = "engine.url_bad_percent"(part);
    /// A piece that is not UTF-8 once percent-decoded; `part` as in [`url_bad_percent`].
    url_not_utf8 = "engine.url_not_utf8"(part);
    /// A URL naming no database where one is needed.
    url_no_database = "engine.url_no_database"(url);
    /// A URL that is not a PostgreSQL URL.
    url_not_postgres = "engine.url_not_postgres"(url);
    /// A URL that is not a MySQL/MariaDB URL.
    url_not_mysql = "engine.url_not_mysql"(url);

    /// Counting the tables answered something else than a number.
    count_tables_not_a_number = "engine.count_tables_not_a_number"(output);
    /// `SHOW CREATE DATABASE` answered something else than a `CREATE DATABASE` statement.
    show_create_database_unexpected = "engine.show_create_database_unexpected"(output);
    /// A SQLite file that does not exist.
    sqlite_file_missing = "engine.sqlite_file_missing";
    /// A SQLite path that is not a regular file.
    sqlite_not_a_file = "engine.sqlite_not_a_file";
    /// A file without the SQLite header.
    sqlite_bad_header = "engine.sqlite_bad_header";
    /// SQLite said the file is not a database; `problem` is the step that found it.
    sqlite_not_a_database = "engine.sqlite_not_a_database"(problem);
    /// Asking SQLite its version failed.
    sqlite_version_failed = "engine.sqlite_version_failed"(error);
    /// `VACUUM INTO` failed.
    sqlite_snapshot_failed = "engine.sqlite_snapshot_failed"(error);
    /// `PRAGMA integrity_check` could not run.
    sqlite_integrity_check_failed = "engine.sqlite_integrity_check_failed"(error);
    /// Counting a SQLite database's tables failed.
    sqlite_count_tables_failed = "engine.sqlite_count_tables_failed"(error);
    /// `PRAGMA integrity_check` found damage; `found` is SQLite's own report.
    sqlite_damaged = "engine.sqlite_damaged"(found);
    /// Checkpointing a SQLite target's WAL before a restore failed.
    wal_checkpoint_failed = "engine.wal_checkpoint_failed"(error);
    /// A database restore failed: `cause` is why, `outcome` how the target was left.
    restore_failed = "engine.restore_failed"(cause, outcome);
    /// Outcome: the safety dump was put back.
    restore_put_back = "engine.restore_put_back";
    /// Outcome: the database created for the restore was dropped again.
    restore_dropped = "engine.restore_dropped";
    /// Outcome: nothing was changed.
    restore_untouched = "engine.restore_untouched";
    /// Outcome: putting the safety dump back failed; it is kept at `path`.
    restore_put_back_failed = "engine.restore_put_back_failed"(error, path);
    /// Outcome: cleaning up after the failure failed.
    restore_cleanup_failed = "engine.restore_cleanup_failed"(error);
    /// The safety dump could not be taken, so the restore did not start.
    safety_dump_failed = "engine.safety_dump_failed"(cause);

    /// The folder of a SQLite restore target does not exist.
    restore_target_folder_missing = "engine.restore_target_folder_missing"(path);
    /// The snapshot to restore failed its integrity check.
    restore_snapshot_unsound = "engine.restore_snapshot_unsound"(path, problem);
    /// The SQLite restore target exists but is not a SQLite database.
    restore_target_not_sqlite = "engine.restore_target_not_sqlite"(path, problem);
    /// The SQLite restore target is still written to.
    restore_target_in_use = "engine.restore_target_in_use"(path);
    /// A SQLite restore target without a file name.
    restore_target_no_file_name = "engine.restore_target_no_file_name"(path);
    /// A directory restore of another kind of backup.
    restore_not_a_directory_backup = "engine.restore_not_a_directory_backup"(path, kind);
    /// A directory restore target without a folder name.
    restore_target_no_folder_name = "engine.restore_target_no_folder_name"(path);
    /// The parent of a directory restore target is not a folder.
    restore_parent_not_a_folder = "engine.restore_parent_not_a_folder"(path);
    /// The restore target exists and overwriting was not allowed.
    restore_target_exists = "engine.restore_target_exists"(path);
    /// The restore target appeared while the archive was extracted.
    restore_target_appeared = "engine.restore_target_appeared"(path);
    /// A directory restore failed after the previous folder was moved aside, and it was put back.
    restore_previous_put_back = "engine.restore_previous_put_back"(cause);
    /// A directory restore failed after the previous folder was moved aside, and putting it back failed too: it
    /// is kept at `path`.
    restore_previous_kept = "engine.restore_previous_kept"(cause, error, path);
    /// The target's file system has less free space than the restore needs (in bytes).
    restore_no_space = "engine.restore_no_space"(path, needed, available);
    /// A restore into the panel's own database.
    restore_into_panel_database = "engine.restore_into_panel_database"(url);
    /// A hostile or unsupported archive entry; `reason` is one of the `entry_*` messages.
    archive_refused = "engine.archive_refused"(entry, reason);
    /// Reason: a path with `..`.
    entry_parent_dir = "engine.entry_parent_dir";
    /// Reason: an absolute path.
    entry_absolute = "engine.entry_absolute";
    /// Reason: an entry without a name that is not a folder.
    entry_unnamed = "engine.entry_unnamed";
    /// Reason: a character device.
    entry_char_device = "engine.entry_char_device";
    /// Reason: a block device.
    entry_block_device = "engine.entry_block_device";
    /// Reason: a FIFO.
    entry_fifo = "engine.entry_fifo";
    /// Reason: a sparse file.
    entry_sparse = "engine.entry_sparse";
    /// Reason: another tar entry type, by its type byte.
    entry_other_type = "engine.entry_other_type"(kind);
    /// Reason: a symlink without a target.
    entry_symlink_without_target = "engine.entry_symlink_without_target";
    /// Reason: a symlink leading outside the target folder.
    entry_symlink_outside = "engine.entry_symlink_outside"(target);
    /// Reason: a hard link to something outside the target.
    entry_hardlink_outside = "engine.entry_hardlink_outside"(target);
    /// Reason: a hard link to something that is not a file restored before it.
    entry_hardlink_not_a_file = "engine.entry_hardlink_not_a_file"(target);
    /// Reason: the entry would be written through a symlink.
    entry_through_symlink = "engine.entry_through_symlink"(link);
    /// Reason: a folder on the entry's path is a file in the archive.
    entry_parent_not_a_folder = "engine.entry_parent_not_a_folder";
    /// Reason: the archive expands beyond the restore's limit, in bytes.
    entry_over_limit = "engine.entry_over_limit"(limit);
    /// Reason: the path appears twice, or as two kinds of entry.
    entry_twice = "engine.entry_twice";

    /// No manifest beside the archive.
    manifest_missing = "engine.manifest_missing"(path);
    /// The manifest cannot be read or parsed; `reason` says why.
    manifest_unreadable = "engine.manifest_unreadable"(path, reason);
    /// The manifest is not valid manifest JSON; `error` is the parser's own words.
    manifest_not_json = "engine.manifest_not_json"(error);
    /// A manifest format version this engine does not read.
    manifest_version_unsupported = "engine.manifest_version_unsupported"(version, supported);
    /// An archive listed without a manifest beside it.
    manifest_none_beside = "engine.manifest_none_beside";
    /// The manifest was signed with another key.
    manifest_wrong_key = "engine.manifest_wrong_key"(found, expected);
    /// The manifest changed after it was signed.
    manifest_changed = "engine.manifest_changed";
    /// The manifest belongs to another backup; both sides are [`backup_file`] or [`backup_run`].
    manifest_other_backup = "engine.manifest_other_backup"(expected, found);
    /// A backup named by its archive's file name.
    backup_file = "engine.backup_file"(name);
    /// A backup named by its run.
    backup_run = "engine.backup_run"(run);
    /// The archive is shorter than its manifest says.
    verify_truncated = "engine.verify_truncated"(actual, expected);
    /// The archive is longer than its manifest says.
    verify_too_large = "engine.verify_too_large"(actual, expected);
    /// The archive's SHA-256 differs from its manifest's.
    archive_changed = "engine.archive_changed"(actual, expected);
    /// The archive's stream does not decode; `problem` says where.
    archive_corrupt = "engine.archive_corrupt"(problem);
    /// The stream decodes to another size than the source wrote.
    decoded_size_mismatch = "engine.decoded_size_mismatch"(decoded, expected);
    /// zstd refused the stream.
    corrupt_zstd = "engine.corrupt_zstd"(reason);
    /// The stream broke after some decoded bytes.
    corrupt_after_bytes = "engine.corrupt_after_bytes"(bytes, reason);
    /// The stream broke after the end of the tar stream.
    corrupt_after_tar = "engine.corrupt_after_tar"(reason);
    /// The tar stream itself is broken.
    corrupt_tar = "engine.corrupt_tar"(reason);
    /// One entry's contents could not be read from the tar stream.
    corrupt_entry = "engine.corrupt_entry"(entry, reason);
    /// The decoding thread panicked.
    decoder_panicked = "engine.decoder_panicked";
    /// Decoding an encrypted archive needs its secret key.
    identity_required = "engine.identity_required"(recipient);
    /// The secret key given is not the archive's.
    wrong_identity = "engine.wrong_identity"(given, expected);
    /// The archive cannot be opened or read.
    archive_unreadable = "engine.archive_unreadable"(path, reason);

    /// A secret key given where a recipient belongs.
    key_secret_as_recipient = "engine.key_secret_as_recipient";
    /// A recipient given where a secret key belongs.
    key_recipient_as_identity = "engine.key_recipient_as_identity";
    /// An SSH key given as an age key.
    key_ssh = "engine.key_ssh";
    /// A recipient age refused, with age's reason.
    key_malformed_recipient = "engine.key_malformed_recipient"(reason);
    /// A secret key age refused, with age's reason.
    key_malformed_identity = "engine.key_malformed_identity"(reason);
    /// An identity text without exactly one key line.
    key_count = "engine.key_count"(count);
    /// The secret key does not open the age stream.
    age_wrong_identity = "engine.age_wrong_identity";
    /// The age header cannot be read, with age's reason.
    age_header_unreadable = "engine.age_header_unreadable"(reason);

    /// Skipped: a path the panel protects (its own configuration, secrets or data, or a system tree such as
    /// `/proc`), inside a folder being backed up.
    skipped_protected = "engine.skipped_protected"(path);
    /// Skipped: a socket.
    skipped_socket = "engine.skipped_socket"(path);
    /// Skipped: a FIFO.
    skipped_fifo = "engine.skipped_fifo"(path);
    /// Skipped: a character device.
    skipped_char_device = "engine.skipped_char_device"(path);
    /// Skipped: a block device.
    skipped_block_device = "engine.skipped_block_device"(path);
    /// Skipped: a kind of file the engine does not know.
    skipped_unknown_kind = "engine.skipped_unknown_kind"(path);
    /// Skipped: permission denied.
    skipped_permission_denied = "engine.skipped_permission_denied"(path);
    /// Skipped: the path vanished before it was read.
    skipped_vanished = "engine.skipped_vanished"(path);
    /// Skipped: a folder that cannot be listed.
    skipped_unlistable = "engine.skipped_unlistable"(path, reason);
    /// Skipped: a path that cannot be read.
    skipped_unreadable = "engine.skipped_unreadable"(path, reason);
    /// Skipped: a file replaced by something else while the backup ran.
    skipped_replaced = "engine.skipped_replaced"(path);
    /// Kept incomplete: the file shrank while read; the rest is zeros.
    incomplete_shrank = "engine.incomplete_shrank"(path, read, size);
    /// Kept incomplete: reading failed part-way; the rest is zeros.
    incomplete_read_failed = "engine.incomplete_read_failed"(path, read, size, reason);
    /// Kept incomplete: the file grew while read; its first `size` bytes are kept.
    incomplete_grew = "engine.incomplete_grew"(path, size);

    /// A path that does not start with `/`.
    path_not_absolute = "engine.path_not_absolute"(path);
    /// A path with `..` in the part that does not exist yet, which cannot be resolved safely.
    path_climbs_where_missing = "engine.path_climbs_where_missing"(path);
    /// A path that cannot be resolved (a symlink loop, a name too long); `reason` is the system's own words.
    path_unresolvable = "engine.path_unresolvable"(path, reason);
    /// A path the panel protects.
    path_is_protected = "engine.path_is_protected"(path);
    /// A path inside one the panel protects.
    path_in_protected = "engine.path_in_protected"(path, protected);
    /// A destination or restore target that holds a path the panel protects.
    path_holds_protected = "engine.path_holds_protected"(path, protected);
    /// A destination or restore target that is a system folder.
    path_system_folder = "engine.path_system_folder"(path);
    /// A destination or restore target that holds a system folder.
    path_holds_system_folder = "engine.path_holds_system_folder"(path, folder);
    /// A destination or restore target inside a system tree (`/usr`, `/proc`…).
    path_in_system_tree = "engine.path_in_system_tree"(path, tree);
}
