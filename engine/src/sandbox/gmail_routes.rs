//! The Gmail API's HTTP surface (`/gmail/v1/users/{userId}/…` and the upload path). Each
//! handler authenticates through `Simulator::begin_call`, then reads or changes the mailbox.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::routing::{get, post};
use axum::{Json, Router};

use super::api_error::ApiError;
use super::listing;
use super::params::Params;
use super::render::render;
use super::simulator::{Simulator, failure_error};
use super::upload::{UPLOAD_LIMIT, parse_upload};
use crate::gmail::{
    GmailMethod, Label, ListHistoryResponse, ListLabelsResponse, ListMessagesResponse,
    ListThreadsResponse, Message, MessageFormat, ModifyMessageRequest, NewLabel, Profile,
    SendMessageRequest, Thread, base64url,
};

type ApiResult<T> = Result<Json<T>, ApiError>;

pub fn routes() -> Router<Simulator> {
    Router::new()
        .route("/gmail/v1/users/{user}/profile", get(profile))
        .route("/gmail/v1/users/{user}/messages/send", post(send_json))
        .route("/upload/gmail/v1/users/{user}/messages/send", post(send_upload))
        .route("/gmail/v1/users/{user}/messages", get(list_messages))
        .route("/gmail/v1/users/{user}/messages/{id}", get(get_message))
        .route("/gmail/v1/users/{user}/messages/{id}/modify", post(modify_message))
        .route("/gmail/v1/users/{user}/labels", get(list_labels).post(create_label))
        .route("/gmail/v1/users/{user}/history", get(list_history))
        .route("/gmail/v1/users/{user}/threads", get(list_threads))
        .route("/gmail/v1/users/{user}/threads/{id}", get(get_thread))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

async fn profile(
    State(sim): State<Simulator>,
    Path(user): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Profile> {
    let call = sim.begin_call(bearer(&headers), &user, GmailMethod::GetProfile).await?;
    sim.with_world(|world, _| {
        let mailbox = world.mailbox(&call.mailbox).map_err(|_| ApiError::not_found())?;
        Ok(Json(Profile {
            email_address: mailbox.address.clone(),
            messages_total: u32::try_from(mailbox.messages.len()).unwrap_or(u32::MAX),
            threads_total: mailbox.thread_count(),
            history_id: mailbox.history_id,
        }))
    })
}

async fn send_json(
    State(sim): State<Simulator>,
    Path(user): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Message> {
    let limit = sim.config().json_size_limit;
    if body.len() > limit {
        return Err(ApiError::too_large(limit));
    }
    let call = sim.begin_call(bearer(&headers), &user, GmailMethod::MessagesSend).await?;
    let request: SendMessageRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("Invalid JSON payload received. {e}")))?;
    let encoded = request.raw.filter(|r| !r.is_empty()).ok_or_else(ApiError::missing_raw)?;
    let raw = base64url::decode(&encoded).map_err(|_| ApiError::bad_base64(&encoded))?;
    send(&sim, &call.mailbox, &raw, request.thread_id.as_deref())
}

async fn send_upload(
    State(sim): State<Simulator>,
    Path(user): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Message> {
    if body.len() > UPLOAD_LIMIT {
        return Err(ApiError::too_large(UPLOAD_LIMIT));
    }
    let call = sim.begin_call(bearer(&headers), &user, GmailMethod::MessagesSend).await?;
    let params = Params::parse(query.as_deref());
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let upload = parse_upload(params.get("uploadType"), content_type, &body)
        .map_err(ApiError::bad_request)?;
    if upload.raw.is_empty() {
        return Err(ApiError::missing_raw());
    }
    send(&sim, &call.mailbox, &upload.raw, upload.thread_id.as_deref())
}

fn send(sim: &Simulator, mailbox: &str, raw: &[u8], thread_id: Option<&str>) -> ApiResult<Message> {
    sim.with_world(|world, config| {
        let stored = world.send(config, mailbox, raw, thread_id)?;
        if let Some(failure) = world.roll_fault_after_commit(mailbox) {
            // The message is stored and delivered, but the client hears a server error.
            return Err(failure_error(failure));
        }
        Ok(Json(Message {
            id: stored.id,
            thread_id: stored.thread_id,
            label_ids: stored.label_ids,
            ..Message::default()
        }))
    })
}

async fn list_messages(
    State(sim): State<Simulator>,
    Path(user): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> ApiResult<ListMessagesResponse> {
    let call = sim.begin_call(bearer(&headers), &user, GmailMethod::MessagesList).await?;
    let params = Params::parse(query.as_deref());
    sim.with_world(|world, config| {
        let now = world.now(config);
        let mailbox = world.mailbox(&call.mailbox).map_err(|_| ApiError::not_found())?;
        listing::list_messages(mailbox, &params, now).map(Json)
    })
}

fn format_of(params: &Params) -> Result<MessageFormat, ApiError> {
    match params.get("format") {
        Some(text) => MessageFormat::parse(text).ok_or_else(|| {
            ApiError::invalid_argument(format!("Invalid value at 'format' ({text})"))
        }),
        None => Ok(MessageFormat::Full),
    }
}

async fn get_message(
    State(sim): State<Simulator>,
    Path((user, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Message> {
    let call = sim.begin_call(bearer(&headers), &user, GmailMethod::MessagesGet).await?;
    let params = Params::parse(query.as_deref());
    let format = format_of(&params)?;
    sim.with_world(|world, _| {
        let mailbox = world.mailbox(&call.mailbox).map_err(|_| ApiError::not_found())?;
        let message = mailbox.messages.get(&id).ok_or_else(ApiError::not_found)?;
        Ok(Json(render(message, format, &params.all("metadataHeaders"))))
    })
}

async fn modify_message(
    State(sim): State<Simulator>,
    Path((user, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Message> {
    let call = sim.begin_call(bearer(&headers), &user, GmailMethod::MessagesModify).await?;
    let change: ModifyMessageRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("Invalid JSON payload received. {e}")))?;
    if change.add_label_ids.len() > 100 || change.remove_label_ids.len() > 100 {
        return Err(ApiError::invalid_argument(
            "At most 100 labels can be added or removed at once",
        ));
    }
    sim.with_world(|world, config| {
        let now = world.now(config);
        let mailbox =
            world.data.mailboxes.get_mut(&call.mailbox).ok_or_else(ApiError::not_found)?;
        if !mailbox.messages.contains_key(&id) {
            return Err(ApiError::not_found());
        }
        if let Some(bad) = change
            .add_label_ids
            .iter()
            .chain(&change.remove_label_ids)
            .find(|l| !mailbox.label_exists(l))
        {
            return Err(ApiError::invalid_argument(format!("Invalid label: {bad}")));
        }
        let message = mailbox
            .modify_labels(
                &id,
                &change.add_label_ids,
                &change.remove_label_ids,
                now,
                &mut world.rng,
            )
            .ok_or_else(ApiError::not_found)?;
        Ok(Json(Message {
            id: message.id.clone(),
            thread_id: message.thread_id.clone(),
            label_ids: message.label_ids.clone(),
            ..Message::default()
        }))
    })
}

async fn list_labels(
    State(sim): State<Simulator>,
    Path(user): Path<String>,
    headers: HeaderMap,
) -> ApiResult<ListLabelsResponse> {
    let call = sim.begin_call(bearer(&headers), &user, GmailMethod::LabelsList).await?;
    sim.with_world(|world, _| {
        let mailbox = world.mailbox(&call.mailbox).map_err(|_| ApiError::not_found())?;
        Ok(Json(ListLabelsResponse { labels: mailbox.labels() }))
    })
}

async fn create_label(
    State(sim): State<Simulator>,
    Path(user): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Label> {
    let call = sim.begin_call(bearer(&headers), &user, GmailMethod::LabelsCreate).await?;
    let label: NewLabel = serde_json::from_slice(&body)
        .map_err(|_| ApiError::invalid_argument("Invalid label name"))?;
    sim.with_world(|world, _| {
        let mailbox = world.mailbox_mut(&call.mailbox).map_err(|_| ApiError::not_found())?;
        let created = mailbox
            .create_label(&label.name, &label.label_list_visibility, &label.message_list_visibility)
            .map_err(|e| match e {
                super::mailbox::LabelError::Invalid => {
                    ApiError::invalid_argument("Invalid label name")
                }
                super::mailbox::LabelError::Exists => ApiError::label_exists(),
            })?
            .clone();
        Ok(Json(mailbox.label_with_counts(&created)))
    })
}

async fn list_history(
    State(sim): State<Simulator>,
    Path(user): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> ApiResult<ListHistoryResponse> {
    let call = sim.begin_call(bearer(&headers), &user, GmailMethod::HistoryList).await?;
    let params = Params::parse(query.as_deref());
    sim.with_world(|world, _| {
        let mailbox = world.mailbox(&call.mailbox).map_err(|_| ApiError::not_found())?;
        listing::list_history(mailbox, &params).map(Json)
    })
}

async fn list_threads(
    State(sim): State<Simulator>,
    Path(user): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> ApiResult<ListThreadsResponse> {
    let call = sim.begin_call(bearer(&headers), &user, GmailMethod::ThreadsList).await?;
    let params = Params::parse(query.as_deref());
    sim.with_world(|world, config| {
        let now = world.now(config);
        let mailbox = world.mailbox(&call.mailbox).map_err(|_| ApiError::not_found())?;
        listing::list_threads(mailbox, &params, now).map(Json)
    })
}

async fn get_thread(
    State(sim): State<Simulator>,
    Path((user, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Thread> {
    let call = sim.begin_call(bearer(&headers), &user, GmailMethod::ThreadsGet).await?;
    let params = Params::parse(query.as_deref());
    let format = format_of(&params)?;
    sim.with_world(|world, _| {
        let mailbox = world.mailbox(&call.mailbox).map_err(|_| ApiError::not_found())?;
        listing::get_thread(mailbox, &id, format, &params.all("metadataHeaders")).map(Json)
    })
}
