//! The messages of the backups capability in the panel: what the plan's inputs are checked for on this machine,
//! what the plan form checks itself, and what a request names that does not exist. The rules' own messages are
//! the domain's (`lawha_domain::backups::messages`).

lawha_domain::messages! {
    /// Another live plan has the name.
    name_taken = "backups.name_taken"(name);
    /// A source path that does not exist.
    path_missing = "backups.path_missing"(path);
    /// A source path whose metadata cannot be read.
    path_unreadable = "backups.path_unreadable"(path, reason);
    /// A directory source that is not a directory.
    not_a_directory = "backups.not_a_directory"(path);
    /// A directory source that cannot be listed.
    directory_unlistable = "backups.directory_unlistable"(path, reason);
    /// A SQLite source that is not a file.
    not_a_file = "backups.not_a_file"(path);
    /// A SQLite source that is not a SQLite database.
    not_sqlite = "backups.not_sqlite"(path);
    /// A SQLite source whose header cannot be read.
    sqlite_unreadable = "backups.sqlite_unreadable"(path, reason);
    /// A destination that exists and is not a folder.
    destination_not_folder = "backups.destination_not_folder";
    /// A URL on a source kind that takes a path.
    url_not_for_kind = "backups.url_not_for_kind";
    /// A URL without `scheme://`.
    url_shape = "backups.url_shape"(scheme);
    /// A URL with the wrong scheme for its kind.
    url_scheme = "backups.url_scheme"(first, second, kind);
    /// A URL without a host.
    url_no_host = "backups.url_no_host";
    /// A URL without a database.
    url_no_database = "backups.url_no_database";
    /// A form number that is not a whole number.
    not_a_number = "backups.not_a_number"(text);
    /// A form without a valid source kind.
    kind_choose = "backups.kind_choose";
    /// A restore target with both or neither of path and url.
    target_one_of = "backups.target_one_of";
    /// No live plan with this id.
    plan_missing = "backups.plan_missing"(id);
    /// No run with this id.
    run_missing = "backups.run_missing"(id);
}
