//! The simulator's whole state behind its one lock, and the operations that change it:
//! mailboxes, sending (with Gmail's edits, threading, the daily cap and delivery to the
//! outside world), inbound mail, and scheduled reactions materialized lazily from the clock.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::api_error::ApiError;
use super::auth::AuthStore;
use super::config::{MailboxKind, SimConfig};
use super::faults::{Faults, InjectedFailure};
use super::limits::{SendAdmission, Usage, admit_send};
use super::mailbox::{Mailbox, StoredMessage, raw_bytes};
use super::recipients::{Reaction, base_address, reaction_for};
use super::rfc822::{self, MessageFacts, RecipientProblem};
use super::synthetic_mail::{self, DsnKind, Original};
use super::threading::{ThreadRule, choose_thread};

/// What happened to a message on its way to one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    Delivered,
    /// Rejected by the recipient's server (a `+bounce` address).
    Bounced,
    /// Temporarily refused (a `+softbounce` address).
    Delayed,
}

/// One message as it reached (or bounced at) one recipient: "the outside world's inbox".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub seq: u64,
    pub recipient: String,
    pub sender: String,
    /// The message's id in the sender's mailbox.
    pub gmail_message_id: String,
    /// The Message-ID header as delivered (Gmail may have rewritten it), without brackets.
    pub message_id: Option<String>,
    pub subject: String,
    pub at: DateTime<Utc>,
    pub outcome: DeliveryOutcome,
    /// Exactly the bytes the recipient got (Bcc removed).
    #[serde(with = "raw_bytes")]
    pub raw: Vec<u8>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScheduledEvent {
    pub due: DateTime<Utc>,
    pub seq: u64,
    pub reaction: Reaction,
    pub original: Original,
}

/// Everything a snapshot keeps.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SimData {
    pub mailboxes: BTreeMap<String, Mailbox>,
    pub auth: AuthStore,
    pub deliveries: Vec<Delivery>,
    /// Due reactions, kept sorted by (due, seq).
    pub events: Vec<ScheduledEvent>,
    /// How far the simulator has been fast-forwarded, in milliseconds.
    pub offset_ms: i64,
    pub global_faults: Faults,
    pub next_seq: u64,
    /// Mixed into the RNG seed so ids drawn after a restart do not repeat earlier ones.
    pub restarts: u64,
}

/// Why a mailbox cannot be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailboxError {
    #[error("'{0}' is not a valid email address")]
    InvalidAddress(String),
    #[error("a mailbox for '{0}' already exists")]
    Exists(String),
    #[error("no mailbox for '{0}'")]
    Unknown(String),
}

pub struct World {
    pub data: SimData,
    pub usage: Usage,
    pub rng: StdRng,
}

