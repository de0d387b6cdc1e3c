//! Gmail's error bodies and what they mean for the engine. `classify` turns a failed HTTP
//! answer into one of the classes of PRODUCT.md ("Errors and what to do"), from the status
//! *and* the body, because Google reuses 403 and 429 for very different situations.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// `{"error": {...}}`, the envelope of every Gmail API error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: u16,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ErrorItem>,
    /// The google.rpc code name, e.g. `INVALID_ARGUMENT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ErrorDetail>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorItem {
    pub message: String,
    pub domain: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_type: Option<String>,
}

/// An entry of `details`, e.g. a `google.rpc.ErrorInfo` with reason
/// `ACCESS_TOKEN_SCOPE_INSUFFICIENT`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    #[serde(rename = "@type")]
    pub type_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

/// What went wrong with a Gmail call, in terms of what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GmailError {
    /// The account hit Gmail's daily sending limit: stop sending from it until `retry_at`.
    #[error("Gmail's daily sending limit is reached; sending can resume at {retry_at}")]
    DailyLimit { retry_at: DateTime<Utc> },
    /// Too many requests (per-minute quota, concurrency, bursts): back off and retry.
    #[error("Gmail asked to slow down (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    /// The access token is invalid or expired: refresh it once and retry.
    #[error("Gmail rejected the access token")]
    Unauthorized,
    /// The grant is missing a scope or the domain forbids API access: a person must reconnect.
    #[error("the account must be reconnected: {reason}")]
    NeedsReauth { reason: String },
    /// Gmail refused the request itself (bad To header, bad raw...): retrying cannot help.
    #[error("Gmail refused the request: {reason}")]
    InvalidRequest { reason: String },
    #[error("Gmail found no such message, thread or history position")]
    NotFound,
    #[error("Gmail reported a conflict: {reason}")]
    Conflict { reason: String },
    #[error("the message is too large for Gmail")]
    PayloadTooLarge,
    /// A failure that is safe to retry (nothing was changed, or the call does not change
    /// anything).
    #[error("temporary Gmail failure: {reason}")]
    Transient { reason: String },
    /// A send that may have reached Gmail: look for it before sending again.
    #[error("the send may have reached Gmail: {reason}")]
    Ambiguous { reason: String },
}

/// Classifies a non-2xx answer. `is_send` marks `messages.send`, whose server-side failures
/// are ambiguous; `now` anchors the 24 h default of the daily limit and relative retry times.
pub fn classify(status: u16, body: &str, is_send: bool, now: DateTime<Utc>) -> GmailError {
    let parsed = ParsedBody::new(body);
    match status {
        400 => GmailError::InvalidRequest { reason: parsed.message },
        401 => GmailError::Unauthorized,
        403 | 429 => classify_refusal(status, &parsed, now),
        404 => GmailError::NotFound,
        409 => GmailError::Conflict { reason: parsed.message },
        413 => GmailError::PayloadTooLarge,
        408 | 500..=599 => server_failure(status, &parsed.message, is_send),
        _ => GmailError::InvalidRequest { reason: format!("HTTP {status}: {}", parsed.message) },
    }
}

impl GmailError {
    /// A `Retry-After` header (seconds or HTTP date) overrides whatever the body suggested.
    pub fn with_retry_after_header(self, header: Option<&str>, now: DateTime<Utc>) -> Self {
        match (self, header.and_then(|h| parse_retry_after_header(h, now))) {
            (GmailError::RateLimited { .. }, Some(delay)) => {
                GmailError::RateLimited { retry_after: Some(delay) }
            }
            (error, _) => error,
        }
    }

    /// A request that failed in transport. A connection that could not be established never
    /// carried the request, so even a send is safe to retry; anything later (timeout, reset,
    /// truncated answer) may have reached Gmail.
    pub fn from_transport(error: reqwest::Error, is_send: bool) -> Self {
        let is_connect = error.is_connect();
        let reason = transport_reason(error);
        if is_send && !is_connect {
            GmailError::Ambiguous { reason }
        } else {
            GmailError::Transient { reason }
        }
    }
}

fn transport_reason(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the answer was cut off"
    } else {
        "network error"
    };
    // The URL carries no secret (tokens travel in headers), but keep the message short.
    format!("{kind}: {}", error.without_url())
}

