//! What `lawha bench webhook` prints: each round, then each receiver's figures, the ratio and the durability
//! check, then the switches, each figure against its target marked met or NOT met.

use anyhow::Context as _;
use sqlx::{Connection as _, PgConnection};

use super::{Measured, WebhookArgs, load::Tally, reference::Gunicorn, switch::Switch};
use crate::common::thousands;

/// The targets.
const TARGET_RATIO: f64 = 5.0;
const TARGET_P99_MS: f64 = 20.0;
const TARGET_SWITCH_MS: f64 = 1000.0;

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

/// The set-up, before the rounds.
pub fn setup(args: &WebhookArgs, gunicorn: &Gunicorn, size: usize) {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    println!("machine: {cores} cores, load average {load} before the runs (both receivers share it)");
    println!(
        "deliveries: signed GitHub push payloads of {size} bytes, each with its own delivery id and `after`, from {} \
         keep-alive connections for {} s per receiver and round ({} rounds, after {} s of warm-up)",
        args.connections, args.seconds, args.rounds, args.warmup
    );
    println!(
        "lawha: this binary's `lawha serve` on PostgreSQL and Redis, no deploy worker (deployments stay requested)"
    );
    println!(
        "reference: Flask under gunicorn ({} {} worker(s) × {} thread(s)): HMAC check, INSERT committed to \
         PostgreSQL, Celery .delay() on Redis, 202",
        gunicorn.workers,
        if gunicorn.threads > 1 { "gthread" } else { "sync" },
        gunicorn.threads
    );
}

/// One round's line.
pub fn round(n: u32, lawha: &Tally, reference: &Tally) {
    println!(
        "round {n}: lawha {} accepted/s (p50 {:.1} ms, p99 {:.1} ms); reference {} accepted/s (p50 {:.1} ms, \
         p99 {:.1} ms); ×{:.2}",
        thousands(lawha.rate()),
        lawha.quantile_ms(0.5),
        lawha.quantile_ms(0.99),
        thousands(reference.rate()),
        reference.quantile_ms(0.5),
        reference.quantile_ms(0.99),
        lawha.rate() / reference.rate()
    );
}

/// The median round's rate, and p50/p99 over every round's answers.
fn figures(measured: &Measured) -> (f64, f64, f64, Tally) {
    let mut rates: Vec<f64> = measured.rounds.iter().map(Tally::rate).collect();
    rates.sort_by(f64::total_cmp);
    let mut all = Tally::default();
    for tally in &measured.rounds {
        all.absorb(tally.clone());
    }
    (rates[rates.len() / 2], all.quantile_ms(0.5), all.quantile_ms(0.99), all)
}

/// Both receivers' figures, the ratio and the checks.
pub fn receivers(args: &WebhookArgs, [lawha, reference]: &[Measured; 2]) {
    let (rate, p50, p99, all) = figures(lawha);
    let (reference_rate, reference_p50, reference_p99, reference_all) = figures(reference);
    println!("receiver     accepted/s   p50 ms   p99 ms   other answers");
    for (name, rate, p50, p99, all) in
        [("lawha", rate, p50, p99, &all), ("reference", reference_rate, reference_p50, reference_p99, &reference_all)]
    {
        println!("{name:<10} {:>12} {p50:>8.1} {p99:>8.1}   {}", thousands(rate), all.problems());
        if let Some(problem) = &all.first_problem {
            println!("           first: {problem}");
        }
    }
    let ratio = rate / reference_rate;
    println!(
        "lawha / reference: {ratio:.2}× (median rounds of {} s, {} connections); target ≥ {TARGET_RATIO}×: {}",
        args.seconds,
        args.connections,
        verdict(ratio >= TARGET_RATIO)
    );
    println!("lawha p99: {p99:.1} ms; target < {TARGET_P99_MS} ms: {}", verdict(p99 < TARGET_P99_MS));
    println!("lawha durability: {}", lawha.records);
    println!("reference durability: {}", reference.records);
    println!(
        "every accepted delivery recorded before its answer: lawha {}, reference {}",
        if lawha.durable { "yes" } else { "NO" },
        if reference.durable { "yes" } else { "NO" }
    );
}

/// What the panel's log holds for `accepted` deliveries, in words, and whether every one is there.
pub async fn lawha_records(url: &str, accepted: u64) -> anyhow::Result<(String, bool)> {
    let mut conn = PgConnection::connect(url).await?;
    let (received, requested): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*) FILTER (WHERE type = 'WebhookDeliveryReceived'), \
                COUNT(*) FILTER (WHERE type = 'DeploymentRequested') FROM events",
    )
    .fetch_one(&mut conn)
    .await
    .context("counting the panel's events")?;
    let follow_ups: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deployments WHERE trigger_kind = 'follow_up'")
        .fetch_one(&mut conn)
        .await
        .context("counting the follow-ups")?;
    conn.close().await?;
    let durable = u64::try_from(received).ok() == Some(accepted);
    let text = format!(
        "{received} WebhookDeliveryReceived events for {accepted} accepted deliveries: {}; {requested} \
         DeploymentRequested ({} by a push, {follow_ups} follow-ups; with no deploy worker every deployment stays \
         in flight, so a push either asks for one, waiting until the read model shows it, or joins the waiting \
         follow-up: a signature check, read-model lookups and one durable append)",
        if durable { "all there" } else { "MISMATCH" },
        requested - follow_ups
    );
    Ok((text, durable))
}

/// The switch part's lines.
#[allow(clippy::cast_precision_loss)] // request counts are small
pub fn switches(args: &WebhookArgs, switches: &[Switch]) {
    println!(
        "switch: {} deployments of a python3 app through nginx on the process runtime, each under load ({} clients, \
         a new connection per request)",
        switches.len(),
        args.switch_clients
    );
    let (mut worst, mut failed, mut answered) = (Some(0.0_f64), 0, 0);
    for (i, s) in switches.iter().enumerate() {
        let first = s.to_first_answer_ms.map_or_else(|| "never".to_owned(), |ms| format!("{ms:.0} ms"));
        println!(
            "deploy {} (v{} → v{}): health gate passed → nginx switched {:.0} ms → first answer of v{} {first}; {} \
             requests through nginx ({}/s), {} failed",
            i + 1,
            i + 1,
            i + 2,
            s.to_switched_ms,
            i + 2,
            thousands(s.answered as f64),
            thousands(s.rate),
            s.failed
        );
        for error in &s.errors {
            println!("           failure: {error}");
        }
        worst = worst.zip(s.to_first_answer_ms).map(|(w, ms)| w.max(ms));
        failed += s.failed;
        answered += s.answered;
    }
    let worst_text = worst.map_or_else(|| "a new version was never served".to_owned(), |ms| format!("{ms:.0} ms"));
    println!(
        "switch time (health gate passed → first request served by the new colour), worst of {}: {worst_text}; \
         target < 1 s: {}",
        switches.len(),
        verdict(worst.is_some_and(|ms| ms < TARGET_SWITCH_MS))
    );
    println!(
        "failed requests during the switches: {failed} of {}; target 0: {}",
        thousands((answered + failed) as f64),
        verdict(failed == 0)
    );
}
