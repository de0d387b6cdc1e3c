//! The Gmail REST client: one typed method per API call Outreach makes, each reporting its
//! quota cost to a `QuotaMeter` and turning failures into `GmailError`s.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, RequestBuilder};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use super::types::{
    History, HistoryQuery, Label, ListHistoryResponse, ListLabelsResponse, ListMessagesResponse,
    ListQuery, ListThreadsResponse, Message, MessageFormat, MessageRef, ModifyMessageRequest,
    NewLabel, Profile, SendMessageRequest, Thread,
};
use super::{GmailError, GmailMethod, ME, NoQuotaMeter, QuotaMeter, base64url, classify};
use crate::clock::{Clock, SystemClock};

/// Messages larger than this go through the media upload endpoint: the JSON path fails with
/// 413 somewhere above a few MB (GMAIL_API.md §1).
pub const UPLOAD_THRESHOLD_BYTES: usize = 2 * 1024 * 1024;

/// Google's production API root.
pub const DEFAULT_API_ROOT: &str = "https://gmail.googleapis.com";

/// A Gmail API client. Cheap to clone; the access token is passed to every call, so one client
/// serves every sender account (give each account its own meter with `with_meter`).
#[derive(Clone)]
pub struct GmailClient {
    http: reqwest::Client,
    api_root: String,
    meter: Arc<dyn QuotaMeter>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for GmailClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GmailClient").field("api_root", &self.api_root).finish_non_exhaustive()
    }
}

/// Everything `history.list` reported since a history id, all pages followed.
#[derive(Debug, Clone, PartialEq)]
pub struct HistorySince {
    pub records: Vec<History>,
    /// Where the next incremental sync starts.
    pub history_id: u64,
}

impl GmailClient {
    /// `api_root` is e.g. `https://gmail.googleapis.com` (`GMAIL_API_URL`); the client appends
    /// `/gmail/v1/…` and `/upload/gmail/v1/…`.
    pub fn new(http: reqwest::Client, api_root: impl Into<String>) -> Self {
        Self {
            http,
            api_root: api_root.into().trim_end_matches('/').to_owned(),
            meter: Arc::new(NoQuotaMeter),
            clock: Arc::new(SystemClock),
        }
    }