fn classify_refusal(status: u16, parsed: &ParsedBody, now: DateTime<Utc>) -> GmailError {
    if parsed.is_mail_sending_limit() {
        let retry_at = parse_retry_time(&parsed.message).unwrap_or(now + TimeDelta::hours(24));
        return GmailError::DailyLimit { retry_at };
    }
    if parsed.has_reason("dailyLimitExceeded") {
        // The project's daily quota: nothing will succeed before tomorrow.
        return GmailError::DailyLimit { retry_at: now + TimeDelta::hours(24) };
    }
    if status == 429 || parsed.is_rate_limit() {
        let retry_after = parse_retry_time(&parsed.message)
            .map(|at| (at - now).to_std().unwrap_or(Duration::ZERO));
        return GmailError::RateLimited { retry_after };
    }
    // insufficientPermissions / ACCESS_TOKEN_SCOPE_INSUFFICIENT / domainPolicy, the metadata
    // scope refusing `q`, delegation denied: only a person changing the grant can fix these.
    GmailError::NeedsReauth { reason: parsed.message.clone() }
}

fn server_failure(status: u16, message: &str, is_send: bool) -> GmailError {
    let reason = format!("HTTP {status}: {message}");
    if is_send { GmailError::Ambiguous { reason } } else { GmailError::Transient { reason } }
}

/// The parts of an error body classification looks at; tolerant of non-JSON bodies (proxies
/// and load balancers answer HTML).
struct ParsedBody {
    message: String,
    reasons: Vec<String>,
    status: Option<String>,
}

impl ParsedBody {
    fn new(body: &str) -> Self {
        match serde_json::from_str::<ErrorEnvelope>(body) {
            Ok(ErrorEnvelope { error }) => {
                let reasons = error
                    .errors
                    .iter()
                    .map(|e| e.reason.clone())
                    .chain(error.details.iter().filter_map(|d| d.reason.clone()))
                    .collect();
                Self { message: error.message, reasons, status: error.status }
            }
            Err(_) => Self {
                message: body.trim().chars().take(200).collect(),
                reasons: Vec::new(),
                status: None,
            },
        }
    }

    fn has_reason(&self, reason: &str) -> bool {
        self.reasons.iter().any(|r| r == reason)
    }

    fn is_mail_sending_limit(&self) -> bool {
        let message = self.message.to_ascii_lowercase();
        message.contains("(mail sending)") || message.contains("daily user sending limit")
    }

    fn is_rate_limit(&self) -> bool {
        self.has_reason("rateLimitExceeded")
            || self.has_reason("userRateLimitExceeded")
            || self.has_reason("RATE_LIMIT_EXCEEDED")
            || self.status.as_deref() == Some("RESOURCE_EXHAUSTED")
            || self.message.starts_with("Quota exceeded for quota metric")
            || self.message.contains("Too many concurrent requests")
    }
}

/// Finds `Retry after <RFC 3339>` in a Gmail message, e.g.
/// `User-rate limit exceeded.  Retry after 2024-11-12T11:16:42.247Z (Mail sending)`.
pub(crate) fn parse_retry_time(message: &str) -> Option<DateTime<Utc>> {
    const MARKER: &str = "retry after ";
    let start = message.to_ascii_lowercase().find(MARKER)? + MARKER.len();
    let stamp: String = message[start..]
        .trim_start()
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '(' && *c != ')')
        .collect();
    DateTime::parse_from_rfc3339(stamp.trim_end_matches(['.', ','])).ok().map(|t| t.to_utc())
}

