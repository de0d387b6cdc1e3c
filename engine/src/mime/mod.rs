//! The outgoing email as Gmail receives it: RFC 5322 bytes built with `mail-builder`, and
//! their base64url form for the `raw` field of `messages.send`.
//!
//! Every value that ends up in a header is either a parsed type ([`EmailAddress`], `Uuid`),
//! checked here (Message-IDs, unsubscribe URIs: the build refuses bad ones), or free text
//! squeezed onto one line (names, subject), so no input can add a header.

mod body_encoding;
mod footer;
mod header_text;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use mail_builder::MessageBuilder;
use mail_builder::headers::date::Date;
use mail_builder::headers::message_id::MessageId;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::text::Text;
use mail_builder::headers::url::URL;
use mail_builder::mime::MimePart;
use uuid::Uuid;

pub use footer::{Footer, with_html_footer, with_text_footer};

use crate::email_address::EmailAddress;
use crate::single_line::single_line;

/// Everything one email needs; the caller has rendered the subject and bodies already.
#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    pub from_name: String,
    pub from: EmailAddress,
    pub to_name: Option<String>,
    pub to: EmailAddress,
    /// For follow-ups the caller passes [`reply_subject`] of the first step's subject.
    pub subject: String,
    pub text_body: String,
    pub html_body: Option<String>,
    pub date: DateTime<Utc>,
    /// `<unique@domain>`, from [`new_message_id`], stored before the first attempt.
    pub message_id: String,
    pub outreach_id: Uuid,
    /// The previous message's Message-ID (follow-ups only).
    pub in_reply_to: Option<String>,
    /// The Message-IDs of the thread so far, oldest first (follow-ups only).
    pub references: Vec<String>,
    /// The RFC 8058 one-click URL; must be `https://`.
    pub unsubscribe_url: String,
    /// A `mailto:` URI, the fallback for clients without one-click.
    pub unsubscribe_mailto: String,
    /// The team's postal address, shown in the footer (CAN-SPAM).
    pub postal_address: String,
}

/// A built message: the bytes and their base64url encoding (URL-safe alphabet, no padding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedMessage {
    pub bytes: Vec<u8>,
    pub raw: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    #[error("{header} '{value}' is not a valid message id: it must look like <unique@domain>")]
    InvalidMessageId { header: &'static str, value: String },
    #[error(
        "the unsubscribe URL '{0}' must start with https:// (http:// only for localhost) and \
         contain no spaces or <>"
    )]
    InvalidUnsubscribeUrl(String),
    #[error("the unsubscribe address '{0}' must start with mailto: and contain no spaces or <>")]
    InvalidUnsubscribeMailto(String),
    #[error("could not write the message: {0}")]
    Write(#[from] std::io::Error),
}

/// Builds the RFC 5322 message and its base64url `raw` form.
pub fn build_message(message: &OutgoingMessage) -> Result<EncodedMessage, MessageError> {
    let bytes = build_bytes(message)?;
    let raw = encode_raw(&bytes);
    Ok(EncodedMessage { bytes, raw })
}

