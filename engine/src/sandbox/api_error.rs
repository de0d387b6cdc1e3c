//! Gmail API error answers, with Google's exact envelope (GMAIL_API.md §2):
//! `{"error": {"code", "message", "errors": [{message, domain, reason}], "status"}}`.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};

use crate::gmail::{ErrorBody, ErrorDetail, ErrorEnvelope, ErrorItem, GmailMethod};

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

impl ApiError {
    fn new(
        status: StatusCode,
        message: impl Into<String>,
        reason: &str,
        domain: &str,
        rpc: &str,
    ) -> Self {
        let message = message.into();
        Self {
            status,
            body: ErrorBody {
                code: status.as_u16(),
                message: message.clone(),
                errors: vec![ErrorItem {
                    message,
                    domain: domain.to_owned(),
                    reason: reason.to_owned(),
                    location: None,
                    location_type: None,
                }],
                status: Some(rpc.to_owned()),
                details: Vec::new(),
            },
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// 401 for a missing, invalid, expired or revoked access token.
    pub fn unauthenticated() -> Self {
        let mut error = Self::new(
            StatusCode::UNAUTHORIZED,
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "authError",
            "global",
            "UNAUTHENTICATED",
        );
        error.body.errors[0].message = "Invalid Credentials".to_owned();
        error.body.errors[0].location = Some("Authorization".to_owned());
        error.body.errors[0].location_type = Some("header".to_owned());
        error
    }

    /// 403 for a token without a scope the method needs.
    pub fn insufficient_scope(method: GmailMethod) -> Self {
        let mut error = Self::new(
            StatusCode::FORBIDDEN,
            "Request had insufficient authentication scopes.",
            "insufficientPermissions",
            "global",
            "PERMISSION_DENIED",
        );
        error.body.errors[0].message = "Insufficient Permission".to_owned();
        error.body.details = vec![ErrorDetail {
            type_url: "type.googleapis.com/google.rpc.ErrorInfo".to_owned(),
            reason: Some("ACCESS_TOKEN_SCOPE_INSUFFICIENT".to_owned()),
            domain: Some("googleapis.com".to_owned()),
            metadata: BTreeMap::from([
                ("service".to_owned(), "gmail.googleapis.com".to_owned()),
                (
                    "method".to_owned(),
                    format!("caribou.api.proto.MailboxService.{}", rpc_name(method)),
                ),
            ]),
        }];
        error
    }

    pub fn delegation_denied(user_id: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            format!("Delegation denied for {user_id}"),
            "forbidden",
            "global",
            "PERMISSION_DENIED",
        )
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Requested entity was not found.",
            "notFound",
            "global",
            "NOT_FOUND",
        )
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message, "invalidArgument", "global", "INVALID_ARGUMENT")
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message, "badRequest", "global", "INVALID_ARGUMENT")
    }

    /// Base64 that decodes in no accepted variant; Google's answer has no `errors` array.
    pub fn bad_base64(value: &str) -> Self {
        let shown: String = value.chars().take(40).collect();
        let ellipsis = if value.chars().count() > 40 { "..." } else { "" };
        let mut error = Self::bad_request(format!(
            "Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed for \"{shown}{ellipsis}\""
        ));
        error.body.errors.clear();
        error
    }

    pub fn missing_raw() -> Self {
        Self::bad_request(
            "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
        )
    }

    /// Google's exact 413 wording is unconfirmed; this is the one observed report.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Request payload size exceeds the limit: {limit} bytes."),
            "badRequest",
            "global",
            "INVALID_ARGUMENT",
        )
    }

    pub fn label_exists() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "Label name exists or conflicts",
            "aborted",
            "global",
            "ABORTED",
        )
    }

    /// The per-user per-minute quota.
    pub fn minute_quota_exceeded() -> Self {
        let message = "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'gmail.googleapis.com' for consumer 'project_number:424242424242'.";
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            message,
            "rateLimitExceeded",
            "usageLimits",
            "RESOURCE_EXHAUSTED",
        );
        error.body.details = vec![ErrorDetail {
            type_url: "type.googleapis.com/google.rpc.ErrorInfo".to_owned(),
            reason: Some("RATE_LIMIT_EXCEEDED".to_owned()),
            domain: Some("googleapis.com".to_owned()),
            metadata: BTreeMap::from([
                ("quota_limit".to_owned(), "QueriesPerMinutePerUser".to_owned()),
                ("service".to_owned(), "gmail.googleapis.com".to_owned()),
            ]),
        }];
        error
    }

    pub fn too_many_concurrent() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many concurrent requests for user",
            "rateLimitExceeded",
            "usageLimits",
            "RESOURCE_EXHAUSTED",
        )
    }

    pub fn rate_limit_burst() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Rate Limit Exceeded",
            "rateLimitExceeded",
            "usageLimits",
            "RESOURCE_EXHAUSTED",
        )
    }

    /// The daily sending limit, with the time the rolling window frees a slot.
    pub fn sending_limit(retry_at: DateTime<Utc>) -> Self {
        let stamp = retry_at.to_rfc3339_opts(SecondsFormat::Millis, true);
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            // Two spaces after the period, as Google writes it.
            format!("User-rate limit exceeded.  Retry after {stamp} (Mail sending)"),
            "rateLimitExceeded",
            "usageLimits",
            "RESOURCE_EXHAUSTED",
        )
    }

    pub fn backend_error() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Backend Error",
            "backendError",
            "global",
            "INTERNAL",
        )
    }

    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "The service is currently unavailable.",
            "backendError",
            "global",
            "UNAVAILABLE",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let is_auth = self.status == StatusCode::UNAUTHORIZED;
        let mut response = (self.status, Json(ErrorEnvelope { error: self.body })).into_response();
        if is_auth {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(
                    "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"",
                ),
            );
        }
        response
    }
}

