//! Gmail's threading rule (GMAIL_API.md §3): a message joins a thread only when it references
//! a message of that thread (`In-Reply-To`/`References`) and the subjects match, ignoring
//! `Re:`/`Fwd:` prefixes. Delivery reports join the thread of the message they report on
//! whatever their subject, which is how Gmail shows bounces next to the original.

use super::rfc822::MessageFacts;

/// How the thread of a new message is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadRule<'a> {
    /// `messages.send` with or without a `threadId`: the sender's side only ever joins the
    /// thread it names.
    Requested(Option<&'a str>),
    /// Mail arriving in a mailbox: any thread it references, by headers and subject.
    ByHeaders,
}

/// The existing thread the message joins, or `None` for a new thread. `existing` lists the
/// mailbox's messages as (thread id, facts).
pub fn choose_thread<'m>(
    message: &MessageFacts,
    rule: ThreadRule<'_>,
    existing: impl IntoIterator<Item = (&'m str, &'m MessageFacts)>,
) -> Option<String> {
    let wanted = match rule {
        ThreadRule::Requested(None) => return None,
        ThreadRule::Requested(Some(thread)) => Some(thread),
        ThreadRule::ByHeaders => None,
    };
    existing
        .into_iter()
        .filter(|(thread, _)| wanted.is_none_or(|w| w == *thread))
        .find(|(_, earlier)| answers(message, earlier))
        .map(|(thread, _)| thread.to_owned())
}

/// Whether `message` references `earlier` with a matching subject.
fn answers(message: &MessageFacts, earlier: &MessageFacts) -> bool {
    let Some(earlier_id) = earlier.message_id.as_deref() else {
        return false;
    };
    message.referenced_ids().any(|id| id == earlier_id)
        && (message.is_delivery_report || subjects_match(&message.subject, &earlier.subject))
}

pub fn subjects_match(a: &str, b: &str) -> bool {
    normalize_subject(a) == normalize_subject(b)
}

/// Lowercased, whitespace collapsed, reply and forward prefixes removed.
pub fn normalize_subject(subject: &str) -> String {
    const PREFIXES: [&str; 3] = ["re:", "fwd:", "fw:"];
    let mut rest = subject.trim();
    'strip: loop {
        for prefix in PREFIXES {
            if rest.len() >= prefix.len() && rest[..prefix.len()].eq_ignore_ascii_case(prefix) {
                rest = rest[prefix.len()..].trim_start();
                continue 'strip;
            }
        }
        break;
    }
    rest.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(id: &str, subject: &str, refs: &[&str]) -> MessageFacts {
        MessageFacts {
            message_id: Some(id.to_owned()),
            subject: subject.to_owned(),
            in_reply_to: refs.iter().take(1).map(|s| (*s).to_owned()).collect(),
            references: refs.iter().map(|s| (*s).to_owned()).collect(),
            ..MessageFacts::default()
        }
    }

    #[test]
    fn subject_normalization_ignores_prefixes_case_and_spacing() {
        assert_eq!(normalize_subject("RE: Fwd:  re:Quick   question"), "quick question");
        assert!(subjects_match("Quick question", "Re: quick question"));
        assert!(!subjects_match("Quick question", "Automatic reply: Quick question"));
    }

    #[test]
    fn send_joins_the_requested_thread_only_when_headers_and_subject_match() {
        let first = facts("a@x", "Hello", &[]);
        let other = facts("b@x", "Other", &[]);
        let existing = [("t1", &first), ("t2", &other)];

        let follow_up = facts("c@x", "Re: Hello", &["a@x"]);
        assert_eq!(
            choose_thread(&follow_up, ThreadRule::Requested(Some("t1")), existing),
            Some("t1".into())
        );
        // Wrong thread id: the referenced message is not in t2.
        assert_eq!(choose_thread(&follow_up, ThreadRule::Requested(Some("t2")), existing), None);
        // No thread id: a new thread, whatever the headers say.
        assert_eq!(choose_thread(&follow_up, ThreadRule::Requested(None), existing), None);
        // Subject changed: a new thread.
        let renamed = facts("d@x", "Something else", &["a@x"]);
        assert_eq!(choose_thread(&renamed, ThreadRule::Requested(Some("t1")), existing), None);
        // No references: a new thread.
        let bare = facts("e@x", "Re: Hello", &[]);
        assert_eq!(choose_thread(&bare, ThreadRule::Requested(Some("t1")), existing), None);
    }

    #[test]
    fn inbound_mail_finds_its_thread_by_headers() {
        let first = facts("a@x", "Hello", &[]);
        let existing = [("t1", &first)];
        let reply = facts("r@y", "RE: hello", &["a@x"]);
        assert_eq!(choose_thread(&reply, ThreadRule::ByHeaders, existing), Some("t1".into()));

        let mut bounce = facts("dsn@google", "Delivery Status Notification (Failure)", &["a@x"]);
        assert_eq!(choose_thread(&bounce, ThreadRule::ByHeaders, existing), None);
        bounce.is_delivery_report = true;
        assert_eq!(choose_thread(&bounce, ThreadRule::ByHeaders, existing), Some("t1".into()));
    }
}