fn parse_retry_after_header(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?.to_utc();
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-12T10:00:00Z".parse().unwrap()
    }

    fn body(code: u16, message: &str, reason: &str, domain: &str, status: &str) -> String {
        serde_json::json!({"error": {
            "code": code, "message": message, "status": status,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }})
        .to_string()
    }

    #[test]
    fn bad_request_rows_are_invalid_requests_with_googles_message() {
        let cases = [
            body(400, "Invalid To header", "invalidArgument", "global", "INVALID_ARGUMENT"),
            body(
                400,
                "Recipient address required",
                "invalidArgument",
                "global",
                "INVALID_ARGUMENT",
            ),
            body(400, "Bad Request", "badRequest", "global", "INVALID_ARGUMENT"),
            body(
                400,
                "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
                "badRequest",
                "global",
                "INVALID_ARGUMENT",
            ),
            body(400, "Number of ids cannot exceed 1000", "invalidArgument", "global", ""),
        ];
        for case in cases {
            let expected: ErrorEnvelope = serde_json::from_str(&case).unwrap();
            assert_eq!(
                classify(400, &case, true, now()),
                GmailError::InvalidRequest { reason: expected.error.message }
            );
        }
    }

    #[test]
    fn bad_base64_without_errors_array_is_an_invalid_request() {
        let body = r#"{"error":{"code":400,"message":"Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed for \"a*b\"","status":"INVALID_ARGUMENT"}}"#;
        assert!(matches!(
            classify(400, body, true, now()),
            GmailError::InvalidRequest { reason } if reason.starts_with("Invalid value at 'message.raw'")
        ));
    }

    #[test]
    fn expired_token_is_unauthorized() {
        let body = r#"{"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.","errors":[{"message":"Invalid Credentials","domain":"global","reason":"authError","location":"Authorization","locationType":"header"}],"status":"UNAUTHENTICATED"}}"#;
        assert_eq!(classify(401, body, false, now()), GmailError::Unauthorized);
        assert_eq!(classify(401, body, true, now()), GmailError::Unauthorized);
    }

    #[test]
    fn missing_scope_needs_reauth() {
        let body = r#"{"error":{"code":403,"message":"Request had insufficient authentication scopes.","errors":[{"message":"Insufficient Permission","domain":"global","reason":"insufficientPermissions"}],"status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCESS_TOKEN_SCOPE_INSUFFICIENT","domain":"googleapis.com","metadata":{"service":"gmail.googleapis.com","method":"caribou.api.proto.MailboxService.ListMessages"}}]}}"#;
        assert!(matches!(
            classify(403, body, false, now()),
            GmailError::NeedsReauth { reason } if reason == "Request had insufficient authentication scopes."
        ));
    }

    #[test]
    fn scope_detail_alone_is_enough_for_reauth() {
        let body = r#"{"error":{"code":403,"message":"denied","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCESS_TOKEN_SCOPE_INSUFFICIENT"}]}}"#;
        assert!(matches!(classify(403, body, false, now()), GmailError::NeedsReauth { .. }));
    }

    #[test]
    fn domain_policy_and_metadata_scope_need_reauth() {
        let policy = body(
            403,
            "The domain administrators have disabled Gmail apps.",
            "domainPolicy",
            "global",
            "PERMISSION_DENIED",
        );
        let metadata = body(
            403,
            "Metadata scope does not support 'q' parameter",
            "forbidden",
            "global",
            "PERMISSION_DENIED",
        );
        assert!(matches!(classify(403, &policy, true, now()), GmailError::NeedsReauth { .. }));
        assert!(matches!(classify(403, &metadata, false, now()), GmailError::NeedsReauth { .. }));
    }

    #[test]
    fn mail_sending_limit_on_429_parses_the_retry_time() {
        let body = body(
            429,
            "User-rate limit exceeded.  Retry after 2026-11-12T11:16:42.247Z (Mail sending)",
            "rateLimitExceeded",
            "usageLimits",
            "RESOURCE_EXHAUSTED",
        );
        let expected: DateTime<Utc> = "2026-11-12T11:16:42.247Z".parse().unwrap();
        assert_eq!(
            classify(429, &body, true, now()),
            GmailError::DailyLimit { retry_at: expected }
        );
    }

    #[test]
    fn mail_sending_limit_on_403_is_also_a_daily_limit() {
        let body = body(
            403,
            "User-rate limit exceeded.  Retry after 2026-11-12T12:00:00.000Z (Mail sending)",
            "rateLimitExceeded",
            "usageLimits",
            "PERMISSION_DENIED",
        );
        assert!(matches!(classify(403, &body, true, now()), GmailError::DailyLimit { .. }));
    }

    #[test]
    fn daily_limit_without_a_time_waits_24_hours() {
        let sending =
            body(429, "Daily user sending limit exceeded.", "rateLimitExceeded", "usageLimits", "");
        let project = body(403, "Daily Limit Exceeded", "dailyLimitExceeded", "usageLimits", "");
        let tomorrow = now() + TimeDelta::hours(24);
        assert_eq!(
            classify(429, &sending, true, now()),
            GmailError::DailyLimit { retry_at: tomorrow }
        );
        assert_eq!(
            classify(403, &project, false, now()),
            GmailError::DailyLimit { retry_at: tomorrow }
        );
    }

    #[test]
    fn rate_limits_are_retryable_with_backoff() {
        let cases = [
            (403, body(403, "User Rate Limit Exceeded", "userRateLimitExceeded", "usageLimits", "")),
            (403, body(403, "Rate Limit Exceeded", "rateLimitExceeded", "usageLimits", "")),
            (
                429,
                body(
                    429,
                    "Too many concurrent requests for user",
                    "rateLimitExceeded",
                    "usageLimits",
                    "RESOURCE_EXHAUSTED",
                ),
            ),
            (
                403,
                r#"{"error":{"code":403,"message":"Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'gmail.googleapis.com' for consumer 'project_number:42'.","status":"PERMISSION_DENIED"}}"#.to_owned(),
            ),
            (429, "<html>Too Many Requests</html>".to_owned()),
        ];
        for (status, body) in cases {
            assert_eq!(
                classify(status, &body, true, now()),
                GmailError::RateLimited { retry_after: None },
                "{body}"
            );
        }
    }

    #[test]
    fn bandwidth_limit_with_retry_time_gives_a_delay() {
        let body = body(
            429,
            "User-rate limit exceeded.  Retry after 2026-11-12T10:15:00.000Z (Forwarding rules)",
            "rateLimitExceeded",
            "usageLimits",
            "",
        );
        assert_eq!(
            classify(429, &body, false, now()),
            GmailError::RateLimited { retry_after: Some(Duration::from_secs(15 * 60)) }
        );
    }

    #[test]
    fn retry_after_header_overrides_the_body() {
        let error = GmailError::RateLimited { retry_after: None };
        assert_eq!(
            error.clone().with_retry_after_header(Some("7"), now()),
            GmailError::RateLimited { retry_after: Some(Duration::from_secs(7)) }
        );
        assert_eq!(
            error.with_retry_after_header(Some("Thu, 12 Nov 2026 10:01:00 GMT"), now()),
            GmailError::RateLimited { retry_after: Some(Duration::from_secs(60)) }
        );
        assert_eq!(
            GmailError::NotFound.with_retry_after_header(Some("7"), now()),
            GmailError::NotFound
        );
    }

    #[test]
    fn not_found_conflict_and_too_large() {
        let not_found =
            body(404, "Requested entity was not found.", "notFound", "global", "NOT_FOUND");
        let conflict = body(409, "Label name exists or conflicts", "aborted", "global", "ABORTED");
        assert_eq!(classify(404, &not_found, false, now()), GmailError::NotFound);
        assert_eq!(
            classify(409, &conflict, false, now()),
            GmailError::Conflict { reason: "Label name exists or conflicts".into() }
        );
        assert_eq!(
            classify(413, "Request Entity Too Large", true, now()),
            GmailError::PayloadTooLarge
        );
    }

    #[test]
    fn server_errors_are_transient_except_for_sends() {
        let backend = body(500, "Backend Error", "backendError", "global", "INTERNAL");
        let unavailable = body(
            503,
            "The service is currently unavailable.",
            "backendError",
            "global",
            "UNAVAILABLE",
        );
        for (status, body) in
            [(500, &backend), (503, &unavailable), (502, &backend), (504, &backend)]
        {
            assert!(matches!(classify(status, body, false, now()), GmailError::Transient { .. }));
            assert!(matches!(classify(status, body, true, now()), GmailError::Ambiguous { .. }));
        }
    }

    #[test]
    fn retry_time_parsing() {
        let at = |s: &str| parse_retry_time(s);
        assert_eq!(
            at(
                "User-rate limit exceeded.  Retry after 2024-11-12T11:16:42.247Z (Forwarding rules)"
            ),
            Some("2024-11-12T11:16:42.247Z".parse().unwrap())
        );
        assert_eq!(
            at("retry after 2024-11-12T11:16:42Z"),
            Some("2024-11-12T11:16:42Z".parse().unwrap())
        );
        assert_eq!(at("User-rate limit exceeded."), None);
        assert_eq!(at("Retry after soon (Mail sending)"), None);
    }
}
