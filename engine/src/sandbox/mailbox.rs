//! One simulated Gmail mailbox: messages, labels, history and its sending log.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::config::MailboxKind;
use super::faults::Faults;
use super::rfc822::MessageFacts;
use crate::gmail::{Label, LabelType};

/// Gmail's system labels (ids equal names).
pub const SYSTEM_LABELS: [&str; 14] = [
    "INBOX",
    "SENT",
    "UNREAD",
    "STARRED",
    "IMPORTANT",
    "SPAM",
    "TRASH",
    "DRAFT",
    "CHAT",
    "CATEGORY_PERSONAL",
    "CATEGORY_SOCIAL",
    "CATEGORY_PROMOTIONS",
    "CATEGORY_UPDATES",
    "CATEGORY_FORUMS",
];

/// Names Gmail refuses for user labels (compared case-insensitively).
const RESERVED_LABEL_NAMES: [&str; 12] = [
    "inbox",
    "sent",
    "sent mail",
    "unread",
    "starred",
    "important",
    "spam",
    "trash",
    "draft",
    "drafts",
    "chat",
    "muted",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredMessage {
    pub id: String,
    pub thread_id: String,
    pub label_ids: Vec<String>,
    #[serde(with = "raw_bytes")]
    pub raw: Vec<u8>,
    pub internal_date: DateTime<Utc>,
    pub history_id: u64,
    pub facts: MessageFacts,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserLabel {
    pub id: String,
    pub name: String,
    pub label_list_visibility: String,
    pub message_list_visibility: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HistoryChange {
    MessageAdded,
    LabelsAdded { label_ids: Vec<String> },
    LabelsRemoved { label_ids: Vec<String> },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryRecord {
    pub id: u64,
    pub at: DateTime<Utc>,
    pub message_id: String,
    pub thread_id: String,
    pub change: HistoryChange,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelError {
    Invalid,
    Exists,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mailbox {
    pub address: String,
    pub kind: MailboxKind,
    /// Keyed by message id; ids grow with time, so this is also roughly chronological.
    pub messages: BTreeMap<String, StoredMessage>,
    pub user_labels: Vec<UserLabel>,
    pub next_label_number: u32,
    pub history: Vec<HistoryRecord>,
    pub history_id: u64,
    /// `history.list` from below this id answers 404 (older records were pruned).
    pub history_floor: u64,
    /// When each send that counts toward the daily cap was accepted (rolling 24 h).
    pub sent_log: VecDeque<DateTime<Utc>>,
    /// Sends accepted over the cap since the cap was last reached (to be bounced).
    pub over_cap_accepted: u32,
    /// Overrides the global fault switches for this mailbox.
    pub faults: Option<Faults>,
}

impl Mailbox {
    pub fn new(address: &str, kind: MailboxKind, rng: &mut StdRng) -> Self {
        // Real history ids are large and start anywhere.
        let history_id = rng.gen_range(100_000..900_000);
        Self {
            address: address.to_ascii_lowercase(),
            kind,
            messages: BTreeMap::new(),
            user_labels: Vec::new(),
            next_label_number: 1,
            history: Vec::new(),
            history_id,
            history_floor: history_id,
            sent_log: VecDeque::new(),
            over_cap_accepted: 0,
            faults: None,
        }
    }

    /// Moves the history id forward, with the gaps Gmail has.
    fn next_history_id(&mut self, rng: &mut StdRng) -> u64 {
        self.history_id += rng.gen_range(1..=4);
        self.history_id
    }

    /// A fresh Gmail-style id (16 hex digits, time-ordered), unique in this mailbox.
    pub fn new_message_id(&self, at: DateTime<Utc>, rng: &mut StdRng) -> String {
        let millis = u64::try_from(at.timestamp_millis()).unwrap_or_default();
        loop {
            let id = format!("{:016x}", (millis << 20) | rng.gen_range(0..1u64 << 20));
            if !self.messages.contains_key(&id) {
                return id;
            }
        }
    }

    pub fn add_message(&mut self, mut message: StoredMessage, rng: &mut StdRng) {
        let history_id = self.next_history_id(rng);
        message.history_id = history_id;
        self.history.push(HistoryRecord {
            id: history_id,
            at: message.internal_date,
            message_id: message.id.clone(),
            thread_id: message.thread_id.clone(),
            change: HistoryChange::MessageAdded,
        });
        self.messages.insert(message.id.clone(), message);
    }

    /// Applies a label change and records it in history; returns the message.
    pub fn modify_labels(
        &mut self,
        id: &str,
        add: &[String],
        remove: &[String],
        at: DateTime<Utc>,
        rng: &mut StdRng,
    ) -> Option<&StoredMessage> {
        let message = self.messages.get(id)?;
        let added: Vec<String> =
            add.iter().filter(|l| !message.label_ids.contains(l)).cloned().collect();
        let removed: Vec<String> = remove
            .iter()
            .filter(|l| message.label_ids.contains(l) && !add.contains(l))
            .cloned()
            .collect();
        let thread_id = message.thread_id.clone();
        for (label_ids, change) in [
            (added.clone(), HistoryChange::LabelsAdded { label_ids: added }),
            (removed.clone(), HistoryChange::LabelsRemoved { label_ids: removed }),
        ] {
            if label_ids.is_empty() {
                continue;
            }
            let history_id = self.next_history_id(rng);
            let message = self.messages.get_mut(id)?;
            if matches!(change, HistoryChange::LabelsAdded { .. }) {
                message.label_ids.extend(label_ids);
            } else {
                message.label_ids.retain(|l| !label_ids.contains(l));
            }
            message.history_id = history_id;
            self.history.push(HistoryRecord {
                id: history_id,
                at,
                message_id: id.to_owned(),
                thread_id: thread_id.clone(),
                change,
            });
        }
        self.messages.get(id)
    }

    /// Forgets history older than `cutoff`; starting a sync from before it then answers 404.
    pub fn prune_history(&mut self, cutoff: DateTime<Utc>) {
        let keep_from = self.history.partition_point(|r| r.at < cutoff);
        if keep_from > 0 {
            self.history_floor = self.history[keep_from - 1].id;
            self.history.drain(..keep_from);
        }
    }

    pub fn label_exists(&self, id: &str) -> bool {
        SYSTEM_LABELS.contains(&id) || self.user_labels.iter().any(|l| l.id == id)
    }

    pub fn label_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.user_labels.iter().find(|l| l.id == id).map_or(id, |l| l.name.as_str())
    }

    pub fn create_label(
        &mut self,
        name: &str,
        label_list_visibility: &str,
        message_list_visibility: &str,
    ) -> Result<&UserLabel, LabelError> {
        let name = name.trim();
        let lower = name.to_lowercase();
        if name.is_empty()
            || RESERVED_LABEL_NAMES.contains(&lower.as_str())
            || SYSTEM_LABELS.iter().any(|s| s.eq_ignore_ascii_case(name))
        {
            return Err(LabelError::Invalid);
        }
        if self.user_labels.iter().any(|l| l.name.to_lowercase() == lower) {
            return Err(LabelError::Exists);
        }
        let id = format!("Label_{}", self.next_label_number);
        self.next_label_number += 1;
        self.user_labels.push(UserLabel {
            id,
            name: name.to_owned(),
            label_list_visibility: label_list_visibility.to_owned(),
            message_list_visibility: message_list_visibility.to_owned(),
        });
        self.user_labels.last().ok_or(LabelError::Invalid)
    }

    /// All labels as `labels.list` shows them.
    pub fn labels(&self) -> Vec<Label> {
        let system = SYSTEM_LABELS.iter().map(|id| Label {
            id: (*id).to_owned(),
            name: (*id).to_owned(),
            label_type: Some(LabelType::System),
            ..Label::default()
        });
        let user = self.user_labels.iter().map(|l| Label {
            id: l.id.clone(),
            name: l.name.clone(),
            label_type: Some(LabelType::User),
            label_list_visibility: Some(l.label_list_visibility.clone()),
            message_list_visibility: Some(l.message_list_visibility.clone()),
            ..Label::default()
        });
        system.chain(user).collect()
    }

    /// A user label with its counts (what `labels.create` returns).
    pub fn label_with_counts(&self, label: &UserLabel) -> Label {
        let with_label: Vec<&StoredMessage> =
            self.messages.values().filter(|m| m.label_ids.contains(&label.id)).collect();
        let unread = |m: &&&StoredMessage| m.label_ids.iter().any(|l| l == "UNREAD");
        let mut threads: Vec<&str> = with_label.iter().map(|m| m.thread_id.as_str()).collect();
        threads.sort_unstable();
        threads.dedup();
        let mut unread_threads: Vec<&str> =
            with_label.iter().filter(unread).map(|m| m.thread_id.as_str()).collect();
        unread_threads.sort_unstable();
        unread_threads.dedup();
        Label {
            id: label.id.clone(),
            name: label.name.clone(),
            label_type: Some(LabelType::User),
            label_list_visibility: Some(label.label_list_visibility.clone()),
            message_list_visibility: Some(label.message_list_visibility.clone()),
            messages_total: Some(count(with_label.len())),
            messages_unread: Some(count(with_label.iter().filter(unread).count())),
            threads_total: Some(count(threads.len())),
            threads_unread: Some(count(unread_threads.len())),
        }
    }

    pub fn thread_count(&self) -> u32 {
        let mut threads: Vec<&str> = self.messages.values().map(|m| m.thread_id.as_str()).collect();
        threads.sort_unstable();
        threads.dedup();
        count(threads.len())
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Raw messages are stored as base64 in snapshots (a JSON array of numbers is 4x larger).
pub(super) mod raw_bytes {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use crate::gmail::base64url;

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64url::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        base64url::decode(&String::deserialize(deserializer)?).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn mailbox() -> (Mailbox, StdRng) {
        let mut rng = StdRng::seed_from_u64(7);
        (Mailbox::new("Ada@Sandbox.Outreach.Test", MailboxKind::Gmail, &mut rng), rng)
    }

    fn message(id: &str, at: DateTime<Utc>) -> StoredMessage {
        StoredMessage {
            id: id.to_owned(),
            thread_id: id.to_owned(),
            label_ids: vec!["INBOX".into(), "UNREAD".into()],
            raw: b"Subject: x\r\n\r\nbody".to_vec(),
            internal_date: at,
            history_id: 0,
            facts: MessageFacts::default(),
        }
    }

    #[test]
    fn labels_refuse_reserved_names_and_case_duplicates() {
        let (mut mb, _) = mailbox();
        assert_eq!(mb.address, "ada@sandbox.outreach.test");
        assert_eq!(mb.create_label("Outreach/Sent", "labelShow", "show").unwrap().id, "Label_1");
        assert_eq!(
            mb.create_label("outreach/sent", "labelShow", "show").err(),
            Some(LabelError::Exists)
        );
        for reserved in ["INBOX", "Trash", "drafts", "Muted", " "] {
            assert_eq!(
                mb.create_label(reserved, "labelShow", "show").err(),
                Some(LabelError::Invalid)
            );
        }
        assert!(
            mb.label_exists("Label_1") && mb.label_exists("UNREAD") && !mb.label_exists("Label_2")
        );
    }

    #[test]
    fn history_ids_grow_with_gaps_and_record_label_changes() {
        let (mut mb, mut rng) = mailbox();
        let t0: DateTime<Utc> = "2026-01-05T09:00:00Z".parse().unwrap();
        let start = mb.history_id;
        mb.add_message(message("a", t0), &mut rng);
        let after_add = mb.history_id;
        assert!(after_add > start);
        mb.modify_labels("a", &["STARRED".into()], &["UNREAD".into()], t0, &mut rng).unwrap();
        assert_eq!(mb.history.len(), 3);
        assert_eq!(mb.messages["a"].label_ids, vec!["INBOX", "STARRED"]);
        assert_eq!(mb.messages["a"].history_id, mb.history_id);
        // Adding a label the message already has changes nothing.
        mb.modify_labels("a", &["INBOX".into()], &[], t0, &mut rng).unwrap();
        assert_eq!(mb.history.len(), 3);
    }

    #[test]
    fn pruning_moves_the_floor() {
        let (mut mb, mut rng) = mailbox();
        let t0: DateTime<Utc> = "2026-01-05T09:00:00Z".parse().unwrap();
        mb.add_message(message("a", t0), &mut rng);
        let first = mb.history_id;
        mb.add_message(message("b", t0 + chrono::TimeDelta::days(3)), &mut rng);
        mb.prune_history(t0 + chrono::TimeDelta::days(1));
        assert_eq!(mb.history_floor, first);
        assert_eq!(mb.history.len(), 1);
    }
}
