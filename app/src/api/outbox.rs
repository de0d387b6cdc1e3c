//! `/api/v1/outbox`: every planned email with its state, next try and last error.

use axum::Json;
use axum::extract::State;
use engine::model::{OutboxMessage, OutboxStatus, Page};
use engine::outbox::OutboxFilter;
use serde::Deserialize;
use uuid::Uuid;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiUser, Path, Query};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct OutboxParams {
    campaign_id: Option<Uuid>,
    lead_id: Option<Uuid>,
    /// `scheduled`, `pending`, `sending`, `ambiguous`, `sent`, `failed` or `cancelled`.
    status: Option<String>,
    /// 1-based page number.
    page: Option<i64>,
    /// Messages per page (1–200, default 50).
    per_page: Option<i64>,
}

/// The team's outbox, most recent first.
#[utoipa::path(get, path = "/outbox", tag = "outbox", params(OutboxParams),
    responses((status = 200, body = Page<OutboxMessage>), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_outbox(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Query(params): Query<OutboxParams>,
) -> Result<Json<Page<OutboxMessage>>, ApiError> {
    let status = match params.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(OutboxStatus::parse(text).ok_or_else(|| {
            engine::Error::invalid("status", format!("'{text}' is not an outbox status"))
        })?),
    };
    let filter = OutboxFilter { campaign_id: params.campaign_id, status, lead_id: params.lead_id };
    let page = engine::outbox::list(
        &state.pool,
        user.team_id,
        &filter,
        params.page.unwrap_or(1),
        params.per_page.unwrap_or(50),
    )
    .await?;
    Ok(Json(page))
}

/// One outbox message.
#[utoipa::path(get, path = "/outbox/{id}", tag = "outbox", params(("id" = Uuid, Path)),
    responses((status = 200, body = OutboxMessage), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_outbox_message(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<OutboxMessage>, ApiError> {
    Ok(Json(engine::outbox::get(&state.pool, user.team_id, id).await?))
}
