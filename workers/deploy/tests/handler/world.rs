//! One test's world: a PostgreSQL database of its own (migrated, so the read models exist; no projection runs), a
//! git repository whose commits hold a small Python app answering its version, a real nginx in a temporary prefix
//! proxying the site's upstream file, the site `shop` recorded in the log with its environment sealed, and the
//! handler's dependencies pointing at all of it.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use lawha_config::Config;
use lawha_deploy_worker::{Deploy, Deps, engine::nginx::upstream_line};
use lawha_domain::{
    Aggregate as _, DomainEvent as _, Metadata, RecordedEvent,
    deployments::{
        Colour, Deployment, DeploymentCommand, DeploymentEvent, EnvVars, Ports, Runtime, SecretRef, Site, SiteCommand,
        SiteEvent, SiteSpec, Trigger,
    },
    jobs::Job,
};
use lawha_jobs::{
    joblog::JobLog,
    runtime::{Handler as _, JobContext, JobError},
    testkit::job_context,
};
use lawha_store::testkit::TestDb;
use serde_json::Value;
use uuid::Uuid;

use crate::support::{eventually, free_port, git, nginx, python3};

/// The app every commit holds: it answers every path with `<version.txt> <$GREETING>`, `/health` with 503 while
/// a file `unhealthy` is in its folder, and says on stderr what it serves.
const APP: &str = r#"
import http.server, os, sys
port = int(sys.argv[1])
answer = (open("version.txt").read().strip() + " " + os.environ.get("GREETING", "")).encode()
print("serving", answer.decode(), "on", port, file=sys.stderr, flush=True)
class Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        status = 503 if self.path == "/health" and os.path.exists("unhealthy") else 200
        self.send_response(status)
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
    def log_message(self, *args):
        pass
class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
Server(("127.0.0.1", port), Answer).serve_forever()
"#;

/// The site's build: it says what it builds, and fails when the commit holds a file `fail-build`.
const BUILD: &str = "echo \"building $(cat version.txt) for $GREETING\"; \
                     if [ -e fail-build ]; then echo 'the build broke: fail-build is here' >&2; exit 4; fi";

/// Everything one test deploys with.
pub struct World {
    /// The database (dropped from the server at the end).
    pub db: TestDb,
    /// The handler's dependencies.
    pub deps: Deps,
    /// The site.
    pub site_id: Uuid,
    /// Its spec as recorded.
    pub spec: SiteSpec,
    /// The repository's folder.
    pub origin: PathBuf,
    /// Where nginx listens.
    pub nginx_port: u16,
    client: reqwest::Client,
    dir: tempfile::TempDir,
}

