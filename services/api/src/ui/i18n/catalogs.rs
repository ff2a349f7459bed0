//! Every message each layer can emit, in one list: the domain's rules, the job pipeline, the backup engine and
//! its worker, and the panel's own capabilities. The locales must define each of them, with exactly its
//! arguments, in every language (tested in `tests.rs`); a layer that adds a message adds it to its own table,
//! and a new layer adds its table here.

use lawha_domain::message::Spec;

/// (layer, its messages).
pub const CATALOGS: &[(&str, &[Spec])] = &[
    ("lawha-domain: text", lawha_domain::message::ALL),
    ("lawha-domain: backups", lawha_domain::backups::messages::ALL),
    ("lawha-domain: users", lawha_domain::users::messages::ALL),
    ("lawha-domain: jobs", lawha_domain::jobs::messages::ALL),
    ("lawha-domain: deployments", lawha_domain::deployments::messages::ALL),
    ("lawha-domain: certificates", lawha_domain::certificates::messages::ALL),
    ("lawha-jobs", lawha_jobs::messages::ALL),
    ("lawha-backup (engine)", lawha_backup::messages::ALL),
    ("lawha-backup-worker", lawha_backup_worker::messages::ALL),
    ("lawha-deploy-worker", lawha_deploy_worker::messages::ALL),
    ("lawha-cert-worker", lawha_cert_worker::messages::ALL),
    ("lawha: http", crate::http::error::messages::ALL),
    ("lawha: http input", crate::http::input::messages::ALL),
    ("lawha: audit", crate::audit::messages::ALL),
    ("lawha: users", crate::users::messages::ALL),
    ("lawha: jobs", crate::jobs::messages::ALL),
    ("lawha: backups", crate::backups::messages::ALL),
    ("lawha: deployments", crate::deployments::messages::ALL),
    ("lawha: certificates", crate::certificates::messages::ALL),
];
