//! The renewal check: at start and then every interval (moved by up to a tenth at random, so hosts do not ask
//! their CAs at the same moment, and brought forward to the earliest time one of its certificates falls due,
//! never sooner than [`MIN_GAP`]), for each certificate of its host it fetches the CA's renewal window when
//! one is due (ARI), decides with the certificate's rules whether to renew, and asks for the renewal.
//!
//! The `certificates` read model only lists the host's certificates; each is then read from its stream, which
//! is the truth. The point chosen inside a window is derived from the certificate's id and serial, so every
//! check (and every worker) picks the same one. A CA without ARI is remembered for the rest of the run, and not
//! asked again.

use std::{collections::HashSet, future::Future, time::Duration};

use chrono::{DateTime, Utc};
use lawha_domain::certificates::{
    Certificate, CertificateCommand, CertificateRejection, Decision, Reason, RenewalTrigger,
};
use lawha_jobs::runtime::JobError;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::{
    Deps,
    engine::{ari, install::CHAIN, x509},
    messages, metrics,
    record::{self, Recorded, Recorder},
};

/// The shortest time between two checks.
pub const MIN_GAP: Duration = Duration::from_secs(5);

/// The point of a window this certificate renews at: 0 to 1, from its id and serial.
pub fn fraction(id: Uuid, serial: &str) -> f64 {
    let digest = Sha256::digest(format!("{id}|{serial}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // 53 bits fit an f64 exactly.
    #[allow(clippy::cast_precision_loss)]
    let fraction = (u64::from_be_bytes(first) >> 11) as f64 / (1u64 << 53) as f64;
    fraction
}

/// The ids of the host's certificates that are not deleted, from the read model.
async fn certificates_of(deps: &Deps, host: &str) -> Result<Vec<Uuid>, JobError> {
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT certificate_id FROM certificates WHERE host = $1 AND deleted = 0")
            .bind(host.to_owned())
            .fetch_all(&deps.db.read_models)
            .await
            .map_err(|e| JobError::Retryable(messages::query_failed("certificates", e.to_string())))?;
    Ok(ids.iter().filter_map(|id| Uuid::parse_str(id).ok()).collect())
}

/// The renewal check of one host, with what it remembers between passes.
#[derive(Debug)]
pub struct Check {
    deps: Deps,
    host: String,
    /// Directories found without `renewalInfo` during this run.
    no_ari: HashSet<String>,
    /// The earliest Retry-After of the windows seen in the last pass.
    next_window: Option<DateTime<Utc>>,
}

impl Check {
    /// The check of `host`'s certificates.
    pub fn new(deps: Deps, host: impl Into<String>) -> Self {
        Self { deps, host: host.into(), no_ari: HashSet::new(), next_window: None }
    }

    /// One pass at `now`: each certificate's decision (those with an order under way are left out).
    pub async fn pass(&mut self, now: DateTime<Utc>) -> Vec<(Uuid, Decision)> {
        self.next_window = None;
        let ids = match certificates_of(&self.deps, &self.host).await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, host = %self.host, "the renewal check could not list its certificates");
                return Vec::new();
            }
        };
        let mut decisions = Vec::new();
        for id in ids {
            match self.one(id, now).await {
                Ok(Some(decision)) => decisions.push((id, decision)),
                Ok(None) => {}
                Err(e) => tracing::warn!(certificate = %id, error = %e, "the renewal check skipped a certificate"),
            }
        }
        decisions
    }

    /// The check of one certificate.
    async fn one(&mut self, id: Uuid, now: DateTime<Utc>) -> Result<Option<Decision>, JobError> {
        let recorder =
            Recorder { actor: format!("certs-check:{}", self.host), job_id: Uuid::now_v7(), correlation_id: None };
        let mut certificate = record::read(&self.deps.db, id).await?;
        let Some(spec) = certificate.spec.clone() else { return Ok(None) };
        let name = spec.names.first().cloned().unwrap_or_default();
        if certificate.window_due(now) && !self.no_ari.contains(spec.directory.url()) {
            certificate = self.fetch_window(id, certificate, now, &recorder).await?;
        }
        if let Some((_, retry_after)) = certificate.window {
            self.next_window = Some(self.next_window.map_or(retry_after, |t| t.min(retry_after)));
        }
        let served = certificate.current.as_ref().filter(|c| certificate.installed_serial.as_ref() == Some(&c.serial));
        if let Some(current) = served {
            metrics::expiry(&name, current.not_after, now);
        }
        let serial = certificate.current.as_ref().map(|c| c.serial.clone()).unwrap_or_default();
        let Some(decision) = certificate.next_renewal(now, fraction(id, &serial)) else { return Ok(None) };
        if let Decision::Now(reason) = decision {
            let trigger = match reason {
                Reason::AriWindow | Reason::AriWindowStarted | Reason::AriWindowPassed => RenewalTrigger::AriWindow,
                _ => RenewalTrigger::Schedule,
            };
            match recorder.record(&self.deps.db, id, &CertificateCommand::Renew { trigger, force: false }).await? {
                Recorded::Done(_) => tracing::info!(certificate = %id, ?reason, "renewal requested"),
                Recorded::Refused(CertificateRejection::OrderUnderWay) => {}
                Recorded::Refused(other) => tracing::info!(certificate = %id, %other, "renewal refused"),
            }
        }
        Ok(Some(decision))
    }

    /// Asks the CA for the served certificate's window and records it; the certificate as it is afterwards.
    async fn fetch_window(
        &mut self,
        id: Uuid,
        certificate: Certificate,
        now: DateTime<Utc>,
        recorder: &Recorder,
    ) -> Result<Certificate, JobError> {
        let (Some(spec), Some(current)) = (certificate.spec.as_ref(), certificate.current.as_ref()) else {
            return Ok(certificate);
        };
        let chain =
            std::fs::read_to_string(self.deps.installer.dir.join(id.to_string()).join(CHAIN)).unwrap_or_default();
        let Some(ari_id) = x509::leaf(&chain).ok().filter(|leaf| leaf.serial == current.serial).and_then(|l| l.ari_id)
        else {
            return Ok(certificate);
        };
        let fetched = match self.deps.acme.accounts.account(&spec.directory, spec.email.as_deref()).await {
            Ok(account) => ari::fetch(&account, &ari_id, now).await,
            Err(e) => Err(e),
        };
        let window = match fetched {
            Ok(Some(window)) => window,
            Ok(None) => {
                self.no_ari.insert(spec.directory.url().to_owned());
                return Ok(certificate);
            }
            Err(e) => {
                tracing::warn!(certificate = %id, reason = %e.reason, "the CA's renewal window could not be fetched");
                return Ok(certificate);
            }
        };
        let command = CertificateCommand::RecordWindow {
            serial: current.serial.clone(),
            window: window.window,
            retry_after: window.retry_after,
            explanation_url: window.explanation_url,
        };
        Ok(match recorder.record(&self.deps.db, id, &command).await? {
            Recorded::Done(after) => *after,
            Recorded::Refused(_) => certificate,
        })
    }

    /// How long to wait after a pass at `now` that decided `decisions` (see [`next_wait`]), with a random
    /// jitter of up to a tenth of the interval.
    pub fn wait(&self, interval: Duration, now: DateTime<Utc>, decisions: &[(Uuid, Decision)]) -> Duration {
        next_wait(interval, rand::random_range(-0.1..=0.1_f64), now, decisions, self.next_window)
    }
}

