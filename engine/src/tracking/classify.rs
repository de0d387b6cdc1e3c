//! What an inbound message is: a reply, an out-of-office answer, an opt-out request, a hard
//! or soft bounce, or Gmail's "you have reached a limit for sending mail" bounce — with the
//! Message-IDs it refers to (to find the outbox message it answers) and the evidence kept
//! on the lead's timeline.

use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use serde::{Deserialize, Serialize};

use super::delivery_status::{self, DeliveryStatus};

/// Evidence is kept, but not without bound (a message can carry megabytes of headers).
const EVIDENCE_LIMIT: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboundKind {
    Reply,
    AutoReply,
    /// A person asking to be removed ("unsubscribe", "remove me").
    OptOut,
    /// Permanent failure (5.x.x): the address is bad.
    HardBounce,
    /// Temporary trouble (4.x.x, "delayed"): noted, not counted as a bounce.
    SoftBounce,
    /// Gmail accepted a send after the account hit its daily limit and did not deliver it.
    SendingLimitBounce,
}

impl InboundKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InboundKind::Reply => "reply",
            InboundKind::AutoReply => "auto_reply",
            InboundKind::OptOut => "opt_out",
            InboundKind::HardBounce => "hard_bounce",
            InboundKind::SoftBounce => "soft_bounce",
            InboundKind::SendingLimitBounce => "sending_limit_bounce",
        }
    }

    pub fn is_bounce(self) -> bool {
        matches!(
            self,
            InboundKind::HardBounce | InboundKind::SoftBounce | InboundKind::SendingLimitBounce
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbound {
    pub kind: InboundKind,
    /// The sender's address, lower-cased.
    pub from: Option<String>,
    pub subject: String,
    /// This message's own Message-ID (no angle brackets).
    pub message_id: Option<String>,
    /// Message-IDs it answers or reports on, strongest evidence first: In-Reply-To, the
    /// DSN's X-Original-Message-ID, the attached original's Message-ID, then References
    /// from nearest to oldest. No angle brackets.
    pub refers_to: Vec<String>,
    /// For bounces: the recipient(s) that failed.
    pub failed_recipients: Vec<String>,
    /// For bounces: the DSN status code (e.g. `5.1.1`) and the remote server's words.
    pub status: Option<String>,
    pub diagnostic: Option<String>,
    /// The raw header block (and the delivery-status fields of a DSN), for people to check.
    pub evidence: String,
}

/// Reads and classifies one raw RFC 5322 message; `None` when it cannot be parsed at all.
pub fn classify(raw: &[u8]) -> Option<Inbound> {
    let message = MessageParser::default().parse(raw)?;
    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase());
    let subject = message.subject().unwrap_or_default().trim().to_string();
    let text = message.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
    let dsn = delivery_status_part(&message);
    let status = dsn.as_deref().map(delivery_status::parse).unwrap_or_default();
    let attached_id = attached_original_id(&message);

    let kind = if is_bounce(&message, from.as_deref(), dsn.is_some()) {
        bounce_kind(&text, &status, &message)
    } else if is_auto_reply(&message, &subject) {
        InboundKind::AutoReply
    } else if is_opt_out(&subject, &text) {
        InboundKind::OptOut
    } else {
        InboundKind::Reply
    };

    let mut refers_to = ids(message.in_reply_to());
    refers_to.extend(status.original_message_id.as_deref().map(strip_brackets));
    refers_to.extend(attached_id);
    let mut references = ids(message.references());
    references.reverse();
    refers_to.extend(references);
    dedup_in_order(&mut refers_to);

    let mut failed_recipients: Vec<String> = message
        .header_raw("X-Failed-Recipients")
        .map(|v| v.split(',').map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty()).collect())
        .unwrap_or_default();
    failed_recipients.extend(status.final_recipient.clone());
    dedup_in_order(&mut failed_recipients);

    Some(Inbound {
        kind,
        from,
        subject,
        message_id: message.message_id().map(strip_brackets),
        refers_to,
        failed_recipients: if kind.is_bounce() { failed_recipients } else { Vec::new() },
        status: status.status.clone(),
        diagnostic: status.diagnostic.clone(),
        evidence: evidence(raw, dsn.as_deref()),
    })
}

fn is_bounce(message: &Message<'_>, from: Option<&str>, has_delivery_status: bool) -> bool {
    let daemon = from
        .and_then(|f| f.split('@').next())
        .is_some_and(|local| matches!(local, "mailer-daemon" | "postmaster" | "mail-daemon"));
    let report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && ct
                .attribute("report-type")
                .is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"))
    });
    daemon || report || has_delivery_status || message.header_raw("X-Failed-Recipients").is_some()
}

