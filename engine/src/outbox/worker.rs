//! The sending worker. Each pass drives every account that has work: it takes the account's
//! lease (one instance per account at a time), checks `ambiguous` messages in the mailbox,
//! then claims and sends due messages one by one within the account's cap, pacing and the
//! campaigns' sending windows.
//!
//! Exactly-once: a message is claimed (`sending`, attempt number, Message-ID and bytes fixed,
//! a cap slot reserved) in a committed transaction *before* Gmail is called, and the result is
//! committed right after. A crash between the two leaves it `sending`; whoever next takes the
//! account's lease turns it `ambiguous`, and an ambiguous message is looked for in the
//! mailbox (by Message-ID, then by `X-Outreach-Id` among recent sent mail) before it may be
//! sent again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use futures::StreamExt;
use secrecy::SecretString;
use sqlx::{PgConnection, PgPool};
use url::Url;
use uuid::Uuid;

use crate::compose::{parse_steps, render_step};
use crate::crypto::SecretKey;
use crate::email_address::EmailAddress;
use crate::error::{Error, Result};
use crate::gmail::{GmailClient, GmailError, ListQuery, MessageFormat};
use crate::google::Google;
use crate::mime::{OutgoingMessage, build_message, new_message_id};
use crate::model::{Lead, LeadStatus};
use crate::scheduling::{DaySet, Pace, SendingWindow, next_send_time, retry_delay};
use crate::senders::{self, SendAllowance, TokenError};
use crate::unsubscribe;

/// How often the worker looks for running campaigns with nothing left to send (busy passes
/// follow each other every 50 ms; the sweep need not).
const COMPLETION_SWEEP: Duration = Duration::from_secs(1);

/// How often the label and Message-ID read-back after a send are tried, and how much later
/// each new try comes (one minute after the first failure, two after the second, …).
const AFTER_SEND_TRIES: i16 = 5;
const AFTER_SEND_BACKOFF: TimeDelta = TimeDelta::minutes(1);

/// How the worker paces itself; the defaults suit production, tests shorten them.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Pause between passes when nothing was due.
    pub tick: Duration,
    /// How long an account's lease lasts without renewal (longer than one Gmail call).
    pub lease: Duration,
    /// How long after an uncertain attempt the mailbox is searched for it (Gmail's search
    /// index needs a moment).
    pub ambiguous_check_delay: Duration,
    /// Sends per account per pass, so one busy account does not hold up the pass.
    pub max_sends_per_pass: u32,
    /// Accounts driven at once.
    pub concurrency: usize,
    /// Gaps between an account's sends and the day's allowance spread over the window
    /// (`OUTREACH_PACING`); off only for load tests and demos.
    pub pacing: bool,
}

impl WorkerSettings {
    pub fn from_config(config: &crate::config::OutboxConfig) -> Self {
        Self {
            lease: config.lease,
            ambiguous_check_delay: config.ambiguous_check_delay,
            pacing: config.pacing,
            ..Self::default()
        }
    }
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            tick: Duration::from_secs(1),
            lease: Duration::from_secs(60),
            ambiguous_check_delay: Duration::from_secs(60),
            max_sends_per_pass: 20,
            concurrency: 8,
            pacing: true,
        }
    }
}

/// One instance's sender. Cheap to clone.
#[derive(Clone)]
pub struct Worker {
    pool: PgPool,
    key: Arc<SecretKey>,
    google: Google,
    base_url: Url,
    settings: WorkerSettings,
    /// This instance's identity in `sender_leases`.
    owner: Uuid,
    /// Set when the app shuts down: no new claims, in-flight sends finish and are recorded.
    stopping: Arc<AtomicBool>,
}

/// What one pass did (for tests and logs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    pub accounts: u32,
    pub sent: u32,
    pub retried: u32,
    pub failed: u32,
    pub ambiguous: u32,
    pub resolved: u32,
    /// Follow-ups withdrawn at the last moment (the sync right before found a reply).
    pub cancelled: u32,
}

impl std::ops::AddAssign for PassReport {
    fn add_assign(&mut self, other: Self) {
        self.accounts += other.accounts;
        self.sent += other.sent;
        self.retried += other.retried;
        self.failed += other.failed;
        self.ambiguous += other.ambiguous;
        self.resolved += other.resolved;
        self.cancelled += other.cancelled;
    }
}

/// A message claimed for one attempt.
struct Claim {
    id: Uuid,
    lead_id: Uuid,
    step: i32,
    attempt: i32,
    raw: Vec<u8>,
    thread_id: Option<String>,
    campaign: CampaignPace,
}

/// What the worker needs of a campaign to pace sends.
#[derive(Debug, Clone)]
struct CampaignPace {
    id: Uuid,
    window: SendingWindow,
    pace: Pace,
}

enum Outcome {
    Sent {
        gmail_id: String,
        thread_id: String,
    },
    /// Certainly not sent; try again at `at`.
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    Failed(String),
    Ambiguous(String),
    /// Certainly not sent: Gmail's daily limit; the account rests until `until`.
    DailyLimit {
        until: DateTime<Utc>,
        error: String,
    },
    /// Certainly not sent: the account must be reconnected by an admin.
    NeedsReauth(String),
    /// Not sent: the lead replied (or opted out, bounced) since the follow-up was claimed.
    Cancelled(String),
}

