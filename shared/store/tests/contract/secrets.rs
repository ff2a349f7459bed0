//! Secrets kept beside the log: an event records `secret:<id>`, the sealed value comes back until it is
//! forgotten, and a sealed value recorded before references existed is passed through as it is.

use lawha_store::{secrets, testkit::TestDb};

pub async fn a_kept_secret_reads_back_by_its_reference_until_it_is_forgotten(t: TestDb) {
    let pool = &t.db.read_models;
    let reference = secrets::keep(pool, "plan_password", "sealed2:abc").await.expect("keep");
    assert!(secrets::is_reference(&reference) && reference.starts_with("secret:"), "{reference}");
    assert_eq!(secrets::sealed(pool, &reference).await.unwrap().as_deref(), Some("sealed2:abc"));
    let other = secrets::keep(pool, "plan_password", "sealed2:def").await.unwrap();
    assert_ne!(other, reference, "every secret gets its own id");

    secrets::forget(pool, &reference).await.expect("forget");
    assert_eq!(secrets::sealed(pool, &reference).await.unwrap(), None, "a forgotten secret is gone");
    assert_eq!(secrets::sealed(pool, &other).await.unwrap().as_deref(), Some("sealed2:def"), "only that one");

    let legacy = "sealed1:recorded-before-references";
    assert!(!secrets::is_reference(legacy));
    assert_eq!(secrets::sealed(pool, legacy).await.unwrap().as_deref(), Some(legacy));
    secrets::forget(pool, legacy).await.expect("forgetting a legacy value does nothing");

    let identity = secrets::keep(pool, "age_identity", "sealed2:id").await.unwrap();
    assert_eq!(secrets::forget_older(pool, "age_identity", chrono::TimeDelta::hours(1)).await.unwrap(), 0);
    assert_eq!(secrets::forget_older(pool, "age_identity", chrono::TimeDelta::seconds(-1)).await.unwrap(), 1);
    assert_eq!(secrets::sealed(pool, &identity).await.unwrap(), None);
    assert!(secrets::sealed(pool, &other).await.unwrap().is_some(), "other purposes are left alone");
}
