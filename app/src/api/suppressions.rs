//! `/api/v1/suppressions`: the team's suppression list.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use engine::model::{Page, Suppression, SuppressionImportReport, SuppressionReason};
use engine::suppression::Target;
use serde::Deserialize;
use uuid::Uuid;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiUser, Path, Query};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// Part of an address or domain.
    q: Option<String>,
    /// 1-based page number.
    page: Option<i64>,
    /// Entries per page (1–200, default 50).
    per_page: Option<i64>,
}

/// The suppression list, newest first.
#[utoipa::path(get, path = "/suppressions", tag = "suppressions", params(ListParams),
    responses((status = 200, body = Page<Suppression>), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_suppressions(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Query(params): Query<ListParams>,
) -> Result<Json<Page<Suppression>>, ApiError> {
    let page = engine::suppression::list(
        &state.pool,
        user.team_id,
        params.q.as_deref(),
        params.page.unwrap_or(1),
        params.per_page.unwrap_or(50),
    )
    .await?;
    Ok(Json(page))
}

/// An address (`email`) or a whole domain (`domain`) to suppress.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSuppression {
    email: Option<String>,
    domain: Option<String>,
    /// Default `manual`.
    reason: Option<SuppressionReason>,
    #[serde(default)]
    note: String,
}

/// Suppresses an address or domain (201; 200 with the existing entry when already there).
#[utoipa::path(post, path = "/suppressions", tag = "suppressions", request_body = NewSuppression,
    responses((status = 201, body = Suppression), (status = 200, body = Suppression), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_suppression(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<NewSuppression>,
) -> Result<(StatusCode, Json<Suppression>), ApiError> {
    let (field, text) = match (&body.email, &body.domain) {
        (Some(email), None) => ("email", email),
        (None, Some(domain)) => ("domain", domain),
        _ => {
            return Err(ApiError::bad_request(
                "validation_failed",
                "send exactly one of `email` and `domain`",
            ));
        }
    };
    let target = match (field, Target::parse(text)) {
        ("email", Ok(target @ Target::Email(_))) | ("domain", Ok(target @ Target::Domain(_))) => {
            target
        }
        (_, Ok(_)) => {
            return Err(
                engine::Error::invalid(field, format!("'{text}' is not a valid {field}")).into()
            );
        }
        (_, Err(message)) => return Err(engine::Error::invalid(field, message).into()),
    };
    let reason = body.reason.unwrap_or(SuppressionReason::Manual);
    let (entry, created) = engine::suppression::add(
        &state.pool,
        user.team_id,
        &target,
        reason,
        &body.note,
        Some(user.id),
    )
    .await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(entry)))
}

/// Removes an entry (admins).
#[utoipa::path(delete, path = "/suppressions/{id}", tag = "suppressions", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_suppression(
    State(state): State<AppState>,
    api_user: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    api_user.require_admin()?;
    engine::suppression::remove(&state.pool, api_user.0.team_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Imports a CSV (`text/csv` body): a header with `email` and/or `domain` columns (and
/// optionally `reason`, `note`), or one address or domain per line.
#[utoipa::path(post, path = "/suppressions/import", tag = "suppressions",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = SuppressionImportReport), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn import_suppressions(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    body: Body,
) -> Result<Json<SuppressionImportReport>, ApiError> {
    let bytes =
        axum::body::to_bytes(body, engine::suppression::IMPORT_BYTE_LIMIT).await.map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the file is larger than 10 MB",
            )
        })?;
    Ok(Json(
        engine::suppression::import_csv(&state.pool, user.team_id, &bytes, Some(user.id)).await?,
    ))
}

/// The whole list as CSV (safe to open in a spreadsheet).
#[utoipa::path(get, path = "/suppressions/export", tag = "suppressions",
    responses((status = 200, content_type = "text/csv", body = String)),
    security(("bearer" = [])))]
pub async fn export_suppressions(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<impl IntoResponse, ApiError> {
    let csv = engine::suppression::export_csv(&state.pool, user.team_id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"suppressions.csv\""),
        ],
        csv,
    ))
}
