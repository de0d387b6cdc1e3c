//! HTTP statuses for server function errors. Leptos answers every server function error with
//! 500; the error itself (an [`AppError`], JSON) says what went wrong. This layer gives such
//! answers the status the error means — 400 for bad input (including arguments that could not
//! be decoded), 401, 403, 404, 409, 429 — so that only our own failures are 500s, in the logs
//! and for anyone watching them.

use app::error::AppError;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

/// Error bodies are small; anything bigger is left as it is.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn fitting_status(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let server_fn = path.starts_with("/api/") && !path.starts_with("/api/v1/");
    let response = next.run(request).await;
    if !server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = status_of(&error);
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn status_of(error: &AppError) -> StatusCode {
    match error {
        AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Invalid { .. } | AppError::Transport(_) => StatusCode::BAD_REQUEST,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_failures_stay_500() {
        let invalid = AppError::Invalid { field: Some("name".into()), message: "x".into() };
        assert_eq!(status_of(&invalid), StatusCode::BAD_REQUEST);
        assert_eq!(status_of(&AppError::NotFound("Campaign".into())), StatusCode::NOT_FOUND);
        assert_eq!(status_of(&AppError::Forbidden("no".into())), StatusCode::FORBIDDEN);
        assert_eq!(status_of(&AppError::Unauthenticated), StatusCode::UNAUTHORIZED);
        assert_eq!(status_of(&AppError::RateLimited("x".into())), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(status_of(&AppError::Internal("ref".into())), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
