//! The outbox: one row per planned email (lead × step) moving through `scheduled` → `sending`
//! → `sent` (or `pending` to retry, `ambiguous` to check, `failed`, `cancelled`), and the
//! worker that sends them ([`worker`]).
//!
//! Planning: starting a campaign (or importing into a running one) plans step 1 for every
//! pending lead; each later step is planned when the step before it is sent, due after its
//! delay in sending days. A lead's first step goes to whichever of the campaign's accounts
//! claims it first (so the accounts take turns); later steps stay with that account.

mod delivered_id;
pub mod worker;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::model::{OutboxMessage, OutboxStatus, Page};

/// Plans step 1 for every pending lead of the campaign that has none yet.
pub(crate) async fn plan_first_steps(
    tx: &mut PgConnection,
    team_id: Uuid,
    campaign_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(sqlx::query!(
        "INSERT INTO outbox_messages (id, team_id, campaign_id, lead_id, step_number, status, send_at)
         SELECT gen_random_uuid(), team_id, campaign_id, id, 1, 'scheduled', $3 FROM leads
         WHERE team_id = $1 AND campaign_id = $2 AND status = 'pending'
         ON CONFLICT (lead_id, step_number) DO NOTHING",
        team_id,
        campaign_id,
        now
    )
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

/// Cancels every message of the campaign not yet sent or on its way (follow-ups included).
pub(crate) async fn cancel_unsent(
    tx: &mut PgConnection,
    team_id: Uuid,
    campaign_id: Uuid,
) -> Result<u64> {
    Ok(sqlx::query!(
        "UPDATE outbox_messages SET status = 'cancelled', updated_at = now(),
                last_error = 'the campaign was cancelled'
         WHERE team_id = $1 AND campaign_id = $2 AND status IN ('scheduled', 'pending')",
        team_id,
        campaign_id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

/// Cancels a lead's unsent messages (it replied, bounced, opted out or failed).
pub(crate) async fn cancel_lead(tx: &mut PgConnection, lead_id: Uuid, reason: &str) -> Result<u64> {
    Ok(sqlx::query!(
        "UPDATE outbox_messages SET status = 'cancelled', updated_at = now(), last_error = $2
         WHERE lead_id = $1 AND status IN ('scheduled', 'pending')",
        lead_id,
        reason
    )
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

/// The highest step already sent (or possibly sent) to any lead of the campaign: steps up to
/// it can no longer change.
pub(crate) async fn highest_step_in_flight(
    tx: &mut PgConnection,
    campaign_id: Uuid,
) -> Result<i32> {
    Ok(sqlx::query_scalar!(
        r#"SELECT coalesce(max(step_number), 0) AS "step!" FROM outbox_messages
           WHERE campaign_id = $1 AND status IN ('sending', 'ambiguous', 'sent')"#,
        campaign_id
    )
    .fetch_one(&mut *tx)
    .await?)
}

/// Which outbox messages to list.
#[derive(Debug, Clone, Default)]
pub struct OutboxFilter {
    pub campaign_id: Option<Uuid>,
    pub status: Option<OutboxStatus>,
    pub lead_id: Option<Uuid>,
}

/// A page of the team's outbox, most recently due first.
pub async fn list(
    pool: &PgPool,
    team_id: Uuid,
    filter: &OutboxFilter,
    page: i64,
    per_page: i64,
) -> Result<Page<OutboxMessage>> {
    let paging = crate::db::Paging::new(page, per_page)?;
    let (page, per_page) = (paging.page, paging.per_page);
    let status = filter.status.map(OutboxStatus::as_str);
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM outbox_messages
           WHERE team_id = $1 AND ($2::uuid IS NULL OR campaign_id = $2)
             AND ($3::text IS NULL OR status = $3) AND ($4::uuid IS NULL OR lead_id = $4)"#,
        team_id,
        filter.campaign_id,
        status,
        filter.lead_id
    )
    .fetch_one(pool)
    .await?;
    let items = sqlx::query_as!(
        OutboxMessage,
        r#"SELECT m.id, m.campaign_id, m.lead_id, l.email AS lead_email, m.step_number AS step,
                  m.sender_id, m.status AS "status: OutboxStatus", m.send_at, m.attempts, m.last_error,
                  m.message_id, m.delivered_message_id, m.subject, m.gmail_message_id, m.gmail_thread_id, m.sent_at
           FROM outbox_messages m JOIN leads l ON l.id = m.lead_id
           WHERE m.team_id = $1 AND ($2::uuid IS NULL OR m.campaign_id = $2)
             AND ($3::text IS NULL OR m.status = $3) AND ($4::uuid IS NULL OR m.lead_id = $4)
           ORDER BY coalesce(m.sent_at, m.send_at) DESC, m.id
           LIMIT $5 OFFSET $6"#,
        team_id,
        filter.campaign_id,
        status,
        filter.lead_id,
        per_page,
        paging.offset()
    )
    .fetch_all(pool)
    .await?;
    Ok(Page { items, total, page, per_page })
}

pub async fn get(pool: &PgPool, team_id: Uuid, id: Uuid) -> Result<OutboxMessage> {
    sqlx::query_as!(
        OutboxMessage,
        r#"SELECT m.id, m.campaign_id, m.lead_id, l.email AS lead_email, m.step_number AS step,
                  m.sender_id, m.status AS "status: OutboxStatus", m.send_at, m.attempts, m.last_error,
                  m.message_id, m.delivered_message_id, m.subject, m.gmail_message_id, m.gmail_thread_id, m.sent_at
           FROM outbox_messages m JOIN leads l ON l.id = m.lead_id
           WHERE m.team_id = $1 AND m.id = $2"#,
        team_id,
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(Error::NotFound("outbox message"))
}