fn bounce_kind(text: &str, status: &DeliveryStatus, message: &Message<'_>) -> InboundKind {
    let lower = text.to_lowercase();
    if lower.contains("reached a limit for sending mail")
        || lower.contains("reached a limit for sending email")
    {
        return InboundKind::SendingLimitBounce;
    }
    match (status.status.as_deref(), status.action.as_deref()) {
        (Some(code), _) if code.starts_with('5') => return InboundKind::HardBounce,
        (Some(code), _) if code.starts_with('4') => return InboundKind::SoftBounce,
        (_, Some("failed")) => return InboundKind::HardBounce,
        (_, Some("delayed")) => return InboundKind::SoftBounce,
        _ => {}
    }
    // Older single-part Gmail DSNs and other servers: read the words.
    let permanent = [
        "failed permanently",
        "address not found",
        "does not exist",
        "user unknown",
        "no such user",
    ];
    if permanent.iter().any(|p| lower.contains(p))
        || message.header_raw("X-Failed-Recipients").is_some()
    {
        InboundKind::HardBounce
    } else {
        InboundKind::SoftBounce
    }
}

/// RFC 3834 `Auto-Submitted` (anything but `no`), the common non-standard headers, and the
/// subjects out-of-office responders use.
fn is_auto_reply(message: &Message<'_>, subject: &str) -> bool {
    let header = |name: &str| message.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    if header("Auto-Submitted").is_some_and(|v| !v.is_empty() && v != "no") {
        return true;
    }
    if header("X-Autoreply").is_some()
        || header("X-Autorespond").is_some()
        || header("X-Autoresponder").is_some()
    {
        return true;
    }
    if header("Precedence").is_some_and(|v| v == "auto_reply") {
        return true;
    }
    let subject = subject.to_lowercase();
    const SUBJECTS: [&str; 10] = [
        "automatic reply",
        "auto:",
        "autoreply",
        "auto-reply",
        "auto reply",
        "out of office",
        "out of the office",
        "abwesenheitsnotiz",
        "réponse automatique",
        "respuesta automática",
    ];
    SUBJECTS.iter().any(|s| subject.starts_with(s))
}

/// "unsubscribe", "remove me", "opt out" as the subject or the first line of the answer.
fn is_opt_out(subject: &str, text: &str) -> bool {
    let first_line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    [subject, first_line].iter().any(|line| {
        let words: String = line
            .to_lowercase()
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect();
        let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
        let words = words.strip_prefix("re ").unwrap_or(&words);
        words == "unsubscribe"
            || words == "stop"
            || words.starts_with("unsubscribe ")
            || words.contains("remove me")
            || words.contains("opt out")
            || words.contains("take me off")
    })
}

fn delivery_status_part(message: &Message<'_>) -> Option<String> {
    message.parts.iter().find_map(|part| {
        let ct = part.content_type()?;
        let is_status = ct.ctype().eq_ignore_ascii_case("message")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("delivery-status"));
        is_status.then(|| String::from_utf8_lossy(part.contents()).into_owned())
    })
}

/// The Message-ID of the original a DSN attaches (whole, or as `text/rfc822-headers`).
fn attached_original_id(message: &Message<'_>) -> Option<String> {
    message.parts.iter().find_map(|part| match &part.body {
        PartType::Message(original) => original.message_id().map(strip_brackets),
        _ => {
            let ct = part.content_type()?;
            let headers_only = ct.ctype().eq_ignore_ascii_case("text")
                && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("rfc822-headers"));
            if !headers_only {
                return None;
            }
            MessageParser::default().parse(part.contents())?.message_id().map(strip_brackets)
        }
    })
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => vec![strip_brackets(id)],
        HeaderValue::TextList(list) => list.iter().map(|id| strip_brackets(id)).collect(),
        _ => Vec::new(),
    }
}

pub fn strip_brackets(id: &str) -> String {
    id.trim().trim_start_matches('<').trim_end_matches('>').to_string()
}

fn dedup_in_order(items: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|item| !item.is_empty() && seen.insert(item.clone()));
}

