//! The stylesheet and script, compiled into the binary so a release is one file and the page and its assets
//! always match.
//!
//! Templates link them as `/assets/<name>?v=<etag>` ([`Page::asset_url`](super::Page::asset_url)): the query
//! changes whenever the content does, so the route can answer with [`CACHE_CONTROL`] (a year, immutable) and
//! the [`etag`] without ever serving a stale file after an upgrade.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::{
    extract::Path,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse as _, Response},
};
use sha2::{Digest, Sha256};

use crate::http::error::{ApiError, HttpRefusal};

/// For responses to versioned asset URLs.
pub const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// Every embedded asset: name, content type, content.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("../../assets/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/app.js")),
];

/// The ETags, computed once: the first 16 hex digits of each asset's SHA-256.
static ETAGS: LazyLock<HashMap<&'static str, String>> = LazyLock::new(|| {
    ASSETS.iter().map(|(name, _, body)| (*name, hex::encode(Sha256::digest(body))[..16].to_owned())).collect()
});

/// The content type and content of the asset `name` (`app.css`; a leading `/` is ignored), or `None`.
pub fn get(name: &str) -> Option<(&'static str, &'static [u8])> {
    let name = name.strip_prefix('/').unwrap_or(name);
    ASSETS.iter().find(|(known, _, _)| *known == name).map(|(_, content_type, body)| (*content_type, *body))
}

/// The ETag of the asset `name`, without quotes (the `ETag` header wants it quoted: `"…"`).
pub fn etag(name: &str) -> Option<&'static str> {
    let name = name.strip_prefix('/').unwrap_or(name);
    ETAGS.get(name).map(String::as_str)
}

/// `GET /assets/{file}`: the UI's own CSS and script, cached for a year (links carry a content hash).
pub async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let (Some((content_type, bytes)), Some(etag)) = (get(&file), etag(&file)) else {
        return ApiError::from(HttpRefusal::NotFound).into_response();
    };
    let quoted = format!("\"{etag}\"");
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(quoted.as_str()) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut response = (StatusCode::OK, bytes).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    if let Ok(value) = HeaderValue::from_str(&quoted) {
        h.insert(header::ETAG, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_assets_are_served_with_their_type_and_unknown_ones_are_not() {
        let (content_type, body) = get("app.css").expect("app.css is embedded");
        assert_eq!(content_type, "text/css; charset=utf-8");
        assert!(!body.is_empty());
        assert_eq!(get("/app.js").map(|(content_type, _)| content_type), Some("text/javascript; charset=utf-8"));
        for unknown in ["", "app.html", "../Cargo.toml", "APP.CSS", "app.css/"] {
            assert!(get(unknown).is_none(), "{unknown} should not exist");
            assert!(etag(unknown).is_none(), "{unknown} should have no ETag");
        }
    }

    #[test]
    fn the_etag_is_the_start_of_the_content_hash() {
        let (_, body) = get("app.css").expect("app.css is embedded");
        let tag = etag("app.css").expect("app.css has an ETag");
        assert_eq!(tag.len(), 16);
        assert!(hex::encode(Sha256::digest(body)).starts_with(tag));
        assert_ne!(etag("app.css"), etag("app.js"));
    }

    #[test]
    fn the_stylesheet_uses_logical_properties_only() {
        let (_, body) = get("app.css").expect("app.css is embedded");
        let css = std::str::from_utf8(body).expect("the stylesheet is UTF-8");
        let physical = physical_properties(css);
        assert!(physical.is_empty(), "physical properties in app.css: {physical:?}");
    }

    /// Every rule's block is closed. Browsers nest what follows an unclosed block inside it (CSS nesting), so
    /// one missing `}` silently turns off every later rule of the file.
    #[test]
    fn every_block_of_the_stylesheet_is_closed() {
        let (_, body) = get("app.css").expect("app.css is embedded");
        let css = std::str::from_utf8(body).expect("the stylesheet is UTF-8");
        let mut open: Vec<(usize, &str)> = Vec::new();
        let mut in_comment = false;
        for (number, line) in css.lines().enumerate() {
            let mut rest = line;
            while !rest.is_empty() {
                if in_comment {
                    let Some(end) = rest.find("*/") else { break };
                    rest = &rest[end + 2..];
                    in_comment = false;
                } else if rest.starts_with("/*") {
                    in_comment = true;
                    rest = &rest[2..];
                } else {
                    match rest.as_bytes()[0] {
                        b'{' => open.push((number + 1, line.trim())),
                        b'}' => assert!(open.pop().is_some(), "line {}: `}}` closes nothing", number + 1),
                        _ => {}
                    }
                    rest = &rest[rest.chars().next().map_or(1, char::len_utf8)..];
                }
            }
        }
        assert!(open.is_empty(), "blocks never closed in app.css (line, selector): {open:?}");
    }

    /// Matches `(margin|padding|border)-(left|right)|\bleft:|\bright:|text-align:\s*(left|right)` without a
    /// regex dependency: the lines of `css` that contain a physical left/right property.
    fn physical_properties(css: &str) -> Vec<&str> {
        let word_start = |line: &str, at: usize| {
            !line[..at].chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        css.lines()
            .filter(|line| {
                let squeezed: String = line.split_whitespace().collect();
                ["margin-", "padding-", "border-"]
                    .iter()
                    .any(|p| line.contains(&format!("{p}left")) || line.contains(&format!("{p}right")))
                    || ["left:", "right:"].iter().any(|p| line.match_indices(p).any(|(at, _)| word_start(line, at)))
                    || squeezed.contains("text-align:left")
                    || squeezed.contains("text-align:right")
            })
            .collect()
    }

    #[test]
    fn the_physical_property_check_catches_each_form() {
        for bad in [
            "margin-left: 1rem",
            "a { padding-right:0 }",
            "border-left: none",
            "left: 0",
            "x{right:0}",
            "text-align:  right",
        ] {
            assert_eq!(physical_properties(bad).len(), 1, "{bad} should be caught");
        }
        for good in
            ["margin-inline-start: 1rem", "inset-inline-start: 0", "text-align: start", "--bright: 0", "copyright: x"]
        {
            assert!(physical_properties(good).is_empty(), "{good} is logical");
        }
    }
}
