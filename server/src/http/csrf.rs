//! Cross-site request forgery protection for everything a cookie authorizes.
//!
//! Browsers say where a request comes from (`Sec-Fetch-Site`, or at least `Origin`) and
//! scripts cannot forge those headers. A state-changing request (anything but GET, HEAD,
//! OPTIONS) that a browser marks as coming from another site is refused, whatever it
//! targets — server functions, forms, the sign-in form (login CSRF). Every browser in use
//! sends at least `Origin` with such a request, so one that carries the session cookie but
//! neither header is refused too: whatever sent it, it cannot prove it comes from an
//! Outreach page. Requests without the cookie and without either header (scripts with an API
//! token) carry no ambient authority beyond what their sender already holds. The approach of
//! Go's `http.CrossOriginProtection`, stricter for cookie-authorized requests; together with
//! `SameSite=Lax` session cookies.
//!
//! Exempt: one-click unsubscribe (`/u/…`, posted by mail providers from anywhere, authorized
//! by its signed token, not a cookie) and the simulated Google token endpoints (called
//! server-to-server).

use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

const EXEMPT_PREFIXES: [&str; 2] = ["/u/", "/sandbox/google/"];

pub async fn reject_cross_site_writes(request: Request, next: Next) -> Response {
    if is_safe(request.method())
        || EXEMPT_PREFIXES.iter().any(|p| request.uri().path().starts_with(p))
    {
        return next.run(request).await;
    }
    match verdict(request.headers()) {
        Verdict::Allow => next.run(request).await,
        Verdict::Refuse(reason) => {
            tracing::warn!(path = %super::redact_path(request.uri().path()), reason, "cross-site write refused");
            (
                StatusCode::FORBIDDEN,
                "Cross-site request refused: this action must come from an Outreach page.",
            )
                .into_response()
        }
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Allow,
    Refuse(&'static str),
}

fn verdict(headers: &HeaderMap) -> Verdict {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return match site {
            "same-origin" | "none" => Verdict::Allow,
            _ => Verdict::Refuse("Sec-Fetch-Site is not same-origin"),
        };
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // An `Authorization` header (an API token) is something a cross-site page can never
        // make a browser send, so the request is the script's own, cookie or not.
        return if carries_session_cookie(headers) && !headers.contains_key(header::AUTHORIZATION) {
            Verdict::Refuse("a cookie-authorized write without Origin or Sec-Fetch-Site")
        } else {
            Verdict::Allow
        };
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("null");
    if !host.is_empty() && origin_host.eq_ignore_ascii_case(host) {
        Verdict::Allow
    } else {
        Verdict::Refuse("Origin does not match Host")
    }
}

/// Whether the request carries Outreach's session cookie.
fn carries_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .any(|pair| {
            pair.trim().split_once('=').is_some_and(|(name, _)| name == super::SESSION_COOKIE)
        })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn same_origin_browser_requests_pass() {
        assert_eq!(verdict(&headers(&[("sec-fetch-site", "same-origin")])), Verdict::Allow);
        assert_eq!(verdict(&headers(&[("sec-fetch-site", "none")])), Verdict::Allow);
        assert_eq!(
            verdict(&headers(&[("origin", "http://app.test:3000"), ("host", "app.test:3000")])),
            Verdict::Allow
        );
    }

    #[test]
    fn cross_site_browser_requests_are_refused() {
        assert!(matches!(
            verdict(&headers(&[("sec-fetch-site", "cross-site")])),
            Verdict::Refuse(_)
        ));
        assert!(matches!(
            verdict(&headers(&[("sec-fetch-site", "same-site")])),
            Verdict::Refuse(_)
        ));
        assert!(matches!(
            verdict(&headers(&[("origin", "https://evil.test"), ("host", "app.test:3000")])),
            Verdict::Refuse(_)
        ));
        assert!(matches!(
            verdict(&headers(&[("origin", "null"), ("host", "app.test")])),
            Verdict::Refuse(_)
        ));
    }

    #[test]
    fn non_browser_requests_pass() {
        assert_eq!(verdict(&HeaderMap::new()), Verdict::Allow);
        assert_eq!(verdict(&headers(&[("cookie", "theme=dark")])), Verdict::Allow);
    }

    #[test]
    fn a_session_cookie_without_origin_or_fetch_metadata_is_refused() {
        assert!(matches!(
            verdict(&headers(&[("cookie", "theme=dark; outreach_session=abc")])),
            Verdict::Refuse(_)
        ));
        assert_eq!(
            verdict(&headers(&[
                ("cookie", "outreach_session=abc"),
                ("sec-fetch-site", "same-origin")
            ])),
            Verdict::Allow
        );
    }

    #[test]
    fn an_api_token_request_is_allowed_even_with_the_session_cookie() {
        // What a browser-based script (or Playwright's request API) sends: the token, and the
        // cookies of the browser it runs in.
        assert_eq!(
            verdict(&headers(&[
                ("cookie", "outreach_session=abc"),
                ("authorization", "Bearer 0123")
            ])),
            Verdict::Allow
        );
    }

    #[test]
    fn reads_are_never_checked() {
        assert!(
            is_safe(&Method::GET)
                && is_safe(&Method::HEAD)
                && !is_safe(&Method::POST)
                && !is_safe(&Method::DELETE)
        );
    }
}
