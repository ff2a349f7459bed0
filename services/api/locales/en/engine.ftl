# The backup engine's messages (lawha-backup, `lawha_backup::messages`), English.
#
# The engine reports what happened as a code with arguments; the code `engine.x` is the message `engine-x`
# here, with exactly the arguments its constructor takes (a test in shared/backup checks this file and
# ../ar/engine.ftl against `lawha_backup::messages::ALL`). Arguments named problem, cause, outcome, status,
# expected/found of a manifest and reason of an archive refusal hold other messages, which the panel renders
# first. $action is a key of `lawha_backup::messages::actions::ALL_ACTIONS`, put into words by
# engine-io-action; $part is a piece of a database URL, put into words by engine-url-part. Those two are not
# codes but messages the others reference: a Fluent term cannot take a variable as an argument, while a message
# reference sees the variables of the message that references it.

## What the engine was doing when an I/O call failed

engine-io-action = { $action ->
        [reading] reading
        [writing] writing
        [syncing] syncing
        [syncing_the_folder] syncing the folder
        [creating] creating
        [opening] opening
        [copying] copying
        [removing] removing
        [creating_the_backup_folder] creating the backup folder
        [creating_the_archive] creating the archive
        [writing_the_archive] writing the archive
        [renaming_the_archive_to] renaming the archive to
        [renaming_the_manifest_to] renaming the manifest to
        [listing_the_backup_folder] listing the backup folder
        [starting_age_encryption_of] starting age encryption of
        [starting_zstd_for] starting zstd for
        [starting_zstd_worker_threads_for] starting zstd worker threads for
        [configuring_zstd_for] configuring zstd for
        [finishing_the_zstd_stream_of] finishing the zstd stream of
        [finishing_the_age_stream_of] finishing the age stream of
        [reading_the_source_folder] reading the source folder
        [listing_the_source_folder] listing the source folder
        [writing_the_tar_stream_of] writing the tar stream of
        [starting] starting
        [waiting_for] waiting for
        [reading_the_output_of] reading the output of
        [writing_the_output_of] writing the output of
        [feeding] feeding
        [reading_what_to_feed] reading what to feed
        [reading_the_metadata_of] reading the metadata of
        [creating_a_temporary_directory_in] creating a temporary directory in
        [opening_the_snapshot] opening the snapshot
        [writing_the_snapshot_of] writing the snapshot of
        [starting_a_runtime_for] starting a runtime for
        [creating_a_directory_for_the_safety_dump_in] creating a directory for the safety dump in
        [opening_the_safety_dump] opening the safety dump
        [creating_a_temporary_file_in] creating a temporary file in
        [reading_the_snapshot_to_restore_into] reading the snapshot to restore into
        [writing_the_snapshot_to_restore_into] writing the snapshot to restore into
        [renaming_the_restored_snapshot_over] renaming the restored snapshot over
        [renaming_over] renaming over
        [opening_the_archive] opening the archive
        [creating_a_temporary_folder_in] creating a temporary folder in
        [reading_the_folder_of_the_restore_target] reading the folder of the restore target
        [reading_the_restore_target] reading the restore target
        [renaming_the_restored_folder_to] renaming the restored folder to
        [moving_the_old_target_away_from] moving the old target away from
        [creating_the_folder] creating the folder
        [creating_the_symlink] creating the symlink
        [creating_the_hard_link] creating the hard link
        [reading_the_symlink] reading the symlink
        [opening_the_folder] opening the folder
        [reading_the_mode_of] reading the mode of
        [setting_the_owner_of] setting the owner of
        [setting_the_mode_of] setting the mode of
        [setting_the_mtime_of] setting the mtime of
       *[other] { $action }
    }

## Failures of a backup, a verification or a restore