    /// An HTTP client suitable for Gmail: bounded connect and request times, no redirects.
    pub fn http_client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10).min(timeout))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
    }

    /// The same client, reporting quota to `meter` (typically one per sender account).
    pub fn with_meter(&self, meter: Arc<dyn QuotaMeter>) -> Self {
        Self { meter, ..self.clone() }
    }

    /// The same client, reading "now" (for retry times) from `clock`.
    pub fn with_clock(&self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self.clone() }
    }

    pub async fn get_profile(&self, token: &SecretString) -> Result<Profile, GmailError> {
        let request = self.request(Method::GET, "profile");
        self.call(GmailMethod::GetProfile, request, token).await
    }

    /// Sends a complete RFC 5322 message. With `thread_id`, Gmail files it in that thread if
    /// its `In-Reply-To`/`References` and subject match (GMAIL_API.md §3).
    pub async fn send(
        &self,
        token: &SecretString,
        raw: &[u8],
        thread_id: Option<&str>,
    ) -> Result<Message, GmailError> {
        let request = if raw.len() > UPLOAD_THRESHOLD_BYTES {
            self.upload_request(raw, thread_id)
        } else {
            let body = SendMessageRequest {
                raw: Some(base64url::encode(raw)),
                thread_id: thread_id.map(str::to_owned),
            };
            self.request(Method::POST, "messages/send").json(&body)
        };
        self.call(GmailMethod::MessagesSend, request, token).await
    }

    /// `uploadType=multipart`: JSON metadata (the thread) then the message itself.
    fn upload_request(&self, raw: &[u8], thread_id: Option<&str>) -> RequestBuilder {
        const BOUNDARY: &str = "outreach_upload_boundary_7f3a9c";
        let metadata = serde_json::json!({ "threadId": thread_id }).to_string();
        let mut body = Vec::with_capacity(raw.len() + 256);
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{metadata}\r\n\
                 --{BOUNDARY}\r\nContent-Type: message/rfc822\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(raw);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let url = format!("{}/upload/gmail/v1/users/{ME}/messages/send", self.api_root);
        self.http
            .post(url)
            .query(&[("uploadType", "multipart")])
            .header(CONTENT_TYPE, format!("multipart/related; boundary={BOUNDARY}"))
            .body(body)
    }

    /// One page of `messages.list`.
    pub async fn list_messages(
        &self,
        token: &SecretString,
        query: &ListQuery,
    ) -> Result<ListMessagesResponse, GmailError> {
        let request = self.request(Method::GET, "messages").query(&query.to_params());
        self.call(GmailMethod::MessagesList, request, token).await
    }

    /// Every message matching `query`, following all pages.
    pub async fn list_all_messages(
        &self,
        token: &SecretString,
        query: &ListQuery,
    ) -> Result<Vec<MessageRef>, GmailError> {
        let mut query = query.clone();
        let mut all = Vec::new();
        loop {
            let page = self.list_messages(token, &query).await?;
            all.extend(page.messages);
            match page.next_page_token {
                Some(next) => query.page_token = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// `messages.get`. `metadata_headers` only matters with `MessageFormat::Metadata`.
    pub async fn get_message(
        &self,
        token: &SecretString,
        id: &str,
        format: MessageFormat,
        metadata_headers: &[&str],
    ) -> Result<Message, GmailError> {
        let request = self
            .request(Method::GET, &format!("messages/{}", path_segment(id)))
            .query(&format_params(format, metadata_headers));
        self.call(GmailMethod::MessagesGet, request, token).await
    }

    pub async fn modify_message(
        &self,
        token: &SecretString,
        id: &str,
        change: &ModifyMessageRequest,
    ) -> Result<Message, GmailError> {
        let request = self
            .request(Method::POST, &format!("messages/{}/modify", path_segment(id)))
            .json(change);
        self.call(GmailMethod::MessagesModify, request, token).await
    }

    pub async fn list_labels(&self, token: &SecretString) -> Result<Vec<Label>, GmailError> {
        let request = self.request(Method::GET, "labels");
        let list: ListLabelsResponse = self.call(GmailMethod::LabelsList, request, token).await?;
        Ok(list.labels)
    }

    pub async fn create_label(
        &self,
        token: &SecretString,
        label: &NewLabel,
    ) -> Result<Label, GmailError> {
        let request = self.request(Method::POST, "labels").json(label);
        self.call(GmailMethod::LabelsCreate, request, token).await
    }

    /// One page of `history.list`. `NotFound` means the start id is too old: resync fully.
    pub async fn list_history(
        &self,
        token: &SecretString,
        query: &HistoryQuery,
    ) -> Result<ListHistoryResponse, GmailError> {
        let request = self.request(Method::GET, "history").query(&query.to_params());
        self.call(GmailMethod::HistoryList, request, token).await
    }

    /// All history after `query.start_history_id`, following pages; the returned `history_id`
    /// is the one to store for the next sync (Gmail's advice: from the last page).
    pub async fn history_since(
        &self,
        token: &SecretString,
        query: &HistoryQuery,
    ) -> Result<HistorySince, GmailError> {
        let mut query = query.clone();
        let mut records = Vec::new();
        loop {
            let page = self.list_history(token, &query).await?;
            records.extend(page.history);
            match page.next_page_token {
                Some(next) => query.page_token = Some(next),
                None => return Ok(HistorySince { records, history_id: page.history_id }),
            }
        }
    }

    pub async fn get_thread(
        &self,
        token: &SecretString,
        id: &str,
        format: MessageFormat,
        metadata_headers: &[&str],
    ) -> Result<Thread, GmailError> {
        let request = self
            .request(Method::GET, &format!("threads/{}", path_segment(id)))
            .query(&format_params(format, metadata_headers));
        self.call(GmailMethod::ThreadsGet, request, token).await
    }

    pub async fn list_threads(
        &self,
        token: &SecretString,
        query: &ListQuery,
    ) -> Result<ListThreadsResponse, GmailError> {
        let request = self.request(Method::GET, "threads").query(&query.to_params());
        self.call(GmailMethod::ThreadsList, request, token).await
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let url = format!("{}/gmail/v1/users/{ME}/{path}", self.api_root);
        self.http.request(method, url)
    }

    /// Meters, sends, and decodes one call.
    async fn call<T: DeserializeOwned>(
        &self,
        method: GmailMethod,
        request: RequestBuilder,
        token: &SecretString,
    ) -> Result<T, GmailError> {
        let is_send = method == GmailMethod::MessagesSend;
        self.meter.record(method, method.units());
        let response = request
            .bearer_auth(token.expose_secret())
            .send()
            .await
            .map_err(|e| GmailError::from_transport(e, is_send))?;
        let status = response.status();
        let retry_after =
            response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = response.text().await.map_err(|e| GmailError::from_transport(e, true))?;
        tracing::debug!(method = method.name(), status = status.as_u16(), "gmail call");

        if !status.is_success() {
            let now = self.clock.now();
            return Err(classify(status.as_u16(), &body, is_send, now)
                .with_retry_after_header(retry_after.as_deref(), now));
        }
        serde_json::from_str(&body).map_err(|e| {
            let reason = format!("unreadable {method} answer: {e}");
            // A send Gmail accepted but whose answer we cannot read did happen.
            if is_send {
                GmailError::Ambiguous { reason }
            } else {
                GmailError::Transient { reason }
            }
        })
    }
}

fn format_params(format: MessageFormat, metadata_headers: &[&str]) -> Vec<(&'static str, String)> {
    let mut params = vec![("format", format.as_str().to_owned())];
    if format == MessageFormat::Metadata {
        params.extend(metadata_headers.iter().map(|h| ("metadataHeaders", (*h).to_owned())));
    }
    params
}

/// Ids are opaque to us; never let one add path segments or a query.
fn path_segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_cannot_escape_their_path_segment() {
        assert_eq!(path_segment("18c1f2a3b4d5e6f7"), "18c1f2a3b4d5e6f7");
        assert_eq!(path_segment("../labels?x=1"), "..%2Flabels%3Fx%3D1");
    }

    #[test]
    fn metadata_headers_only_with_metadata_format() {
        assert_eq!(
            format_params(MessageFormat::Metadata, &["Message-ID", "To"]),
            vec![
                ("format", "metadata".to_owned()),
                ("metadataHeaders", "Message-ID".to_owned()),
                ("metadataHeaders", "To".to_owned()),
            ]
        );
        assert_eq!(format_params(MessageFormat::Raw, &["To"]), vec![("format", "raw".to_owned())]);
    }
}
