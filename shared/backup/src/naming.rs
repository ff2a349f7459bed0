//! The names of archives: `<start time>-<run id>.<ext>.zst[.age]`. Writing one (the archive pipeline) and reading
//! one back (listing a plan's folder, checking that a manifest belongs to its file) share these two functions, so
//! neither side depends on the other.

use chrono::{DateTime, NaiveDateTime, Utc};
use uuid::Uuid;

/// The start time's format in archive names: sortable, and without characters file systems or shells mind.
const STAMP: &str = "%Y%m%dT%H%M%SZ";

/// The final name of a run's archive.
pub fn archive_file_name(started_at: DateTime<Utc>, run_id: Uuid, extension: &str, encrypted: bool) -> String {
    let age = if encrypted { ".age" } else { "" };
    format!("{}-{run_id}.{extension}.zst{age}", started_at.format(STAMP))
}

/// The start time and run id of a final archive name; `None` for anything else (manifests, `.partial` files,
/// files of other programs).
pub fn parse_archive_name(name: &str) -> Option<(DateTime<Utc>, Uuid)> {
    if name.starts_with('.') || !(name.ends_with(".zst") || name.ends_with(".zst.age")) {
        return None;
    }
    let (stamp, rest) = (name.get(..16)?, name.get(16..)?);
    let created = NaiveDateTime::parse_from_str(stamp, STAMP).ok()?.and_utc();
    let run_id = Uuid::parse_str(rest.strip_prefix('-')?.get(..36)?).ok()?;
    let extension = rest.get(37..)?.strip_prefix('.')?;
    let before_zst = extension.strip_suffix(".age").unwrap_or(extension).strip_suffix(".zst")?;
    if before_zst.is_empty() {
        return None;
    }
    Some((created, run_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_other_files_are_not_archives() {
        let at = DateTime::parse_from_rfc3339("2026-12-03T09:04:11Z").expect("time").with_timezone(&Utc);
        let run = Uuid::from_u128(42);
        let name = archive_file_name(at, run, "tar", true);
        assert_eq!(name, format!("20261203T090411Z-{run}.tar.zst.age"));
        assert_eq!(parse_archive_name(&name), Some((at, run)));
        assert_eq!(parse_archive_name(&archive_file_name(at, run, "sqlite", false)), Some((at, run)));
        assert_eq!(parse_archive_name(&format!(".{name}.partial")), None);
        assert_eq!(parse_archive_name(&format!("{name}.manifest.json")), None);
        assert_eq!(parse_archive_name(&format!("20261203T090411Z-{run}.zst")), None);
        assert_eq!(parse_archive_name(&format!("20261203T090411Z-{run}.zst.age")), None);
        assert_eq!(parse_archive_name("notes.zst"), None);
    }
}
