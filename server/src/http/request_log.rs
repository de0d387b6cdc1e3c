//! One log line per request: id, method, path, status, duration. Never the query string,
//! headers or body (they carry OAuth codes, tokens and cookies), and secret path segments
//! (unsubscribe tokens) are cut.

use std::time::Duration;

use axum::extract::Request;
use axum::response::Response;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;
use tracing::Span;

type MakeSpan = fn(&Request) -> Span;
type OnResponse = fn(&Response, Duration, &Span);

pub fn layer()
-> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, MakeSpan, (), OnResponse, (), (), ()> {
    // The response line already carries the status; failures need no second line.
    TraceLayer::new_for_http()
        .make_span_with(make_span as MakeSpan)
        .on_request(())
        .on_response(on_response as OnResponse)
        .on_body_chunk(())
        .on_eos(())
        .on_failure(())
}

fn make_span(request: &Request) -> Span {
    let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info_span!("request", id = %id, method = %request.method(), path = %redact_path(request.uri().path()))
}

fn on_response(response: &Response, latency: Duration, _span: &Span) {
    tracing::info!(status = response.status().as_u16(), ms = latency.as_millis() as u64, "request");
}

/// The path with secret segments replaced: `/u/<token>` → `/u/…`.
pub fn redact_path(path: &str) -> String {
    const SECRET_PREFIXES: [&str; 1] = ["/u/"];
    for prefix in SECRET_PREFIXES {
        if path.starts_with(prefix) {
            return format!("{prefix}…");
        }
    }
    path.to_string()
}

#[cfg(test)]
mod tests {
    use super::redact_path;

    #[test]
    fn unsubscribe_tokens_are_cut_from_logged_paths() {
        assert_eq!(redact_path("/u/abc.def"), "/u/…");
        assert_eq!(redact_path("/campaigns/1"), "/campaigns/1");
    }
}
