//! `GET /api/v1/me`: who the token belongs to.

use axum::Json;
use engine::model::{Team, User};
use serde::Serialize;

use super::error::{ApiError, ErrorBody};
use super::extract::ApiUser;
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub user: User,
    pub team: Team,
}

/// The user and team behind the API token.
#[utoipa::path(get, path = "/me", tag = "account",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_me(
    axum::extract::State(state): axum::extract::State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Me>, ApiError> {
    let team = engine::team::get_team(&state.pool, user.team_id).await?;
    Ok(Json(Me { user, team }))
}
