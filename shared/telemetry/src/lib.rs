//! Lawha's telemetry: one function that installs the tracing subscriber (JSON lines in production, readable
//! output in development) and one global Prometheus recorder that every crate's `metrics::` calls feed.
//!
//! It owns the log format and the metrics registry, nothing else: it never decides *what* to log, and it must
//! never format a secret (callers log typed values whose `Debug` is already redacted).

use std::{io::IsTerminal as _, sync::OnceLock};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::{EnvFilter, fmt, layer::SubscriberExt, util::SubscriberInitExt};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line, for Loki/Promtail and `journalctl -o cat`.
    Json,
    /// Human-readable lines with colours when attached to a terminal.
    Pretty,
}

/// Installs the global tracing subscriber writing to stderr (stdout stays free for command output such as a
/// token printed once). `filter` is an `EnvFilter` directive (`info`, `lawha=debug,sqlx=warn`); `RUST_LOG`
/// is deliberately not read, so the configuration is the one place that sets it. A second call is a no-op,
/// which lets test binaries build several apps.
pub fn init(format: Format, filter: &str) -> Result<(), String> {
    let filter = EnvFilter::try_new(filter).map_err(|e| format!("log.level {filter:?} is not a valid filter: {e}"))?;
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        Format::Json => registry
            .with(fmt::layer().json().flatten_event(true).with_current_span(true).with_writer(std::io::stderr))
            .try_init(),
        Format::Pretty => registry
            .with(
                fmt::layer().with_target(false).with_ansi(std::io::stderr().is_terminal()).with_writer(std::io::stderr),
            )
            .try_init(),
    };
    // Already installed (a test binary building its second app): keep the first.
    drop(result);
    Ok(())
}

static METRICS: OnceLock<PrometheusHandle> = OnceLock::new();

/// Request-duration buckets in seconds: fine below 100 ms where the panel lives, coarse up to the timeout.
const DURATION_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// The global Prometheus recorder, installed on first use; `metrics::` calls made before it exist are lost,
/// so `lawha serve` calls this at start.
pub fn metrics() -> &'static PrometheusHandle {
    METRICS.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), DURATION_BUCKETS)
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        // Only fails when another recorder is installed; then this handle renders an empty registry, which the
        // metrics endpoint test would catch.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// The Prometheus text exposition of every metric recorded so far.
pub fn render_metrics() -> String {
    metrics().render()
}

/// Serves the Prometheus text exposition at `GET /metrics` on `listener` until `stop` resolves: what a worker
/// process (`lawha worker --metrics-listen`, `lawha-deploy-worker --metrics-listen`) offers Prometheus.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) {
    metrics();
    let router = axum::Router::new().route("/metrics", axum::routing::get(|| async { render_metrics() }));
    if let Err(error) = axum::serve(listener, router).with_graceful_shutdown(stop).await {
        tracing::warn!(%error, "the metrics endpoint stopped");
    }
}
