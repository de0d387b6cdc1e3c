//! Stored messages as `messages.get` shows them in each `format` (full, metadata, minimal,
//! raw), with the MIME tree as Gmail's `payload` (headers, parts, base64url body data).

use mail_parser::{HeaderName, HeaderValue, MessageParser, MimeHeaders, PartType};

use super::mailbox::StoredMessage;
use crate::gmail::{Header, Message, MessageFormat, MessagePart, MessagePartBody, base64url};

pub fn render(
    message: &StoredMessage,
    format: MessageFormat,
    metadata_headers: &[String],
) -> Message {
    let mut out = Message {
        id: message.id.clone(),
        thread_id: message.thread_id.clone(),
        label_ids: message.label_ids.clone(),
        snippet: Some(message.facts.snippet()),
        history_id: Some(message.history_id),
        internal_date: u64::try_from(message.internal_date.timestamp_millis()).ok(),
        size_estimate: Some(message.raw.len() as u64),
        ..Message::default()
    };
    match format {
        MessageFormat::Minimal => {}
        MessageFormat::Raw => out.raw = Some(base64url::encode_padded(&message.raw)),
        MessageFormat::Metadata => {
            out.payload = Some(metadata_payload(&message.raw, metadata_headers))
        }
        MessageFormat::Full => out.payload = Some(full_payload(&message.raw)),
    }
    out
}

/// Only `id` and `threadId` (what lists and history records carry).
pub fn reference(message: &StoredMessage) -> Message {
    Message { id: message.id.clone(), thread_id: message.thread_id.clone(), ..Message::default() }
}

fn metadata_payload(raw: &[u8], wanted: &[String]) -> MessagePart {
    let Some(parsed) = MessageParser::default().parse(raw) else {
        return MessagePart { mime_type: "text/plain".to_owned(), ..MessagePart::default() };
    };
    let root = &parsed.parts[0];
    let headers = part_headers(&parsed, root)
        .into_iter()
        .filter(|h| wanted.is_empty() || wanted.iter().any(|w| w.eq_ignore_ascii_case(&h.name)))
        .collect();
    MessagePart { mime_type: mime_type(root), headers, ..MessagePart::default() }
}

fn full_payload(raw: &[u8]) -> MessagePart {
    match MessageParser::default().parse(raw) {
        Some(parsed) => part_tree(&parsed, 0, String::new()),
        None => MessagePart {
            mime_type: "text/plain".to_owned(),
            body: Some(body_of(raw)),
            ..MessagePart::default()
        },
    }
}

fn part_tree(message: &mail_parser::Message<'_>, index: u32, part_id: String) -> MessagePart {
    let Some(part) = message.parts.get(index as usize) else {
        return MessagePart::default();
    };
    let mut out = MessagePart {
        part_id: part_id.clone(),
        mime_type: mime_type(part),
        filename: part.attachment_name().unwrap_or_default().to_owned(),
        headers: part_headers(message, part),
        ..MessagePart::default()
    };
    match &part.body {
        PartType::Multipart(children) => {
            out.body = Some(MessagePartBody::default());
            out.parts = children
                .iter()
                .enumerate()
                .map(|(n, child)| {
                    let id =
                        if part_id.is_empty() { n.to_string() } else { format!("{part_id}.{n}") };
                    part_tree(message, *child, id)
                })
                .collect();
        }
        _ => out.body = Some(body_of(part.contents())),
    }
    out
}

fn body_of(data: &[u8]) -> MessagePartBody {
    MessagePartBody {
        attachment_id: None,
        size: data.len() as u64,
        data: Some(base64url::encode(data)),
    }
}

fn mime_type(part: &mail_parser::MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_lowercase(),
            None => ct.ctype().to_lowercase(),
        },
        None => "text/plain".to_owned(),
    }
}

/// Headers as Gmail shows them: original names, unfolded raw values, except Subject whose
/// encoded-words are decoded.
fn part_headers(
    message: &mail_parser::Message<'_>,
    part: &mail_parser::MessagePart<'_>,
) -> Vec<Header> {
    let raw = message.raw_message.as_ref();
    part.headers
        .iter()
        .filter_map(|h| {
            let name = raw.get(h.offset_field as usize..h.offset_start as usize)?;
            let name = String::from_utf8_lossy(name).trim().trim_end_matches(':').trim().to_owned();
            let value = match &h.value {
                HeaderValue::Text(text) if h.name == HeaderName::Subject => text.to_string(),
                _ => {
                    let bytes = raw.get(h.offset_start as usize..h.offset_end as usize)?;
                    unfold(&String::from_utf8_lossy(bytes))
                }
            };
            Some(Header { name, value })
        })
        .collect()
}

fn unfold(value: &str) -> String {
    value.replace("\r\n", "").replace('\n', "").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::sandbox::rfc822::parse_facts;

    const RAW: &[u8] = b"From: ada@sandbox.outreach.test\r\n\
To: lead@example.com\r\n\
Subject: =?utf-8?q?Caf=C3=A9?=\r\n\
Message-Id: <m1@x>\r\n\
References: <a@x>\r\n <b@x>\r\n\
Content-Type: multipart/alternative; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Hello\r\n\
--b1\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>Hello</p>\r\n\
--b1--\r\n";

    fn stored() -> StoredMessage {
        StoredMessage {
            id: "18c0000000000001".into(),
            thread_id: "18c0000000000001".into(),
            label_ids: vec!["SENT".into()],
            raw: RAW.to_vec(),
            internal_date: "2026-01-05T09:00:00Z".parse::<chrono::DateTime<Utc>>().unwrap(),
            history_id: 42,
            facts: parse_facts(RAW).unwrap(),
        }
    }

    #[test]
    fn full_format_has_the_mime_tree() {
        let message = render(&stored(), MessageFormat::Full, &[]);
        let payload = message.payload.unwrap();
        assert_eq!(payload.mime_type, "multipart/alternative");
        assert_eq!(payload.header("subject"), Some("Café"));
        assert_eq!(payload.header("Message-Id"), Some("<m1@x>"));
        assert_eq!(payload.header("References"), Some("<a@x> <b@x>"));
        assert_eq!(payload.parts.len(), 2);
        assert_eq!(payload.parts[1].part_id, "1");
        assert_eq!(payload.parts[1].mime_type, "text/html");
        let text = payload.parts[0].data().unwrap().unwrap();
        assert_eq!(String::from_utf8(text).unwrap().trim(), "Hello");
        assert_eq!(message.internal_date, Some(1_767_603_600_000));
        assert_eq!(message.snippet.as_deref(), Some("Hello"));
    }

    #[test]
    fn metadata_format_filters_headers() {
        let message =
            render(&stored(), MessageFormat::Metadata, &["message-id".into(), "To".into()]);
        let payload = message.payload.unwrap();
        let names: Vec<&str> = payload.headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, vec!["To", "Message-Id"]);
        assert!(payload.parts.is_empty() && payload.body.is_none());
    }

    #[test]
    fn raw_is_padded_base64url_and_minimal_has_no_payload() {
        let raw = render(&stored(), MessageFormat::Raw, &[]);
        assert_eq!(raw.raw_bytes().unwrap().unwrap(), RAW);
        assert!(raw.raw.unwrap().ends_with('=') || RAW.len().is_multiple_of(3));
        let minimal = render(&stored(), MessageFormat::Minimal, &[]);
        assert!(minimal.payload.is_none() && minimal.raw.is_none());
        assert_eq!(minimal.label_ids, vec!["SENT"]);
    }
}
