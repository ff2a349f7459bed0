//! A deployment's page: its status, commit and trigger (who asked, or who pushed), each step the worker recorded
//! with its time and how long it took, the error of a failure (its step, its reason in the page's language and
//! the output's tail), and its job's log, whose new lines arrive over the event stream while it runs (the same
//! `job_log.html` as a backup run's page). The status section refreshes itself until the deployment ends.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Extension,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use lawha_domain::{
    Aggregate as _, DomainEvent as _, RecordedEvent,
    deployments::{Deployment, DeploymentEvent as E},
};
use serde_json::Value;

use super::{DeploymentRow, duration, section_page, short, under_way, uuid};
use crate::{
    deployments::read,
    http::{auth::Principal, error::ApiError},
    jobs::{self, pages::LogRow},
    state::AppState,
    ui::{
        ErrorPage, Page,
        kit::{Alerts, Done},
        request::PageRequest,
    },
};

/// The most log lines the page shows.
const LOG_LINES: i64 = 500;
/// The most facts of one deployment read (a deployment records ten at most).
const FACTS: i64 = 100;

/// A fact of the deployment as the steps list shows it.
#[derive(Debug)]
pub struct StepRow {
    /// `requested` … `failed`, for `data-step`.
    pub key: &'static str,
    /// What happened, in words.
    pub label: String,
    /// RFC 3339, for `<time datetime>`.
    pub at: String,
    /// When, localized.
    pub time: String,
    /// How long since the fact before it, in words.
    pub took: Option<String>,
    /// What it names that is data (a commit, a release id), shown left to right.
    pub data: Option<String>,
    /// What it names in words (a colour, the failed step).
    pub words: Option<String>,
}

/// The deployment page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "deployment.html")]
pub struct DeploymentPage {
    /// Shared part.
    pub page: Page,
    /// The deployment as the tables show it.
    pub deployment: DeploymentRow,
    /// Its site's id, and its name while the site lives.
    pub site_id: String,
    /// See `site_id`.
    pub site_name: Option<String>,
    /// The host it runs on.
    pub host: String,
    /// The colour it started or serves on, in words.
    pub colour: Option<String>,
    /// The release it built or serves again.
    pub release_id: Option<String>,
    /// The commit asked for, when one was.
    pub requested_commit: Option<String>,
    /// Who recorded the request (a person, a token, the webhook).
    pub requested_by: Option<String>,
    /// GitHub's delivery id of a push.
    pub delivery_id: Option<String>,
    /// The deployment a follow-up waited for.
    pub after: Option<String>,
    /// Its facts, oldest first.
    pub steps: Vec<StepRow>,
    /// The failed step's last output.
    pub log_tail: Option<String>,
    /// Its job, whose log the page follows.
    pub job_id: String,
    /// The last lines of the job's log.
    pub log: Vec<LogRow>,
    /// The id of the last line shown.
    pub log_after: i64,
    /// Whether the status section refreshes by itself (the deployment is under way).
    pub live: bool,
    /// What was just asked for.
    pub alerts: Alerts,
}

impl DeploymentPage {
    /// The job whose log `job_log.html` follows.
    pub fn log_job(&self) -> &str {
        &self.job_id
    }
}

/// A fact as the steps list shows it.
fn step_row(page: &Page, fact: &E, event: &RecordedEvent, before: Option<&RecordedEvent>) -> StepRow {
    let colour = |c: &lawha_domain::deployments::Colour| Some(page.t(&format!("site-colour-{}", c.as_str())));
    let (key, data, words) = match fact {
        E::DeploymentRequested { commit, .. } => {
            ("requested", commit.as_deref().map(short), commit.is_none().then(|| page.t("deployment-branch-head")))
        }
        E::DeploymentFetched { commit } => ("fetched", Some(short(commit)), None),
        E::DeploymentBuilt { release_id } => ("built", Some(release_id.to_string()), None),
        E::DeploymentStarted { colour: c } => ("started", None, colour(c)),
        E::DeploymentHealthPassed {} => ("health_passed", None, None),
        E::DeploymentSwitched { colour: c } => ("switched", None, colour(c)),
        E::DeploymentDrained {} => ("drained", None, None),
        E::DeploymentSucceeded {} => ("succeeded", None, None),
        E::DeploymentFailed { step, .. } => ("failed", None, Some(page.t(&format!("deploy-step-{}", step.as_str())))),
    };
    StepRow {
        key,
        label: page.t(&format!("deployment-event-{key}")),
        at: event.recorded_at.to_rfc3339(),
        time: page.datetime(&event.recorded_at),
        took: before.map(|b| duration(page, (event.recorded_at - b.recorded_at).num_milliseconds())),
        data,
        words,
    }
}

/// `GET /deployments/{id}` (viewer).
pub async fn show(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, ApiError> {
    let page = section_page(&request, &principal, "deployment-title").await?;
    let pool = &state.db.read_models;
    let found = match uuid(&id) {
        Some(id) => read::deployment(pool, id).await?.map(|d| (id, d)),
        None => None,
    };
    let Some((deployment_id, d)) = found else {
        return Ok(ErrorPage::new(page, StatusCode::NOT_FOUND).into_response());
    };
    let site = read::site(pool, uuid(&d.site_id).unwrap_or_default()).await?;
    let events = state.db.events.read_stream(&Deployment::stream(deployment_id), 0, FACTS).await?;
    let mut steps = Vec::new();
    for (i, event) in events.iter().enumerate() {
        // A fact this build cannot read (a newer schema) is left out, as the projection leaves it out.
        if let Ok(fact) = E::from_recorded(event) {
            steps.push(step_row(&page, &fact, event, i.checked_sub(1).and_then(|b| events.get(b))));
        }
    }
    let job_id = d.job_id.clone().unwrap_or_default();
    let log = jobs::read::log_tail(pool, uuid(&job_id).unwrap_or_default(), LOG_LINES).await?;
    let text = |key: &str| d.trigger.get(key).and_then(Value::as_str).map(str::to_owned);
    let alerts = Alerts::notice(done.notice(&page, "deployment-done", &["deploy", "rollback"]));
    let body = DeploymentPage {
        deployment: DeploymentRow::new(&page, &d),
        site_id: d.site_id.clone(),
        site_name: site.map(|s| s.name),
        host: d.host.clone(),
        colour: d.colour.as_ref().map(|c| page.t(&format!("site-colour-{c}"))),
        release_id: d.release_id.clone(),
        requested_commit: d.requested_commit.clone(),
        requested_by: events.first().and_then(|e| e.metadata.actor.clone()),
        delivery_id: text("delivery_id"),
        after: text("after"),
        steps,
        log_tail: d.log_tail.clone().filter(|t| !t.is_empty()),
        live: under_way(&d.status),
        log_after: log.last().map_or(0, |l| l.id),
        log: log.into_iter().map(|l| LogRow::new(page.lang, l)).collect(),
        job_id,
        alerts,
        page,
    };
    Ok(body.into_response())
}
