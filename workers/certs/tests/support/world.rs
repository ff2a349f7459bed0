//! One test's world: a PostgreSQL database of its own (migrated; no projection runs, so the test writes the
//! `certificates` rows the check reads), pebble, a real nginx in a temporary prefix serving the HTTP-01 webroot
//! on pebble's `httpPort` (and the installed certificates on a TLS port once a test adds a site), and the cert
//! worker's dependencies pointing at all of it.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use lawha_cert_worker::{Deps, Issue};
use lawha_config::Config;
use lawha_domain::{
    Aggregate as _, DomainEvent as _, Metadata, RecordedEvent,
    certificates::{Certificate, CertificateCommand, CertificateEvent, CertificateSpec, Challenge, Directory},
    jobs::Job,
};
use lawha_jobs::{
    runtime::{Handler as _, JobError},
    testkit::job_context,
};
use lawha_store::testkit::TestDb;
use serde_json::Value;
use uuid::Uuid;

use super::pebble::{Pebble, free_port, program, wait_listening};

/// nginx's configuration: the challenge webroot on `{http}`, and the sites a test adds in `{d}/sites/`.
const NGINX_CONF: &str = "worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    server {
        listen 127.0.0.1:{http};
        location /.well-known/acme-challenge/ { root {webroot}; default_type text/plain; }
    }
    include {d}/sites/*.conf;
}
";

/// Everything one test orders with.
pub struct World {
    /// The database (dropped from the server at the end).
    pub db: TestDb,
    /// The CA.
    pub pebble: Pebble,
    /// The configuration the worker runs with.
    pub config: Config,
    /// The handler's and the check's dependencies.
    pub deps: Deps,
    /// The host this world's worker serves.
    pub host: String,
    nginx: Vec<String>,
    dir: tempfile::TempDir,
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = Command::new("sh").arg("-c").arg(format!("{} -s stop", self.nginx.join(" "))).output();
    }
}

impl World {
    /// A world whose worker serves `host`.
    pub async fn new(host: &str) -> Self {
        let nginx = program("nginx", "nginx");
        let db = TestDb::postgres().await;
        let dir = tempfile::tempdir().expect("temp");
        let d = dir.path();
        // nginx's workers run as nobody when the tests run as root: they must be able to enter the prefix.
        std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        for sub in ["tmp", "sites", "webroot"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        let http_port = free_port();
        let pebble = Pebble::start(http_port);
        let conf = d.join("nginx.conf");
        let text = NGINX_CONF
            .replace("{d}", &d.display().to_string())
            .replace("{http}", &http_port.to_string())
            .replace("{webroot}", &d.join("webroot").display().to_string());
        std::fs::write(&conf, text).unwrap();
        let base: Vec<String> = [
            nginx.display().to_string(),
            "-p".into(),
            d.display().to_string(),
            "-c".into(),
            conf.display().to_string(),
            "-e".into(),
            d.join("error.log").display().to_string(),
        ]
        .into();
        let out = Command::new(&base[0]).args(&base[1..]).output().expect("nginx runs");
        assert!(out.status.success(), "nginx did not start: {}", String::from_utf8_lossy(&out.stderr));
        wait_listening(http_port, "nginx", &d.join("error.log"));

        let mut config = Config::test(d);
        config.certificates.dir = d.join("certificates");
        config.certificates.webroot = d.join("webroot");
        config.deployments.host = host.to_owned();
        config.deployments.nginx_test_command = [base.clone(), vec!["-t".into()]].concat();
        config.deployments.nginx_reload_command = [base.clone(), vec!["-s".into(), "reload".into()]].concat();
        let deps = Deps::new(db.db.clone(), &config);
        Self { db, pebble, config, deps, host: host.to_owned(), nginx: base, dir }
    }

    /// nginx's command line for this world's prefix, with `extra` arguments.
    pub fn nginx_command(&self, extra: &[&str]) -> Vec<String> {
        self.nginx.iter().cloned().chain(extra.iter().map(|a| (*a).to_owned())).collect()
    }

    /// The temporary folder of this world.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A spec for `names` on this world's host and pebble.
    pub fn spec(&self, names: &[&str], challenge: Challenge) -> CertificateSpec {
        CertificateSpec {
            names: names.iter().map(|n| (*n).to_owned()).collect(),
            challenge,
            directory: Directory::Custom {
                url: self.pebble.directory.clone(),
                trusted_root: Some(self.pebble.root.display().to_string()),
            },
            email: Some("ops@lawha.test".into()),
            key_type: Default::default(),
            profile: None,
            host: self.host.clone(),
        }
    }

    /// Runs a command on a certificate as the panel does; panics when it is refused.
    pub async fn command(&self, id: Uuid, command: CertificateCommand) {
        let envelope = |_: &Certificate, e: &CertificateEvent| {
            e.to_new_event_with_id(e.event_id(Uuid::now_v7()), Metadata::default())
        };
        lawha_store::execute::<Certificate>(self.db.db.events.as_ref(), &Certificate::stream(id), &command, envelope)
            .await
            .expect("the certificate command is recorded");
    }

    /// Requests a certificate and writes its read-model row; returns it and its job.
    pub async fn request(&self, spec: CertificateSpec) -> (Uuid, Job) {
        let id = Uuid::now_v7();
        let host = spec.host.clone();
        self.command(id, CertificateCommand::Request { certificate_id: id, spec }).await;
        sqlx::query(
            "INSERT INTO certificates (certificate_id, host, names, challenge, directory_url, key_type, status, \
             failures, requested_at, updated_at, deleted, stream_version) \
             VALUES ($1, $2, '[]', 'http-01', '', 'ecdsa-p256', 'ordering', 0, 0, 0, 0, 1)",
        )
        .bind(id.to_string())
        .bind(host)
        .execute(&self.db.db.read_models)
        .await
        .expect("the read-model row is written");
        (id, self.last_job(id).await)
    }

    /// The job of the certificate's last request or renewal.
    pub async fn last_job(&self, id: Uuid) -> Job {
        let events = self.events(id).await;
        let asked = events.iter().rev().find(|e| e.event_type.contains("Requested")).expect("a request");
        lawha_jobs::registry::job_for(asked).expect("a certificate job")
    }

    /// Runs the handler for `job` directly.
    pub async fn run(&self, job: &Job) -> Result<Value, JobError> {
        Issue(self.deps.clone()).run(&job_context(&self.db.db, job.clone(), "certs-test")).await
    }

    /// The certificate's stored events.
    pub async fn events(&self, id: Uuid) -> Vec<RecordedEvent> {
        self.db.db.events.read_stream(&Certificate::stream(id), 0, 1000).await.expect("read")
    }

    /// The certificate's facts, decoded.
    pub async fn facts(&self, id: Uuid) -> Vec<CertificateEvent> {
        self.events(id).await.iter().map(|e| CertificateEvent::from_recorded(e).expect("a fact")).collect()
    }

    /// The certificate as its events leave it.
    pub async fn certificate(&self, id: Uuid) -> Certificate {
        lawha_store::load::<Certificate>(self.db.db.events.as_ref(), &Certificate::stream(id)).await.unwrap().state
    }

    /// The installed files' folder of certificate `id`.
    pub fn cert_dir(&self, id: Uuid) -> PathBuf {
        self.config.certificates.dir.join(id.to_string())
    }

    /// Serves certificate `id` for `name` on a new TLS port of nginx (reloaded); returns the port.
    pub fn serve(&self, id: Uuid, name: &str) -> u16 {
        let port = free_port();
        let dir = self.cert_dir(id);
        let site = format!(
            "server {{ listen 127.0.0.1:{port} ssl; server_name {name}; ssl_certificate {}; ssl_certificate_key {}; \
             location / {{ return 200 \"ok\"; }} }}\n",
            dir.join("fullchain.pem").display(),
            dir.join("privkey.pem").display()
        );
        self.site(&id.to_string(), &site, port);
        port
    }

    /// Adds the nginx site `name` with the configuration `text`, reloads nginx and waits until `port` listens.
    pub fn site(&self, name: &str, text: &str, port: u16) {
        std::fs::write(self.path().join("sites").join(format!("{name}.conf")), text).unwrap();
        let out = Command::new(&self.nginx[0]).args(&self.nginx[1..]).args(["-s", "reload"]).output().unwrap();
        assert!(out.status.success(), "nginx reload: {}", String::from_utf8_lossy(&out.stderr));
        wait_listening(port, "an nginx site", &self.path().join("error.log"));
    }
}

/// The serial (lowercase hex, no leading zeros) of the certificate served on `port` for `name`, read over TLS
/// with `openssl s_client`.
pub fn served_serial(port: u16, name: &str) -> String {
    let openssl = program("openssl", "openssl").display().to_string();
    let script = format!(
        "{openssl} s_client -connect 127.0.0.1:{port} -servername {name} </dev/null 2>/dev/null | {openssl} x509 -noout -serial"
    );
    let out = Command::new("sh").arg("-c").arg(script).output().expect("openssl runs");
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim().trim_start_matches("serial=").to_lowercase().trim_start_matches('0').to_owned()
}