impl World {
    pub fn new(config: &SimConfig, data: Option<SimData>) -> Self {
        let restored = data.is_some();
        let mut data = data.unwrap_or_default();
        if restored {
            data.restarts += 1;
        }
        let rng =
            StdRng::seed_from_u64(config.seed ^ data.restarts.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut world = Self { data, usage: Usage::default(), rng };
        if !restored {
            for (address, kind) in &config.default_mailboxes {
                // Defaults come from configuration; a bad one is skipped, not fatal.
                if let Err(error) = world.create_mailbox(address, *kind) {
                    tracing::warn!(%error, "sandbox: default mailbox skipped");
                }
            }
        }
        world
    }

    /// The simulator's "now": the configured clock plus any fast-forward.
    pub fn now(&self, config: &SimConfig) -> DateTime<Utc> {
        config.clock.now() + TimeDelta::milliseconds(self.data.offset_ms)
    }

    fn next_seq(&mut self) -> u64 {
        self.data.next_seq += 1;
        self.data.next_seq
    }

    /// Brings the world up to `now`: due reactions arrive, old history and tokens go.
    pub fn tick(&mut self, config: &SimConfig) {
        let now = self.now(config);
        while self.data.events.first().is_some_and(|e| e.due <= now) {
            let event = self.data.events.remove(0);
            self.materialize(event);
        }
        let cutoff = now - config.history_retention;
        for mailbox in self.data.mailboxes.values_mut() {
            mailbox.prune_history(cutoff);
        }
        self.data.auth.prune(now);
    }

    pub fn create_mailbox(
        &mut self,
        address: &str,
        kind: MailboxKind,
    ) -> Result<&Mailbox, MailboxError> {
        let address = address.trim().to_ascii_lowercase();
        if !rfc822::is_valid_address(&address) || address.contains('+') {
            return Err(MailboxError::InvalidAddress(address));
        }
        if self.data.mailboxes.contains_key(&address) {
            return Err(MailboxError::Exists(address));
        }
        let mailbox = Mailbox::new(&address, kind, &mut self.rng);
        Ok(self.data.mailboxes.entry(address).or_insert(mailbox))
    }

    pub fn mailbox(&self, address: &str) -> Result<&Mailbox, MailboxError> {
        let address = address.to_ascii_lowercase();
        self.data.mailboxes.get(&address).ok_or(MailboxError::Unknown(address))
    }

    pub fn mailbox_mut(&mut self, address: &str) -> Result<&mut Mailbox, MailboxError> {
        let address = address.to_ascii_lowercase();
        self.data.mailboxes.get_mut(&address).ok_or(MailboxError::Unknown(address))
    }

    /// Rolls the pre-request fault dice for a mailbox; returns the failure, if any, and the
    /// latency to add.
    pub fn roll_faults_before(&mut self, address: &str) -> (Option<InjectedFailure>, u64) {
        let faults = match self.data.mailboxes.get_mut(address).and_then(|m| m.faults.as_mut()) {
            Some(faults) => faults,
            None => &mut self.data.global_faults,
        };
        (faults.roll_before(&mut self.rng), faults.latency_ms)
    }

    /// Whether a committed send should still report a server error.
    pub fn roll_fault_after_commit(&mut self, address: &str) -> Option<InjectedFailure> {
        let faults = match self.data.mailboxes.get(address).and_then(|m| m.faults.as_ref()) {
            Some(faults) => faults,
            None => &self.data.global_faults,
        };
        faults.roll_after_commit(&mut self.rng)
    }

    /// `messages.send` after authentication: validates like Gmail, applies Gmail's edits,
    /// enforces the daily cap, files the message in the sender's mailbox and delivers it.
    pub fn send(
        &mut self,
        config: &SimConfig,
        sender: &str,
        raw: &[u8],
        thread_id: Option<&str>,
    ) -> Result<StoredMessage, ApiError> {
        let now = self.now(config);
        let facts = rfc822::parse_facts(raw)
            .ok_or_else(|| ApiError::invalid_argument("Invalid RFC822 payload"))?;
        match rfc822::check_recipients(raw, &facts) {
            Err(RecipientProblem::Missing) => {
                return Err(ApiError::invalid_argument("Recipient address required"));
            }
            Err(RecipientProblem::Invalid) => {
                return Err(ApiError::invalid_argument("Invalid To header"));
            }
            Ok(()) => {}
        }
        let faults = self.data.mailboxes.get(sender).and_then(|m| m.faults.as_ref());
        let rewrite = faults.unwrap_or(&self.data.global_faults).rewrite_message_id;
        let raw = self.gmail_edits(sender, raw, rewrite, now);
        let facts = rfc822::parse_facts(&raw).unwrap_or(facts);

        let mailbox = self.data.mailboxes.get_mut(sender).ok_or_else(ApiError::not_found)?;
        let cap = config.daily_caps.for_kind(mailbox.kind);
        let admission = admit_send(mailbox, cap, config.over_cap_accepted_sends, now);
        if let SendAdmission::Refuse { retry_at } = admission {
            return Err(ApiError::sending_limit(retry_at));
        }

        let recipients = facts.recipients();
        let mut label_ids = vec!["SENT".to_owned()];
        if recipients.iter().any(|r| base_address(r) == sender) {
            label_ids.extend(["INBOX".to_owned(), "UNREAD".to_owned()]);
        }
        let stored = self.file_message(
            sender,
            raw.clone(),
            facts.clone(),
            ThreadRule::Requested(thread_id),
            label_ids,
            now,
        )?;

        match admission {
            SendAdmission::Deliver => {
                if let Some(mailbox) = self.data.mailboxes.get_mut(sender) {
                    mailbox.sent_log.push_back(now);
                }
                let delivered = rfc822::remove_header(&raw, "Bcc");
                for recipient in recipients {
                    self.deliver_outward(config, sender, &stored, &delivered, &recipient);
                }
            }
            SendAdmission::AcceptThenBounce => {
                let original = original_of(sender, "", &facts, &raw, now);
                self.schedule(
                    now + config.limit_bounce_delay,
                    Reaction::SendingLimitBounce,
                    original,
                );
            }
            SendAdmission::Refuse { .. } => {}
        }
        Ok(stored)
    }

    /// What Gmail adds or changes on mail it sends: a From if missing, its own Message-ID
    /// (when missing, or when the mailbox rewrites ids), a Date if missing.
    fn gmail_edits(
        &mut self,
        sender: &str,
        raw: &[u8],
        rewrite_message_id: bool,
        now: DateTime<Utc>,
    ) -> Vec<u8> {
        let mut raw = raw.to_vec();
        if !rfc822::has_header(&raw, "From") {
            raw = rfc822::set_header(&raw, "From", sender);
        }
        if rewrite_message_id || !rfc822::has_header(&raw, "Message-ID") {
            let id = format!("<CA+sbx{}@mail.gmail.com>", self.random_token(12));
            raw = rfc822::set_header(&raw, "Message-ID", &id);
        }
        if !rfc822::has_header(&raw, "Date") {
            raw = rfc822::set_header(&raw, "Date", &now.to_rfc2822());
        }
        raw
    }

    pub fn random_token(&mut self, bytes: usize) -> String {
        (0..bytes).map(|_| format!("{:02x}", self.rng.r#gen::<u8>())).collect()
    }

    /// Stores a message in a mailbox, in the thread `rule` picks.
    fn file_message(
        &mut self,
        address: &str,
        raw: Vec<u8>,
        facts: MessageFacts,
        rule: ThreadRule<'_>,
        label_ids: Vec<String>,
        at: DateTime<Utc>,
    ) -> Result<StoredMessage, ApiError> {
        let mailbox = self.data.mailboxes.get_mut(address).ok_or_else(ApiError::not_found)?;
        let existing = mailbox.messages.values().map(|m| (m.thread_id.as_str(), &m.facts));
        let thread = choose_thread(&facts, rule, existing);
        let id = mailbox.new_message_id(at, &mut self.rng);
        let message = StoredMessage {
            thread_id: thread.unwrap_or_else(|| id.clone()),
            id: id.clone(),
            label_ids,
            raw,
            internal_date: at,
            history_id: 0,
            facts,
        };
        mailbox.add_message(message, &mut self.rng);
        mailbox.messages.get(&id).cloned().ok_or_else(ApiError::backend_error)
    }

    /// Mail arriving in a sandbox mailbox from outside; threads by headers and subject.
    pub fn receive(
        &mut self,
        address: &str,
        raw: Vec<u8>,
        at: DateTime<Utc>,
    ) -> Result<StoredMessage, ApiError> {
        let facts = rfc822::parse_facts(&raw).unwrap_or_default();
        let labels = vec!["INBOX".to_owned(), "UNREAD".to_owned()];
        self.file_message(address, raw, facts, ThreadRule::ByHeaders, labels, at)
    }

    /// Hands a sent message to one recipient of the outside world (and to a sandbox mailbox
    /// if the address is one), and schedules the recipient's reaction.
    fn deliver_outward(
        &mut self,
        config: &SimConfig,
        sender: &str,
        sent: &StoredMessage,
        delivered: &[u8],
        recipient: &str,
    ) {
        let (facts, now) = (&sent.facts, sent.internal_date);
        let reaction = reaction_for(recipient);
        let outcome = match reaction {
            Some(Reaction::HardBounce) => DeliveryOutcome::Bounced,
            Some(Reaction::SoftBounce) => DeliveryOutcome::Delayed,
            _ => DeliveryOutcome::Delivered,
        };
        let seq = self.next_seq();
        self.data.deliveries.push(Delivery {
            seq,
            recipient: recipient.to_owned(),
            sender: sender.to_owned(),
            gmail_message_id: sent.id.clone(),
            message_id: facts.message_id.clone(),
            subject: facts.subject.clone(),
            at: now,
            outcome,
            raw: delivered.to_vec(),
        });
        let local_mailbox = base_address(recipient);
        let is_local = local_mailbox != sender && self.data.mailboxes.contains_key(&local_mailbox);
        if outcome == DeliveryOutcome::Delivered
            && is_local
            && let Err(error) = self.receive(&local_mailbox, delivered.to_vec(), now)
        {
            tracing::warn!(status = %error.status(), "sandbox: local delivery failed");
        }
        if let Some(reaction) = reaction {
            let original = original_of(sender, recipient, facts, delivered, now);
            self.schedule(now + config.reaction_delay, reaction, original);
        }
    }

    fn schedule(&mut self, due: DateTime<Utc>, reaction: Reaction, original: Original) {
        let seq = self.next_seq();
        let event = ScheduledEvent { due, seq, reaction, original };
        let at = self.data.events.partition_point(|e| (e.due, e.seq) <= (due, seq));
        self.data.events.insert(at, event);
    }

    /// Turns a due reaction into mail in the sender's mailbox, dated when it was due.
    fn materialize(&mut self, event: ScheduledEvent) {
        let original = &event.original;
        let at = event.due;
        let domain =
            original.recipient.rsplit_once('@').map_or("example.com", |(_, d)| d).to_owned();
        let token = self.random_token(10);
        let built = match event.reaction {
            Reaction::Answer(kind) => {
                synthetic_mail::answer(original, kind, &format!("{token}@{domain}"), at)
            }
            Reaction::HardBounce => {
                synthetic_mail::delivery_status(original, DsnKind::Failure, &token, at)
            }
            Reaction::SoftBounce => {
                synthetic_mail::delivery_status(original, DsnKind::Delay, &token, at)
            }
            Reaction::SendingLimitBounce => {
                synthetic_mail::sending_limit_bounce(&original.sender, &token, at)
            }
        };
        let result = built.map_err(|e| e.to_string()).and_then(|raw| {
            self.receive(&original.sender, raw, at).map(|_| ()).map_err(|e| e.status().to_string())
        });
        if let Err(error) = result {
            tracing::warn!(%error, "sandbox: a simulated reaction could not be delivered");
        }
    }
}

fn original_of(
    sender: &str,
    recipient: &str,
    facts: &MessageFacts,
    raw: &[u8],
    at: DateTime<Utc>,
) -> Original {
    Original {
        sender: sender.to_owned(),
        recipient: recipient.to_owned(),
        subject: facts.subject.clone(),
        message_id: facts.message_id.clone(),
        references: facts.references.clone(),
        sent_at: at,
        raw: raw.to_vec(),
        text: facts.text.clone(),
    }
}
