//! `/api/v1/leads/{id}`: one lead with its timeline, and the changes people make by hand
//! (mark replied, suppress).

use axum::Json;
use axum::extract::State;
use engine::model::{LeadDetail, LeadPatch};
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiUser, Path};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(utoipa_axum::routes!(get_lead, update_lead))
}

/// One lead with its fields, status and timeline (messages sent, replies, bounces, opt-outs,
/// changes by hand, with the raw evidence).
#[utoipa::path(get, path = "/leads/{id}", tag = "leads", params(("id" = Uuid, Path)),
    responses((status = 200, body = LeadDetail), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_lead(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<LeadDetail>, ApiError> {
    Ok(Json(engine::tracking::manual::detail(&state.pool, user.team_id, id).await?))
}

/// `{"status": "replied"}` marks the lead replied by hand (its follow-ups are cancelled);
/// `{"status": "suppressed"}` also puts its address on the team's suppression list.
#[utoipa::path(patch, path = "/leads/{id}", tag = "leads", params(("id" = Uuid, Path)),
    request_body = LeadPatch,
    responses((status = 200, body = LeadDetail), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_lead(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(change): ApiJson<LeadPatch>,
) -> Result<Json<LeadDetail>, ApiError> {
    let now = state.google.oauth.now();
    let detail =
        engine::tracking::manual::patch(&state.pool, user.team_id, id, &change, Some(user.id), now)
            .await?;
    Ok(Json(detail))
}
