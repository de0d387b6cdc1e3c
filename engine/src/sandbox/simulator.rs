//! The `Simulator` handle: owns the state, serves the router, and offers every control
//! operation as a Rust method for in-process tests.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use super::api_error::ApiError;
use super::auth::{Grant, TokenResponse};
use super::config::{MailboxKind, SimConfig};
use super::faults::{Faults, InjectedFailure};
use super::limits::sent_last_24h;
use super::mailbox::{Mailbox, StoredMessage};
use super::upload::UPLOAD_LIMIT;
use super::world::{Delivery, MailboxError, World};
use super::{control, gmail_routes, oauth_routes, snapshot, synthetic_mail};
use crate::gmail::GmailMethod;

/// A running Gmail simulator. Cheap to clone; all clones share one state.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimConfig,
    world: Mutex<World>,
    /// Bumped on every state access; compared with `saved` to skip needless writes.
    version: AtomicU64,
    saved: AtomicU64,
    changed: Arc<Notify>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Err(error) = self.save() {
            tracing::warn!(%error, "sandbox: could not save the snapshot on shutdown");
        }
        self.changed.notify_one();
    }
}

impl Inner {
    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        // A panic while holding the lock leaves consistent-enough data for a simulator.
        self.world.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes the snapshot if configured and anything changed since the last write.
    fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.config.snapshot_path else {
            return Ok(());
        };
        let version = self.version.load(Ordering::SeqCst);
        if self.saved.load(Ordering::SeqCst) == version {
            return Ok(());
        }
        let bytes = serde_json::to_vec(&self.world().data)?;
        snapshot::write_atomically(path, &bytes)?;
        self.saved.store(version, Ordering::SeqCst);
        Ok(())
    }
}

/// A mailbox at a glance (control API).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailboxSummary {
    pub address: String,
    pub kind: MailboxKind,
    pub messages: usize,
    pub threads: u32,
    pub history_id: u64,
    pub sent_last_24h: usize,
    pub daily_cap: u32,
    pub faults: Option<Faults>,
}

/// A stored message for people and tests (control API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: String,
    pub thread_id: String,
    pub label_ids: Vec<String>,
    pub internal_date: DateTime<Utc>,
    pub history_id: u64,
    pub from: Vec<String>,
    pub to: Vec<String>,
    pub subject: String,
    pub message_id: Option<String>,
    /// The message as text (lossy for 8-bit content).
    pub raw: String,
}

impl MessageView {
    fn of(message: &StoredMessage) -> Self {
        Self {
            id: message.id.clone(),
            thread_id: message.thread_id.clone(),
            label_ids: message.label_ids.clone(),
            internal_date: message.internal_date,
            history_id: message.history_id,
            from: message.facts.from.iter().map(|a| a.email.clone()).collect(),
            to: message.facts.recipients(),
            subject: message.facts.subject.clone(),
            message_id: message.facts.message_id.clone(),
            raw: String::from_utf8_lossy(&message.raw).into_owned(),
        }
    }
}

/// Mail to drop into a mailbox as if it came from outside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Inbound {
    /// A whole RFC 822 message.
    Raw { raw: String },
    Simple {
        from: String,
        subject: String,
        body: String,
        #[serde(default)]
        in_reply_to: Option<String>,
    },
}

/// One Gmail API call that passed authentication and limits; holds its concurrency slot.
pub(crate) struct Call {
    pub mailbox: String,
    _slot: Slot,
}

struct Slot {
    sim: Simulator,
    mailbox: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.sim.inner.world().usage.release_slot(&self.mailbox);
    }
}

impl Simulator {
    /// A simulator with `config`, restored from its snapshot file if there is one.
    pub fn new(config: SimConfig) -> Self {
        let data = config.snapshot_path.as_deref().and_then(snapshot::load);
        let world = World::new(&config, data);
        let changed = Arc::new(Notify::new());
        let sim = Self {
            inner: Arc::new(Inner {
                config,
                world: Mutex::new(world),
                version: AtomicU64::new(1),
                saved: AtomicU64::new(0),
                changed: changed.clone(),
            }),
        };
        if sim.inner.config.snapshot_path.is_some() {
            spawn_saver(Arc::downgrade(&sim.inner), changed);
        }
        sim
    }

