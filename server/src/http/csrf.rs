//! Cross-site request forgery protection for everything a cookie authorizes.
//!
//! Browsers say where a request comes from (`Sec-Fetch-Site`, or at least `Origin`) and
//! scripts cannot forge those headers. A state-changing request (anything but GET, HEAD,
//! OPTIONS) that a browser marks as coming from another site is refused, whatever it
//! targets — server functions, forms, the sign-in form (login CSRF). Requests without
//! either header do not come from a browser page and carry no ambient authority beyond
//! what their sender already holds. The same approach as Go's `http.CrossOriginProtection`;
//! together with `SameSite=Lax` session cookies.
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
        return Verdict::Allow;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("null");
    if !host.is_empty() && origin_host.eq_ignore_ascii_case(host) {
        Verdict::Allow
    } else {
        Verdict::Refuse("Origin does not match Host")
    }
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
