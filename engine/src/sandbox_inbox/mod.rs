//! What the `/sandbox` page shows a person trying Outreach: the simulator's mailboxes and what
//! "the outside world" received, exactly as sent, decoded for reading as plain text.
//!
//! Scoped by team: a team sees the contents of the sandbox mailboxes it connected as senders
//! and the deliveries sent from them; other mailboxes only by name.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::senders::SenderKind;

#[cfg(feature = "server")]
mod store;
#[cfg(feature = "server")]
pub use store::{delivery, mailbox, mailbox_message, overview};

/// The recipient-address patterns that make simulated recipients react, for people.
pub const RECIPIENT_PATTERNS: [(&str, &str); 6] = [
    ("+reply", "answers in the same thread (\"Re: …\", In-Reply-To and References set)"),
    ("+replynew", "writes back from the same address in a new thread, with a new subject"),
    ("+ooo", "sends an out-of-office auto-reply (Auto-Submitted: auto-replied)"),
    (
        "+bounce",
        "hard bounce: a Gmail-style delivery failure (Status 5.1.1) in the sender's thread",
    ),
    ("+softbounce", "soft bounce: a delivery-delayed notice (Status 4.4.1)"),
    ("+unsubscribe", "replies in the thread asking to be unsubscribed"),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxOverview {
    pub mailboxes: Vec<SandboxMailbox>,
    /// Newest first, only those sent from the team's connected mailboxes.
    pub deliveries: Vec<SandboxDelivery>,
    /// How long simulated recipients take to react.
    pub reply_delay_secs: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxMailbox {
    pub address: String,
    pub kind: SenderKind,
    /// Connected as a sender account of the viewer's team (its mail is visible).
    pub connected: bool,
    pub messages: u32,
    pub sent_last_24h: u32,
    pub daily_cap: u32,
}

/// One message as one recipient of the outside world received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxDelivery {
    pub seq: u64,
    pub recipient: String,
    pub sender: String,
    pub subject: String,
    pub at: DateTime<Utc>,
    /// `delivered`, `bounced` or `delayed`.
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxMailboxView {
    pub mailbox: SandboxMailbox,
    /// Newest first.
    pub messages: Vec<SandboxMessageSummary>,
}

impl SandboxMailboxView {
    /// The messages by Gmail thread, as a mail client shows them: the thread with the newest
    /// message first, and within a thread oldest first.
    pub fn threads(&self) -> Vec<Vec<SandboxMessageSummary>> {
        let mut threads: Vec<Vec<SandboxMessageSummary>> = Vec::new();
        let mut position: HashMap<&str, usize> = HashMap::new();
        for message in &self.messages {
            match position.get(message.thread_id.as_str()) {
                Some(&at) => threads[at].push(message.clone()),
                None => {
                    position.insert(&message.thread_id, threads.len());
                    threads.push(vec![message.clone()]);
                }
            }
        }
        for thread in &mut threads {
            thread.reverse();
        }
        threads
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxMessageSummary {
    pub id: String,
    pub thread_id: String,
    pub labels: Vec<String>,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub at: DateTime<Utc>,
}

/// A message decoded for reading: every value is plain text (the page escapes it; HTML parts
/// are shown as their source, never rendered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxMessage {
    /// Where it is, for people: "Delivered to lead@example.com" or "In ada@…'s mailbox".
    pub context: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub date: Option<String>,
    /// Every header line as sent (unfolded), in order.
    pub headers: Vec<(String, String)>,
    /// The text the recipient reads (an HTML-only message converted to text).
    pub text_body: Option<String>,
    /// The HTML alternative's source, if the message has one.
    pub html_source: Option<String>,
    /// The whole message as sent.
    pub raw: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: &str, thread: &str) -> SandboxMessageSummary {
        SandboxMessageSummary {
            id: id.into(),
            thread_id: thread.into(),
            labels: vec![],
            from: "a@x.test".into(),
            to: "b@y.test".into(),
            subject: id.into(),
            at: DateTime::<Utc>::MIN_UTC,
        }
    }

    #[test]
    fn threads_put_the_newest_thread_first_and_each_thread_in_order() {
        let view = SandboxMailboxView {
            mailbox: SandboxMailbox {
                address: "a@x.test".into(),
                kind: SenderKind::Gmail,
                connected: true,
                messages: 4,
                sent_last_24h: 2,
                daily_cap: 500,
            },
            // Newest first, as the simulator lists them.
            messages: vec![
                message("follow-up to b", "t2"),
                message("follow-up to a", "t1"),
                message("first to b", "t2"),
                message("first to a", "t1"),
            ],
        };
        let ids: Vec<Vec<String>> =
            view.threads().into_iter().map(|t| t.into_iter().map(|m| m.id).collect()).collect();
        assert_eq!(ids, [["first to b", "follow-up to b"], ["first to a", "follow-up to a"]]);
    }
}
