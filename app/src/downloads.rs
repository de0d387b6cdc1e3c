//! File downloads for signed-in users (the browser follows a link; the session cookie
//! authorizes it): plain axum handlers beside the Leptos routes.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use crate::state::AppState;

/// `/suppressions/export.csv`: the team's suppression list.
pub async fn suppressions_csv(State(state): State<AppState>, session: Session) -> Response {
    let user = match crate::session::signed_in_user(&state.pool, &session).await {
        Ok(Some(user)) => user,
        Ok(None) => return Redirect::to("/login?next=/suppressions").into_response(),
        Err(error) => return internal(error),
    };
    match engine::suppression::export_csv(&state.pool, user.team_id).await {
        Ok(csv) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"suppressions.csv\""),
            ],
            csv,
        )
            .into_response(),
        Err(error) => internal(error),
    }
}

fn internal(error: engine::Error) -> Response {
    tracing::error!(%error, "download failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. Please try again.")
        .into_response()
}
