//! Per-account sync of replies and bounces: `history.list` (messageAdded) from the stored
//! history id, every page followed; a bounded full resync through `messages.list` when Gmail
//! answers 404 for an old id (or none is stored yet). Only new inbound messages are fetched
//! (not those we sent, not those already processed), so a sync costs 2 units plus 5 per new
//! message (plus 5 per label applied), however many leads the account has mailed. The new
//! history id is stored only after the whole batch is processed.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::SecretString;
use sqlx::PgPool;
use uuid::Uuid;

use super::classify::classify;
use super::inbound::{self, Mailbox, Received};
use super::labels::{self, gmail_error};
use crate::crypto::SecretKey;
use crate::error::{Error, Result};
use crate::gmail::{
    GmailClient, GmailError, HistoryQuery, HistoryType, ListQuery, MessageFormat, MessageRef,
};
use crate::google::Google;
use crate::model::LeadStatus;
use crate::senders::{self, TokenError};

/// How long one instance may hold an account's sync before another may take over: a sync
/// takes seconds, and after a crash the account's replies (and the check before each of its
/// follow-ups) wait until the lease runs out.
const SYNC_LEASE: TimeDelta = TimeDelta::seconds(60);
/// A full resync lists at most this many pages of 500 messages.
const RESYNC_MAX_PAGES: usize = 10;
/// Accounts that sent nothing for this long are no longer synced in the background.
const QUIET_AFTER: TimeDelta = TimeDelta::days(30);
/// How long the check before a follow-up waits for another instance's sync of the account.
const FOLLOW_UP_WAIT: Duration = Duration::from_secs(3);
/// New messages fetched per sync (5 units each): a mailbox with a flood of new mail is worked
/// through over several syncs instead of exhausting the per-minute quota in one.
const MAX_FETCHED_PER_SYNC: usize = 200;

/// What one sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Not synced: tracking is off, the account cannot be used, or another sync runs.
    pub skipped: bool,
    /// Gmail had forgotten the stored history id (or there was none): messages were listed.
    pub full_resync: bool,
    /// New inbound messages fetched and classified.
    pub inbound: u32,
    /// More new messages wait than one sync fetches: the next sync goes on from the same
    /// history id (what was processed is not fetched again).
    pub more: bool,
}

/// Reply tracking needs the modify scope and a usable account.
pub async fn tracking_enabled(pool: &PgPool, team_id: Uuid, sender_id: Uuid) -> Result<bool> {
    let row = sqlx::query!(
        "SELECT granted_scopes, status FROM sender_accounts WHERE team_id = $1 AND id = $2",
        team_id,
        sender_id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.is_some_and(|row| {
        senders::tracking_allowed(&row.granted_scopes)
            && !matches!(row.status.as_str(), "disconnected" | "needs_reauth")
    }))
}

/// Syncs accounts: in the background every `OUTREACH_SYNC_INTERVAL_SECS`, or one on demand.
#[derive(Clone)]
pub struct Syncer {
    pool: PgPool,
    key: Arc<SecretKey>,
    google: Google,
}

impl Syncer {
    pub fn new(pool: PgPool, key: Arc<SecretKey>, google: Google) -> Self {
        Self { pool, key, google }
    }

    /// Syncs every account until `stop` turns true.
    pub async fn run(self, every: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
        tracing::info!(every_secs = every.as_secs(), "reply and bounce sync started");
        loop {
            if let Err(error) = self.pass().await {
                tracing::warn!(%error, "reply sync pass failed; trying again later");
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                break;
            }
        }
        tracing::info!("reply and bounce sync stopped");
    }

    /// One sync of every account that mailed someone in the last 30 days.
    pub async fn pass(&self) -> Result<u32> {
        let since = self.google.oauth.now() - QUIET_AFTER;
        let accounts = sqlx::query!(
            "SELECT s.team_id, s.id FROM sender_accounts s
             WHERE s.status NOT IN ('disconnected', 'needs_reauth')
               AND EXISTS (SELECT 1 FROM outbox_messages m
                           WHERE m.sender_id = s.id AND m.status = 'sent' AND m.sent_at > $1)
             ORDER BY s.id",
            since
        )
        .fetch_all(&self.pool)
        .await?;
        let mut synced = 0;
        for account in accounts {
            match self.sync_account(account.team_id, account.id).await {
                Ok(report) if !report.skipped => synced += 1,
                Ok(_) => {}
                Err(error) => tracing::warn!(sender_id = %account.id, %error, "reply sync failed"),
            }
        }
        Ok(synced)
    }