/// Base64url without padding, as Gmail's `raw` field wants it.
pub fn encode_raw(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn build_bytes(message: &OutgoingMessage) -> Result<Vec<u8>, MessageError> {
    let message_id = bare_message_id("Message-ID", &message.message_id)?;
    let unsubscribe = unsubscribe_uris(message)?;
    let mut builder = MessageBuilder::new()
        .header("From", Raw::new(header_text::mailbox(&message.from_name, &message.from)))
        .header(
            "To",
            Raw::new(header_text::mailbox(message.to_name.as_deref().unwrap_or(""), &message.to)),
        )
        .header("Subject", Text::new(single_line(&message.subject)))
        .header("Date", Date::new(message.date.timestamp()))
        .header("Message-ID", MessageId::new(message_id));
    if let Some(in_reply_to) = &message.in_reply_to {
        builder = builder
            .header("In-Reply-To", MessageId::new(bare_message_id("In-Reply-To", in_reply_to)?));
    }
    if !message.references.is_empty() {
        let references = message
            .references
            .iter()
            .map(|id| bare_message_id("References", id))
            .collect::<Result<Vec<_>, _>>()?;
        builder = builder.header("References", MessageId::from(references));
    }
    builder = builder
        .header("X-Outreach-Id", Raw::new(message.outreach_id.hyphenated().to_string()))
        .header("List-Unsubscribe", URL::from(unsubscribe))
        .header("List-Unsubscribe-Post", Raw::new("List-Unsubscribe=One-Click"));
    let text = body_part("text/plain", &with_text_footer(&message.text_body, footer_of(message)));
    let body = match &message.html_body {
        Some(html) => {
            let html = body_part("text/html", &with_html_footer(html, footer_of(message)));
            MimePart::new("multipart/alternative", vec![text, html])
        }
        None => text,
    };
    let mut bytes = Vec::with_capacity(estimated_size(message));
    builder.body(body).write_to(&mut bytes)?;
    Ok(bytes)
}

/// A text part (`charset=utf-8` is added by `MimePart::new`), already transfer-encoded.
fn body_part(content_type: &'static str, text: &str) -> MimePart<'static> {
    let encoded = body_encoding::encode_body(text);
    MimePart::new(content_type, encoded.text).transfer_encoding(encoded.transfer_encoding)
}

fn estimated_size(message: &OutgoingMessage) -> usize {
    let html = message.html_body.as_ref().map_or(0, String::len);
    1024 + (message.text_body.len() + html) * 11 / 10
}

/// Checks a Message-ID (with or without its angle brackets) and returns it without them,
/// as `mail-builder` adds them.
pub(crate) fn bare_message_id<'a>(
    header: &'static str,
    id: &'a str,
) -> Result<&'a str, MessageError> {
    let bare = id.trim().trim_start_matches('<').trim_end_matches('>');
    let valid =
        bare.split_once('@').is_some_and(|(left, right)| !left.is_empty() && !right.is_empty())
            && bare.bytes().all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>');
    if valid {
        Ok(bare)
    } else {
        Err(MessageError::InvalidMessageId { header, value: id.to_owned() })
    }
}

fn unsubscribe_uris(message: &OutgoingMessage) -> Result<Vec<&str>, MessageError> {
    let url = message.unsubscribe_url.trim();
    if !(is_allowed_unsubscribe_scheme(url) && is_header_safe_uri(url)) {
        return Err(MessageError::InvalidUnsubscribeUrl(message.unsubscribe_url.clone()));
    }
    let mailto = message.unsubscribe_mailto.trim();
    if !(mailto.starts_with("mailto:") && is_header_safe_uri(mailto)) {
        return Err(MessageError::InvalidUnsubscribeMailto(message.unsubscribe_mailto.clone()));
    }
    Ok(vec![url, mailto])
}

/// RFC 8058 wants https. Plain http is accepted only for a loopback host, which is what the
/// app's base URL is when someone tries it on their own machine with the sandbox.
fn is_allowed_unsubscribe_scheme(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else { return false };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(name, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) { name } else { host }
    });
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

fn footer_of(message: &OutgoingMessage) -> Footer<'_> {
    Footer { postal_address: &message.postal_address, unsubscribe_url: &message.unsubscribe_url }
}

/// A URI that can stand between `<` and `>` in a header: printable ASCII, no spaces.
fn is_header_safe_uri(uri: &str) -> bool {
    uri.bytes().all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
}

/// A new globally unique Message-ID, `<uuid@domain>`, for the sender's domain. A domain that
/// is not plain ASCII (an internationalized one) is replaced by `outreach.invalid`, because
/// Message-IDs must be ASCII; uniqueness comes from the UUID either way.
pub fn new_message_id(sender_domain: &str) -> String {
    let domain_is_plain = !sender_domain.is_empty()
        && sender_domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    let domain = if domain_is_plain { sender_domain } else { "outreach.invalid" };
    format!("<{}@{}>", Uuid::new_v4().simple(), domain.to_ascii_lowercase())
}

/// The subject of a follow-up: `Re: ` and the first step's subject, without stacking
/// (`"Re: RE: Hello"` gives `"Re: Hello"`).
pub fn reply_subject(first_subject: &str) -> String {
    let mut subject = first_subject.trim();
    while let Some(rest) = strip_reply_prefix(subject) {
        subject = rest;
    }
    format!("Re: {subject}")
}

/// `subject` without one leading `Re:` (any case, spaces allowed before the colon).
fn strip_reply_prefix(subject: &str) -> Option<&str> {
    let prefix = subject.get(..2)?;
    if !prefix.eq_ignore_ascii_case("re") {
        return None;
    }
    let rest = subject[2..].trim_start().strip_prefix(':')?;
    Some(rest.trim_start())
}

#[cfg(test)]
mod tests;