/// The internal RPC name Google reports in scope errors.
fn rpc_name(method: GmailMethod) -> &'static str {
    match method {
        GmailMethod::MessagesSend => "SendMessage",
        GmailMethod::MessagesList => "ListMessages",
        GmailMethod::MessagesGet => "GetMessage",
        GmailMethod::MessagesModify => "ModifyMessage",
        GmailMethod::LabelsList => "ListLabels",
        GmailMethod::LabelsCreate => "CreateLabel",
        GmailMethod::HistoryList => "ListHistory",
        GmailMethod::GetProfile => "GetProfile",
        GmailMethod::ThreadsGet => "GetThread",
        GmailMethod::ThreadsList => "ListThreads",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sending_limit_message_has_two_spaces_and_millis() {
        let at: DateTime<Utc> = "2026-11-12T11:16:42.247Z".parse().unwrap();
        let error = ApiError::sending_limit(at);
        assert_eq!(
            error.body.message,
            "User-rate limit exceeded.  Retry after 2026-11-12T11:16:42.247Z (Mail sending)"
        );
        assert_eq!(error.status, StatusCode::TOO_MANY_REQUESTS);
    }

    #[test]
    fn scope_error_matches_the_observed_body() {
        let json = serde_json::to_value(ErrorEnvelope {
            error: ApiError::insufficient_scope(GmailMethod::MessagesList).body,
        })
        .unwrap();
        assert_eq!(json["error"]["code"], 403);
        assert_eq!(json["error"]["status"], "PERMISSION_DENIED");
        assert_eq!(json["error"]["errors"][0]["reason"], "insufficientPermissions");
        assert_eq!(
            json["error"]["details"][0]["@type"],
            "type.googleapis.com/google.rpc.ErrorInfo"
        );
        assert_eq!(json["error"]["details"][0]["reason"], "ACCESS_TOKEN_SCOPE_INSUFFICIENT");
        assert_eq!(
            json["error"]["details"][0]["metadata"]["method"],
            "caribou.api.proto.MailboxService.ListMessages"
        );
    }

    #[test]
    fn bad_base64_quotes_the_value() {
        let error = ApiError::bad_base64("a*b");
        assert_eq!(
            error.body.message,
            "Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed for \"a*b\""
        );
        assert!(error.body.errors.is_empty());
    }
}