    /// Serves a new simulator on `127.0.0.1:<random port>`; returns it with its base URL
    /// (e.g. `http://127.0.0.1:41234`, the root of every route).
    pub async fn spawn(config: SimConfig) -> std::io::Result<(Simulator, String)> {
        let sim = Simulator::new(config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let router = sim.router();
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!(%error, "sandbox: the simulator stopped serving");
            }
        });
        Ok((sim, base_url))
    }

    /// Every route, relative to the simulator's root: nest it anywhere.
    pub fn router(&self) -> Router {
        Router::new()
            .merge(gmail_routes::routes())
            .merge(oauth_routes::routes())
            .merge(control::routes())
            .layer(DefaultBodyLimit::max(UPLOAD_LIMIT + 64 * 1024))
            .with_state(self.clone())
    }

    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// Runs `f` on the state brought up to date (due reactions delivered).
    pub(crate) fn with_world<R>(&self, f: impl FnOnce(&mut World, &SimConfig) -> R) -> R {
        let config = &self.inner.config;
        let result = {
            let mut world = self.inner.world();
            world.tick(config);
            f(&mut world, config)
        };
        self.inner.version.fetch_add(1, Ordering::SeqCst);
        self.inner.changed.notify_one();
        result
    }

    /// Authenticates a Gmail API call and applies scopes, faults and limits (GMAIL_API.md
    /// order: credentials, then permission, then quota).
    pub(crate) async fn begin_call(
        &self,
        token: Option<&str>,
        user_id: &str,
        method: GmailMethod,
    ) -> Result<Call, ApiError> {
        let (mailbox, latency_ms) = self.with_world(|world, config| {
            let now = world.now(config);
            let grant = token
                .and_then(|t| world.data.auth.authenticate(t, now))
                .filter(|g| world.data.mailboxes.contains_key(&g.mailbox))
                .ok_or_else(ApiError::unauthenticated)?;
            let mailbox = grant.mailbox.clone();
            if user_id != crate::gmail::ME && !user_id.eq_ignore_ascii_case(&mailbox) {
                return Err(ApiError::delegation_denied(user_id));
            }
            if !scope_allows(&grant.scopes, method) {
                return Err(ApiError::insufficient_scope(method));
            }
            let (failure, latency_ms) = world.roll_faults_before(&mailbox);
            if let Some(failure) = failure {
                return Err(failure_error(failure));
            }
            if !world.usage.try_acquire_slot(&mailbox, config.max_concurrent_requests) {
                return Err(ApiError::too_many_concurrent());
            }
            if !world.usage.try_spend(&mailbox, method, now, config.quota_per_minute) {
                world.usage.release_slot(&mailbox);
                return Err(ApiError::minute_quota_exceeded());
            }
            Ok((mailbox, latency_ms))
        })?;
        let call = Call { mailbox: mailbox.clone(), _slot: Slot { sim: self.clone(), mailbox } };
        if latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(latency_ms)).await;
        }
        Ok(call)
    }

    /// The simulator's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.with_world(|world, config| world.now(config))
    }

    /// Fast-forwards the simulator's clock; due reactions arrive at once.
    pub fn advance(&self, by: TimeDelta) -> DateTime<Utc> {
        self.with_world(|world, _| world.data.offset_ms += by.num_milliseconds());
        self.now()
    }

    /// Lets a sending day pass for the daily caps only: every send counts as a day older, so
    /// each mailbox has a fresh day's allowance (the clock, tokens and history stay put). For
    /// long tests that compress days into minutes.
    pub fn let_sending_day_pass(&self) {
        self.with_world(|world, _| {
            for mailbox in world.data.mailboxes.values_mut() {
                mailbox.sent_log.iter_mut().for_each(|at| *at -= TimeDelta::days(1));
            }
        });
    }

    /// Every access and refresh token that is valid now (tests look for them in logs).
    pub fn tokens_in_force(&self) -> Vec<String> {
        self.with_world(|world, _| world.data.auth.tokens())
    }

    pub fn create_mailbox(
        &self,
        address: &str,
        kind: MailboxKind,
    ) -> Result<MailboxSummary, MailboxError> {
        self.with_world(|world, config| {
            let now = world.now(config);
            world.create_mailbox(address, kind).map(|m| summary(m, config, now))
        })
    }

    pub fn mailboxes(&self) -> Vec<MailboxSummary> {
        self.with_world(|world, config| {
            let now = world.now(config);
            world.data.mailboxes.values().map(|m| summary(m, config, now)).collect()
        })
    }

    /// Sets the faults of one mailbox, or the global ones with `None`.
    pub fn set_faults(&self, mailbox: Option<&str>, faults: Faults) -> Result<(), MailboxError> {
        self.with_world(|world, _| {
            match mailbox {
                Some(address) => world.mailbox_mut(address)?.faults = Some(faults),
                None => world.data.global_faults = faults,
            }
            Ok(())
        })
    }

    /// The mailbox follows the global faults again.
    pub fn clear_faults(&self, mailbox: &str) -> Result<(), MailboxError> {
        self.with_world(|world, _| {
            world.mailbox_mut(mailbox)?.faults = None;
            Ok(())
        })
    }

    /// Drops a message into a mailbox as if it arrived from outside.
    pub fn inject(&self, mailbox: &str, inbound: Inbound) -> Result<MessageView, MailboxError> {
        self.with_world(|world, config| {
            let address = world.mailbox(mailbox)?.address.clone();
            let now = world.now(config);
            let raw = match inbound {
                Inbound::Raw { raw } => raw.into_bytes(),
                Inbound::Simple { from, subject, body, in_reply_to } => {
                    let domain = from.rsplit_once('@').map_or("example.com", |(_, d)| d).to_owned();
                    let message_id = format!("{}@{domain}", world.random_token(10));
                    synthetic_mail::simple_message(
                        &from,
                        &address,
                        &subject,
                        &body,
                        in_reply_to.as_deref(),
                        &message_id,
                        now,
                    )
                    .map_err(|_| MailboxError::Unknown(address.clone()))?
                }
            };
            world
                .receive(&address, raw, now)
                .map(|m| MessageView::of(&m))
                .map_err(|_| MailboxError::Unknown(address))
        })
    }

    /// Revokes every token of a mailbox (as when the user removes the app's access).
    pub fn revoke_tokens(&self, mailbox: &str) -> Result<usize, MailboxError> {
        self.with_world(|world, _| {
            let address = world.mailbox(mailbox)?.address.clone();
            Ok(world.data.auth.revoke_mailbox(&address))
        })
    }

    /// Tokens for a mailbox without the consent page (for tests and scripts), issued to the
    /// first configured OAuth client.
    pub fn grant_tokens(
        &self,
        mailbox: &str,
        scopes: &[&str],
    ) -> Result<TokenResponse, MailboxError> {
        self.with_world(|world, config| {
            let address = world.mailbox(mailbox)?.address.clone();
            let client =
                config.oauth_clients.first().map(|c| c.client_id.clone()).unwrap_or_default();
            let grant = Grant {
                mailbox: address,
                client_id: client,
                scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            };
            let now = world.now(config);
            Ok(world.data.auth.grant_directly(
                grant,
                now,
                config.access_token_lifetime,
                &mut world.rng,
            ))
        })
    }

    /// What the outside world received, in order; only `recipient`'s mail when given
    /// (case-insensitive).
    pub fn deliveries(&self, recipient: Option<&str>) -> Vec<Delivery> {
        self.with_world(|world, _| {
            world
                .data
                .deliveries
                .iter()
                .filter(|d| recipient.is_none_or(|r| d.recipient.eq_ignore_ascii_case(r)))
                .cloned()
                .collect()
        })
    }

    /// A mailbox's messages, oldest first.
    pub fn messages(&self, mailbox: &str) -> Result<Vec<MessageView>, MailboxError> {
        self.with_world(|world, _| {
            let mut messages: Vec<&StoredMessage> =
                world.mailbox(mailbox)?.messages.values().collect();
            messages.sort_by(|a, b| (a.internal_date, &a.id).cmp(&(b.internal_date, &b.id)));
            Ok(messages.into_iter().map(MessageView::of).collect())
        })
    }

    /// Quota units spent per method by a mailbox since the last reset.
    pub fn quota_units(&self, mailbox: &str) -> BTreeMap<GmailMethod, u64> {
        self.with_world(|world, _| world.usage.units(&mailbox.to_ascii_lowercase()))
    }

    pub fn all_quota_units(&self) -> BTreeMap<String, BTreeMap<GmailMethod, u64>> {
        self.with_world(|world, _| world.usage.all_units().clone())
    }

    /// Forgets quota units and per-minute windows.
    pub fn reset_counters(&self) {
        self.with_world(|world, _| world.usage.reset());
    }

    /// Writes the snapshot now (call on shutdown; also happens when the last handle drops).
    pub fn flush(&self) -> std::io::Result<()> {
        self.inner.save()
    }
}

