//! What the simulator needs to know about a raw message (addresses, ids, subject, text), and
//! the few header edits Gmail makes to mail it sends (adding From/Message-ID, dropping Bcc).

use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Addr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub email: String,
}

/// The searchable and threadable facts of a message, extracted once when it is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageFacts {
    pub from: Vec<Addr>,
    pub to: Vec<Addr>,
    pub cc: Vec<Addr>,
    pub bcc: Vec<Addr>,
    pub subject: String,
    /// Without angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// The plain-text body (HTML converted), for search and snippets.
    pub text: String,
    /// A `multipart/report` delivery status notification.
    pub is_delivery_report: bool,
}

impl MessageFacts {
    /// Every recipient (To, Cc, Bcc), lowercased, without duplicates.
    pub fn recipients(&self) -> Vec<String> {
        let mut all: Vec<String> = Vec::new();
        for addr in self.to.iter().chain(&self.cc).chain(&self.bcc) {
            let email = addr.email.to_ascii_lowercase();
            if !all.contains(&email) {
                all.push(email);
            }
        }
        all
    }

    /// `In-Reply-To` then `References`: the ids this message answers.
    pub fn referenced_ids(&self) -> impl Iterator<Item = &str> {
        self.in_reply_to.iter().chain(&self.references).map(String::as_str)
    }

    /// Gmail's snippet: the start of the text, whitespace collapsed.
    pub fn snippet(&self) -> String {
        let collapsed = self.text.split_whitespace().collect::<Vec<_>>().join(" ");
        collapsed.chars().take(160).collect()
    }
}

/// Why a message cannot be sent (Gmail's 400 messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientProblem {
    /// No To, Cc or Bcc at all.
    Missing,
    /// A To (or Cc/Bcc) header that does not hold valid addresses.
    Invalid,
}

pub fn parse_facts(raw: &[u8]) -> Option<MessageFacts> {
    let message = MessageParser::default().parse(raw)?;
    let is_delivery_report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    Some(MessageFacts {
        from: addresses(message.from()),
        to: addresses(message.to()),
        cc: addresses(message.cc()),
        bcc: addresses(message.bcc()),
        subject: message.subject().unwrap_or_default().to_owned(),
        message_id: message.message_id().map(str::to_owned),
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        text: message.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
        is_delivery_report,
    })
}

/// Checks the recipients the way Gmail does before accepting a send.
pub fn check_recipients(raw: &[u8], facts: &MessageFacts) -> Result<(), RecipientProblem> {
    let headers = header_block(raw);
    let present: Vec<bool> =
        ["to", "cc", "bcc"].iter().map(|name| find_header(headers, name).is_some()).collect();
    if present.iter().all(|p| !p) {
        return Err(RecipientProblem::Missing);
    }
    let lists = [(&facts.to, present[0]), (&facts.cc, present[1]), (&facts.bcc, present[2])];
    for (list, header_present) in lists {
        if header_present && (list.is_empty() || list.iter().any(|a| !is_valid_address(&a.email))) {
            return Err(RecipientProblem::Invalid);
        }
    }
    Ok(())
}

/// local@domain with a dotted domain and no spaces: what Gmail will route.
pub fn is_valid_address(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.chars().all(|c| c.is_ascii_graphic() && c != '<' && c != '>' && c != ',')
}

