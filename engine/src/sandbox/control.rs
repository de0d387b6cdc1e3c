//! The control API under `/__control/…`: what a test, a script or the sandbox UI uses to set
//! the stage (mailboxes, faults, time, inbound mail) and to look behind the curtain
//! (deliveries, stored messages, quota units). Not part of Google's API.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::config::MailboxKind;
use super::faults::Faults;
use super::simulator::{Inbound, Simulator};
use super::world::{Delivery, DeliveryOutcome, MailboxError};

pub fn routes() -> Router<Simulator> {
    Router::new()
        .route("/__control/mailboxes", get(list_mailboxes).post(create_mailbox))
        .route("/__control/mailboxes/{address}/messages", get(messages).post(inject))
        .route("/__control/mailboxes/{address}/tokens", post(grant_tokens).delete(revoke_tokens))
        .route(
            "/__control/mailboxes/{address}/faults",
            put(set_mailbox_faults).delete(clear_mailbox_faults),
        )
        .route("/__control/mailboxes/{address}/quota", get(mailbox_quota))
        .route("/__control/faults", put(set_global_faults))
        .route("/__control/quota", get(all_quota))
        .route("/__control/quota/reset", post(reset_quota))
        .route("/__control/clock", get(clock))
        .route("/__control/clock/advance", post(advance))
        .route("/__control/deliveries", get(deliveries))
}

struct ControlError(MailboxError);

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let status = match self.0 {
            MailboxError::InvalidAddress(_) => StatusCode::BAD_REQUEST,
            MailboxError::Exists(_) => StatusCode::CONFLICT,
            MailboxError::Unknown(_) => StatusCode::NOT_FOUND,
        };
        (status, Json(json!({ "error": self.0.to_string() }))).into_response()
    }
}

impl From<MailboxError> for ControlError {
    fn from(error: MailboxError) -> Self {
        Self(error)
    }
}

type ControlResult<T> = Result<Json<T>, ControlError>;

async fn list_mailboxes(State(sim): State<Simulator>) -> Response {
    Json(sim.mailboxes()).into_response()
}

#[derive(Deserialize)]
struct NewMailbox {
    address: String,
    #[serde(default = "default_kind")]
    kind: MailboxKind,
}

fn default_kind() -> MailboxKind {
    MailboxKind::Gmail
}

async fn create_mailbox(
    State(sim): State<Simulator>,
    Json(new): Json<NewMailbox>,
) -> Result<Response, ControlError> {
    let created = sim.create_mailbox(&new.address, new.kind)?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn messages(
    State(sim): State<Simulator>,
    Path(address): Path<String>,
) -> ControlResult<Vec<super::simulator::MessageView>> {
    Ok(Json(sim.messages(&address)?))
}

async fn inject(
    State(sim): State<Simulator>,
    Path(address): Path<String>,
    Json(inbound): Json<Inbound>,
) -> Result<Response, ControlError> {
    let message = sim.inject(&address, inbound)?;
    Ok((StatusCode::CREATED, Json(message)).into_response())
}

#[derive(Deserialize)]
struct TokenRequest {
    scopes: Vec<String>,
}

async fn grant_tokens(
    State(sim): State<Simulator>,
    Path(address): Path<String>,
    Json(request): Json<TokenRequest>,
) -> ControlResult<super::auth::TokenResponse> {
    let scopes: Vec<&str> = request.scopes.iter().map(String::as_str).collect();
    Ok(Json(sim.grant_tokens(&address, &scopes)?))
}

async fn revoke_tokens(
    State(sim): State<Simulator>,
    Path(address): Path<String>,
) -> ControlResult<serde_json::Value> {
    let revoked = sim.revoke_tokens(&address)?;
    Ok(Json(json!({ "revoked": revoked })))
}

async fn set_mailbox_faults(
    State(sim): State<Simulator>,
    Path(address): Path<String>,
    Json(faults): Json<Faults>,
) -> ControlResult<Faults> {
    sim.set_faults(Some(&address), faults.clone())?;
    Ok(Json(faults))
}

async fn clear_mailbox_faults(
    State(sim): State<Simulator>,
    Path(address): Path<String>,
) -> Result<StatusCode, ControlError> {
    sim.clear_faults(&address)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_global_faults(
    State(sim): State<Simulator>,
    Json(faults): Json<Faults>,
) -> ControlResult<Faults> {
    sim.set_faults(None, faults.clone())?;
    Ok(Json(faults))
}

async fn mailbox_quota(State(sim): State<Simulator>, Path(address): Path<String>) -> Response {
    Json(sim.quota_units(&address)).into_response()
}

async fn all_quota(State(sim): State<Simulator>) -> Response {
    Json(sim.all_quota_units()).into_response()
}

async fn reset_quota(State(sim): State<Simulator>) -> StatusCode {
    sim.reset_counters();
    StatusCode::NO_CONTENT
}

async fn clock(State(sim): State<Simulator>) -> Response {
    Json(json!({ "now": sim.now() })).into_response()
}

#[derive(Deserialize)]
struct Advance {
    seconds: i64,
}

async fn advance(State(sim): State<Simulator>, Json(by): Json<Advance>) -> Response {
    if by.seconds < 0 {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": "the clock only moves forward" })))
            .into_response();
    }
    Json(json!({ "now": sim.advance(TimeDelta::seconds(by.seconds)) })).into_response()
}

#[derive(Deserialize)]
struct DeliveryFilter {
    recipient: Option<String>,
}

/// A delivery as the control API shows it: the raw message as text.
#[derive(Serialize)]
struct DeliveryView {
    seq: u64,
    recipient: String,
    sender: String,
    gmail_message_id: String,
    message_id: Option<String>,
    subject: String,
    at: chrono::DateTime<chrono::Utc>,
    outcome: DeliveryOutcome,
    raw: String,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        Self {
            seq: d.seq,
            recipient: d.recipient,
            sender: d.sender,
            gmail_message_id: d.gmail_message_id,
            message_id: d.message_id,
            subject: d.subject,
            at: d.at,
            outcome: d.outcome,
            raw: String::from_utf8_lossy(&d.raw).into_owned(),
        }
    }
}

async fn deliveries(
    State(sim): State<Simulator>,
    Query(filter): Query<DeliveryFilter>,
) -> Response {
    let views: Vec<DeliveryView> =
        sim.deliveries(filter.recipient.as_deref()).into_iter().map(Into::into).collect();
    let mut by_recipient: BTreeMap<String, usize> = BTreeMap::new();
    for view in &views {
        *by_recipient.entry(view.recipient.clone()).or_default() += 1;
    }
    Json(json!({ "deliveries": views, "count_by_recipient": by_recipient })).into_response()
}
