//! `/api/v1/campaigns…`: campaigns, their leads, preview, lint and state changes.

use axum::Json;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use engine::campaigns::leads::LeadFilter;
use engine::campaigns::lint::LinkSigner;
use engine::campaigns::{self, StartOutcome};
use engine::csv_import::{DEFAULT_BYTE_LIMIT, ImportOptions};
use engine::model::{
    Campaign, CampaignPatch, CampaignSummary, DailyStats, Lead, LeadImportReport, LintReport,
    NewCampaign, Page, Pipeline, Preview,
};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiUser, Path, Query};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    // Uploads may be as large as the CSV limit (plus multipart framing); other bodies keep
    // axum's small default.
    let upload_limit = usize::try_from(DEFAULT_BYTE_LIMIT).unwrap_or(usize::MAX) + 64 * 1024;
    let import = OpenApiRouter::new()
        .routes(utoipa_axum::routes!(import_leads, list_leads))
        .layer(DefaultBodyLimit::max(upload_limit));
    OpenApiRouter::new()
        .routes(utoipa_axum::routes!(list_campaigns, create_campaign))
        .routes(utoipa_axum::routes!(get_campaign, update_campaign))
        .routes(utoipa_axum::routes!(delete_lead))
        .routes(utoipa_axum::routes!(preview_campaign))
        .routes(utoipa_axum::routes!(lint_campaign))
        .routes(utoipa_axum::routes!(start_campaign))
        .routes(utoipa_axum::routes!(pause_campaign))
        .routes(utoipa_axum::routes!(resume_campaign))
        .routes(utoipa_axum::routes!(cancel_campaign))
        .routes(utoipa_axum::routes!(daily_stats))
        .routes(utoipa_axum::routes!(campaign_pipeline))
        .merge(import)
}

/// The team's campaigns, newest first.
#[utoipa::path(get, path = "/campaigns", tag = "campaigns",
    responses((status = 200, body = Vec<CampaignSummary>), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_campaigns(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Vec<CampaignSummary>>, ApiError> {
    Ok(Json(campaigns::list(&state.pool, user.team_id).await?))
}

/// Creates a draft campaign.
#[utoipa::path(post, path = "/campaigns", tag = "campaigns", request_body = NewCampaign,
    responses((status = 201, body = Campaign), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_campaign(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<NewCampaign>,
) -> Result<(StatusCode, Json<Campaign>), ApiError> {
    let campaign = campaigns::create(&state.pool, user.team_id, Some(user.id), body).await?;
    Ok((StatusCode::CREATED, Json(campaign)))
}

/// One campaign with its steps, schedule, settings and progress.
#[utoipa::path(get, path = "/campaigns/{id}", tag = "campaigns", params(("id" = Uuid, Path)),
    responses((status = 200, body = Campaign), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_campaign(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Campaign>, ApiError> {
    Ok(Json(campaigns::get(&state.pool, user.team_id, id).await?))
}

/// Changes the name, sender accounts, steps, schedule or settings (only the parts given).
#[utoipa::path(patch, path = "/campaigns/{id}", tag = "campaigns", params(("id" = Uuid, Path)),
    request_body = CampaignPatch,
    responses((status = 200, body = Campaign), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_campaign(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<CampaignPatch>,
) -> Result<Json<Campaign>, ApiError> {
    Ok(Json(campaigns::update(&state.pool, user.team_id, id, body).await?))
}

/// Imports leads from a CSV file: a `text/csv` body, or a multipart form with a `file` field.
/// A file that cannot be read as a whole imports nothing (400, saying why). A running or
/// paused campaign plans the new leads' first step at once; a completed one runs again for
/// them; a cancelled one takes none (409).
#[utoipa::path(post, path = "/campaigns/{id}/leads", tag = "campaigns", params(("id" = Uuid, Path)),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = LeadImportReport), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn import_leads(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
    request: Request,
) -> Result<Json<LeadImportReport>, ApiError> {
    let file = csv_upload(request, &state).await?;
    let report =
        campaigns::leads::import_csv(&state.pool, user.team_id, id, file, ImportOptions::default())
            .await?;
    Ok(Json(report))
}

/// The CSV file of an upload request, within the size limit.
async fn csv_upload(request: Request, state: &AppState) -> Result<Vec<u8>, ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the file is larger than the limit of 50 MB",
        )
    };
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, state)
            .await
            .map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))?;
        while let Some(field) = multipart.next_field().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::bad_request("invalid_multipart", e.body_text())
            }
        })? {
            if field.name() == Some("file") {
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        too_large()
                    } else {
                        ApiError::bad_request("invalid_multipart", e.body_text())
                    }
                })?;
                return Ok(bytes.to_vec());
            }
        }
        return Err(ApiError::bad_request("validation_failed", "the form has no `file` field"));
    }
    let textual = ["text/csv", "text/plain", "application/csv", "text/tab-separated-values"];
    if !textual.iter().any(|t| content_type.starts_with(t)) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the CSV as `Content-Type: text/csv`, or as a multipart form with a `file` field",
        ));
    }
    let limit = usize::try_from(DEFAULT_BYTE_LIMIT).unwrap_or(usize::MAX);
    let bytes = axum::body::to_bytes(request.into_body(), limit).await.map_err(|_| too_large())?;
    Ok(bytes.to_vec())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct LeadListParams {
    /// Only leads with this status, or of this pipeline stage (`opted_out`: unsubscribed or
    /// suppressed).
    status: Option<String>,
    /// The start of an address, or part of a first name or company.
    q: Option<String>,
    /// `email`, `name`, `company`, `status`, `activity` (the last change) or `imported` (the
    /// default); a leading `-` sorts descending, e.g. `-activity`.
    sort: Option<String>,
    /// Keyset paging (fast however deep): the leads right after this lead id in the sort
    /// order — pass the last id of a page to get the next one. `page` is then only echoed.
    after: Option<Uuid>,
    /// The leads right before this lead id (the previous page).
    before: Option<Uuid>,
    /// 1-based page number.
    page: Option<i64>,
    /// Leads per page (1–200, default 50).
    per_page: Option<i64>,
}

