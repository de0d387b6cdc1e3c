//! Server-sent events for the signed-in user's team: one event each time something on its
//! dashboard changed (at most four a second, bursts folded into one), keep-alive comments
//! in between. The dashboard page refetches on each; API clients may too
//! (`GET /api/v1/events`, with a token). Another team's changes are never told.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;
use uuid::Uuid;

use crate::state::AppState;

/// How often an idle stream sends a comment, so proxies and browsers keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The body of every event: what changed (for now always the dashboard).
pub const CHANGE: &str = r#"{"type":"change"}"#;

/// The team's change stream as a response.
pub fn stream(state: &AppState, team_id: Uuid) -> Response {
    let subscription = state.events.subscribe(team_id);
    let events = futures::stream::unfold(subscription, |mut subscription| async move {
        subscription.changed().await?;
        Some((Ok::<_, Infallible>(Event::default().data(CHANGE)), subscription))
    });
    let mut response =
        Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)).into_response();
    // Proxies (nginx) must pass events on at once instead of buffering them.
    response.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// `GET /events`: the stream for the browser, authorized by the session cookie.
pub async fn page_events(State(state): State<AppState>, session: Session) -> Response {
    match crate::session::signed_in_user(&state.pool, &session).await {
        Ok(Some(user)) => stream(&state, user.team_id),
        Ok(None) => (StatusCode::UNAUTHORIZED, "Sign in to follow live changes.").into_response(),
        Err(error) => {
            tracing::error!(%error, "could not check the session of an event stream");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response()
        }
    }
}
