//! The built-in Gmail simulator, served under `/sandbox/google` in sandbox mode: Google's OAuth
//! and Gmail API routes only. Its control API (direct tokens, fault injection, every mailbox's
//! mail) is for tests that hold the `Simulator` itself, never for visitors.

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use engine::sandbox::Simulator;

pub fn routes(sim: &Simulator) -> Router {
    sim.router().layer(middleware::from_fn(hide_control_api))
}

async fn hide_control_api(request: Request, next: Next) -> Response {
    // Nested: the path is relative to `/sandbox/google`.
    if request.uri().path().starts_with("/__control") {
        return StatusCode::NOT_FOUND.into_response();
    }
    next.run(request).await
}
