//! Gmail API resources as they travel on the wire (JSON, camelCase, 64-bit numbers as
//! strings). Used by the client to read Google's answers and by the simulator to write them.

use serde::{Deserialize, Serialize};

use super::base64url;

/// A message as returned by `messages.get`, `messages.send`, `messages.modify`, or inside a
/// thread or a history record (where Gmail fills in only `id` and `threadId`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: String,
    #[serde(default)]
    pub thread_id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub label_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "int64_string::option")]
    pub history_id: Option<u64>,
    /// Milliseconds since the epoch at which Gmail received the message.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "int64_string::option")]
    pub internal_date: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<MessagePart>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_estimate: Option<u64>,
    /// The whole RFC 822 message, base64url (present with `format=raw` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

impl Message {
    /// The first top-level header with this name (case-insensitive), from `payload`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.payload.as_ref().and_then(|payload| payload.header(name))
    }

    /// The decoded `raw` field, if the message was fetched with `format=raw`.
    pub fn raw_bytes(&self) -> Option<Result<Vec<u8>, base64url::InvalidBase64>> {
        self.raw.as_deref().map(base64url::decode)
    }

    pub fn has_label(&self, label_id: &str) -> bool {
        self.label_ids.iter().any(|l| l == label_id)
    }
}

/// One MIME part of a message (`payload` is the root part).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagePart {
    #[serde(default)]
    pub part_id: String,
    #[serde(default)]
    pub mime_type: String,
    #[serde(default)]
    pub filename: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Header>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<MessagePartBody>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<MessagePart>,
}

impl MessagePart {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.as_str())
    }

    /// The decoded body data of this part, if Gmail included it.
    pub fn data(&self) -> Option<Result<Vec<u8>, base64url::InvalidBase64>> {
        self.body.as_ref().and_then(|b| b.data.as_deref()).map(base64url::decode)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagePartBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment_id: Option<String>,
    #[serde(default)]
    pub size: u64,
    /// base64url, unpadded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// What `messages.list` returns per message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRef {
    pub id: String,
    pub thread_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListMessagesResponse {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<MessageRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
    #[serde(default)]
    pub result_size_estimate: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Thread {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "int64_string::option")]
    pub history_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<Message>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListThreadsResponse {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threads: Vec<Thread>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
    #[serde(default)]
    pub result_size_estimate: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelType {
    System,
    User,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Label {
    pub id: String,
    pub name: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub label_type: Option<LabelType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_list_visibility: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_list_visibility: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages_total: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages_unread: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads_total: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads_unread: Option<u32>,
}

/// The body of `labels.create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewLabel {
    pub name: String,
    #[serde(default = "NewLabel::default_label_visibility")]
    pub label_list_visibility: String,
    #[serde(default = "NewLabel::default_message_visibility")]
    pub message_list_visibility: String,
}

impl NewLabel {
    /// A label shown in the label list and in message lists (Gmail's defaults).
    pub fn visible(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            label_list_visibility: Self::default_label_visibility(),
            message_list_visibility: Self::default_message_visibility(),
        }
    }

    fn default_label_visibility() -> String {
        "labelShow".to_owned()
    }

    fn default_message_visibility() -> String {
        "show".to_owned()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListLabelsResponse {
    #[serde(default)]
    pub labels: Vec<Label>,
}

/// The body of `messages.modify`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModifyMessageRequest {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_label_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove_label_ids: Vec<String>,
}

/// The JSON body of `messages.send` (the non-upload path).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendMessageRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
}

/// One mailbox change in `history.list`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct History {
    #[serde(with = "int64_string")]
    pub id: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages_added: Vec<HistoryMessage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages_deleted: Vec<HistoryMessage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels_added: Vec<HistoryLabelChange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels_removed: Vec<HistoryLabelChange>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryMessage {
    pub message: Message,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryLabelChange {
    pub message: Message,
    #[serde(default)]
    pub label_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListHistoryResponse {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
    #[serde(with = "int64_string")]
    pub history_id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub email_address: String,
    #[serde(default)]
    pub messages_total: u32,
    #[serde(default)]
    pub threads_total: u32,
    #[serde(with = "int64_string")]
    pub history_id: u64,
}

/// `format` of `messages.get` and `threads.get`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageFormat {
    #[default]
    Full,
    Metadata,
    Minimal,
    Raw,
}

impl MessageFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Metadata => "metadata",
            Self::Minimal => "minimal",
            Self::Raw => "raw",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Full, Self::Metadata, Self::Minimal, Self::Raw]
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(text))
    }
}

