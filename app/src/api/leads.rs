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
    OpenApiRouter::new()
        .routes(utoipa_axum::routes!(get_lead, update_lead))
        .routes(utoipa_axum::routes!(undo_lead_change))
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

/// Takes back the lead's latest change by hand (mark as replied, suppress): its status, the
/// follow-ups it cancelled and the suppression entry it added come back, and the change leaves
/// the timeline. 409 (saying why) once that is no longer safe: something happened to the lead
/// since (a reply, a bounce, a message sent), the campaign was cancelled, or there is nothing
/// to undo. A campaign that completed for want of anything to send runs again.
#[utoipa::path(post, path = "/leads/{id}/undo", tag = "leads", params(("id" = Uuid, Path)),
    responses((status = 200, body = LeadDetail), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn undo_lead_change(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<LeadDetail>, ApiError> {
    Ok(Json(engine::tracking::manual::undo(&state.pool, user.team_id, id).await?))
}
