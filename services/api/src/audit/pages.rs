//! The audit log page (it works without JavaScript): filters, paging, exports, new rows live over SSE, the
//! chain's last verification and, for admins, "verify now". The dashboard's recent activity uses its rows.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Extension,
    extract::{Query, State},
    response::{IntoResponse, Response},
};
use lawha_domain::users::Role;

use super::{
    chain,
    input::AuditQuery,
    read::{self, AuditItem},
};
use crate::{
    http::{auth::Principal, error::ApiError},
    state::AppState,
    ui::{
        Lang, Page, Section, i18n,
        request::{PageRequest, signed_in_nav},
    },
};

/// One row as the audit page shows it.
#[derive(Debug)]
pub struct AuditRow {
    /// Position (links to the raw event).
    pub position: i64,
    /// RFC 3339, for `<time datetime>`.
    pub recorded_at: String,
    /// Localized time.
    pub time: String,
    /// Actor or "—".
    pub actor: String,
    /// IP or "—".
    pub ip: String,
    /// Event type.
    pub event_type: String,
    /// Stream.
    pub target: String,
    /// Summary.
    pub summary: String,
}

/// The audit page's rows for `items`, times written in `lang`; the dashboard's recent activity uses them too.
pub(crate) fn audit_rows(lang: Lang, items: Vec<AuditItem>) -> Vec<AuditRow> {
    let dash = || "—".to_owned();
    items
        .into_iter()
        .map(|item| AuditRow {
            time: chrono::DateTime::parse_from_rfc3339(&item.recorded_at)
                .map(|t| i18n::format_datetime(lang, t.with_timezone(&chrono::Utc)))
                .unwrap_or_else(|_| item.recorded_at.clone()),
            position: item.position,
            recorded_at: item.recorded_at,
            actor: item.actor.unwrap_or_else(dash),
            ip: item.ip.unwrap_or_else(dash),
            summary: i18n::summary(lang, &item.event_type, &item.summary),
            event_type: item.event_type,
            target: item.target,
        })
        .collect()
}

/// The filters as typed, to fill the form again.
#[derive(Debug, Default)]
pub struct TypedFilters {
    actor: String,
    event_type: String,
    stream: String,
    since: String,
    until: String,
    q: String,
}

impl TypedFilters {
    /// The form's values from the query pairs (the last value of a key wins; unknown keys are the parser's
    /// business, which reports them).
    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut filters = Self::default();
        for (key, value) in pairs {
            let field = match key.as_str() {
                "actor" => &mut filters.actor,
                "event_type" => &mut filters.event_type,
                "stream" => &mut filters.stream,
                "since" => &mut filters.since,
                "until" => &mut filters.until,
                "q" => &mut filters.q,
                _ => continue,
            };
            field.clone_from(value);
        }
        filters
    }
}

/// The audit log page.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "audit.html")]
pub struct AuditLogPage {
    /// Shared part.
    pub page: Page,
    /// The form's values.
    pub filters: TypedFilters,
    /// A message when the filters are invalid.
    pub error: Option<String>,
    /// The rows, newest first.
    pub rows: Vec<AuditRow>,
    /// The next page's link.
    pub next_href: Option<String>,
    /// The filters as a query string for the export links.
    pub export_query: String,
    /// Whether new events are pushed into the table (the unfiltered first page only).
    pub live: bool,
    /// The last verification of the audit chain.
    pub chain: Option<ChainStatusView>,
    /// Whether the viewer may ask for a verification now (admins).
    pub can_verify: bool,
    /// What the page's form just did ("verification queued").
    pub notice: Option<String>,
}

/// The chain status as the page shows it.
#[derive(Debug)]
pub struct ChainStatusView {
    /// Localized time of the last check.
    pub at: String,
    /// Intact?
    pub ok: bool,
    /// Events checked.
    pub events: i64,
    /// First failing position.
    pub position: i64,
    /// Who asked.
    pub actor: String,
}

/// `GET /audit` (viewer).
pub async fn audit_page(
    State(state): State<AppState>,
    request: PageRequest,
    Extension(principal): Extension<Principal>,
    Query(raw): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let (page, user) = request.page("audit-title").await?;
    let lang = page.lang;
    let nav = signed_in_nav(lang, &request.prefix, Section::Audit, &principal);
    let page = page.with_nav(nav).with_user(user.unwrap_or_else(|| principal.user.clone()));
    let chain = chain::last_status(&state).await?.map(|c| ChainStatusView {
        at: i18n::format_datetime(lang, c.at),
        ok: c.ok,
        events: c.events,
        position: c.position,
        actor: c.actor,
    });
    let can_verify = principal.level >= Role::Admin;
    // `done` says what the page's own form just did; it is not a filter.
    let notice = raw.iter().any(|(k, v)| k == "done" && v == "verify-queued").then(|| page.t("audit-chain-queued"));
    let raw: Vec<(String, String)> = raw.into_iter().filter(|(k, _)| k != "done").collect();
    let pairs: Vec<(String, String)> = raw.iter().filter(|(_, v)| !v.is_empty()).cloned().collect();
    let filters = TypedFilters::from_pairs(&pairs);
    let export_query =
        serde_urlencoded::to_string(pairs.iter().filter(|(k, _)| k != "before" && k != "limit").collect::<Vec<_>>())
            .unwrap_or_default();
    let (rows, next, error) = match AuditQuery::try_from(raw) {
        Ok(query) => {
            let result = read::page(&state, &query).await?;
            (result.items, result.next_before, None)
        }
        Err(e) => (vec![], None, Some(i18n::render(lang, &e.0))),
    };
    let rows = audit_rows(lang, rows);
    let live = pairs.is_empty();
    let next_href = next.map(|before| {
        let mut next_pairs: Vec<_> = pairs.iter().filter(|(k, _)| k != "before").cloned().collect();
        next_pairs.push(("before".into(), before.to_string()));
        request.prefix.join(&format!("/audit?{}", serde_urlencoded::to_string(next_pairs).unwrap_or_default()))
    });
    let page_data =
        AuditLogPage { page, filters, error, rows, next_href, export_query, live, chain, can_verify, notice };
    Ok(page_data.into_response())
}
