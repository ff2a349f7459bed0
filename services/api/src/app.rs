//! The one startup path: `App::build(config)` opens the database, applies migrations and binds the listener;
//! `run_until_stopped(shutdown)` serves until the shutdown future resolves, then drains. Tests call the same
//! `build` with port 0. The server loop itself (hyper with header-read and idle timeouts) is `app/serve.rs`.

mod serve;

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context as _;
use axum::Router;
use lawha_config::Config;
use lawha_store::{ChainKey, Database, DatabaseOptions, ProjectionRunner};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{http, projections, state::AppState, system};

/// A built, bound, not yet serving panel.
#[derive(Debug)]
pub struct App {
    listener: TcpListener,
    state: AppState,
    runner: ProjectionRunner,
    /// Samples the host for the dashboard; it runs while the app serves.
    recorder: system::Recorder,
    extra_routes: Router<AppState>,
    /// Cancelled when the app stops: background tasks and live streams end.
    stop: CancellationToken,
}

/// Opens the configured database (creating a SQLite file when needed) without migrating it.
pub async fn open_database(config: &Config) -> anyhow::Result<Database> {
    let url = config.database_url.expose();
    let options = DatabaseOptions {
        max_connections: config.database.max_connections,
        acquire_timeout: Duration::from_secs(config.database.acquire_timeout_secs),
        chain_key: ChainKey::derive(config.secret_key_bytes()),
    };
    Database::connect(url, options)
        .await
        .with_context(|| format!("cannot open the database at {}", lawha_config::redact_url(url)))
}

/// The projection runner over every projection of the panel.
pub fn projection_runner(config: &Config, db: &Database) -> ProjectionRunner {
    ProjectionRunner::new(
        db.clone(),
        projections::all(),
        config.projections.batch_size,
        Duration::from_millis(config.projections.poll_interval_ms),
    )
}

impl App {
    /// Opens and migrates the database and binds the listen address.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_routes(config, Router::new()).await
    }

    /// [`Self::build`] with extra routes behind the same middleware (tests use it for a deliberately slow
    /// route to observe graceful shutdown).
    pub async fn build_with_routes(config: Config, extra_routes: Router<AppState>) -> anyhow::Result<Self> {
        lawha_telemetry::metrics();
        let db = open_database(&config).await?;
        db.migrate().await.context("applying database migrations")?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {} (LAWHA_LISTEN)", config.listen))?;
        let runner = projection_runner(&config, &db);
        metrics::gauge!("lawha_build_info", "version" => env!("CARGO_PKG_VERSION"), "backend" => format!("{:?}", db.backend()).to_lowercase())
            .set(1.0);
        let (monitor, recorder) = system::Recorder::start(&config.data_dir).await;
        let stop = CancellationToken::new();
        let streams = crate::audit::stream::Streams::new(
            config.http.max_streams_per_principal,
            config.http.max_streams,
            stop.clone(),
        );
        let availability = http::health::Availability::new(Duration::from_millis(config.database.unavailable_wait_ms));
        let state = AppState {
            config: Arc::new(config),
            db,
            tokens: Arc::default(),
            audit_pages: Arc::default(),
            system: monitor,
            passwords: Arc::default(),
            streams: Arc::new(streams),
            availability,
        };
        Ok(Self { listener, state, runner, recorder, extra_routes, stop })
    }

    /// The bound address (the real port when the configuration asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| self.state.config.listen)
    }

    /// The shared state, for tests that look behind the API.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves; then stops accepting, ends live event streams at once, lets in-flight
    /// requests finish within the grace period (`http.shutdown_grace_secs`), stops the projection runner and the
    /// host monitor and closes the database.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let stop = self.stop.clone();
        let grace = Duration::from_secs(self.state.config.http.shutdown_grace_secs);
        tracing::info!(address = %self.local_addr(), backend = ?self.state.db.backend(), "serving");
        match crate::setup::pages::first_start_line(&self.state, self.local_addr()).await {
            Ok(Some(line)) => eprintln!("{line}"),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "could not create the first-start setup link"),
        }
        let runner = tokio::spawn(self.runner.clone().run(stop.clone()));
        let purger = tokio::spawn(purge_sessions(
            crate::users::session::DbSessionStore::new(self.state.db.read_models.clone()),
            stop.clone(),
        ));
        let sampler = tokio::spawn(self.recorder.run(stop.clone()));
        let caches =
            tokio::spawn(crate::projections::follow_changes(self.state.db.read_model_changes().clone(), stop.clone()));
        let jobs = tokio::spawn(crate::jobs::serve(
            Arc::clone(&self.state.config),
            self.state.db.clone(),
            self.runner.clone(),
            self.state.availability.clone(),
            stop.clone(),
        ));
        let probe = (self.state.db.backend() == lawha_store::Backend::Postgres).then(|| {
            let url = self.state.config.database_url.expose().to_owned();
            tokio::spawn(self.state.availability.clone().watch_postgres(url, stop.clone()))
        });
        let router = http::router(self.state.clone(), self.extra_routes);
        let http = &self.state.config.http;
        let limits = serve::Limits {
            header_read: Duration::from_secs(http.header_read_timeout_secs),
            idle: Duration::from_secs(http.idle_timeout_secs),
        };
        let server = serve::serve(self.listener, router, limits, stop.clone());
        let signal = async {
            shutdown.await;
            // Live streams end with this too, so a stop does not wait for a browser to close its page.
            stop.cancel();
            std::future::pending::<()>().await;
        };
        let deadline = async {
            stop.cancelled().await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            () = server => {}
            () = signal => {}
            () = deadline => tracing::warn!(grace_secs = grace.as_secs(), "in-flight requests outlived the grace period; closing them"),
        }
        stop.cancel();
        if let Some(probe) = probe {
            let _ = probe.await;
        }
        let _ = runner.await;
        let _ = purger.await;
        let _ = sampler.await;
        let _ = caches.await;
        let _ = jobs.await;
        self.state.db.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Deletes expired sessions every ten minutes (loading already ignores them; this keeps the table small).
async fn purge_sessions(store: crate::users::session::DbSessionStore, stop: CancellationToken) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = every.tick() => {
                if let Err(error) = store.purge_expired().await {
                    tracing::warn!(%error, "could not purge expired sessions");
                }
            }
        }
    }
}

/// Resolves on SIGTERM or SIGINT (the one the worker binaries use too).
pub use lawha_jobs::runtime::shutdown_signal;
