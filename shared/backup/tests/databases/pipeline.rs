//! The database sources inside the real archive pipeline: backed up, verified, decompressed and restored.

use std::{fs::File, io::BufReader};

use lawha_backup::{
    archive::{BackupRequest, run_backup},
    manifest::ManifestKey,
    restore::database::restore_postgres,
    sources::postgres::PostgresSource,
    verify::verify_archive,
};
use uuid::Uuid;

use super::support::PgDb;

#[test]
fn a_postgres_backup_through_the_pipeline_restores_and_its_manifest_hides_the_password() {
    let source = PgDb::create();
    source.psql(
        "CREATE TABLE orders (id int PRIMARY KEY, total numeric(10, 2), note text);
         INSERT INTO orders SELECT i, i * 1.25, repeat('x', i % 100) FROM generate_series(1, 5000) i;",
    );
    let before = source.fingerprint(&["orders"], &[]);
    // Trust authentication ignores the password, so a URL carrying one still connects.
    let url = source.url.replacen("postgres@", "postgres:s3cret-pw@", 1);
    assert!(url.contains("s3cret-pw"), "the test kit's URL has the expected shape: {}", source.url);
    let destination = tempfile::tempdir().expect("a destination");
    let key = ManifestKey::derive(b"database tests secret");
    let request = BackupRequest {
        source: Box::new(PostgresSource::new(&url).expect("a PostgreSQL URL")),
        destination: destination.path().to_path_buf(),
        plan_id: Uuid::new_v4(),
        plan_name: "app database".into(),
        run_id: Uuid::new_v4(),
        started_at: chrono::Utc::now(),
        level: 3,
        threads: 2,
        recipient: None,
        key: ManifestKey::derive(b"database tests secret"),
        progress: None,
    };

    let completed = run_backup(request).expect("the backup");
    verify_archive(&completed.archive_path, &key, None).expect("the archive verifies");
    let target = PgDb::reserve();
    let archive = File::open(&completed.archive_path).expect("the archive");
    let mut dump = zstd::stream::read::Decoder::with_buffer(BufReader::new(archive)).expect("a zstd stream");
    restore_postgres(&mut dump, &target.url).expect("the restore");

    assert_eq!(target.fingerprint(&["orders"], &[]), before);
    assert!(completed.archive_path.to_string_lossy().ends_with(".pgdump.zst"), "{}", completed.archive_path.display());
    let manifest = std::fs::read_to_string(&completed.manifest_path).expect("the manifest");
    assert!(!manifest.contains("s3cret-pw"), "the manifest shows the password: {manifest}");
    assert!(manifest.contains("postgres:***@"), "the manifest shows the redacted URL: {manifest}");
}