    /// Syncs one account now (skipped when tracking is off or another instance syncs it).
    pub async fn sync_account(&self, team_id: Uuid, sender_id: Uuid) -> Result<SyncReport> {
        if !tracking_enabled(&self.pool, team_id, sender_id).await? {
            return Ok(SyncReport { skipped: true, ..SyncReport::default() });
        }
        let oauth = &self.google.oauth;
        let token =
            match senders::access_token(&self.pool, &self.key, oauth, team_id, sender_id).await {
                Ok(token) => token,
                Err(TokenError::NeedsReauth { reason }) => {
                    self.needs_reauth(team_id, sender_id, &reason).await?;
                    return Ok(SyncReport { skipped: true, ..SyncReport::default() });
                }
                Err(error) => return Err(Error::internal(error)),
            };
        let client = self.google.quota.client(&self.google.gmail, team_id, sender_id);
        let now = oauth.now();
        if !take_lease(&self.pool, team_id, sender_id, now).await? {
            return Ok(SyncReport { skipped: true, ..SyncReport::default() });
        }
        let mut result = sync_leased(&self.pool, &client, &token, team_id, sender_id).await;
        if matches!(result, Err(Error::Unauthenticated)) {
            // Google refused the access token before its time: one refresh, one more try.
            let fresh = senders::access_token_after_rejection(
                &self.pool, &self.key, oauth, team_id, sender_id, &token,
            )
            .await;
            result = match fresh {
                Ok(fresh) => sync_leased(&self.pool, &client, &fresh, team_id, sender_id).await,
                Err(TokenError::NeedsReauth { reason }) => {
                    self.needs_reauth(team_id, sender_id, &reason).await?;
                    Err(Error::internal(format!("the account must be reconnected: {reason}")))
                }
                Err(error) => Err(Error::internal(error)),
            };
        }
        release_lease(&self.pool, team_id, sender_id, now, result.as_ref().err()).await?;
        result
    }

    /// Google refused the account's grant: it waits for an admin to reconnect it.
    async fn needs_reauth(&self, team_id: Uuid, sender_id: Uuid, reason: &str) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        senders::mark_needs_reauth(&mut conn, team_id, sender_id, reason).await?;
        Ok(())
    }
}

/// Right before a follow-up goes out: syncs the account (so a reply that arrived a moment
/// ago is seen), then says why the lead must not get it, if it must not. When the sync cannot
/// run — Gmail fails, or another sync of the account still holds it after a short wait — the
/// error is returned and the follow-up must wait: unchecked, it could go to someone who
/// replied.
pub async fn before_follow_up(
    pool: &PgPool,
    client: &GmailClient,
    token: &SecretString,
    team_id: Uuid,
    sender_id: Uuid,
    lead_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    if tracking_enabled(pool, team_id, sender_id).await? {
        let started = tokio::time::Instant::now();
        let mut leased = take_lease(pool, team_id, sender_id, now).await?;
        while !leased && started.elapsed() < FOLLOW_UP_WAIT {
            tokio::time::sleep(Duration::from_millis(100)).await;
            leased = take_lease(pool, team_id, sender_id, now).await?;
        }
        if !leased {
            return Err(Error::Conflict("another sync of the account is still running".into()));
        }
        let result = sync_leased(pool, client, token, team_id, sender_id).await;
        release_lease(pool, team_id, sender_id, now, result.as_ref().err()).await?;
        result?;
    }
    let lead = sqlx::query!(
        r#"SELECT l.status AS "status: LeadStatus", c.stop_on_auto_reply
           FROM leads l JOIN campaigns c ON c.id = l.campaign_id WHERE l.team_id = $1 AND l.id = $2"#,
        team_id,
        lead_id
    )
    .fetch_one(pool)
    .await?;
    Ok(lead
        .status
        .stops_sequence(lead.stop_on_auto_reply)
        .then(|| format!("not sent: the lead is {}", lead.status.as_str())))
}