engine-command_failed = { $command } failed ({ $status }): { $stderr }
engine-command_failed_no_stderr = { $command } failed ({ $status })
engine-exit_status = exit status { $code }
engine-killed_by_signal = killed by signal { $signal }
engine-missing_tool = `{ $program }` was not found on PATH: install { $package } (Debian: apt-get install { $package })
engine-disk_full = no space left on the destination while { engine-io-action } { $path }
engine-permission_denied = permission denied while { engine-io-action } { $path }
engine-io_failed = { engine-io-action } { $path }: { $reason }
engine-database_failed = the database { $location }: { $problem }
engine-read_back_mismatch = the archive read back does not match what was written: { $problem }
engine-read_back_manifest_differs = the manifest read back differs from the one written
engine-level_out_of_range = zstd level { $level } is out of range: use 1 to 19
engine-pipe_missing = { $program } was started without its { $pipe } pipe
engine-no_mariadb_program = no MariaDB program to run
engine-source_folder_missing = the source folder { $path } does not exist
engine-source_not_a_folder = the source { $path } is not a folder

## Database URLs

engine-url-part = { $part ->
        [database] the database name
        [user] the user name
        [password] the password
        [host] the host
        [parameter_name] a parameter name
        [parameter_value] a parameter value
       *[other] { $part }
    }