/// The wait until the next pass: the interval moved by `jitter` (a fraction of it), or less when a certificate
/// falls due (or a window is to be fetched again, `next_window`) sooner, but at least [`MIN_GAP`].
pub fn next_wait(
    interval: Duration,
    jitter: f64,
    now: DateTime<Utc>,
    decisions: &[(Uuid, Decision)],
    next_window: Option<DateTime<Utc>>,
) -> Duration {
    let mut wait = interval.mul_f64((1.0 + jitter).max(0.0));
    let due = decisions.iter().filter_map(|(_, d)| match d {
        Decision::Later { at, .. } => Some(*at),
        Decision::Now(_) => None,
    });
    if let Some(earliest) = due.chain(next_window).min() {
        wait = wait.min((earliest - now).to_std().unwrap_or(Duration::ZERO));
    }
    wait.max(MIN_GAP)
}

/// One pass of `host`'s check at `now`, on its own (tests, a manual check).
pub async fn check_once(deps: &Deps, host: &str, now: DateTime<Utc>) -> Vec<(Uuid, Decision)> {
    Check::new(deps.clone(), host).pass(now).await
}

/// Runs `host`'s check until `stop` resolves.
pub async fn run(deps: Deps, host: String, interval: Duration, stop: impl Future<Output = ()>) {
    let mut check = Check::new(deps, host);
    tokio::pin!(stop);
    loop {
        let now = Utc::now();
        let decisions = check.pass(now).await;
        let wait = check.wait(interval, now, &decisions);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = &mut stop => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn the_next_check_is_the_interval_unless_something_falls_due_sooner_but_never_within_five_seconds() {
        let (now, day) = (Utc::now(), Duration::from_secs(86_400));
        let later =
            |secs| (Uuid::nil(), Decision::Later { at: now + TimeDelta::seconds(secs), reason: Reason::Backoff });
        assert_eq!(next_wait(day, 0.0, now, &[], None), day);
        assert_eq!(next_wait(day, 0.1, now, &[], None), day.mul_f64(1.1));
        assert_eq!(next_wait(day, 0.0, now, &[later(3_600), later(7_200)], None), Duration::from_secs(3_600));
        assert_eq!(
            next_wait(day, 0.0, now, &[later(90_000)], Some(now + TimeDelta::minutes(2))),
            Duration::from_secs(120)
        );
        assert_eq!(next_wait(day, 0.0, now, &[later(1)], None), MIN_GAP);
        assert_eq!(next_wait(day, 0.0, now, &[(Uuid::nil(), Decision::Now(Reason::Expired))], None), day);
    }

    #[test]
    fn the_point_in_a_window_is_the_same_for_the_same_certificate() {
        let id = Uuid::now_v7();
        assert_eq!(fraction(id, "abc"), fraction(id, "abc"));
        assert_ne!(fraction(id, "abc"), fraction(id, "abd"));
        assert!((0.0..1.0).contains(&fraction(id, "abc")));
    }
}
