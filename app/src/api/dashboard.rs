//! `/api/v1/dashboard` and `/api/v1/events`: the team's running campaigns with their progress,
//! and a stream that says when it changed.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use engine::model::Dashboard;

use super::error::{ApiError, ErrorBody};
use super::extract::ApiUser;
use crate::state::AppState;

/// The team's running and paused campaigns: progress today and overall, ETA, next send,
/// replies and bounces, and the state of their sender accounts.
#[utoipa::path(get, path = "/dashboard", tag = "dashboard",
    responses((status = 200, body = Dashboard), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_dashboard(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Dashboard>, ApiError> {
    Ok(Json(engine::dashboard::load(&state.pool, user.team_id, chrono::Utc::now()).await?))
}

/// Server-sent events: `data: {"type":"change"}` each time something on the team's
/// dashboard changed (a send, a reply or bounce, a campaign or sender account changing state,
/// an import) — at most four a second, a burst told once — and a keep-alive comment every
/// 15 seconds. Fetch `/dashboard` again on each event. Only the caller's team is told.
#[utoipa::path(get, path = "/events", tag = "dashboard",
    responses(
        (status = 200, description = "An endless stream of events", content_type = "text/event-stream", body = String,
            example = json!("data: {\"type\":\"change\"}\n\n")),
        (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_events(State(state): State<AppState>, ApiUser(user): ApiUser) -> Response {
    crate::live::stream(&state, user.team_id)
}