/// `historyTypes` of `history.list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum HistoryType {
    MessageAdded,
    MessageDeleted,
    LabelAdded,
    LabelRemoved,
}

impl HistoryType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MessageAdded => "messageAdded",
            Self::MessageDeleted => "messageDeleted",
            Self::LabelAdded => "labelAdded",
            Self::LabelRemoved => "labelRemoved",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::MessageAdded, Self::MessageDeleted, Self::LabelAdded, Self::LabelRemoved]
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(text))
    }
}

/// Parameters of `messages.list` and `threads.list`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub q: Option<String>,
    pub label_ids: Vec<String>,
    pub max_results: Option<u32>,
    pub page_token: Option<String>,
    pub include_spam_trash: bool,
}

impl ListQuery {
    /// A search with Gmail's `q` syntax.
    pub fn search(q: impl Into<String>) -> Self {
        Self { q: Some(q.into()), ..Self::default() }
    }

    pub(crate) fn to_params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        if let Some(q) = &self.q {
            params.push(("q", q.clone()));
        }
        params.extend(self.label_ids.iter().map(|id| ("labelIds", id.clone())));
        if let Some(max) = self.max_results {
            params.push(("maxResults", max.to_string()));
        }
        if let Some(token) = &self.page_token {
            params.push(("pageToken", token.clone()));
        }
        if self.include_spam_trash {
            params.push(("includeSpamTrash", "true".to_owned()));
        }
        params
    }
}

/// Parameters of `history.list`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryQuery {
    pub start_history_id: u64,
    pub history_types: Vec<HistoryType>,
    pub label_id: Option<String>,
    pub max_results: Option<u32>,
    pub page_token: Option<String>,
}

impl HistoryQuery {
    pub fn since(start_history_id: u64) -> Self {
        Self { start_history_id, ..Self::default() }
    }

    pub(crate) fn to_params(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![("startHistoryId", self.start_history_id.to_string())];
        params.extend(self.history_types.iter().map(|t| ("historyTypes", t.as_str().to_owned())));
        if let Some(label) = &self.label_id {
            params.push(("labelId", label.clone()));
        }
        if let Some(max) = self.max_results {
            params.push(("maxResults", max.to_string()));
        }
        if let Some(token) = &self.page_token {
            params.push(("pageToken", token.clone()));
        }
        params
    }
}

/// Google encodes int64/uint64 fields as JSON strings; accept plain numbers too.
pub(crate) mod int64_string {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum StringOrNumber {
        String(String),
        Number(u64),
    }

    fn parse<E: Error>(value: StringOrNumber) -> Result<u64, E> {
        match value {
            StringOrNumber::Number(n) => Ok(n),
            StringOrNumber::String(s) => s.parse().map_err(E::custom),
        }
    }

    pub fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        parse(StringOrNumber::deserialize(deserializer)?)
    }

    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(
            value: &Option<u64>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match value {
                Some(v) => serializer.serialize_str(&v.to_string()),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<u64>, D::Error> {
            Option::<StringOrNumber>::deserialize(deserializer)?.map(parse).transpose()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_numbers_travel_as_strings_and_parse_from_either() {
        let message = Message {
            id: "18c1f2a3b4d5e6f7".into(),
            thread_id: "18c1f2a3b4d5e6f7".into(),
            history_id: Some(4321),
            internal_date: Some(1_767_600_000_000),
            ..Message::default()
        };
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(json["historyId"], "4321");
        assert_eq!(json["internalDate"], "1767600000000");
        assert!(json.get("payload").is_none());

        let parsed: Message =
            serde_json::from_str(r#"{"id":"a","threadId":"b","historyId":77}"#).unwrap();
        assert_eq!(parsed.history_id, Some(77));
    }

    #[test]
    fn header_lookup_is_case_insensitive() {
        let message = Message {
            payload: Some(MessagePart {
                headers: vec![Header { name: "Message-ID".into(), value: "<a@b>".into() }],
                ..MessagePart::default()
            }),
            ..Message::default()
        };
        assert_eq!(message.header("message-id"), Some("<a@b>"));
        assert_eq!(message.header("Subject"), None);
    }

    #[test]
    fn list_query_repeats_label_ids() {
        let query = ListQuery {
            label_ids: vec!["INBOX".into(), "UNREAD".into()],
            max_results: Some(10),
            ..ListQuery::search("in:sent")
        };
        assert_eq!(
            query.to_params(),
            vec![
                ("q", "in:sent".to_owned()),
                ("labelIds", "INBOX".to_owned()),
                ("labelIds", "UNREAD".to_owned()),
                ("maxResults", "10".to_owned()),
            ]
        );
    }
}