engine-url_not_a_url = the database URL is not a URL: expected postgres://user:password@host:port/database or mysql://…
engine-url_unknown_scheme = the database URL has the scheme `{ $scheme }`: expected postgres://, postgresql://, mysql:// or mariadb://
engine-url_no_scheme = the database URL has no recognisable scheme: expected postgres://, postgresql://, mysql:// or mariadb://
engine-url_database_slash = the database URL names the database `{ $database }`, which contains `/`
engine-url_socket_relative = the database URL has `{ $parameter }={ $path }`: a unix socket path must be absolute
engine-url_bracket_unclosed = the database URL has the host `{ $host }`, whose `[` is never closed
engine-url_no_host = the database URL names no host: expected …://user:password@host:port/database
engine-url_bad_port = the database URL has the port `{ $port }`, which is not a number from 1 to 65535
engine-url_unsupported_parameter = the database URL has the parameter `{ $parameter }`, which is not supported here (supported: { $supported })
engine-url_bad_percent = the database URL has a `%` in { engine-url-part } that is not followed by two hex digits
engine-url_not_utf8 = the database URL has { engine-url-part } that is not UTF-8 once percent-decoded
engine-url_no_database = the URL { $url } names no database: add `/<database>` after the host
engine-url_not_postgres = { $url } is not a PostgreSQL URL (postgres://…)
engine-url_not_mysql = { $url } is not a MySQL/MariaDB URL (mysql://…)

## What went wrong with a database (the problem of engine-database_failed)

engine-count_tables_not_a_number = counting the tables returned "{ $output }", not a number
engine-show_create_database_unexpected = SHOW CREATE DATABASE answered "{ $output }", not a CREATE DATABASE statement
engine-sqlite_file_missing = the file does not exist
engine-sqlite_not_a_file = is not a regular file
engine-sqlite_bad_header = is not a SQLite database: its first bytes are not the "SQLite format 3" header
engine-sqlite_not_a_database = is not a SQLite database ({ $problem })
engine-sqlite_version_failed = asking SQLite its version failed: { $error }
engine-sqlite_snapshot_failed = taking a snapshot with VACUUM INTO failed: { $error }
engine-sqlite_integrity_check_failed = checking its integrity failed: { $error }
engine-sqlite_count_tables_failed = counting its tables failed: { $error }
engine-sqlite_damaged = PRAGMA integrity_check found damage: { $found }
engine-wal_checkpoint_failed = checkpointing its WAL before the restore failed: { $error }
engine-restore_failed = the restore failed: { $cause }; { $outcome }
engine-restore_put_back = its previous content was put back from the safety dump taken before
engine-restore_dropped = the database, created for the restore, was dropped again
engine-restore_untouched = nothing was changed
engine-restore_put_back_failed = putting its previous content back failed too ({ $error }); the safety dump taken before the restore is kept at { $path }
engine-restore_cleanup_failed = cleaning up failed too ({ $error })
engine-safety_dump_failed = taking the safety dump before the restore failed, so nothing was changed: { $cause }

## Restores refused before anything was written

engine-restore_target_folder_missing = the directory { $path } of the restore target does not exist
engine-restore_snapshot_unsound = the snapshot to restore into { $path } is not a sound SQLite database ({ $problem }); the target was not touched
engine-restore_target_not_sqlite = refusing to replace { $path }, which is not a SQLite database: { $problem }
engine-restore_target_in_use = { $path } is in use: its WAL still holds writes after a checkpoint; stop what uses it, then restore
engine-restore_target_no_file_name = the restore target { $path } names no file
engine-restore_not_a_directory_backup = { $path } is a { $kind } backup, not a directory backup
engine-restore_target_no_folder_name = the restore target { $path } has no folder name
engine-restore_parent_not_a_folder = { $path } is not a folder
engine-restore_target_exists = the restore target { $path } exists; restore elsewhere or allow overwriting
engine-restore_target_appeared = the restore target { $path } appeared while restoring
engine-restore_previous_put_back = the restore failed: { $cause }; the previous folder was put back as it was
engine-restore_previous_kept = the restore failed: { $cause }; putting the previous folder back failed too ({ $error }): it is kept at { $path }
engine-restore_no_space = the file system of { $path } has { $available } bytes free and this restore needs { $needed } (the archive's contents and a margin): free some space or restore elsewhere
engine-restore_into_panel_database = { $url } is the panel's own database: a restore never goes there; restore into another database
engine-archive_refused = the archive was refused, nothing was restored: entry { $entry }: { $reason }
# The reasons of engine-archive_refused.
engine-entry_parent_dir = a path with `..`
engine-entry_absolute = an absolute path
engine-entry_unnamed = an entry without a name that is not a folder
engine-entry_char_device = a character device; a restore creates none
engine-entry_block_device = a block device; a restore creates none
engine-entry_fifo = a FIFO; a restore creates none
engine-entry_sparse = a sparse file (not supported); a restore creates none
engine-entry_other_type = an entry of type '{ $kind }'; a restore creates none
engine-entry_symlink_without_target = a symlink without a target
engine-entry_symlink_outside = a symlink to { $target }, which leads outside the target folder
engine-entry_hardlink_outside = a hard link to { $target }, which is outside the target
engine-entry_hardlink_not_a_file = a hard link to { $target }, which is not a file restored before it
engine-entry_through_symlink = it would be written through the symlink { $link }
engine-entry_parent_not_a_folder = a folder on its path is a file in the archive
engine-entry_over_limit = the archive expands beyond the limit of { $limit } bytes for this restore
engine-entry_twice = the path appears twice in the archive, or as two kinds of entry

## Verification of an archive against its signed manifest

engine-manifest_missing = the manifest { $path } is missing: without it the archive cannot be verified
engine-manifest_unreadable = the manifest { $path } cannot be read: { $reason }
engine-manifest_not_json = it is not a valid manifest: { $error }
engine-manifest_version_unsupported = format version { $version } is not supported (this engine reads version { $supported })
engine-manifest_none_beside = no .manifest.json beside it
engine-manifest_wrong_key = the manifest was signed with another key (key id { $found }, this panel's is { $expected }): was the panel's secret key changed, or does the archive come from another panel?
engine-manifest_changed = the manifest was changed after it was signed: its HMAC does not match its content
engine-manifest_other_backup = the manifest belongs to another backup: expected { $expected }, the manifest says { $found }
engine-backup_file = { $name }
engine-backup_run = run { $run }
engine-verify_truncated = the archive is truncated: { $actual } bytes on disk, the manifest says { $expected }
engine-verify_too_large = the archive is larger than its manifest says: { $actual } bytes on disk, the manifest says { $expected }
engine-archive_changed = the archive's content changed: its SHA-256 is { $actual }, the manifest says { $expected }
engine-archive_corrupt = the archive does not decode: { $problem }
engine-decoded_size_mismatch = it decodes to { $decoded } bytes, the manifest says the source wrote { $expected }
engine-corrupt_zstd = zstd: { $reason }
engine-corrupt_after_bytes = after { $bytes } decoded bytes: { $reason }
engine-corrupt_after_tar = after the tar stream: { $reason }
engine-corrupt_tar = the tar stream: { $reason }
engine-corrupt_entry = { $entry }: { $reason }
engine-decoder_panicked = the decoder panicked
engine-identity_required = the archive is encrypted for { $recipient }: decoding it needs the matching age secret key
engine-wrong_identity = the secret key given belongs to { $given }, but the archive was encrypted to { $expected }
engine-archive_unreadable = reading the archive { $path }: { $reason }

## age keys

engine-key_secret_as_recipient = this is an age secret key (AGE-SECRET-KEY-1…); give its public key (age1…) as the recipient
engine-key_recipient_as_identity = this is an age public key (age1…); restoring needs the secret key (AGE-SECRET-KEY-1…)
engine-key_ssh = SSH keys are not supported as age recipients or identities; generate an X25519 key (age-keygen)
engine-key_malformed_recipient = not a valid age recipient (age1…): { $reason }
engine-key_malformed_identity = not a valid age secret key (AGE-SECRET-KEY-1…): { $reason }
engine-key_count = expected exactly one AGE-SECRET-KEY-1… line, found { $count }
engine-age_wrong_identity = the secret key does not match the key this archive was encrypted to
engine-age_header_unreadable = the age header cannot be read: { $reason }

## What a directory backup left out or kept incomplete ($path is relative to the source folder)

engine-skipped_socket = { $path }: a socket, not backed up
engine-skipped_fifo = { $path }: a FIFO, not backed up
engine-skipped_char_device = { $path }: a character device, not backed up
engine-skipped_block_device = { $path }: a block device, not backed up
engine-skipped_unknown_kind = { $path }: an unknown kind of file, not backed up
engine-skipped_permission_denied = { $path }: permission denied
engine-skipped_vanished = { $path }: vanished before it was read
engine-skipped_unlistable = { $path }: cannot list the folder: { $reason }
engine-skipped_unreadable = { $path }: cannot be read: { $reason }
engine-skipped_replaced = { $path }: replaced by something else while the backup ran
engine-incomplete_shrank = { $path }: shrank while being read: { $read } of { $size } bytes; the rest is zeros in the archive
engine-incomplete_read_failed = { $path }: reading failed after { $read } of { $size } bytes: { $reason }; the rest is zeros in the archive
engine-incomplete_grew = { $path }: grew while being read; its first { $size } bytes are kept
engine-skipped_protected = { $path }: protected by the panel (its own configuration, secrets or data, or a system tree such as /proc), not backed up

# The path policy's refusals (lawha_backup::paths): $path is the path as resolved (symlinks followed, `..` applied).
engine-path_not_absolute = { $path } is not an absolute path: start it with /
engine-path_climbs_where_missing = { $path } has `..` in a part that does not exist yet, so where it leads cannot be known: write the path without `..`
engine-path_unresolvable = { $path } cannot be resolved: { $reason }
engine-path_is_protected = { $path } belongs to the panel itself (its configuration, secrets or data): backups never read it, write there or restore over it
engine-path_in_protected = { $path } is inside { $protected }, which belongs to the panel itself (its configuration, secrets or data) or to the system: backups never read it, write there or restore over it
engine-path_holds_protected = { $path } holds { $protected }, which belongs to the panel itself: choose a folder that does not hold it
engine-path_system_folder = { $path } is a system folder: choose a folder of its own inside it
engine-path_holds_system_folder = { $path } holds the system folder { $folder }: choose a folder of its own elsewhere
engine-path_in_system_tree = { $path } is inside { $tree }, which holds the system's programs, boot files, devices or runtime state: choose a folder elsewhere