/// Saves ~1 s after changes, until the simulator is gone.
fn spawn_saver(inner: Weak<Inner>, changed: Arc<Notify>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::info!("sandbox: no async runtime; the snapshot is written on flush and drop only");
        return;
    };
    runtime.spawn(async move {
        loop {
            changed.notified().await;
            tokio::time::sleep(Duration::from_secs(1)).await;
            let Some(inner) = inner.upgrade() else {
                return;
            };
            if let Err(error) = inner.save() {
                tracing::warn!(%error, "sandbox: could not save the snapshot");
            }
        }
    });
}

fn summary(mailbox: &Mailbox, config: &SimConfig, now: DateTime<Utc>) -> MailboxSummary {
    MailboxSummary {
        address: mailbox.address.clone(),
        kind: mailbox.kind,
        messages: mailbox.messages.len(),
        threads: mailbox.thread_count(),
        history_id: mailbox.history_id,
        sent_last_24h: sent_last_24h(mailbox, now),
        daily_cap: config.daily_caps.for_kind(mailbox.kind),
        faults: mailbox.faults.clone(),
    }
}

pub(crate) fn failure_error(failure: InjectedFailure) -> ApiError {
    match failure {
        InjectedFailure::Burst429 => ApiError::rate_limit_burst(),
        InjectedFailure::BackendError => ApiError::backend_error(),
        InjectedFailure::Unavailable => ApiError::unavailable(),
    }
}

