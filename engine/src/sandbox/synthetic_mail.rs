//! Mail the simulated outside world writes back: replies, out-of-office answers, Gmail-style
//! delivery status notifications (GMAIL_API.md §9) and the "limit for sending mail" bounce.

use chrono::{DateTime, Utc};
use mail_builder::MessageBuilder;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::{BodyPart, MimePart};
use serde::{Deserialize, Serialize};

use super::mailbox::raw_bytes;
use super::threading::normalize_subject;

const MAILER_DAEMON: (&str, &str) = ("Mail Delivery Subsystem", "mailer-daemon@googlemail.com");

/// The message a reaction answers, as the sender sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Original {
    /// The sandbox mailbox that sent it (and receives the reaction).
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    /// Without angle brackets.
    pub message_id: Option<String>,
    pub references: Vec<String>,
    pub sent_at: DateTime<Utc>,
    #[serde(with = "raw_bytes")]
    pub raw: Vec<u8>,
    pub text: String,
}

/// How a simulated person answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Interested,
    NewThread,
    OutOfOffice,
    Unsubscribe,
}

/// A person's answer to `original`. `message_id` is without angle brackets.
pub fn answer(
    original: &Original,
    kind: Answer,
    message_id: &str,
    at: DateTime<Utc>,
) -> std::io::Result<Vec<u8>> {
    let reply_subject =
        if normalize_subject(&original.subject) == original.subject.trim().to_lowercase() {
            format!("Re: {}", original.subject.trim())
        } else {
            original.subject.trim().to_owned()
        };
    let (subject, body, threaded) = match kind {
        Answer::Interested => (
            reply_subject,
            format!("Thanks for reaching out, this sounds interesting. Could we talk next week?\r\n\r\n{}", quote(original)),
            true,
        ),
        Answer::Unsubscribe => (
            reply_subject,
            format!("unsubscribe\r\n\r\nPlease remove me from your list.\r\n\r\n{}", quote(original)),
            true,
        ),
        Answer::OutOfOffice => (
            format!("Automatic reply: {}", original.subject.trim()),
            "I am out of the office until next week, with limited access to email. I will answer when I am back.\r\n".to_owned(),
            true,
        ),
        Answer::NewThread => (
            "A question about your email".to_owned(),
            "Hi, writing separately: could you send me your pricing?\r\n".to_owned(),
            false,
        ),
    };
    let mut builder = MessageBuilder::new()
        .from(original.recipient.as_str())
        .to(original.sender.as_str())
        .subject(subject)
        .date(at.timestamp())
        .message_id(message_id)
        .text_body(body);
    if let Some(id) = original.message_id.as_deref().filter(|_| threaded) {
        builder = builder.in_reply_to(id).references(references_of(original));
    }
    if kind == Answer::OutOfOffice {
        builder = builder.header("Auto-Submitted", Raw::new("auto-replied"));
    }
    builder.write_to_vec()
}

/// Whether the DSN reports a permanent failure or a delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DsnKind {
    Failure,
    Delay,
}

