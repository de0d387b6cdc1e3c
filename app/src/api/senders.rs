//! `/api/v1/senders…`: list sender accounts, connect (the consent URL to hand to a person),
//! reconnect, edit limits, disconnect, and choose which reps may use an account.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use engine::senders::{SenderAccount, SenderChanges};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiUser, Path};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(utoipa_axum::routes!(list_senders))
        .routes(utoipa_axum::routes!(connect_sender))
        .routes(utoipa_axum::routes!(get_sender, update_sender))
        .routes(utoipa_axum::routes!(reconnect_sender))
        .routes(utoipa_axum::routes!(disconnect_sender))
        .routes(utoipa_axum::routes!(list_access))
        .routes(utoipa_axum::routes!(grant_access, revoke_access))
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// The sender accounts the caller may use (admins: all of the team's).
#[utoipa::path(get, path = "/senders", tag = "senders",
    responses((status = 200, body = [SenderAccount]), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_senders(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Vec<SenderAccount>>, ApiError> {
    Ok(Json(engine::senders::list(&state.pool, user.team_id, &user, now()).await?))
}

/// One sender account (reps: only one they may use).
#[utoipa::path(get, path = "/senders/{id}", tag = "senders",
    params(("id" = Uuid, Path, description = "sender account id")),
    responses((status = 200, body = SenderAccount), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_sender(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<SenderAccount>, ApiError> {
    Ok(Json(engine::senders::get(&state.pool, user.team_id, &user, id, now()).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuthorizationUrl {
    /// Google's consent page. Whoever opens it signs in to the Gmail account and allows
    /// access; Google then sends the browser to Outreach's callback, which connects the
    /// account to the caller's team. Good for 30 minutes, once.
    pub authorization_url: String,
}

/// Starts connecting a Gmail account (admins).
#[utoipa::path(post, path = "/senders/connect", tag = "senders",
    responses((status = 200, body = AuthorizationUrl), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn connect_sender(
    State(state): State<AppState>,
    api_user: ApiUser,
) -> Result<Json<AuthorizationUrl>, ApiError> {
    authorization_url(&state, &api_user, None).await
}

/// Starts reconnecting an account (admins): after consent with the same Google account, new
/// tokens replace the old ones and `needs_reauth` is cleared.
#[utoipa::path(post, path = "/senders/{id}/reconnect", tag = "senders",
    params(("id" = Uuid, Path, description = "sender account id")),
    responses((status = 200, body = AuthorizationUrl), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reconnect_sender(
    State(state): State<AppState>,
    api_user: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<AuthorizationUrl>, ApiError> {
    authorization_url(&state, &api_user, Some(id)).await
}

async fn authorization_url(
    state: &AppState,
    api_user: &ApiUser,
    reconnect: Option<Uuid>,
) -> Result<Json<AuthorizationUrl>, ApiError> {
    api_user.require_admin()?;
    let url = engine::senders::begin_connect(
        &state.pool,
        &state.secret_key,
        &state.google.oauth,
        &api_user.0,
        reconnect,
        false,
    )
    .await?;
    Ok(Json(AuthorizationUrl { authorization_url: url.to_string() }))
}

/// Changes to an account. Absent fields stay as they are.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SenderPatch {
    /// Messages per rolling 24 hours, 1 up to Gmail's limit for the kind; `null` returns to
    /// the default (90% of the limit).
    #[schema(value_type = Option<u32>)]
    #[serde(default, deserialize_with = "present")]
    daily_cap: Option<Value>,
    /// `gmail` (500 a day), `workspace` (2,000) or `workspace_trial` (500).
    #[schema(value_type = Option<String>)]
    #[serde(default, deserialize_with = "present")]
    kind: Option<Value>,
    /// The From name of outgoing mail.
    #[schema(value_type = Option<String>)]
    #[serde(default, deserialize_with = "present")]
    display_name: Option<Value>,
}

/// A field that is present, `null` included (an absent one stays `None` by `default`).
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

impl SenderPatch {
    /// Reads the JSON values, naming the field of any that has the wrong type.
    fn changes(self) -> Result<SenderChanges, ApiError> {
        let text = |value: Option<Value>, field: &str| match value {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(field_problem(field, format!("{field} must be a string"))),
        };
        let daily_cap = match self.daily_cap {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::Number(n)) => Some(Some(n.as_i64().ok_or_else(|| {
                field_problem("daily_cap", "the daily cap must be a whole number")
            })?)),
            Some(_) => {
                return Err(field_problem(
                    "daily_cap",
                    "the daily cap must be a whole number or null",
                ));
            }
        };
        Ok(SenderChanges {
            kind: text(self.kind, "kind")?,
            daily_cap,
            display_name: text(self.display_name, "display_name")?,
        })
    }
}

/// A validation error (400) naming the field.
fn field_problem(field: &str, message: impl Into<String>) -> ApiError {
    engine::Error::invalid(field, message).into()
}

/// Edits an account's kind, daily cap or From name (admins).
#[utoipa::path(patch, path = "/senders/{id}", tag = "senders",
    params(("id" = Uuid, Path, description = "sender account id")),
    request_body = SenderPatch,
    responses((status = 200, body = SenderAccount), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_sender(
    State(state): State<AppState>,
    api_user: ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(patch): ApiJson<SenderPatch>,
) -> Result<Json<SenderAccount>, ApiError> {
    api_user.require_admin()?;
    let changes = patch.changes()?;
    let team_id = api_user.0.team_id;
    Ok(Json(engine::senders::update(&state.pool, team_id, id, changes, now()).await?))
}

/// Disconnects an account (admins): revokes Outreach's access at Google and deletes the
/// stored tokens. Reconnect to use it again.
#[utoipa::path(post, path = "/senders/{id}/disconnect", tag = "senders",
    params(("id" = Uuid, Path, description = "sender account id")),
    responses((status = 200, body = SenderAccount), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn disconnect_sender(
    State(state): State<AppState>,
    api_user: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<SenderAccount>, ApiError> {
    api_user.require_admin()?;
    let team_id = api_user.0.team_id;
    engine::senders::disconnect(&state.pool, &state.secret_key, &state.google.oauth, team_id, id)
        .await?;
    Ok(Json(engine::senders::get_any(&state.pool, team_id, id, now()).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SenderAccess {
    /// The reps allowed to send from the account (admins may use every account).
    pub user_ids: Vec<Uuid>,
}

/// Who may send from an account (admins).
#[utoipa::path(get, path = "/senders/{id}/access", tag = "senders",
    params(("id" = Uuid, Path, description = "sender account id")),
    responses((status = 200, body = SenderAccess), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_access(
    State(state): State<AppState>,
    api_user: ApiUser,
    Path(id): Path<Uuid>,
) -> Result<Json<SenderAccess>, ApiError> {
    api_user.require_admin()?;
    let user_ids = engine::senders::allowed_users(&state.pool, api_user.0.team_id, id).await?;
    Ok(Json(SenderAccess { user_ids }))
}

/// Lets a user of the team send from the account (admins).
#[utoipa::path(put, path = "/senders/{id}/access/{user_id}", tag = "senders",
    params(("id" = Uuid, Path, description = "sender account id"), ("user_id" = Uuid, Path, description = "user id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn grant_access(
    State(state): State<AppState>,
    api_user: ApiUser,
    Path((id, user_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    set_access(&state, &api_user, id, user_id, true).await
}

/// Stops a user sending from the account (admins).
#[utoipa::path(delete, path = "/senders/{id}/access/{user_id}", tag = "senders",
    params(("id" = Uuid, Path, description = "sender account id"), ("user_id" = Uuid, Path, description = "user id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_access(
    State(state): State<AppState>,
    api_user: ApiUser,
    Path((id, user_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    set_access(&state, &api_user, id, user_id, false).await
}

async fn set_access(
    state: &AppState,
    api_user: &ApiUser,
    id: Uuid,
    user_id: Uuid,
    allowed: bool,
) -> Result<StatusCode, ApiError> {
    api_user.require_admin()?;
    let admin = &api_user.0;
    engine::senders::set_access(&state.pool, admin.team_id, id, user_id, allowed, admin.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