fn addresses(address: Option<&Address<'_>>) -> Vec<Addr> {
    let Some(address) = address else {
        return Vec::new();
    };
    address
        .iter()
        .map(|a| Addr {
            name: a.name.as_ref().map(|n| n.to_string()),
            // A bare word without @ is kept so that validation can reject it.
            email: a.address.as_ref().map(|e| e.to_string()).unwrap_or_default(),
        })
        .collect()
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => vec![id.to_string()],
        HeaderValue::TextList(list) => list.iter().map(|id| id.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// The header section (without the blank line).
pub fn header_block(raw: &[u8]) -> &[u8] {
    &raw[..body_offset(raw).0]
}

/// (end of headers, start of body).
fn body_offset(raw: &[u8]) -> (usize, usize) {
    let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|p| (p + 2, p + 4));
    let lf = raw.windows(2).position(|w| w == b"\n\n").map(|p| (p + 1, p + 2));
    match (crlf, lf) {
        (Some(a), Some(b)) => {
            if a.0 <= b.0 {
                a
            } else {
                b
            }
        }
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => (raw.len(), raw.len()),
    }
}

/// Byte ranges of each header field (including folded continuation lines).
fn header_fields(headers: &[u8]) -> Vec<(usize, usize)> {
    let mut fields: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    while start < headers.len() {
        let end = headers[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(headers.len(), |p| start + p + 1);
        let is_continuation = matches!(headers[start], b' ' | b'\t');
        match fields.last_mut() {
            Some(last) if is_continuation => last.1 = end,
            _ => fields.push((start, end)),
        }
        start = end;
    }
    fields
}

fn field_name(field: &[u8]) -> &[u8] {
    let colon = field.iter().position(|&b| b == b':').unwrap_or(field.len());
    field[..colon].trim_ascii()
}

fn find_header(headers: &[u8], name: &str) -> Option<(usize, usize)> {
    header_fields(headers)
        .into_iter()
        .find(|&(s, e)| field_name(&headers[s..e]).eq_ignore_ascii_case(name.as_bytes()))
}

pub fn has_header(raw: &[u8], name: &str) -> bool {
    find_header(header_block(raw), name).is_some()
}

/// The message without any `name` header.
pub fn remove_header(raw: &[u8], name: &str) -> Vec<u8> {
    let (end, _) = body_offset(raw);
    let headers = &raw[..end];
    let mut out = Vec::with_capacity(raw.len());
    for (s, e) in header_fields(headers) {
        if !field_name(&headers[s..e]).eq_ignore_ascii_case(name.as_bytes()) {
            out.extend_from_slice(&headers[s..e]);
        }
    }
    out.extend_from_slice(&raw[end..]);
    out
}

/// The message with `name: value` replacing any existing `name` header (placed first).
pub fn set_header(raw: &[u8], name: &str, value: &str) -> Vec<u8> {
    let mut out = format!("{name}: {value}\r\n").into_bytes();
    out.extend_from_slice(&remove_header(raw, name));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAW: &[u8] = b"From: Ada <ada@sandbox.outreach.test>\r\n\
To: Lead <lead+reply@example.com>, other@example.org\r\n\
Bcc: hidden@example.net\r\n\
Subject: =?utf-8?q?Caf=C3=A9?= plans\r\n\
Message-ID: <m1@outreach.test>\r\n\
In-Reply-To: <m0@outreach.test>\r\n\
References: <a@x> \r\n <m0@outreach.test>\r\n\
\r\n\
Hello   there,\r\nsee you.\r\n";

    #[test]
    fn facts_of_a_message() {
        let facts = parse_facts(RAW).unwrap();
        assert_eq!(facts.from[0].email, "ada@sandbox.outreach.test");
        assert_eq!(facts.subject, "Café plans");
        assert_eq!(facts.message_id.as_deref(), Some("m1@outreach.test"));
        assert_eq!(facts.in_reply_to, vec!["m0@outreach.test"]);
        assert_eq!(facts.references, vec!["a@x", "m0@outreach.test"]);
        assert_eq!(
            facts.recipients(),
            vec!["lead+reply@example.com", "other@example.org", "hidden@example.net"]
        );
        assert_eq!(facts.snippet(), "Hello there, see you.");
        assert!(!facts.is_delivery_report);
    }

    #[test]
    fn recipient_checks() {
        let facts = parse_facts(RAW).unwrap();
        assert_eq!(check_recipients(RAW, &facts), Ok(()));

        let none = b"From: a@b.com\r\nSubject: x\r\n\r\nbody";
        assert_eq!(
            check_recipients(none, &parse_facts(none).unwrap()),
            Err(RecipientProblem::Missing)
        );

        for bad in [
            &b"To: not an address\r\nSubject: x\r\n\r\nbody"[..],
            b"To: \r\n\r\nbody",
            b"To: a@b.com, nope\r\n\r\nx",
        ] {
            let facts = parse_facts(bad).unwrap();
            assert_eq!(check_recipients(bad, &facts), Err(RecipientProblem::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn header_edits_keep_everything_else() {
        let without_bcc = remove_header(RAW, "bcc");
        assert!(!has_header(&without_bcc, "Bcc"));
        assert_eq!(without_bcc.len(), RAW.len() - b"Bcc: hidden@example.net\r\n".len());

        let replaced = set_header(RAW, "Message-ID", "<new@mail.gmail.com>");
        let facts = parse_facts(&replaced).unwrap();
        assert_eq!(facts.message_id.as_deref(), Some("new@mail.gmail.com"));
        // The folded References header survives intact.
        assert_eq!(facts.references, vec!["a@x", "m0@outreach.test"]);
        assert!(replaced.ends_with(b"\r\n\r\nHello   there,\r\nsee you.\r\n"));
    }

    #[test]
    fn lf_only_messages_work_too() {
        let raw = b"To: a@b.com\nSubject: hi\n\nbody\n";
        assert!(has_header(raw, "subject"));
        assert_eq!(set_header(raw, "From", "x@y.com")[..20], b"From: x@y.com\r\nTo: a"[..]);
    }

    #[test]
    fn address_validity() {
        assert!(is_valid_address("lead+reply@example.com"));
        for bad in ["", "nope", "@example.com", "a@b", "a b@example.com", "a@.com"] {
            assert!(!is_valid_address(bad), "{bad}");
        }
    }
}