/// A Gmail-style DSN: `multipart/report` with the human explanation, a
/// `message/delivery-status` part and the original (whole, or headers only for a delay).
pub fn delivery_status(
    original: &Original,
    kind: DsnKind,
    dsn_id: &str,
    at: DateTime<Utc>,
) -> std::io::Result<Vec<u8>> {
    let recipient = original.recipient.as_str();
    let domain = recipient.rsplit_once('@').map_or("", |(_, d)| d);
    let (subject, title, explanation, action, status, diagnostic) = match kind {
        DsnKind::Failure => (
            "Delivery Status Notification (Failure)",
            "Address not found",
            format!(
                "Your message wasn't delivered to {recipient} because the address couldn't be found, or is unable to receive mail."
            ),
            "failed",
            "5.1.1",
            "550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces.",
        ),
        DsnKind::Delay => (
            "Delivery Status Notification (Delay)",
            "Message not delivered yet",
            format!(
                "There was a temporary problem delivering your message to {recipient}. Gmail will retry for 46 more hours. You'll be notified if the delivery fails permanently."
            ),
            "delayed",
            "4.4.1",
            "421 4.4.1 Connection timed out. The recipient's server is not answering.",
        ),
    };
    let original_id =
        original.message_id.as_deref().map(|id| format!("<{id}>")).unwrap_or_default();
    let status_fields = format!(
        "Reporting-MTA: dns; googlemail.com\r\n\
         Received-From-MTA: dns; mail-sor-f41.google.com\r\n\
         Arrival-Date: {arrival}\r\n\
         X-Original-Message-ID: {original_id}\r\n\
         \r\n\
         Final-Recipient: rfc822; {recipient}\r\n\
         Action: {action}\r\n\
         Status: {status}\r\n\
         Remote-MTA: dns; mx.{domain}.\r\n\
         Diagnostic-Code: smtp; {diagnostic}\r\n\
         Last-Attempt-Date: {last}\r\n",
        arrival = original.sent_at.to_rfc2822(),
        last = at.to_rfc2822(),
    );
    let text = format!(
        "** {title} **\r\n\r\n{explanation}\r\n\r\nThe response from the remote server was:\r\n{diagnostic}\r\n"
    );
    let html = format!(
        "<html><body><h2>{title}</h2><p>{}</p><p>The response from the remote server was:</p><p>{}</p></body></html>",
        escape_html(&explanation),
        escape_html(diagnostic)
    );
    let attached = match kind {
        DsnKind::Failure => raw_part("message/rfc822", original.raw.clone()),
        DsnKind::Delay => {
            raw_part("text/rfc822-headers", super::rfc822::header_block(&original.raw).to_vec())
        }
    };
    let report = MimePart::new(
        ContentType::new("multipart/report")
            .attribute("report-type", "delivery-status")
            .attribute("boundary", format!("{dsn_id}-report")),
        vec![
            MimePart::new(
                ContentType::new("multipart/related")
                    .attribute("boundary", format!("{dsn_id}-related")),
                vec![MimePart::new(
                    ContentType::new("multipart/alternative")
                        .attribute("boundary", format!("{dsn_id}-alt")),
                    vec![MimePart::new("text/plain", text), MimePart::new("text/html", html)],
                )],
            ),
            raw_part("message/delivery-status", status_fields.into_bytes()),
            attached,
        ],
    );
    let mut builder = MessageBuilder::new()
        .from(MAILER_DAEMON)
        .to(original.sender.as_str())
        .subject(subject)
        .date(at.timestamp())
        .message_id(format!("{dsn_id}.GMR@mx.google.com"))
        .header("Return-Path", Raw::new("<>"))
        .header("Auto-Submitted", Raw::new("auto-replied"))
        .body(report);
    if kind == DsnKind::Failure {
        builder = builder.header("X-Failed-Recipients", Raw::new(recipient));
    }
    if let Some(id) = &original.message_id {
        builder = builder.in_reply_to(id.as_str()).references(references_of(original));
    }
    builder.write_to_vec()
}

/// The bounce Gmail sends for a send it accepted after the daily limit. It does not say which
/// message failed (GMAIL_API.md §7).
pub fn sending_limit_bounce(
    sender: &str,
    dsn_id: &str,
    at: DateTime<Utc>,
) -> std::io::Result<Vec<u8>> {
    MessageBuilder::new()
        .from(MAILER_DAEMON)
        .to(sender)
        .subject("Delivery Status Notification (Failure)")
        .date(at.timestamp())
        .message_id(format!("{dsn_id}.GMR@mx.google.com"))
        .header("Auto-Submitted", Raw::new("auto-replied"))
        .text_body("You have reached a limit for sending mail. Your message was not sent.\r\n")
        .write_to_vec()
}

/// A plain message from someone outside (the control API's simple inbound form).
pub fn simple_message(
    from: &str,
    to: &str,
    subject: &str,
    body: &str,
    in_reply_to: Option<&str>,
    message_id: &str,
    at: DateTime<Utc>,
) -> std::io::Result<Vec<u8>> {
    let mut builder = MessageBuilder::new()
        .from(from)
        .to(to)
        .subject(subject)
        .date(at.timestamp())
        .message_id(message_id)
        .text_body(body);
    if let Some(id) = in_reply_to {
        let id = id.trim_matches(['<', '>']);
        builder = builder.in_reply_to(id).references(id);
    }
    builder.write_to_vec()
}