fn evidence(raw: &[u8], dsn: Option<&str>) -> String {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n"));
    let headers =
        String::from_utf8_lossy(&raw[..end.unwrap_or(raw.len()).min(EVIDENCE_LIMIT)]).into_owned();
    match dsn {
        Some(fields) => {
            let fields: String = fields.chars().take(EVIDENCE_LIMIT / 2).collect();
            format!("{headers}\n\n--- delivery status ---\n{}", fields.trim())
        }
        None => headers,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::sandbox::synthetic_mail::{self, Answer, DsnKind, Original};

    fn original() -> Original {
        let raw =
            b"From: Ada <ada@sandbox.test>\r\nTo: lead@acme.test\r\nSubject: Quick question\r\n\
                    Message-ID: <orig-1@sandbox.test>\r\n\r\nHello\r\n"
                .to_vec();
        Original {
            sender: "ada@sandbox.test".into(),
            recipient: "lead@acme.test".into(),
            subject: "Quick question".into(),
            message_id: Some("orig-1@sandbox.test".into()),
            references: vec!["first@sandbox.test".into()],
            sent_at: Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap(),
            raw,
            text: "Hello".into(),
        }
    }

    fn at() -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 11, 0, 0).unwrap()
    }

    #[test]
    fn a_person_answering_is_a_reply_referring_to_our_message() {
        let raw =
            synthetic_mail::answer(&original(), Answer::Interested, "r1@acme.test", at()).unwrap();
        let inbound = classify(&raw).unwrap();
        assert_eq!(inbound.kind, InboundKind::Reply);
        assert_eq!(inbound.from.as_deref(), Some("lead@acme.test"));
        assert_eq!(inbound.refers_to[0], "orig-1@sandbox.test");
        assert!(inbound.refers_to.contains(&"first@sandbox.test".to_string()));
        assert!(inbound.failed_recipients.is_empty());
        assert!(inbound.evidence.contains("In-Reply-To"));
    }

    #[test]
    fn out_of_office_is_an_auto_reply() {
        let raw =
            synthetic_mail::answer(&original(), Answer::OutOfOffice, "o1@acme.test", at()).unwrap();
        assert_eq!(classify(&raw).unwrap().kind, InboundKind::AutoReply);
    }

    #[test]
    fn auto_reply_signals_each_count() {
        for header in [
            "Auto-Submitted: auto-generated",
            "X-Autoreply: yes",
            "X-Autorespond: 1",
            "Precedence: auto_reply",
        ] {
            let raw = format!(
                "From: a@x.test\r\nTo: b@y.test\r\nSubject: Hi\r\n{header}\r\n\r\nAway.\r\n"
            );
            assert_eq!(classify(raw.as_bytes()).unwrap().kind, InboundKind::AutoReply, "{header}");
        }
        let no = "From: a@x.test\r\nSubject: Re: Hi\r\nAuto-Submitted: no\r\n\r\nThanks!\r\n";
        assert_eq!(classify(no.as_bytes()).unwrap().kind, InboundKind::Reply);
        let subject = "From: a@x.test\r\nSubject: Out of Office: Re: Hi\r\n\r\nBack Monday\r\n";
        assert_eq!(classify(subject.as_bytes()).unwrap().kind, InboundKind::AutoReply);
    }

    #[test]
    fn asking_to_be_removed_is_an_opt_out() {
        let raw =
            synthetic_mail::answer(&original(), Answer::Unsubscribe, "u1@acme.test", at()).unwrap();
        assert_eq!(classify(&raw).unwrap().kind, InboundKind::OptOut);
        for body in ["Please remove me from your list.", "STOP", "Unsubscribe!", "opt out please"] {
            let raw =
                format!("From: a@x.test\r\nSubject: Re: Hi\r\n\r\n{body}\r\n\r\n> quoted\r\n");
            assert_eq!(classify(raw.as_bytes()).unwrap().kind, InboundKind::OptOut, "{body}");
        }
        let keep = "From: a@x.test\r\nSubject: Re: Hi\r\n\r\nCan you stop by on Monday?\r\n";
        assert_eq!(classify(keep.as_bytes()).unwrap().kind, InboundKind::Reply);
    }

    #[test]
    fn gmail_failure_dsn_is_a_hard_bounce_with_its_evidence() {
        let raw =
            synthetic_mail::delivery_status(&original(), DsnKind::Failure, "dsn1", at()).unwrap();
        let inbound = classify(&raw).unwrap();
        assert_eq!(inbound.kind, InboundKind::HardBounce);
        assert_eq!(inbound.refers_to[0], "orig-1@sandbox.test");
        assert_eq!(inbound.failed_recipients, vec!["lead@acme.test".to_string()]);
        assert_eq!(inbound.status.as_deref(), Some("5.1.1"));
        assert!(inbound.diagnostic.as_deref().unwrap().contains("does not exist"));
        assert!(
            inbound.evidence.contains("--- delivery status ---")
                && inbound.evidence.contains("Status: 5.1.1")
        );
    }

    #[test]
    fn delay_dsn_is_a_soft_bounce_found_through_the_attached_headers() {
        let mut original = original();
        original.message_id = None;
        original.references.clear();
        let raw = synthetic_mail::delivery_status(&original, DsnKind::Delay, "dsn2", at()).unwrap();
        let inbound = classify(&raw).unwrap();
        assert_eq!(inbound.kind, InboundKind::SoftBounce);
        assert_eq!(inbound.status.as_deref(), Some("4.4.1"));
        assert!(
            inbound.refers_to.contains(&"orig-1@sandbox.test".to_string()),
            "{:?}",
            inbound.refers_to
        );
    }

    #[test]
    fn the_limit_bounce_is_recognized() {
        let raw = synthetic_mail::sending_limit_bounce("ada@sandbox.test", "dsn3", at()).unwrap();
        assert_eq!(classify(&raw).unwrap().kind, InboundKind::SendingLimitBounce);
    }

    #[test]
    fn old_single_part_gmail_bounce() {
        let raw = "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\nSubject: Delivery Status Notification (Failure)\r\n\
                   X-Failed-Recipients: Gone@Acme.test\r\n\r\nDelivery to the following recipient failed permanently:\r\n\r\n     gone@acme.test\r\n";
        let inbound = classify(raw.as_bytes()).unwrap();
        assert_eq!(inbound.kind, InboundKind::HardBounce);
        assert_eq!(inbound.failed_recipients, vec!["gone@acme.test".to_string()]);
    }

    #[test]
    fn garbage_is_not_a_message() {
        assert!(classify(b"").is_none());
    }
}
