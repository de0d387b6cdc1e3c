//! What one classified inbound message does, in one transaction: which lead and message it
//! answers (by thread, Message-ID, the lead's address or the failed recipient), the lead's new
//! status, cancelled follow-ups, suppression, the event with its evidence — and, for Gmail's
//! "limit for sending mail" bounce, the account's pause and the message back to `pending`.

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::classify::{Inbound, InboundKind};
use super::effects;
use super::labels::OutreachLabel;
use super::timeline::{self, NewEvent};
use crate::error::Result;
use crate::model::{LeadEventKind, LeadStatus, SuppressionReason};

/// How long an account rests after Gmail's "limit for sending mail" bounce (GMAIL_API.md §7:
/// up to 24 hours).
const LIMIT_PAUSE: TimeDelta = TimeDelta::hours(24);
/// A campaign's bounce rate is judged only after this many sends.
pub const BOUNCE_RATE_MIN_SENDS: i64 = 20;

/// The account whose mailbox the message arrived in.
#[derive(Debug, Clone)]
pub(crate) struct Mailbox {
    pub team_id: Uuid,
    pub sender_id: Uuid,
    pub email: String,
}

/// A new message as Gmail reported it.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub gmail_id: String,
    pub thread_id: String,
    pub at: DateTime<Utc>,
}

/// The label to put on the message, once the transaction is committed.
pub(crate) type LabelToApply = Option<OutreachLabel>;

/// The outbox message (and lead) an inbound message is about.
struct Match {
    outbox_id: Uuid,
    lead_id: Uuid,
    campaign_id: Uuid,
    email: String,
}

