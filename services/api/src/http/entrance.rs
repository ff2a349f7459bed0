//! The security entrance (`ui.entrance`): a secret first path segment that the UI, sign-in and API answer
//! under, so that a scanner trying `/login` or `/api/v1/…` finds nothing that looks like a panel.
//!
//! It has to decide before routing, because it changes the path that routing sees, so it wraps the whole
//! router rather than being one of its layers (`Router::layer` middleware runs after routing). For a request
//! under the entrance it strips the prefix and records it as [`UiPrefix`], which pages and redirects put back
//! in front of every link. `/health/*` and `/webhooks/*` stay at the root and are not served under the
//! entrance. Every other path goes to a router without routes behind the same outer layers, so it gets exactly
//! the 404 an unknown path gets: no status, header or body hints that an entrance exists.

use std::convert::Infallible;

use axum::{
    Router,
    extract::{FromRequestParts, Request, State},
    http::{Uri, request::Parts, uri::PathAndQuery},
    middleware::{self, Next},
    response::{IntoResponse, Redirect, Response},
};
use tower::ServiceExt as _;

/// The path prefix of the UI for this request: the entrance (`/k8Jd02xQ`, no trailing slash), or empty when
/// none is configured. Pages write it in front of their links, handlers in front of their redirects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UiPrefix(pub String);

impl UiPrefix {
    /// The prefix itself: empty or `/segment`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `path` (which starts with `/`) under the prefix.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }

    /// A 303 redirect to `path` under the prefix.
    pub fn redirect(&self, path: &str) -> Redirect {
        Redirect::to(&self.join(path))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for UiPrefix {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Self>().cloned().unwrap_or_default())
    }
}

/// Whether `path` belongs to the paths that stay at the root whatever the entrance (health checks for load
/// balancers, webhooks for GitHub), which the allow-list exempts too.
pub fn is_root_only(path: &str) -> bool {
    ["/health", "/webhooks"]
        .iter()
        .any(|root| path.strip_prefix(root).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')))
}

/// What the entrance does with a request.
#[derive(Debug, PartialEq, Eq)]
enum Decision {
    /// Serve it with this path (the prefix removed).
    Panel(String),
    /// Serve it as it is (a root-only path).
    Root,
    /// `GET /k8Jd02xQ`: send the browser to `/k8Jd02xQ/`.
    AddSlash,
    /// Answer as an unknown path.
    Hidden,
}

fn decide(entrance: &str, path: &str) -> Decision {
    if path == entrance {
        return Decision::AddSlash;
    }
    match path.strip_prefix(entrance) {
        Some(rest) if rest.starts_with('/') && !is_root_only(rest) => Decision::Panel(rest.to_owned()),
        Some(_) => Decision::Hidden,
        None if is_root_only(path) => Decision::Root,
        None => Decision::Hidden,
    }
}

/// What the middleware needs: the entrance and the router that answers hidden paths.
#[derive(Debug, Clone)]
struct Entrance {
    prefix: Option<String>,
    hidden: Router,
}

/// Wraps the panel's router in the entrance. `hidden` answers every path outside the entrance; it must give
/// the same answer as the panel's own fallback (see [`super::router`]).
pub fn wrap(panel: Router, entrance: Option<String>, hidden: Router) -> Router {
    let state = Entrance { prefix: entrance, hidden };
    let service = tower::Layer::layer(&middleware::from_fn_with_state(state, route), panel);
    // A router with nothing but a fallback passes every request to the service unchanged, and gives back a
    // `Router`, which is what `axum::serve` and the tests take.
    Router::new().fallback_service(service)
}

async fn route(State(entrance): State<Entrance>, mut request: Request, next: Next) -> Response {
    let Some(prefix) = entrance.prefix.as_deref() else {
        request.extensions_mut().insert(UiPrefix::default());
        return next.run(request).await;
    };
    match decide(prefix, request.uri().path()) {
        Decision::Panel(path) => {
            let Some(uri) = with_path(request.uri(), &path) else {
                return hide(entrance.hidden, request).await;
            };
            *request.uri_mut() = uri;
            request.extensions_mut().insert(UiPrefix(prefix.to_owned()));
            next.run(request).await
        }
        Decision::Root => {
            request.extensions_mut().insert(UiPrefix::default());
            next.run(request).await
        }
        Decision::AddSlash => {
            let query = request.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
            Redirect::permanent(&format!("{prefix}/{query}")).into_response()
        }
        Decision::Hidden => hide(entrance.hidden, request).await,
    }
}

async fn hide(hidden: Router, request: Request) -> Response {
    match hidden.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// `uri` with its path replaced and its query kept. The scheme and authority are dropped: a server sees
/// origin-form URIs, and routing reads the path only.
fn with_path(uri: &Uri, path: &str) -> Option<Uri> {
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let path_and_query: PathAndQuery = path_and_query.parse().ok()?;
    Uri::from_parts({
        let mut parts = axum::http::uri::Parts::default();
        parts.path_and_query = Some(path_and_query);
        parts
    })
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const E: &str = "/k8Jd02xQ";

    #[test]
    fn paths_under_the_entrance_lose_it_and_root_paths_stay_at_the_root() {
        assert_eq!(decide(E, "/k8Jd02xQ/"), Decision::Panel("/".into()));
        assert_eq!(decide(E, "/k8Jd02xQ/api/v1/audit"), Decision::Panel("/api/v1/audit".into()));
        assert_eq!(decide(E, "/k8Jd02xQ/assets/app.css"), Decision::Panel("/assets/app.css".into()));
        assert_eq!(decide(E, "/k8Jd02xQ"), Decision::AddSlash);
        assert_eq!(decide(E, "/health/live"), Decision::Root);
        assert_eq!(decide(E, "/webhooks/github"), Decision::Root);
    }

    #[test]
    fn everything_else_is_hidden() {
        for path in [
            "/",
            "/login",
            "/api/v1/audit",
            "/assets/app.css",
            "/k8Jd02xQ/health/live",
            "/k8Jd02xQ/webhooks/github",
            "/k8Jd02xQx/login",
            "/k8jd02xq/login",
            "/healthz",
        ] {
            assert_eq!(decide(E, path), Decision::Hidden, "{path}");
        }
    }

    #[test]
    fn the_rewritten_uri_keeps_the_query() {
        let uri: Uri = "/k8Jd02xQ/audit?actor=amira&q=x".parse().unwrap();
        assert_eq!(with_path(&uri, "/audit").unwrap().to_string(), "/audit?actor=amira&q=x");
        assert_eq!(UiPrefix(E.into()).join("/login"), "/k8Jd02xQ/login");
        assert_eq!(UiPrefix::default().join("/login"), "/login");
    }
}
