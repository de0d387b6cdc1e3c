//! Extractors for API handlers: the caller behind the bearer token, and JSON bodies, path ids
//! and query strings whose problems come back in the API's error format, naming the field
//! (not axum's plain-text rejections).

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use engine::model::User;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::ApiError;
use crate::state::AppState;

/// The user an API token belongs to. The REST API is authorized by tokens only — never by
/// the session cookie — so cross-site requests cannot ride on a browser's session.
pub struct ApiUser(pub User);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "send an API token in the Authorization header: `Authorization: Bearer <token>`",
            )
        })?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "the Authorization header must be `Bearer <token>`",
                )
            })?;
        let user =
            engine::auth::user_for_api_token(&state.pool, token).await?.ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "this API token is unknown or was revoked",
                )
            })?;
        Ok(ApiUser(user))
    }
}

impl ApiUser {
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.0.is_admin() {
            Ok(())
        } else {
            Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "only team admins can do this"))
        }
    }
}

/// `axum::Json` with rejections in the API's error format: syntax errors as `invalid_json`,
/// values of the wrong type as `validation_failed` naming the field (`steps[0].delay_days`),
/// text with a NUL character (which PostgreSQL cannot store) refused up front.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let value = match axum::Json::<Value>::from_request(req, state).await {
            Ok(axum::Json(value)) => value,
            Err(rejection) => return Err(json_rejection(rejection)),
        };
        // Every body of this API is an object; serde would read an array as one by position.
        let kind = match &value {
            Value::Object(_) => None,
            Value::Array(_) => Some("an array"),
            Value::String(_) => Some("a string"),
            Value::Number(_) => Some("a number"),
            Value::Bool(_) => Some("true or false"),
            Value::Null => Some("null"),
        };
        if let Some(kind) = kind {
            return Err(ApiError::bad_request(
                "validation_failed",
                format!("the body must be a JSON object ({{…}}), not {kind}"),
            ));
        }
        if let Some(field) = nul_in(&value, &mut String::new()) {
            return Err(field_error(
                "validation_failed",
                field,
                "text cannot contain the NUL character (\\u0000)".into(),
            ));
        }
        serde_path_to_error::deserialize(value).map(ApiJson).map_err(|error| {
            let field = error.path().to_string();
            let message = format!("the JSON does not fit: {error}");
            if field == "." {
                ApiError::bad_request("validation_failed", message)
            } else {
                field_error("validation_failed", field, message)
            }
        })
    }
}

/// The path (`steps[0].body`) of the first string or key holding a NUL character.
fn nul_in(value: &Value, path: &mut String) -> Option<String> {
    match value {
        Value::String(text) if text.contains('\0') => {
            Some(if path.is_empty() { ".".into() } else { path.clone() })
        }
        Value::Array(items) => items.iter().enumerate().find_map(|(index, item)| {
            let len = path.len();
            path.push_str(&format!("[{index}]"));
            let found = nul_in(item, path);
            path.truncate(len);
            found
        }),
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key);
            let found = if key.contains('\0') { Some(path.clone()) } else { nul_in(item, path) };
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

fn field_error(code: &str, field: String, message: String) -> ApiError {
    let mut error = ApiError::bad_request(code, message);
    error.detail.field = Some(field);
    error
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with `Content-Type: application/json`",
        ),
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request(
            "invalid_json",
            format!("the body is not valid JSON: {}", e.body_text()),
        ),
        JsonRejection::JsonDataError(e) => ApiError::bad_request(
            "validation_failed",
            format!("the JSON does not fit: {}", e.body_text()),
        ),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the body is larger than the limit of 2 MB",
            )
        }
        JsonRejection::BytesRejection(e) => {
            ApiError::new(e.status(), "unreadable_body", e.body_text())
        }
        other => ApiError::bad_request("invalid_body", other.body_text()),
    }
}

/// `axum::extract::Path` for the API's ids (all UUIDs): a malformed one is a 400 in the API's
/// format naming the parameter, e.g. `'xyz' is not a valid lead_id`.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => {
                let raw = RawPathParams::from_request_parts(parts, state).await.ok();
                let bad = raw.as_ref().and_then(|raw| {
                    raw.iter().find(|(_, value)| uuid::Uuid::try_parse(value).is_err())
                });
                Err(match bad {
                    Some((key, value)) => field_error(
                        "invalid_path",
                        key.to_string(),
                        format!(
                            "'{}' is not a valid {key}: ids are UUIDs such as \
                             0190c9a5-3f4e-7cc1-9a31-5c7f1e2d4b6a",
                            shorten(value)
                        ),
                    ),
                    None => ApiError::bad_request("invalid_path", rejection.body_text()),
                })
            }
        }
    }
}

/// `axum::extract::Query` with problems in the API's format, naming the parameter.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs = url::form_urlencoded::parse(query.as_bytes());
        serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs))
            .map(Query)
            .map_err(|error| {
                let field = error.path().to_string();
                let message =
                    format!("the query parameter `{field}` is not valid: {}", error.inner());
                field_error("invalid_query", field, message)
            })
    }
}

/// A value quoted in an error message: one line, at most 80 characters.
fn shorten(value: &str) -> String {
    let one_line: String = value.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    match one_line.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}