/// Runs git in `dir`.
pub fn run_git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(git())
        .current_dir(dir)
        .args(["-c", "user.name=Lawha Test", "-c", "user.email=test@lawha.invalid"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

impl World {
    /// A world whose health gate waits at most `health_secs`; the repository's main branch holds v1.
    pub async fn new(health_secs: u64) -> Self {
        python3();
        let db = TestDb::postgres().await;
        let dir = tempfile::tempdir().expect("temp");
        let d = dir.path();
        // nginx's workers run as nobody when the tests run as root: they must be able to enter the prefix.
        std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        std::fs::create_dir_all(d.join("tmp")).unwrap();

        let origin = d.join("origin");
        std::fs::create_dir(&origin).unwrap();
        run_git(&origin, &["init", "--quiet", "--initial-branch", "main"]);
        std::fs::write(origin.join("app.py"), APP).unwrap();

        let nginx_port = free_port();
        let upstream_dir = d.join("upstreams");
        std::fs::create_dir_all(&upstream_dir).unwrap();
        let upstream = upstream_dir.join("shop.upstream.conf");
        // Before the first deployment the site points at a port nothing listens on (neither colour's).
        std::fs::write(&upstream, upstream_line(free_port())).unwrap();
        let conf = d.join("nginx.conf");
        let text = crate::support::NGINX_CONF
            .replace("{d}", &d.display().to_string())
            .replace("{port}", &nginx_port.to_string());
        std::fs::write(&conf, text.replace("{upstream}", &upstream.display().to_string())).unwrap();
        let base = |extra: &str| {
            let binary = nginx().display().to_string();
            format!("{binary} -p {} -c {} -e {} {extra}", d.display(), conf.display(), d.join("error.log").display())
        };
        let out = Command::new("sh").arg("-c").arg(base("")).output().expect("nginx runs");
        assert!(out.status.success(), "nginx did not start: {}", String::from_utf8_lossy(&out.stderr));

        let mut config = Config::test(d);
        config.deployments.releases_dir = d.join("releases");
        config.deployments.state_dir = d.join("state");
        config.deployments.nginx_upstream_dir = upstream_dir;
        config.deployments.nginx_test_command = base("-t").split_whitespace().map(str::to_owned).collect();
        config.deployments.nginx_reload_command = base("-s reload").split_whitespace().map(str::to_owned).collect();
        config.deployments.health_deadline_secs = health_secs;
        config.deployments.drain_secs = 1;
        let deps = Deps::new(db.db.clone(), &config);

        let env =
            lawha_store::secrets::keep(&db.db.read_models, "site_env", &deps.seal.seal(br#"{"GREETING": "hello"}"#))
                .await
                .expect("the environment is kept");
        let spec = SiteSpec {
            name: "shop".into(),
            repository: format!("file://{}", origin.display()),
            branch: "main".into(),
            deploy_key_secret: None,
            build_command: Some(BUILD.into()),
            start_command: "exec python3 app.py $PORT".into(),
            runtime: Runtime::Process,
            health_path: "/health".into(),
            env: EnvVars { names: vec!["GREETING".into()], values_secret: Some(SecretRef::parse(&env).unwrap()) },
            ports: Ports { blue: free_port(), green: free_port() },
            domains: vec![],
            releases_to_keep: 2,
            host: "local".into(),
        };
        let site_id = Uuid::now_v7();
        let client = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(0).timeout(Duration::from_secs(5));
        let world = Self { db, deps, site_id, spec, origin, nginx_port, client: client.build().unwrap(), dir };
        let webhook_secret = SecretRef::new(Uuid::now_v7());
        world.site(SiteCommand::Create { site_id, spec: world.spec.clone(), webhook_secret }).await;
        world.commit(&[("version.txt", "v1")], &[]);
        world
    }

    /// Runs a site command, as the panel does.
    pub async fn site(&self, command: SiteCommand) {
        let envelope = |_: &Site, e: &SiteEvent| e.to_new_event_with_id(Uuid::now_v7(), Metadata::default());
        lawha_store::execute::<Site>(self.db.db.events.as_ref(), &Site::stream(self.site_id), &command, envelope)
            .await
            .expect("the site command is recorded");
    }

    /// Commits files (written) and removals to main; returns the commit.
    pub fn commit(&self, write: &[(&str, &str)], remove: &[&str]) -> String {
        for (name, content) in write {
            std::fs::write(self.origin.join(name), content).unwrap();
        }
        for name in remove {
            std::fs::remove_file(self.origin.join(name)).unwrap();
        }
        run_git(&self.origin, &["add", "--all"]);
        run_git(&self.origin, &["commit", "--quiet", "-m", "change"]);
        run_git(&self.origin, &["rev-parse", "HEAD"])
    }

    /// Records a deployment's request, as the panel does; returns the deployment and its job (whose id is the
    /// request's).
    pub async fn request(&self, commit: Option<&str>) -> (Uuid, Job) {
        let deployment_id = Uuid::now_v7();
        let command = DeploymentCommand::Request {
            deployment_id,
            site_id: self.site_id,
            host: "local".into(),
            commit: commit.map(str::to_owned),
            trigger: Trigger::Manual { actor: "user:test".into() },
        };
        let envelope =
            |_: &Deployment, e: &DeploymentEvent| e.to_new_event_with_id(e.event_id(Uuid::nil()), Metadata::default());
        let stream = Deployment::stream(deployment_id);
        lawha_store::execute::<Deployment>(self.db.db.events.as_ref(), &stream, &command, envelope)
            .await
            .expect("the request is recorded");
        let request = self.events(deployment_id).await.remove(0);
        (deployment_id, lawha_jobs::registry::job_for(&request).expect("a Deploy job"))
    }

    /// Runs the handler for `job` (attempt `attempt`) to its end.
    pub async fn run(&self, job: &Job, attempt: u32) -> Result<Value, JobError> {
        Deploy(self.deps.clone()).run(&self.context(job, attempt)).await
    }

    /// The context of attempt `attempt` of `job`.
    pub fn context(&self, job: &Job, attempt: u32) -> JobContext {
        job_context(&self.db.db, Job { attempt, ..job.clone() }, "deploy-test")
    }

    /// Requests a deployment of `commit` and runs its job, which must succeed; returns the deployment.
    pub async fn deploy(&self, commit: Option<&str>) -> Uuid {
        let (id, job) = self.request(commit).await;
        let output = self.run(&job, 1).await.unwrap_or_else(|e| panic!("the deployment failed: {e}"));
        assert_eq!(output["outcome"], "succeeded", "{output}");
        id
    }

    /// The deployment's events.
    pub async fn events(&self, deployment_id: Uuid) -> Vec<RecordedEvent> {
        self.db.db.events.read_stream(&Deployment::stream(deployment_id), 0, 1000).await.expect("read")
    }

    /// The deployment's facts, decoded.
    pub async fn facts(&self, deployment_id: Uuid) -> Vec<DeploymentEvent> {
        let events = self.events(deployment_id).await;
        events.iter().map(|e| DeploymentEvent::from_recorded(e).expect("a deployment fact")).collect()
    }

    /// The type names of the deployment's events.
    pub async fn fact_names(&self, deployment_id: Uuid) -> Vec<String> {
        self.events(deployment_id).await.into_iter().map(|e| e.event_type).collect()
    }

    /// The lines of the job's log, as codes with their English-free rendering (`code: args`).
    pub async fn log(&self, job: &Job) -> Vec<lawha_domain::Message> {
        let lines = JobLog::new(self.db.db.read_models.clone()).read(job.id, 0, 10_000).await.expect("job log");
        lines.into_iter().filter_map(|l| l.message).collect()
    }

    /// One request through nginx: the answer's body, or what went wrong.
    pub async fn get(&self) -> Result<String, String> {
        let url = format!("http://127.0.0.1:{}/", self.nginx_port);
        let response = self.client.get(url).send().await.map_err(|e| format!("{e:?}"))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| format!("{e:?}"))?;
        if status == reqwest::StatusCode::OK { Ok(body) } else { Err(format!("{status}: {body}")) }
    }

    /// Waits until nginx answers `body` every time (its reload is asynchronous: for a moment old workers may
    /// still answer from the previous upstream).
    pub async fn serves(&self, body: &str) {
        let settled = eventually(Duration::from_secs(10), || async {
            for _ in 0..5 {
                if self.get().await.as_deref() != Ok(body) {
                    return false;
                }
            }
            true
        })
        .await;
        assert!(settled, "nginx does not serve {body:?}: {:?}", self.get().await);
    }

    /// Whether the site's colour runs.
    pub async fn runs(&self, colour: Colour) -> bool {
        use lawha_deploy_worker::engine::runtime::AppRuntime as _;
        self.deps.process.is_running("shop", colour).await
    }

    /// Marks the job of the read model's deployment `deployment_id` dead-lettered, as the jobs projection would
    /// (its job id is made up: only the join matters).
    pub async fn dead_job(&self, deployment_id: &str) {
        let job_id = format!("job-of-{deployment_id}");
        sqlx::query("UPDATE deployments SET job_id = $1 WHERE deployment_id = $2")
            .bind(job_id.clone())
            .bind(deployment_id.to_owned())
            .execute(&self.db.db.read_models)
            .await
            .expect("a job id");
        sqlx::query(
            "INSERT INTO jobs (job_id, kind, queue, state, attempt, max_attempts, requested_at, requested_by, \
             request_position, stream_version, updated_at) VALUES ($1, 'Deploy', 'deployments.local', 'dead', 3, 3, \
             0, 'DeploymentRequested', 0, 1, 0)",
        )
        .bind(job_id)
        .execute(&self.db.db.read_models)
        .await
        .expect("a dead job");
    }

    /// Writes a row of the `deployments` read model, as the projection would.
    pub async fn read_model_row(&self, deployment_id: &str, host: &str, status: &str, requested_at: i64) {
        sqlx::query(
            "INSERT INTO deployments (deployment_id, site_id, host, status, trigger_kind, trigger, requested_at, \
             updated_at, stream_version) VALUES ($1, $2, $3, $4, 'manual', '{}', $5, $5, 1)",
        )
        .bind(deployment_id.to_owned())
        .bind(self.site_id.to_string())
        .bind(host.to_owned())
        .bind(status.to_owned())
        .bind(requested_at)
        .execute(&self.db.db.read_models)
        .await
        .expect("a read model row");
    }
}

impl Drop for World {
    fn drop(&mut self) {
        // nginx: a fast shutdown of the master, which ends its workers.
        if let Ok(pid) = std::fs::read_to_string(self.dir.path().join("nginx.pid"))
            && let Some(pid) = pid.trim().parse().ok().and_then(rustix::process::Pid::from_raw)
            && pid.as_raw_nonzero().get() > 1
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        // The apps: their groups, by their pid files.
        for colour in [Colour::Blue, Colour::Green] {
            if let Ok(file) = self.deps.process.pid_file("shop", colour)
                && let Ok(pid) = std::fs::read_to_string(file)
                && let Some(pid) = pid.trim().parse().ok().and_then(rustix::process::Pid::from_raw)
                && pid.as_raw_nonzero().get() > 1
            {
                let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
            }
        }
    }
}