const MAIL: &str = "https://mail.google.com/";
const MODIFY: &str = "https://www.googleapis.com/auth/gmail.modify";
const READONLY: &str = "https://www.googleapis.com/auth/gmail.readonly";
const COMPOSE: &str = "https://www.googleapis.com/auth/gmail.compose";
const SEND: &str = "https://www.googleapis.com/auth/gmail.send";
const LABELS: &str = "https://www.googleapis.com/auth/gmail.labels";

/// Which scopes let a token call a method (the discovery document's lists; the metadata-only
/// scope is not modelled, so it grants nothing here).
fn scope_allows(granted: &[String], method: GmailMethod) -> bool {
    let allowed: &[&str] = match method {
        GmailMethod::MessagesSend => &[MAIL, MODIFY, COMPOSE, SEND],
        GmailMethod::MessagesModify => &[MAIL, MODIFY],
        GmailMethod::LabelsCreate => &[MAIL, MODIFY, LABELS],
        GmailMethod::LabelsList => &[MAIL, MODIFY, READONLY, LABELS],
        GmailMethod::MessagesList
        | GmailMethod::MessagesGet
        | GmailMethod::HistoryList
        | GmailMethod::GetProfile
        | GmailMethod::ThreadsGet
        | GmailMethod::ThreadsList => &[MAIL, MODIFY, READONLY, COMPOSE],
    };
    granted.iter().any(|g| allowed.contains(&g.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_only_tokens_can_send_and_nothing_else() {
        let send_only = vec![SEND.to_owned(), "email".to_owned()];
        assert!(scope_allows(&send_only, GmailMethod::MessagesSend));
        for method in GmailMethod::ALL.into_iter().filter(|m| *m != GmailMethod::MessagesSend) {
            assert!(!scope_allows(&send_only, method), "{method}");
        }
        let modify = vec![MODIFY.to_owned()];
        assert!(GmailMethod::ALL.into_iter().all(|m| scope_allows(&modify, m)));
    }
}
