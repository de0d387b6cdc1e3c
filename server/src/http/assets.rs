//! Compression of the static assets: the WASM bundle, its JS and the CSS (gzip for browsers
//! that accept it; the WASM shrinks to about a third). Pages and API answers are left alone:
//! pages stream in parts the browser shows as they arrive, and the live update stream must
//! send each event at once.

use axum::http::header::CONTENT_TYPE;
use axum::http::{Extensions, HeaderMap, StatusCode, Version};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{Predicate, SizeAbove};

/// The content types worth compressing that only static files have.
const COMPRESSED_TYPES: [&str; 4] =
    ["application/wasm", "text/javascript", "application/javascript", "text/css"];

/// Gzips static assets of 1 KiB and more.
pub fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new().compress_when(SizeAbove::new(1024).and(is_static_asset))
}

fn is_static_asset(_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|content_type| COMPRESSED_TYPES.iter().any(|t| content_type.starts_with(t)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn compressed(content_type: &str) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        is_static_asset(StatusCode::OK, Version::HTTP_11, &headers, &Extensions::new())
    }

    #[test]
    fn only_static_asset_types_are_compressed() {
        assert!(compressed("application/wasm"));
        assert!(compressed("text/javascript; charset=utf-8"));
        assert!(compressed("text/css"));
        assert!(!compressed("text/html; charset=utf-8"));
        assert!(!compressed("text/event-stream"));
        assert!(!compressed("application/json"));
        assert!(!is_static_asset(
            StatusCode::OK,
            Version::HTTP_11,
            &HeaderMap::new(),
            &Extensions::new()
        ));
    }
}