/// A part written as-is (7bit/8bit), as RFC 2046 requires for message/* parts.
fn raw_part(content_type: &'static str, bytes: Vec<u8>) -> MimePart<'static> {
    let encoding = if bytes.is_ascii() { "7bit" } else { "8bit" };
    MimePart::new(ContentType::new(content_type), BodyPart::Binary(bytes.into()))
        .transfer_encoding(encoding)
}

/// The original's References followed by its Message-ID.
fn references_of(original: &Original) -> Vec<String> {
    original.references.iter().cloned().chain(original.message_id.clone()).collect()
}

fn quote(original: &Original) -> String {
    let quoted: Vec<String> = original.text.lines().take(20).map(|l| format!("> {l}")).collect();
    format!(
        "On {}, {} wrote:\r\n{}\r\n",
        original.sent_at.to_rfc2822(),
        original.sender,
        quoted.join("\r\n")
    )
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use mail_parser::{MessageParser, MimeHeaders};

    use super::*;
    use crate::sandbox::rfc822::parse_facts;

    fn original() -> Original {
        let raw = b"From: ada@sandbox.outreach.test\r\nTo: lead+bounce@example.com\r\nSubject: Hello there\r\nMessage-ID: <orig-1@outreach.test>\r\nReferences: <root@outreach.test>\r\n\r\nHi Lead,\r\nhow are you?\r\n".to_vec();
        Original {
            sender: "ada@sandbox.outreach.test".into(),
            recipient: "lead+bounce@example.com".into(),
            subject: "Hello there".into(),
            message_id: Some("orig-1@outreach.test".into()),
            references: vec!["root@outreach.test".into()],
            sent_at: "2026-01-05T09:00:00Z".parse().unwrap(),
            raw,
            text: "Hi Lead,\r\nhow are you?".into(),
        }
    }

    fn at() -> DateTime<Utc> {
        "2026-01-05T09:00:20Z".parse().unwrap()
    }

    #[test]
    fn hard_bounce_is_a_gmail_style_report() {
        let raw = delivery_status(&original(), DsnKind::Failure, "dsn1", at()).unwrap();
        let message = MessageParser::default().parse(&raw).unwrap();
        let ct = message.content_type().unwrap();
        assert_eq!((ct.ctype(), ct.subtype()), ("multipart", Some("report")));
        assert_eq!(ct.attribute("report-type"), Some("delivery-status"));
        assert_eq!(
            message.from().unwrap().first().unwrap().address.as_deref(),
            Some("mailer-daemon@googlemail.com")
        );
        assert_eq!(message.subject(), Some("Delivery Status Notification (Failure)"));
        assert_eq!(
            message.header_raw("X-Failed-Recipients").map(str::trim),
            Some("lead+bounce@example.com")
        );
        assert_eq!(message.header_raw("Auto-Submitted").map(str::trim), Some("auto-replied"));

        let text = String::from_utf8_lossy(&raw);
        assert!(text.contains("Content-Type: message/delivery-status"));
        assert!(text.contains("X-Original-Message-ID: <orig-1@outreach.test>"));
        assert!(text.contains("Final-Recipient: rfc822; lead+bounce@example.com"));
        assert!(text.contains("Action: failed\r\nStatus: 5.1.1"));
        assert!(text.contains("Content-Type: message/rfc822"));
        assert!(text.contains("Subject: Hello there"), "the original is attached");

        let facts = parse_facts(&raw).unwrap();
        assert!(facts.is_delivery_report);
        assert_eq!(facts.in_reply_to, vec!["orig-1@outreach.test"]);
        assert_eq!(facts.references, vec!["root@outreach.test", "orig-1@outreach.test"]);
    }

    #[test]
    fn delay_dsn_carries_only_headers_and_no_failed_recipient() {
        let raw = delivery_status(&original(), DsnKind::Delay, "dsn2", at()).unwrap();
        let text = String::from_utf8_lossy(&raw);
        assert!(text.contains("Action: delayed\r\nStatus: 4.4.1"));
        assert!(text.contains("Content-Type: text/rfc822-headers"));
        assert!(!text.contains("X-Failed-Recipients"));
        assert!(!text.contains("how are you?"));
    }

    #[test]
    fn replies_thread_and_auto_replies_say_so() {
        let reply =
            parse_facts(&answer(&original(), Answer::Interested, "r1@example.com", at()).unwrap())
                .unwrap();
        assert_eq!(reply.subject, "Re: Hello there");
        assert_eq!(reply.in_reply_to, vec!["orig-1@outreach.test"]);
        assert_eq!(reply.from[0].email, "lead+bounce@example.com");
        assert!(reply.text.contains("> how are you?"));

        let ooo_raw = answer(&original(), Answer::OutOfOffice, "r2@example.com", at()).unwrap();
        let ooo = MessageParser::default().parse(&ooo_raw).unwrap();
        assert_eq!(ooo.subject(), Some("Automatic reply: Hello there"));
        assert_eq!(ooo.header_raw("Auto-Submitted").map(str::trim), Some("auto-replied"));

        let fresh =
            parse_facts(&answer(&original(), Answer::NewThread, "r3@example.com", at()).unwrap())
                .unwrap();
        assert!(fresh.in_reply_to.is_empty() && fresh.references.is_empty());

        let unsubscribe =
            parse_facts(&answer(&original(), Answer::Unsubscribe, "r4@example.com", at()).unwrap())
                .unwrap();
        assert!(unsubscribe.text.starts_with("unsubscribe"));
    }

    #[test]
    fn limit_bounce_names_no_message() {
        let raw = sending_limit_bounce("ada@sandbox.outreach.test", "lim1", at()).unwrap();
        let facts = parse_facts(&raw).unwrap();
        assert!(facts.text.contains("You have reached a limit for sending mail."));
        assert!(facts.in_reply_to.is_empty() && facts.references.is_empty());
    }
}