/// Processes one message exactly once (a concurrent or repeated sync finds it recorded and
/// skips it). `inbound` is `None` for a message that could not be read.
pub(crate) async fn process(
    pool: &PgPool,
    mailbox: &Mailbox,
    received: &Received,
    inbound: Option<&Inbound>,
) -> Result<LabelToApply> {
    let mut tx = pool.begin().await?;
    let kind = inbound.map(|i| i.kind.as_str());
    let fresh = sqlx::query!(
        "INSERT INTO inbound_messages (team_id, sender_id, gmail_message_id, kind) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
        mailbox.team_id,
        mailbox.sender_id,
        received.gmail_id,
        kind
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    let Some(inbound) = inbound.filter(|_| fresh) else {
        tx.commit().await?;
        return Ok(None);
    };
    let (lead_id, label) = apply(&mut tx, mailbox, received, inbound).await?;
    if let Some(lead_id) = lead_id {
        sqlx::query!(
            "UPDATE inbound_messages SET lead_id = $3 WHERE sender_id = $1 AND gmail_message_id = $2",
            mailbox.sender_id,
            received.gmail_id,
            lead_id
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(label)
}

async fn apply(
    tx: &mut PgConnection,
    mailbox: &Mailbox,
    received: &Received,
    inbound: &Inbound,
) -> Result<(Option<Uuid>, LabelToApply)> {
    if inbound.kind == InboundKind::SendingLimitBounce {
        let lead = sending_limit_bounce(tx, mailbox, received, inbound).await?;
        return Ok((lead, None));
    }
    let from = inbound.from.clone().unwrap_or_default();
    let found = if inbound.kind.is_bounce() {
        find_bounced(tx, mailbox, received, inbound).await?
    } else if from.is_empty() || from == mailbox.email {
        None
    } else {
        find_answered(tx, mailbox, received, inbound, &from).await?
    };
    let Some(found) = found else { return Ok((None, None)) };
    let mut event = NewEvent::new(LeadEventKind::Replied, received.at, String::new());
    event.evidence = Some(&inbound.evidence);
    event.gmail_message_id = Some(&received.gmail_id);
    event.gmail_thread_id = Some(&received.thread_id);
    let subject = if inbound.subject.is_empty() { "(no subject)" } else { &inbound.subject };
    let team_id = mailbox.team_id;
    let label = match inbound.kind {
        InboundKind::Reply => {
            effects::set_status(tx, team_id, found.lead_id, LeadStatus::Replied, true).await?;
            event.summary = format!("Reply from {from}: {subject}");
            timeline::record(tx, team_id, found.lead_id, &event).await?;
            Some(OutreachLabel::Replied)
        }
        InboundKind::AutoReply => {
            let stop = stop_on_auto_reply(tx, team_id, found.campaign_id).await?;
            effects::set_status(tx, team_id, found.lead_id, LeadStatus::AutoReplied, stop).await?;
            event.kind = LeadEventKind::AutoReplied;
            event.summary = format!(
                "Automatic reply from {from}: {subject}{}",
                if stop { " (the sequence stops, as the campaign says)" } else { "" }
            );
            timeline::record(tx, team_id, found.lead_id, &event).await?;
            None
        }
        InboundKind::OptOut => {
            event.kind = LeadEventKind::Unsubscribed;
            event.summary = format!("Asked to be removed, by email from {from}: {subject}");
            effects::opt_out(tx, team_id, &found.email, &event).await?;
            Some(OutreachLabel::Replied)
        }
        InboundKind::HardBounce => {
            let status = inbound.status.as_deref().unwrap_or("5.0.0");
            let diagnostic = inbound.diagnostic.as_deref().unwrap_or("permanent failure");
            event.kind = LeadEventKind::Bounced;
            event.summary = format!("Bounced ({status}): {diagnostic}");
            effects::set_status(tx, team_id, found.lead_id, LeadStatus::Bounced, true).await?;
            effects::suppress(
                tx,
                team_id,
                &found.email,
                SuppressionReason::Bounced,
                &event.summary,
                None,
            )
            .await?;
            timeline::record(tx, team_id, found.lead_id, &event).await?;
            pause_on_bounce_rate(tx, team_id, found.campaign_id).await?;
            Some(OutreachLabel::Bounced)
        }
        InboundKind::SoftBounce => {
            let status = inbound.status.as_deref().unwrap_or("4.0.0");
            event.kind = LeadEventKind::Delayed;
            event.summary = format!(
                "Delivery delayed ({status}): {}; not counted as a bounce",
                inbound.diagnostic.as_deref().unwrap_or("the receiving server will retry")
            );
            timeline::record(tx, team_id, found.lead_id, &event).await?;
            None
        }
        InboundKind::SendingLimitBounce => None,
    };
    tracing::debug!(outbox_id = %found.outbox_id, kind = ?inbound.kind, "inbound message applied");
    Ok((Some(found.lead_id), label))
}

/// A reply: in one of our threads, else from a lead's address (any thread), else by the
/// Message-IDs it answers.
async fn find_answered(
    tx: &mut PgConnection,
    mailbox: &Mailbox,
    received: &Received,
    inbound: &Inbound,
    from: &str,
) -> Result<Option<Match>> {
    if let Some(found) = by_thread(tx, mailbox, &received.thread_id).await? {
        return Ok(Some(found));
    }
    if let Some(found) = by_address(tx, mailbox, from).await? {
        return Ok(Some(found));
    }
    by_message_ids(tx, mailbox, &inbound.refers_to).await
}

/// A bounce: by the Message-IDs it reports on, else its thread, else the failed recipient.
async fn find_bounced(
    tx: &mut PgConnection,
    mailbox: &Mailbox,
    received: &Received,
    inbound: &Inbound,
) -> Result<Option<Match>> {
    if let Some(found) = by_message_ids(tx, mailbox, &inbound.refers_to).await? {
        return Ok(Some(found));
    }
    if let Some(found) = by_thread(tx, mailbox, &received.thread_id).await? {
        return Ok(Some(found));
    }
    for recipient in &inbound.failed_recipients {
        if let Some(found) = by_address(tx, mailbox, recipient).await? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

async fn by_message_ids(
    tx: &mut PgConnection,
    mailbox: &Mailbox,
    ids: &[String],
) -> Result<Option<Match>> {
    if ids.is_empty() {
        return Ok(None);
    }
    let bracketed: Vec<String> = ids.iter().map(|id| format!("<{id}>")).collect();
    Ok(sqlx::query_as!(
        Match,
        "SELECT m.id AS outbox_id, m.lead_id, m.campaign_id, l.email FROM outbox_messages m
         JOIN leads l ON l.id = m.lead_id
         WHERE m.team_id = $1 AND m.sender_id = $2
           AND (m.message_id = ANY($3) OR m.delivered_message_id = ANY($3))
         ORDER BY m.step_number DESC LIMIT 1",
        mailbox.team_id,
        mailbox.sender_id,
        &bracketed
    )
    .fetch_optional(&mut *tx)
    .await?)
}

async fn by_thread(
    tx: &mut PgConnection,
    mailbox: &Mailbox,
    thread_id: &str,
) -> Result<Option<Match>> {
    Ok(sqlx::query_as!(
        Match,
        "SELECT m.id AS outbox_id, m.lead_id, m.campaign_id, l.email FROM outbox_messages m
         JOIN leads l ON l.id = m.lead_id
         WHERE m.team_id = $1 AND m.sender_id = $2 AND m.gmail_thread_id = $3
         ORDER BY m.step_number DESC LIMIT 1",
        mailbox.team_id,
        mailbox.sender_id,
        thread_id
    )
    .fetch_optional(&mut *tx)
    .await?)
}

/// The lead with this address that this account mailed most recently. A message whose send
/// is still `ambiguous` counts: a reply can arrive before the mailbox check confirms the send,
/// and when Gmail rewrote its Message-ID and its thread is not known yet, the address is the
/// only way to the lead (missing it would lose the reply and mail a follow-up to someone who
/// answered).
async fn by_address(
    tx: &mut PgConnection,
    mailbox: &Mailbox,
    email: &str,
) -> Result<Option<Match>> {
    Ok(sqlx::query_as!(
        Match,
        "SELECT m.id AS outbox_id, m.lead_id, m.campaign_id, l.email FROM leads l
         JOIN outbox_messages m ON m.lead_id = l.id AND m.status IN ('sent', 'ambiguous')
         WHERE l.team_id = $1 AND l.sender_id = $2 AND l.email = $3
         ORDER BY m.attempt_started_at DESC LIMIT 1",
        mailbox.team_id,
        mailbox.sender_id,
        email.to_lowercase()
    )
    .fetch_optional(&mut *tx)
    .await?)
}

async fn stop_on_auto_reply(
    tx: &mut PgConnection,
    team_id: Uuid,
    campaign_id: Uuid,
) -> Result<bool> {
    Ok(sqlx::query_scalar!(
        "SELECT stop_on_auto_reply FROM campaigns WHERE team_id = $1 AND id = $2",
        team_id,
        campaign_id
    )
    .fetch_one(&mut *tx)
    .await?)
}

/// Gmail accepted a send after the account reached its limit and did not deliver it. The
/// bounce does not say which message: the account's latest attempt before it that Gmail may
/// have accepted is the one it dropped — a `sent` message, or an `ambiguous` one whose answer
/// was lost (over the limit, Gmail's 5xx or a crash do not stop the bounce; had the bounce
/// been pinned on the latest *sent* message instead, that delivered message would go out
/// twice and the dropped one never). The account rests; that message goes back to `pending`
/// (its follow-up, planned when it was marked sent, is withdrawn until it really goes out).
/// It is composed again with a new Message-ID: the dropped copy sits in the Sent folder with
/// the old one, and the check of an uncertain attempt must never find that copy.
async fn sending_limit_bounce(
    tx: &mut PgConnection,
    mailbox: &Mailbox,
    received: &Received,
    inbound: &Inbound,
) -> Result<Option<Uuid>> {
    let until = received.at + LIMIT_PAUSE;
    let reason = "Gmail bounced a message: \"You have reached a limit for sending mail\". \
                  The account rests, the message waits to be sent again.";
    crate::senders::pause_until(&mut *tx, mailbox.team_id, mailbox.sender_id, until, reason)
        .await?;
    let dropped = sqlx::query!(
        "SELECT id, lead_id, step_number, campaign_id FROM outbox_messages
         WHERE team_id = $1 AND sender_id = $2 AND status IN ('sent', 'ambiguous')
           AND attempt_started_at <= $3
         ORDER BY attempt_started_at DESC, id DESC LIMIT 1 FOR UPDATE",
        mailbox.team_id,
        mailbox.sender_id,
        received.at
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(dropped) = dropped else { return Ok(None) };
    // Its campaign may have completed since it went out: locked before the message is
    // back, and run again after.
    crate::campaigns::lock(&mut *tx, mailbox.team_id, dropped.campaign_id).await?;
    crate::senders::release_send(&mut *tx, dropped.id).await?;
    sqlx::query!(
        "UPDATE outbox_messages SET status = 'pending', send_at = $2, sent_at = NULL, gmail_message_id = NULL,
                gmail_thread_id = NULL, message_id = NULL, delivered_message_id = NULL, raw = NULL,
                after_send_at = NULL, updated_at = now(),
                last_error = 'Gmail did not deliver it (the account had reached its sending limit): sending again'
         WHERE team_id = $3 AND id = $1",
        dropped.id,
        until,
        mailbox.team_id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "DELETE FROM outbox_messages
         WHERE team_id = $3 AND lead_id = $1 AND step_number = $2 AND status = 'scheduled' AND attempts = 0",
        dropped.lead_id,
        dropped.step_number + 1,
        mailbox.team_id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE leads SET status = 'in_sequence', updated_at = now()
         WHERE team_id = $2 AND id = $1 AND status = 'completed'",
        dropped.lead_id,
        mailbox.team_id
    )
    .execute(&mut *tx)
    .await?;
    crate::campaigns::completion::reopen(&mut *tx, dropped.campaign_id).await?;
    let mut event = NewEvent::new(
        LeadEventKind::NotDelivered,
        received.at,
        format!(
            "Step {} was not delivered: the account had reached Gmail's sending limit; it will be sent again",
            dropped.step_number
        ),
    );
    event.evidence = Some(&inbound.evidence);
    event.gmail_message_id = Some(&received.gmail_id);
    timeline::record(tx, mailbox.team_id, dropped.lead_id, &event).await?;
    Ok(Some(dropped.lead_id))
}

/// Whether a campaign with `sent` messages and `bounced` leads is past its threshold.
pub fn bounce_rate_exceeded(sent: i64, bounced: i64, threshold: f64) -> bool {
    sent >= BOUNCE_RATE_MIN_SENDS && (bounced as f64 / sent as f64) > threshold
}

/// Pauses a running campaign whose hard-bounce rate passed its threshold, saying why.
async fn pause_on_bounce_rate(
    tx: &mut PgConnection,
    team_id: Uuid,
    campaign_id: Uuid,
) -> Result<()> {
    let row = sqlx::query!(
        r#"SELECT c.bounce_pause_threshold,
                  (SELECT count(*) FROM outbox_messages WHERE campaign_id = c.id AND status = 'sent') AS "sent!",
                  (SELECT count(*) FROM leads WHERE campaign_id = c.id AND status = 'bounced') AS "bounced!"
           FROM campaigns c WHERE c.team_id = $1 AND c.id = $2 AND c.status = 'running'"#,
        team_id,
        campaign_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(()) };
    if !bounce_rate_exceeded(row.sent, row.bounced, row.bounce_pause_threshold) {
        return Ok(());
    }
    let reason = format!(
        "Paused by itself: {} of {} sent messages bounced ({:.1}%), above the {:.1}% limit. \
         Check the list, then resume.",
        row.bounced,
        row.sent,
        row.bounced as f64 * 100.0 / row.sent as f64,
        row.bounce_pause_threshold * 100.0
    );
    sqlx::query!(
        "UPDATE campaigns SET status = 'paused', status_reason = $3, updated_at = now()
         WHERE team_id = $1 AND id = $2 AND status = 'running'",
        team_id,
        campaign_id,
        reason
    )
    .execute(&mut *tx)
    .await?;
    tracing::warn!(%campaign_id, reason, "campaign paused by its bounce rate");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounce_rate_counts_only_after_twenty_sends() {
        assert!(!bounce_rate_exceeded(19, 19, 0.05));
        assert!(!bounce_rate_exceeded(20, 1, 0.05), "5% is not above 5%");
        assert!(bounce_rate_exceeded(20, 2, 0.05));
        assert!(!bounce_rate_exceeded(100, 5, 0.05));
        assert!(bounce_rate_exceeded(100, 6, 0.05));
        assert!(!bounce_rate_exceeded(0, 0, 0.05));
    }
}