impl Worker {
    pub fn new(
        pool: PgPool,
        key: Arc<SecretKey>,
        google: Google,
        base_url: Url,
        settings: WorkerSettings,
    ) -> Self {
        Self {
            pool,
            key,
            google,
            base_url,
            settings,
            owner: Uuid::new_v4(),
            stopping: Arc::default(),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.google.oauth.now()
    }

    /// Runs passes until `stop` turns true, completing the campaigns with nothing left to
    /// send every [`COMPLETION_SWEEP`], then releases this instance's leases so another
    /// instance can take over at once.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        tracing::info!(owner = %self.owner, "outbox worker started");
        let stopping = Arc::clone(&self.stopping);
        let mut watcher = stop.clone();
        tokio::spawn(async move {
            while watcher.changed().await.is_ok() && !*watcher.borrow() {}
            stopping.store(true, Ordering::SeqCst);
        });
        let mut last_sweep = Instant::now();
        loop {
            let busy = match self.pass().await {
                Ok(report) => report.sent + report.retried + report.resolved > 0,
                Err(error) => {
                    tracing::warn!(%error, "outbox pass failed; trying again shortly");
                    false
                }
            };
            if last_sweep.elapsed() >= COMPLETION_SWEEP {
                last_sweep = Instant::now();
                if let Err(error) =
                    crate::campaigns::completion::complete_finished(&self.pool, self.now()).await
                {
                    tracing::warn!(%error, "could not complete the finished campaigns");
                }
            }
            let pause = if busy { Duration::from_millis(50) } else { self.settings.tick };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stop.changed() => break,
            }
            if *stop.borrow() {
                break;
            }
        }
        if let Err(error) = self.release_leases().await {
            tracing::warn!(%error, "could not release the outbox leases");
        }
        tracing::info!("outbox worker stopped");
    }

    /// One pass over every account with work.
    pub async fn pass(&self) -> Result<PassReport> {
        let accounts = sqlx::query!(
            "SELECT s.team_id, s.id FROM sender_accounts s
             WHERE s.status <> 'disconnected' AND (
                 EXISTS (SELECT 1 FROM campaign_senders cs JOIN campaigns c ON c.id = cs.campaign_id
                         WHERE cs.sender_account_id = s.id AND c.status = 'running')
                 OR EXISTS (SELECT 1 FROM outbox_messages m
                            WHERE m.sender_id = s.id AND m.status IN ('sending', 'ambiguous'))
                 OR EXISTS (SELECT 1 FROM outbox_messages m
                            WHERE m.sender_id = s.id AND m.after_send_at IS NOT NULL))
             ORDER BY s.id"
        )
        .fetch_all(&self.pool)
        .await?;
        let reports: Vec<Result<PassReport>> = futures::stream::iter(accounts)
            .map(|account| self.drive_account(account.team_id, account.id))
            .buffer_unordered(self.settings.concurrency.max(1))
            .collect()
            .await;
        let mut total = PassReport::default();
        for report in reports {
            match report {
                Ok(report) => total += report,
                Err(error) => tracing::warn!(%error, "driving a sender account failed"),
            }
        }
        Ok(total)
    }

    async fn drive_account(&self, team_id: Uuid, sender_id: Uuid) -> Result<PassReport> {
        let mut report = PassReport::default();
        if !self.take_lease(sender_id).await? {
            return Ok(report);
        }
        report.accounts = 1;
        let client = self.google.quota.client(&self.google.gmail, team_id, sender_id);
        if !self.check_ambiguous(&client, team_id, sender_id, &mut report).await? {
            return Ok(report);
        }
        self.finish_after_sends(&client, team_id, sender_id).await?;
        for _ in 0..self.settings.max_sends_per_pass {
            if self.stopping.load(Ordering::SeqCst) {
                break;
            }
            let now = self.now();
            if self.next_send_at(sender_id).await?.is_some_and(|next| next > now) {
                break;
            }
            let Some(claim) = self.claim(team_id, sender_id, now).await? else { break };
            let outcome = self.attempt(&client, team_id, sender_id, &claim).await;
            let sent = matches!(outcome, Outcome::Sent { .. });
            let keep_going = self.record(team_id, sender_id, &claim, outcome, &mut report).await?;
            if sent {
                self.after_sent(&client, team_id, sender_id, claim.id).await;
            }
            if !keep_going {
                break;
            }
        }
        Ok(report)
    }

    /// Takes or renews the account's lease. Taking it over from another owner (whose lease
    /// expired: it crashed or stalled) turns that owner's in-flight messages `ambiguous`.
    async fn take_lease(&self, sender_id: Uuid) -> Result<bool> {
        let now = self.now();
        let expires = now + TimeDelta::from_std(self.settings.lease).map_err(Error::internal)?;
        let mut tx = self.pool.begin().await?;
        // One statement, so two instances racing for a free or expired lease cannot both win:
        // the loser's conditional update sees the winner's row and changes nothing.
        let taken = sqlx::query!(
            r#"WITH previous AS (SELECT owner FROM sender_leases WHERE sender_id = $1)
               INSERT INTO sender_leases (sender_id, owner, expires_at) VALUES ($1, $2, $3)
               ON CONFLICT (sender_id) DO UPDATE SET owner = $2, expires_at = $3
                   WHERE sender_leases.owner = $2 OR sender_leases.expires_at <= $4
               RETURNING (SELECT owner FROM previous) AS previous_owner"#,
            sender_id,
            self.owner,
            expires,
            now
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(taken) = taken else { return Ok(false) };
        let taking_over = taken.previous_owner != Some(self.owner);
        if taking_over {
            let check_at = now
                + TimeDelta::from_std(self.settings.ambiguous_check_delay)
                    .map_err(Error::internal)?;
            let orphaned = sqlx::query!(
                "UPDATE outbox_messages SET status = 'ambiguous', send_at = $2, updated_at = now(),
                        last_error = 'the app stopped during this attempt; checking the mailbox before any retry'
                 WHERE sender_id = $1 AND status = 'sending'",
                sender_id,
                check_at
            )
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if orphaned > 0 {
                tracing::warn!(%sender_id, orphaned, "found attempts interrupted by a crash: they will be checked");
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn release_leases(&self) -> Result<()> {
        sqlx::query!(
            "DELETE FROM sender_leases WHERE owner = $1
               AND NOT EXISTS (SELECT 1 FROM outbox_messages m WHERE m.sender_id = sender_leases.sender_id AND m.status = 'sending')",
            self.owner
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn next_send_at(&self, sender_id: Uuid) -> Result<Option<DateTime<Utc>>> {
        Ok(sqlx::query_scalar!(
            "SELECT next_send_at FROM sender_leases WHERE sender_id = $1",
            sender_id
        )
        .fetch_optional(&self.pool)
        .await?
        .flatten())
    }

    /// The running campaigns this account sends for whose sending window is open now.
    async fn open_campaigns(
        &self,
        conn: &mut PgConnection,
        sender_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<CampaignPace>> {
        let rows = sqlx::query!(
            "SELECT c.id, c.time_zone, c.send_days, c.start_hour, c.end_hour, c.min_gap_seconds, c.max_gap_seconds
             FROM campaigns c JOIN campaign_senders cs ON cs.campaign_id = c.id
             WHERE cs.sender_account_id = $1 AND c.status = 'running'",
            sender_id
        )
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let window = SendingWindow::from_stored(
                    &row.time_zone,
                    &row.send_days,
                    row.start_hour,
                    row.end_hour,
                )?;
                let pace = Pace {
                    min_gap: TimeDelta::seconds(i64::from(row.min_gap_seconds)),
                    max_gap: TimeDelta::seconds(i64::from(row.max_gap_seconds)),
                };
                Some(CampaignPace { id: row.id, window, pace })
            })
            .filter(|campaign| campaign.window.is_open(now))
            .collect())
    }

    /// Claims the next due message for the account (its own follow-ups and retries first,
    /// then unassigned first steps), after checking, in the same transaction, that the account
    /// may send, the campaign runs and is in its window, and the lead may still be mailed.
    async fn claim(
        &self,
        team_id: Uuid,
        sender_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<Claim>> {
        let mut tx = self.pool.begin().await?;
        match senders::send_allowance(&mut tx, team_id, sender_id, now).await? {
            SendAllowance::Available { .. } => {}
            _ => return Ok(None),
        }
        let open = self.open_campaigns(&mut tx, sender_id, now).await?;
        if open.is_empty() {
            return Ok(None);
        }
        let open_ids: Vec<Uuid> = open.iter().map(|c| c.id).collect();
        loop {
            let Some(Candidate { id, campaign_id, lead_id, step_number: step, raw, attempts }) =
                next_candidate(&mut tx, sender_id, now, &open_ids).await?
            else {
                // Keeps what was decided about the candidates skipped on the way (a rollback
                // would leave them to be skipped again on every pass, never cancelled).
                tx.commit().await?;
                return Ok(None);
            };
            let campaign = open
                .iter()
                .find(|c| c.id == campaign_id)
                .cloned()
                .ok_or(Error::NotFound("campaign"))?;
            let lead = lock_lead(&mut tx, lead_id).await?;
            if let Some(reason) = self.ineligible(&mut tx, team_id, campaign_id, &lead).await? {
                skip(&mut tx, id, lead_id, &reason).await?;
                crate::events::notify(&mut *tx, team_id).await?;
                continue;
            }
            let raw = match raw {
                Some(raw) => raw,
                None => {
                    match self.compose(&mut tx, team_id, sender_id, id, &lead, step, now).await? {
                        Ok(composed) => composed,
                        Err(problem) => {
                            fail_lead(&mut tx, id, lead_id, &problem).await?;
                            crate::events::notify(&mut *tx, team_id).await?;
                            continue;
                        }
                    }
                }
            };
            let thread_id = if step > 1 { thread_of(&mut tx, lead_id).await? } else { None };
            sqlx::query!(
                "UPDATE outbox_messages SET status = 'sending', attempts = attempts + 1, attempt_started_at = $2,
                        sender_id = $3, raw = $4, updated_at = now()
                 WHERE id = $1",
                id,
                now,
                sender_id,
                &raw
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "UPDATE leads SET sender_id = $2 WHERE id = $1 AND sender_id IS NULL",
                lead_id,
                sender_id
            )
            .execute(&mut *tx)
            .await?;
            senders::record_send(&mut *tx, team_id, sender_id, now, Some(id)).await?;
            tx.commit().await?;
            return Ok(Some(Claim {
                id,
                lead_id,
                step,
                attempt: attempts + 1,
                raw,
                thread_id,
                campaign,
            }));
        }
    }

    /// Why the lead must not get this message now, if it must not.
    async fn ineligible(
        &self,
        tx: &mut PgConnection,
        team_id: Uuid,
        campaign_id: Uuid,
        lead: &LeadRow,
    ) -> Result<Option<String>> {
        let stop_on_auto_reply = sqlx::query_scalar!(
            "SELECT stop_on_auto_reply FROM campaigns WHERE id = $1",
            campaign_id
        )
        .fetch_one(&mut *tx)
        .await?;
        if lead.status.stops_sequence(stop_on_auto_reply) {
            return Ok(Some(format!("not sent: the lead is {}", lead.status.as_str())));
        }
        let email = EmailAddress::parse(&lead.email).map_err(Error::internal)?;
        if crate::suppression::is_suppressed(&mut *tx, team_id, &email).await? {
            sqlx::query!(
                "UPDATE leads SET status = 'suppressed', updated_at = now() WHERE id = $1",
                lead.id
            )
            .execute(&mut *tx)
            .await?;
            return Ok(Some(
                "not sent: the address or its domain is on the suppression list".into(),
            ));
        }
        Ok(None)
    }

    /// Renders the step for the lead and builds the message with a new Message-ID (stored with
    /// the claim, so every attempt sends the same bytes). `Err` is a problem of the lead's data.
    #[allow(clippy::too_many_arguments)]
    async fn compose(
        &self,
        tx: &mut PgConnection,
        team_id: Uuid,
        sender_id: Uuid,
        message_uuid: Uuid,
        lead: &LeadRow,
        step: i32,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<Vec<u8>, String>> {
        let steps = sqlx::query_as!(
            crate::model::Step,
            r#"SELECT subject, body, html_body AS html, delay_days FROM campaign_steps
               WHERE campaign_id = (SELECT campaign_id FROM leads WHERE id = $1) ORDER BY step_number"#,
            lead.id
        )
        .fetch_all(&mut *tx)
        .await?;
        let parsed = parse_steps(&steps).map_err(|errors| Error::internal(&errors[0]))?;
        let full = lead.to_lead();
        let Some(rendered) = render_step(&parsed, u32::try_from(step).unwrap_or(0), &full) else {
            return Ok(Err(format!("the campaign has no step {step}")));
        };
        if let Some((part, problem)) = rendered.problems.first() {
            return Ok(Err(format!("step {step} {part}: {problem}")));
        }
        let sender = sqlx::query!(
            "SELECT s.email, s.display_name, t.postal_address FROM sender_accounts s JOIN teams t ON t.id = s.team_id
             WHERE s.team_id = $1 AND s.id = $2",
            team_id,
            sender_id
        )
        .fetch_one(&mut *tx)
        .await?;
        let from = EmailAddress::parse(&sender.email).map_err(Error::internal)?;
        let to = EmailAddress::parse(&lead.email).map_err(Error::internal)?;
        let (in_reply_to, references) = if step > 1 {
            // The ids the recipient got: Gmail's when it replaced ours.
            let earlier = sqlx::query_scalar!(
                r#"SELECT COALESCE(delivered_message_id, message_id) AS "message_id!" FROM outbox_messages
                   WHERE lead_id = $1 AND step_number < $2 AND status = 'sent' AND message_id IS NOT NULL
                   ORDER BY step_number"#,
                lead.id,
                step
            )
            .fetch_all(&mut *tx)
            .await?;
            (earlier.last().cloned(), earlier)
        } else {
            (None, Vec::new())
        };
        let message_id = new_message_id(from.domain());
        let token = unsubscribe::token(&self.key, lead.id, &lead.email);
        let outgoing = OutgoingMessage {
            from_name: sender.display_name,
            from: from.clone(),
            to_name: Some(lead.first_name.clone()).filter(|n| !n.is_empty()),
            to,
            subject: rendered.subject.clone(),
            text_body: rendered.text_body,
            html_body: rendered.html_body,
            date: now,
            message_id: message_id.clone(),
            outreach_id: message_uuid,
            in_reply_to,
            references,
            unsubscribe_url: unsubscribe::url(&self.base_url, &token),
            unsubscribe_mailto: unsubscribe::mailto(from.as_str()),
            postal_address: sender.postal_address,
        };
        let built = match build_message(&outgoing) {
            Ok(built) => built,
            Err(error) => return Ok(Err(error.to_string())),
        };
        sqlx::query!(
            "UPDATE outbox_messages SET message_id = $2, subject = $3 WHERE id = $1",
            message_uuid,
            message_id,
            rendered.subject
        )
        .execute(&mut *tx)
        .await?;
        Ok(Ok(built.bytes))
    }

    /// The Gmail call, with one token refresh after a 401.
    async fn attempt(
        &self,
        client: &GmailClient,
        team_id: Uuid,
        sender_id: Uuid,
        claim: &Claim,
    ) -> Outcome {
        let now = self.now();
        let token = match self.token(team_id, sender_id, None).await {
            Ok(token) => token,
            Err(outcome) => return outcome,
        };
        if claim.step > 1 {
            match self.check_before_follow_up(client, team_id, sender_id, claim, &token, now).await
            {
                Ok(Some(reason)) => return Outcome::Cancelled(reason),
                Ok(None) => {}
                Err(outcome) => return outcome,
            }
        }
        let mut result = client.send(&token, &claim.raw, claim.thread_id.as_deref()).await;
        if matches!(result, Err(GmailError::Unauthorized)) {
            match self.token(team_id, sender_id, Some(&token)).await {
                Ok(fresh) => {
                    result = client.send(&fresh, &claim.raw, claim.thread_id.as_deref()).await
                }
                Err(outcome) => return outcome,
            }
        }
        match result {
            Ok(message) => {
                Outcome::Sent { thread_id: message.thread_id.clone(), gmail_id: message.id }
            }
            Err(error) => self.classify(error, claim.attempt, now),
        }
    }

    /// The reply check before a follow-up, with one token refresh if Google refused the token.
    /// When it cannot be done the follow-up waits (with backoff) instead of going out unchecked.
    async fn check_before_follow_up(
        &self,
        client: &GmailClient,
        team_id: Uuid,
        sender_id: Uuid,
        claim: &Claim,
        token: &SecretString,
        now: DateTime<Utc>,
    ) -> std::result::Result<Option<String>, Outcome> {
        let (pool, lead_id) = (&self.pool, claim.lead_id);
        let check = crate::tracking::sync::before_follow_up;
        let mut result = check(pool, client, token, team_id, sender_id, lead_id, now).await;
        if matches!(result, Err(Error::Unauthenticated)) {
            let fresh = self.token(team_id, sender_id, Some(token)).await?;
            result = check(pool, client, &fresh, team_id, sender_id, lead_id, now).await;
        }
        result.map_err(|error| {
            tracing::warn!(%sender_id, %error, "the reply check before a follow-up failed; it waits");
            Outcome::Retry {
                at: retry_at(claim.attempt, None, now),
                error: format!("waiting for the reply check before this follow-up: {error}"),
            }
        })
    }

    fn classify(&self, error: GmailError, attempt: i32, now: DateTime<Utc>) -> Outcome {
        let text = error.to_string();
        let backoff = |hint: Option<Duration>| retry_at(attempt, hint, now);
        match error {
            GmailError::DailyLimit { retry_at } => {
                Outcome::DailyLimit { until: retry_at, error: text }
            }
            GmailError::RateLimited { retry_after } => {
                Outcome::Retry { at: backoff(retry_after), error: text }
            }
            GmailError::NeedsReauth { .. } | GmailError::Unauthorized => Outcome::NeedsReauth(text),
            GmailError::InvalidRequest { .. } | GmailError::PayloadTooLarge => {
                Outcome::Failed(text)
            }
            GmailError::Ambiguous { .. } => Outcome::Ambiguous(text),
            GmailError::Transient { .. } | GmailError::NotFound | GmailError::Conflict { .. } => {
                Outcome::Retry { at: backoff(None), error: text }
            }
        }
    }

    /// An access token, or what the failure to get one means for the message.
    async fn token(
        &self,
        team_id: Uuid,
        sender_id: Uuid,
        rejected: Option<&SecretString>,
    ) -> std::result::Result<SecretString, Outcome> {
        let oauth = &self.google.oauth;
        let result = match rejected {
            None => senders::access_token(&self.pool, &self.key, oauth, team_id, sender_id).await,
            Some(rejected) => {
                senders::access_token_after_rejection(
                    &self.pool, &self.key, oauth, team_id, sender_id, rejected,
                )
                .await
            }
        };
        let now = self.now();
        result.map_err(|error| match error {
            TokenError::NeedsReauth { reason } => {
                Outcome::NeedsReauth(format!("the account must be reconnected: {reason}"))
            }
            other => Outcome::Retry { at: now + TimeDelta::seconds(30), error: other.to_string() },
        })
    }

    /// Sets when the account may send next: a random gap within the campaign's range,
    /// stretched so the rest of the day's allowance is spread over the sending window.
    async fn pace(
        &self,
        conn: &mut PgConnection,
        team_id: Uuid,
        sender_id: Uuid,
        claim: &Claim,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let remaining = match senders::send_allowance(&mut *conn, team_id, sender_id, now).await? {
            SendAllowance::Available { remaining } => remaining,
            _ => 0,
        };
        let gap = claim.campaign.pace.draw_gap(&mut rand::thread_rng());
        let next = next_send_time(now, Some(now), gap, &claim.campaign.window, remaining)
            .unwrap_or(now + gap);
        sqlx::query!(
            "UPDATE sender_leases SET next_send_at = $2 WHERE sender_id = $1",
            sender_id,
            next
        )
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Commits the attempt's outcome. Returns whether the account may go on sending this pass.
    async fn record(
        &self,
        team_id: Uuid,
        sender_id: Uuid,
        claim: &Claim,
        outcome: Outcome,
        report: &mut PassReport,
    ) -> Result<bool> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let keep_going = match outcome {
            Outcome::Sent { gmail_id, thread_id } => {
                mark_sent(&mut tx, claim.id, claim.attempt, &gmail_id, &thread_id, now).await?;
                if self.settings.pacing {
                    self.pace(&mut tx, team_id, sender_id, claim, now).await?;
                }
                report.sent += 1;
                true
            }
            Outcome::Retry { at, error } => {
                // Gmail asked to slow down or failed: the account waits for the next pass.
                back_to_pending(&mut tx, claim, at, &error).await?;
                report.retried += 1;
                false
            }
            Outcome::DailyLimit { until, error } => {
                back_to_pending(&mut tx, claim, until, &error).await?;
                senders::pause_until(&mut tx, team_id, sender_id, until, &error).await?;
                report.retried += 1;
                false
            }
            Outcome::NeedsReauth(error) => {
                // The message waits; the account is not driven until an admin reconnects it.
                back_to_pending(&mut tx, claim, now, &error).await?;
                senders::mark_needs_reauth(&mut tx, team_id, sender_id, &error).await?;
                report.retried += 1;
                false
            }
            Outcome::Cancelled(reason) => {
                senders::release_send(&mut *tx, claim.id).await?;
                sqlx::query!(
                    "UPDATE outbox_messages SET status = 'cancelled', last_error = $3, updated_at = now()
                     WHERE id = $1 AND status = 'sending' AND attempts = $2",
                    claim.id,
                    claim.attempt,
                    reason
                )
                .execute(&mut *tx)
                .await?;
                report.cancelled += 1;
                true
            }
            Outcome::Failed(reason) => {
                senders::release_send(&mut *tx, claim.id).await?;
                fail_lead(&mut tx, claim.id, claim.lead_id, &reason).await?;
                report.failed += 1;
                true
            }
            Outcome::Ambiguous(error) => {
                let check_at = now
                    + TimeDelta::from_std(self.settings.ambiguous_check_delay)
                        .map_err(Error::internal)?;
                sqlx::query!(
                    "UPDATE outbox_messages SET status = 'ambiguous', send_at = $3, last_error = $4, updated_at = now()
                     WHERE id = $1 AND status = 'sending' AND attempts = $2",
                    claim.id,
                    claim.attempt,
                    check_at,
                    error
                )
                .execute(&mut *tx)
                .await?;
                report.ambiguous += 1;
                false
            }
        };
        crate::events::notify(&mut *tx, team_id).await?;
        tx.commit().await?;
        Ok(keep_going)
    }

    /// Labels and reads back the messages whose send was recorded but whose follow-through
    /// ([`after_sent`](Self::after_sent)) did not happen: the process died in between, or a
    /// try failed and the next one is due.
    async fn finish_after_sends(
        &self,
        client: &GmailClient,
        team_id: Uuid,
        sender_id: Uuid,
    ) -> Result<()> {
        let due = sqlx::query_scalar!(
            "SELECT id FROM outbox_messages WHERE sender_id = $1 AND after_send_at <= $2
             ORDER BY after_send_at LIMIT 20",
            sender_id,
            self.now()
        )
        .fetch_all(&self.pool)
        .await?;
        for id in due {
            self.after_sent(client, team_id, sender_id, id).await;
        }
        Ok(())
    }

    /// After a message is recorded sent: labels it (`Outreach/Sent` or `Outreach/Follow-up`)
    /// and reads back the Message-ID Gmail delivered it with, when the account allows reading
    /// (tracking). Never fatal: a label is a convenience, and without the read-back id a
    /// follow-up answers our own. A failed try is tried again later, a few times.
    async fn after_sent(&self, client: &GmailClient, team_id: Uuid, sender_id: Uuid, id: Uuid) {
        let pool = &self.pool;
        // Taken once: a pass finishing an interrupted one and this send cannot both do it.
        let taken = sqlx::query_scalar!(
            "UPDATE outbox_messages SET after_send_at = NULL, after_send_tries = after_send_tries + 1
             WHERE team_id = $1 AND id = $2 AND after_send_at IS NOT NULL
             RETURNING after_send_tries",
            team_id,
            id
        )
        .fetch_optional(pool)
        .await;
        let tries = match taken {
            Ok(Some(tries)) => tries,
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(%sender_id, %error, "could not take a sent message's follow-through");
                return;
            }
        };
        let Err(error) = self.follow_through(client, team_id, sender_id, id).await else { return };
        tracing::warn!(%sender_id, %error, tries, "could not label or read back a sent message");
        if tries >= AFTER_SEND_TRIES {
            return;
        }
        let again = self.now() + AFTER_SEND_BACKOFF * i32::from(tries);
        let rescheduled = sqlx::query!(
            "UPDATE outbox_messages SET after_send_at = $3 WHERE team_id = $1 AND id = $2",
            team_id,
            id,
            again
        )
        .execute(pool)
        .await;
        if let Err(error) = rescheduled {
            tracing::warn!(%sender_id, %error, "could not plan another try of a sent message's follow-through");
        }
    }

    /// The label and the read-back of one sent message; both are tried, the first failure is
    /// returned.
    async fn follow_through(
        &self,
        client: &GmailClient,
        team_id: Uuid,
        sender_id: Uuid,
        id: Uuid,
    ) -> Result<()> {
        let pool = &self.pool;
        if !crate::tracking::sync::tracking_enabled(pool, team_id, sender_id).await? {
            return Ok(());
        }
        let oauth = &self.google.oauth;
        let token = senders::access_token(pool, &self.key, oauth, team_id, sender_id)
            .await
            .map_err(Error::internal)?;
        let labelled =
            crate::tracking::labels::label_sent(pool, client, &token, team_id, sender_id, id).await;
        let read_back = super::delivered_id::read_back(pool, client, &token, team_id, id).await;
        labelled.and(read_back)
    }

    /// Looks for the account's due `ambiguous` messages in its mailbox: found → `sent`; not
    /// found → `pending` (sent again). Returns false when the account cannot be used now.
    async fn check_ambiguous(
        &self,
        client: &GmailClient,
        team_id: Uuid,
        sender_id: Uuid,
        report: &mut PassReport,
    ) -> Result<bool> {
        let now = self.now();
        let due = sqlx::query!(
            r#"SELECT m.id, m.attempts, m.message_id, m.attempt_started_at, l.email
               FROM outbox_messages m JOIN leads l ON l.id = m.lead_id
               WHERE m.sender_id = $1 AND m.status = 'ambiguous' AND m.send_at <= $2
               ORDER BY m.send_at LIMIT 20"#,
            sender_id,
            now
        )
        .fetch_all(&self.pool)
        .await?;
        if due.is_empty() {
            return Ok(true);
        }
        let token = match self.token(team_id, sender_id, None).await {
            Ok(token) => token,
            Err(_) => return Ok(false),
        };
        for message in due {
            let started = message.attempt_started_at.unwrap_or(now);
            let found = self
                .find_in_mailbox(
                    client,
                    &token,
                    message.id,
                    message.message_id.as_deref(),
                    &message.email,
                    started,
                )
                .await;
            let was_sent = matches!(found, Ok(Some(_)));
            let mut tx = self.pool.begin().await?;
            match found {
                Ok(Some((gmail_id, thread_id))) => {
                    mark_sent(
                        &mut tx,
                        message.id,
                        message.attempts,
                        &gmail_id,
                        &thread_id,
                        started,
                    )
                    .await?;
                    report.resolved += 1;
                }
                Ok(None) => {
                    senders::release_send(&mut *tx, message.id).await?;
                    sqlx::query!(
                        "UPDATE outbox_messages m SET updated_at = now(), send_at = $2,
                                last_error = 'the uncertain attempt is not in the mailbox: sending again',
                                status = CASE WHEN c.status = 'cancelled' THEN 'cancelled' ELSE 'pending' END
                         FROM campaigns c WHERE c.id = m.campaign_id AND m.id = $1 AND m.status = 'ambiguous'",
                        message.id,
                        now
                    )
                    .execute(&mut *tx)
                    .await?;
                    report.resolved += 1;
                }
                Err(error) => {
                    let at = now + TimeDelta::seconds(30);
                    sqlx::query!(
                        "UPDATE outbox_messages SET send_at = $2, last_error = $3, updated_at = now()
                         WHERE id = $1 AND status = 'ambiguous'",
                        message.id,
                        at,
                        format!("could not check the mailbox yet: {error}")
                    )
                    .execute(&mut *tx)
                    .await?;
                }
            }
            crate::events::notify(&mut *tx, team_id).await?;
            tx.commit().await?;
            if was_sent {
                self.after_sent(client, team_id, sender_id, message.id).await;
            }
        }
        Ok(true)
    }

    /// Gmail's ids of our message if the mailbox has it: by Message-ID, else (Gmail may
    /// rewrite Message-IDs) by `X-Outreach-Id` among mail sent to the lead since the attempt.
    async fn find_in_mailbox(
        &self,
        client: &GmailClient,
        token: &SecretString,
        outreach_id: Uuid,
        message_id: Option<&str>,
        to: &str,
        attempt_started: DateTime<Utc>,
    ) -> std::result::Result<Option<(String, String)>, GmailError> {
        if let Some(message_id) = message_id {
            let bare = message_id.trim_start_matches('<').trim_end_matches('>');
            let found = client
                .list_messages(token, &ListQuery::search(format!("rfc822msgid:{bare}")))
                .await?;
            if let Some(hit) = found.messages.into_iter().next() {
                return Ok(Some((hit.id, hit.thread_id)));
            }
        }
        let after = attempt_started.timestamp() - 60;
        let query = ListQuery::search(format!("in:sent to:{to} after:{after}"));
        let candidates = client.list_messages(token, &query).await?;
        let wanted = outreach_id.hyphenated().to_string();
        for candidate in candidates.messages {
            let message = client
                .get_message(token, &candidate.id, MessageFormat::Metadata, &["X-Outreach-Id"])
                .await?;
            if message.header("X-Outreach-Id").is_some_and(|value| value.trim() == wanted) {
                return Ok(Some((candidate.id, candidate.thread_id)));
            }
        }
        Ok(None)
    }
}

/// When attempt number `attempt` may be retried (exponential backoff with jitter, or when
/// Google said).
fn retry_at(attempt: i32, hint: Option<Duration>, now: DateTime<Utc>) -> DateTime<Utc> {
    let delay = retry_delay(u32::try_from(attempt).unwrap_or(1), hint, &mut rand::thread_rng());
    now + TimeDelta::from_std(delay).unwrap_or(TimeDelta::seconds(64))
}

struct Candidate {
    id: Uuid,
    campaign_id: Uuid,
    lead_id: Uuid,
    step_number: i32,
    raw: Option<Vec<u8>>,
    attempts: i32,
}

/// The account's next due message, locked: its own (follow-ups, retries) first, then a first
/// step of one of its campaigns that no account has taken yet, in import order. Rows another
/// instance holds are skipped, not waited for.
async fn next_candidate(
    tx: &mut PgConnection,
    sender_id: Uuid,
    now: DateTime<Utc>,
    campaigns: &[Uuid],
) -> Result<Option<Candidate>> {
    let own = sqlx::query_as!(
        Candidate,
        "SELECT id, campaign_id, lead_id, step_number, raw, attempts FROM outbox_messages
         WHERE sender_id = $1 AND status IN ('scheduled', 'pending') AND send_at <= $2 AND campaign_id = ANY($3)
         ORDER BY send_at LIMIT 1 FOR UPDATE SKIP LOCKED",
        sender_id,
        now,
        campaigns
    )
    .fetch_optional(&mut *tx)
    .await?;
    if own.is_some() {
        return Ok(own);
    }
    Ok(sqlx::query_as!(
        Candidate,
        "SELECT id, campaign_id, lead_id, step_number, raw, attempts FROM outbox_messages
         WHERE sender_id IS NULL AND status IN ('scheduled', 'pending') AND send_at <= $1 AND campaign_id = ANY($2)
         ORDER BY send_at, lead_id LIMIT 1 FOR UPDATE SKIP LOCKED",
        now,
        campaigns
    )
    .fetch_optional(&mut *tx)
    .await?)
}

/// The lead as the claim sees it (locked for the transaction).
struct LeadRow {
    id: Uuid,
    campaign_id: Uuid,
    email: String,
    first_name: String,
    company: String,
    fields: serde_json::Value,
    status: LeadStatus,
}

impl LeadRow {
    fn to_lead(&self) -> Lead {
        Lead {
            id: self.id,
            campaign_id: self.campaign_id,
            email: self.email.clone(),
            first_name: self.first_name.clone(),
            company: self.company.clone(),
            fields: crate::campaigns::leads::fields_map(self.fields.clone()),
            status: self.status,
            created_at: DateTime::<Utc>::MIN_UTC,
            updated_at: DateTime::<Utc>::MIN_UTC,
        }
    }
}

async fn lock_lead(tx: &mut PgConnection, lead_id: Uuid) -> Result<LeadRow> {
    Ok(sqlx::query_as!(
        LeadRow,
        r#"SELECT id, campaign_id, email, first_name, company, fields, status AS "status: LeadStatus"
           FROM leads WHERE id = $1 FOR UPDATE"#,
        lead_id
    )
    .fetch_one(&mut *tx)
    .await?)
}

/// The Gmail thread of the lead's first step.
async fn thread_of(tx: &mut PgConnection, lead_id: Uuid) -> Result<Option<String>> {
    Ok(sqlx::query_scalar!(
        "SELECT gmail_thread_id FROM outbox_messages WHERE lead_id = $1 AND step_number = 1 AND status = 'sent'",
        lead_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .flatten())
}

/// The message will not be sent to this lead: it is cancelled with the reason, and so are the
/// lead's other unsent messages.
async fn skip(tx: &mut PgConnection, id: Uuid, lead_id: Uuid, reason: &str) -> Result<()> {
    sqlx::query!(
        "UPDATE outbox_messages SET status = 'cancelled', last_error = $2, updated_at = now() WHERE id = $1",
        id,
        reason
    )
    .execute(&mut *tx)
    .await?;
    super::cancel_lead(tx, lead_id, reason).await?;
    Ok(())
}

/// The message failed for good (Gmail refused it, or the lead's data cannot fill the step):
/// the lead is `failed` and gets nothing more.
async fn fail_lead(tx: &mut PgConnection, id: Uuid, lead_id: Uuid, reason: &str) -> Result<()> {
    sqlx::query!(
        "UPDATE outbox_messages SET status = 'failed', last_error = $2, updated_at = now() WHERE id = $1",
        id,
        reason
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("UPDATE leads SET status = 'failed', updated_at = now() WHERE id = $1", lead_id)
        .execute(&mut *tx)
        .await?;
    super::cancel_lead(tx, lead_id, "an earlier step failed").await?;
    Ok(())
}

async fn back_to_pending(
    tx: &mut PgConnection,
    claim: &Claim,
    at: DateTime<Utc>,
    error: &str,
) -> Result<()> {
    senders::release_send(&mut *tx, claim.id).await?;
    sqlx::query!(
        "UPDATE outbox_messages SET status = 'pending', send_at = $3, last_error = $4, updated_at = now()
         WHERE id = $1 AND status = 'sending' AND attempts = $2",
        claim.id,
        claim.attempt,
        at,
        error
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Marks the message sent and moves its lead on: the next step is planned (due after its
/// delay in the campaign's sending days), or the lead is complete after the last step.
async fn mark_sent(
    tx: &mut PgConnection,
    id: Uuid,
    attempt: i32,
    gmail_id: &str,
    thread_id: &str,
    sent_at: DateTime<Utc>,
) -> Result<()> {
    let updated = sqlx::query!(
        r#"UPDATE outbox_messages SET status = 'sent', gmail_message_id = $3, gmail_thread_id = $4,
                  sent_at = $5, last_error = NULL, after_send_at = $5, after_send_tries = 0,
                  updated_at = now()
           WHERE id = $1 AND attempts = $2 AND status IN ('sending', 'ambiguous')
           RETURNING lead_id, campaign_id, step_number, sender_id"#,
        id,
        attempt,
        gmail_id,
        thread_id,
        sent_at
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(sent) = updated else { return Ok(()) };
    let next = sqlx::query!(
        r#"SELECT s.delay_days AS "delay_days?", c.time_zone, c.send_days, c.start_hour, c.end_hour,
                  (SELECT count(*) FROM campaign_steps WHERE campaign_id = c.id) AS "steps!"
           FROM campaigns c LEFT JOIN campaign_steps s ON s.campaign_id = c.id AND s.step_number = $2
           WHERE c.id = $1"#,
        sent.campaign_id,
        sent.step_number + 1
    )
    .fetch_one(&mut *tx)
    .await?;
    let last_step = i64::from(sent.step_number) >= next.steps;
    sqlx::query!(
        "UPDATE leads SET status = CASE WHEN $2 THEN 'completed' ELSE 'in_sequence' END, updated_at = now()
         WHERE id = $1 AND status IN ('pending', 'in_sequence', 'auto_replied')",
        sent.lead_id,
        last_step
    )
    .execute(&mut *tx)
    .await?;
    if let (false, Some(delay)) = (last_step, next.delay_days) {
        let window = SendingWindow {
            time_zone: next.time_zone.parse().unwrap_or(Tz::UTC),
            days: DaySet::from_days(next.send_days.iter().filter_map(|d| d.parse().ok())),
            start_hour: u32::try_from(next.start_hour).unwrap_or(0),
            end_hour: u32::try_from(next.end_hour).unwrap_or(24),
        };
        let due = window.add_sending_days(sent_at, u32::try_from(delay).unwrap_or(0));
        sqlx::query!(
            "INSERT INTO outbox_messages (id, team_id, campaign_id, lead_id, step_number, sender_id, status, send_at)
             SELECT $1, team_id, campaign_id, id, $3, $4, 'scheduled', $5 FROM leads
             WHERE id = $2 AND status IN ('in_sequence', 'auto_replied')
             ON CONFLICT (lead_id, step_number) DO NOTHING",
            Uuid::now_v7(),
            sent.lead_id,
            sent.step_number + 1,
            sent.sender_id,
            due
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