/// The campaign's leads, in import order or sorted.
#[utoipa::path(get, path = "/campaigns/{id}/leads", tag = "campaigns", params(("id" = Uuid, Path), LeadListParams),
    responses((status = 200, body = Page<Lead>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_leads(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
    Query(params): Query<LeadListParams>,
) -> Result<Json<Page<Lead>>, ApiError> {
    let mut filter = LeadFilter::from_params(
        params.status.as_deref(),
        params.q.as_deref(),
        params.sort.as_deref(),
    )?;
    filter.after = params.after;
    filter.before = params.before;
    let page = campaigns::leads::list(
        &state.pool,
        user.team_id,
        id,
        &filter,
        params.page.unwrap_or(1),
        params.per_page.unwrap_or(50),
    )
    .await?;
    Ok(Json(page))
}

/// Removes a lead from a draft campaign.
#[utoipa::path(delete, path = "/campaigns/{id}/leads/{lead_id}", tag = "campaigns",
    params(("id" = Uuid, Path), ("lead_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_lead(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, lead_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let removed = campaigns::leads::remove(&state.pool, user.team_id, id, &[lead_id]).await?;
    if removed == 0 {
        return Err(ApiError::not_found("lead not found"));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PreviewParams {
    /// The lead (default: the first one).
    lead_id: Option<Uuid>,
    /// The step, from 1 (default 1).
    step: Option<u32>,
}

/// A step rendered for a lead exactly as it would be sent (subject, body with footer, HTML).
#[utoipa::path(get, path = "/campaigns/{id}/preview", tag = "campaigns", params(("id" = Uuid, Path), PreviewParams),
    responses((status = 200, body = Preview), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn preview_campaign(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
    Query(params): Query<PreviewParams>,
) -> Result<Json<Preview>, ApiError> {
    let links = LinkSigner { key: &state.secret_key, base_url: &state.config.base_url };
    let preview = campaigns::lint::preview(
        &state.pool,
        &links,
        user.team_id,
        id,
        params.lead_id,
        params.step.unwrap_or(1),
    )
    .await?;
    Ok(Json(preview))
}

/// Every problem that would make a send wrong: errors block the start, warnings do not.
#[utoipa::path(get, path = "/campaigns/{id}/lint", tag = "campaigns", params(("id" = Uuid, Path)),
    responses((status = 200, body = LintReport), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn lint_campaign(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<LintReport>, ApiError> {
    Ok(Json(campaigns::lint::lint(&state.pool, user.team_id, id).await?))
}

/// Starts a draft campaign; 422 with the lint problems (in `error.details`) while it has errors.
#[utoipa::path(post, path = "/campaigns/{id}/start", tag = "campaigns", params(("id" = Uuid, Path)),
    responses((status = 200, body = Campaign), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn start_campaign(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Campaign>, ApiError> {
    match campaigns::start(&state.pool, user.team_id, id).await? {
        StartOutcome::Started(campaign) => Ok(Json(*campaign)),
        StartOutcome::Refused(report) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "lint_failed",
            format!("the campaign cannot start: the lint found {} errors", report.errors),
        )
        .with_details(serde_json::json!({ "problems": report.problems }))),
    }
}

/// Pauses a running campaign (nothing more is sent until it resumes).
#[utoipa::path(post, path = "/campaigns/{id}/pause", tag = "campaigns", params(("id" = Uuid, Path)),
    responses((status = 200, body = Campaign), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn pause_campaign(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Campaign>, ApiError> {
    Ok(Json(campaigns::pause(&state.pool, user.team_id, id).await?))
}

/// Resumes a paused campaign.
#[utoipa::path(post, path = "/campaigns/{id}/resume", tag = "campaigns", params(("id" = Uuid, Path)),
    responses((status = 200, body = Campaign), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn resume_campaign(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Campaign>, ApiError> {
    Ok(Json(campaigns::resume(&state.pool, user.team_id, id).await?))
}

/// Cancels the campaign: every message not yet sent is cancelled, follow-ups included.
#[utoipa::path(post, path = "/campaigns/{id}/cancel", tag = "campaigns", params(("id" = Uuid, Path)),
    responses((status = 200, body = Campaign), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn cancel_campaign(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Campaign>, ApiError> {
    Ok(Json(campaigns::cancel(&state.pool, user.team_id, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DailyStatsParams {
    /// How many days back, today included (1–366, default 30).
    days: Option<u32>,
}

/// Messages sent, replies (including leads marked replied by hand), auto-replies and hard
/// bounces per day over the last `days` days, days cut in the campaign's time zone; overall
/// and per sender account, with reply rate (leads that replied ÷ leads first mailed in the
/// period) and bounce rate (bounces ÷ messages sent).
#[utoipa::path(get, path = "/campaigns/{id}/stats/daily", tag = "campaigns",
    params(("id" = Uuid, Path), DailyStatsParams),
    responses((status = 200, body = DailyStats), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn daily_stats(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
    Query(params): Query<DailyStatsParams>,
) -> Result<Json<DailyStats>, ApiError> {
    let days = params.days.unwrap_or(campaigns::activity::DEFAULT_DAYS);
    let now = state.google.oauth.now();
    Ok(Json(campaigns::activity::daily(&state.pool, user.team_id, id, days, now).await?))
}

/// The campaign's leads by stage (pending, in sequence, replied, auto-replied, bounced, opted
/// out, failed, completed): each stage's count and its first leads in import order.
#[utoipa::path(get, path = "/campaigns/{id}/pipeline", tag = "campaigns", params(("id" = Uuid, Path)),
    responses((status = 200, body = Pipeline), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn campaign_pipeline(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Pipeline>, ApiError> {
    Ok(Json(campaigns::activity::pipeline(&state.pool, user.team_id, id).await?))
}