async fn take_lease(
    pool: &PgPool,
    team_id: Uuid,
    sender_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool> {
    let taken = sqlx::query!(
        "UPDATE sender_accounts SET sync_lease_until = $3
         WHERE team_id = $1 AND id = $2 AND (sync_lease_until IS NULL OR sync_lease_until <= $4)",
        team_id,
        sender_id,
        now + SYNC_LEASE,
        now
    )
    .execute(pool)
    .await?;
    Ok(taken.rows_affected() == 1)
}

async fn release_lease(
    pool: &PgPool,
    team_id: Uuid,
    sender_id: Uuid,
    now: DateTime<Utc>,
    error: Option<&Error>,
) -> Result<()> {
    sqlx::query!(
        "UPDATE sender_accounts SET sync_lease_until = NULL, last_synced_at = $3, sync_error = $4
         WHERE team_id = $1 AND id = $2",
        team_id,
        sender_id,
        now,
        error.map(ToString::to_string)
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The sync itself; the caller holds the account's sync lease.
async fn sync_leased(
    pool: &PgPool,
    client: &GmailClient,
    token: &SecretString,
    team_id: Uuid,
    sender_id: Uuid,
) -> Result<SyncReport> {
    let account = sqlx::query!(
        "SELECT email, history_id FROM sender_accounts WHERE team_id = $1 AND id = $2",
        team_id,
        sender_id
    )
    .fetch_one(pool)
    .await?;
    let mailbox = Mailbox { team_id, sender_id, email: account.email };
    let label_ids = labels::ensure(pool, client, token, team_id, sender_id).await?;
    let start = account.history_id.as_deref().and_then(|id| id.parse::<u64>().ok());
    let mut report = SyncReport::default();
    let incremental = match start {
        Some(start) => {
            let query = HistoryQuery {
                history_types: vec![HistoryType::MessageAdded],
                max_results: Some(500),
                ..HistoryQuery::since(start)
            };
            match client.history_since(token, &query).await {
                Ok(history) => {
                    let added = history
                        .records
                        .into_iter()
                        .flat_map(|record| record.messages_added)
                        .map(|added| added.message)
                        .filter(|m| !m.has_label("SENT") && !m.has_label("DRAFT"))
                        .map(|m| MessageRef { id: m.id, thread_id: m.thread_id })
                        .collect();
                    Some((added, history.history_id))
                }
                Err(GmailError::NotFound) => None,
                Err(error) => return Err(gmail_error(error)),
            }
        }
        None => None,
    };
    let (candidates, history_id) = match incremental {
        Some(found) => found,
        None => {
            report.full_resync = true;
            full_resync(pool, client, token, &mailbox).await?
        }
    };
    let mut candidates = unseen(pool, sender_id, candidates).await?;
    report.more = candidates.len() > MAX_FETCHED_PER_SYNC;
    candidates.truncate(MAX_FETCHED_PER_SYNC);
    for candidate in candidates {
        let message = match client.get_message(token, &candidate.id, MessageFormat::Raw, &[]).await
        {
            Ok(message) => message,
            // Deleted since it was listed: nothing to read.
            Err(GmailError::NotFound) => continue,
            Err(error) => return Err(gmail_error(error)),
        };
        let ours = message.has_label("SENT") || message.has_label("DRAFT");
        let raw = message.raw_bytes().and_then(|raw| raw.ok());
        let classified = raw.as_deref().filter(|_| !ours).and_then(classify);
        let at = message
            .internal_date
            .and_then(|ms| DateTime::<Utc>::from_timestamp_millis(i64::try_from(ms).ok()?))
            .unwrap_or_else(Utc::now);
        let received = Received { gmail_id: message.id, thread_id: message.thread_id, at };
        report.inbound += 1;
        let label = inbound::process(pool, &mailbox, &received, classified.as_ref()).await?;
        if let Some(label) = label
            && let Err(error) =
                labels::apply(client, token, &label_ids, &received.gmail_id, label).await
        {
            tracing::warn!(%sender_id, %error, "could not label an inbound message");
        }
    }
    if report.more {
        return Ok(report);
    }
    sqlx::query!(
        "UPDATE sender_accounts SET history_id = $3 WHERE team_id = $1 AND id = $2",
        team_id,
        sender_id,
        history_id.to_string()
    )
    .execute(pool)
    .await?;
    Ok(report)
}

/// Lists the inbound mail since the earliest start of the account's campaigns (bounded), and
/// the history id to continue from.
async fn full_resync(
    pool: &PgPool,
    client: &GmailClient,
    token: &SecretString,
    mailbox: &Mailbox,
) -> Result<(Vec<MessageRef>, u64)> {
    // Taken first: whatever arrives while listing is in the history after it (and processed
    // once, as the processed messages are recorded).
    let profile = client.get_profile(token).await.map_err(gmail_error)?;
    let earliest = sqlx::query_scalar!(
        "SELECT min(c.started_at) FROM campaigns c JOIN campaign_senders cs ON cs.campaign_id = c.id
         WHERE c.team_id = $1 AND cs.sender_account_id = $2 AND c.started_at IS NOT NULL
           AND c.status IN ('running', 'paused', 'completed')",
        mailbox.team_id,
        mailbox.sender_id
    )
    .fetch_one(pool)
    .await?;
    let Some(earliest) = earliest else { return Ok((Vec::new(), profile.history_id)) };
    let mut query = ListQuery {
        max_results: Some(500),
        ..ListQuery::search(format!("after:{} -in:sent", earliest.timestamp() - 60))
    };
    let mut found = Vec::new();
    for _ in 0..RESYNC_MAX_PAGES {
        let page = client.list_messages(token, &query).await.map_err(gmail_error)?;
        found.extend(page.messages);
        match page.next_page_token {
            Some(next) => query.page_token = Some(next),
            None => break,
        }
    }
    // Oldest first, so events land on the timeline in order.
    found.reverse();
    Ok((found, profile.history_id))
}

/// The candidates that are neither messages we sent nor already processed, in order.
async fn unseen(
    pool: &PgPool,
    sender_id: Uuid,
    candidates: Vec<MessageRef>,
) -> Result<Vec<MessageRef>> {
    if candidates.is_empty() {
        return Ok(candidates);
    }
    let ids: Vec<String> = candidates.iter().map(|c| c.id.clone()).collect();
    let known: std::collections::HashSet<String> = sqlx::query_scalar!(
        r#"SELECT gmail_message_id AS "id!" FROM outbox_messages WHERE sender_id = $1 AND gmail_message_id = ANY($2)
           UNION SELECT gmail_message_id FROM inbound_messages WHERE sender_id = $1 AND gmail_message_id = ANY($2)"#,
        sender_id,
        &ids
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    let mut seen = std::collections::HashSet::new();
    Ok(candidates
        .into_iter()
        .filter(|c| !known.contains(&c.id) && seen.insert(c.id.clone()))
        .collect())
}
