//! Campaigns: create, read, change, and move through their life (start, pause, resume,
//! cancel). Every query is scoped by team; another team's ids are "not found".

pub mod activity;
pub mod completion;
pub mod counts;
pub mod leads;
pub mod lint;
pub mod validate;

use std::collections::HashMap;

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::model::{
    Campaign, CampaignPatch, CampaignSettings, CampaignStats, CampaignStatus, CampaignSummary,
    LintReport, NewCampaign, Schedule, Step,
};

/// Creates a draft campaign.
pub async fn create(
    pool: &PgPool,
    team_id: Uuid,
    created_by: Option<Uuid>,
    new: NewCampaign,
) -> Result<Campaign> {
    let patch = validate::patch(new.into())?;
    let id = Uuid::now_v7();
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO campaigns (id, team_id, name, created_by) VALUES ($1, $2, $3, $4)",
        id,
        team_id,
        patch.name.as_deref().unwrap_or_default(),
        created_by
    )
    .execute(&mut *tx)
    .await?;
    apply(&mut tx, team_id, id, &patch).await?;
    crate::events::notify(&mut *tx, team_id).await?;
    tx.commit().await?;
    get(pool, team_id, id).await
}

/// Replaces the parts of the campaign the patch names.
pub async fn update(
    pool: &PgPool,
    team_id: Uuid,
    id: Uuid,
    patch: CampaignPatch,
) -> Result<Campaign> {
    let patch = validate::patch(patch)?;
    let mut tx = pool.begin().await?;
    let status = lock(&mut tx, team_id, id).await?;
    if matches!(status, CampaignStatus::Completed | CampaignStatus::Cancelled) {
        return Err(Error::Conflict(format!(
            "the campaign is {}; it cannot change",
            status.as_str()
        )));
    }
    if let Some(steps) = &patch.steps {
        let frozen = crate::outbox::highest_step_in_flight(&mut tx, id).await?;
        let current = steps_in(&mut tx, team_id, id).await?;
        let frozen = usize::try_from(frozen).unwrap_or(0);
        if steps.len() < frozen || current.get(..frozen) != steps.get(..frozen) {
            return Err(Error::invalid(
                "steps",
                format!(
                    "steps 1 to {frozen} have already been sent to leads and cannot change; edit the later steps"
                ),
            ));
        }
    }
    apply(&mut tx, team_id, id, &patch).await?;
    crate::events::notify(&mut *tx, team_id).await?;
    tx.commit().await?;
    get(pool, team_id, id).await
}

/// Locks the campaign row for the rest of the transaction and returns its status.
pub(crate) async fn lock(tx: &mut PgConnection, team_id: Uuid, id: Uuid) -> Result<CampaignStatus> {
    sqlx::query_scalar!(
        r#"SELECT status AS "status: CampaignStatus" FROM campaigns WHERE team_id = $1 AND id = $2 FOR UPDATE"#,
        team_id,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound("campaign"))
}

async fn apply(
    tx: &mut PgConnection,
    team_id: Uuid,
    id: Uuid,
    patch: &CampaignPatch,
) -> Result<()> {
    if let Some(name) = &patch.name {
        sqlx::query!(
            "UPDATE campaigns SET name = $3 WHERE team_id = $1 AND id = $2",
            team_id,
            id,
            name
        )
        .execute(&mut *tx)
        .await?;
    }
    if let Some(s) = &patch.schedule {
        sqlx::query!(
            "UPDATE campaigns SET time_zone = $3, send_days = $4, start_hour = $5, end_hour = $6,
                    min_gap_seconds = $7, max_gap_seconds = $8
             WHERE team_id = $1 AND id = $2",
            team_id,
            id,
            s.timezone,
            &s.days,
            s.start_hour,
            s.end_hour,
            s.min_gap_seconds,
            s.max_gap_seconds
        )
        .execute(&mut *tx)
        .await?;
    }
    if let Some(settings) = &patch.settings {
        sqlx::query!(
            "UPDATE campaigns SET stop_on_auto_reply = $3, bounce_pause_threshold = $4
             WHERE team_id = $1 AND id = $2",
            team_id,
            id,
            settings.stop_on_auto_reply,
            settings.bounce_pause_threshold
        )
        .execute(&mut *tx)
        .await?;
    }
    if let Some(sender_ids) = &patch.sender_ids {
        set_senders(tx, team_id, id, sender_ids).await?;
    }
    if let Some(steps) = &patch.steps {
        set_steps(tx, team_id, id, steps).await?;
    }
    sqlx::query!(
        "UPDATE campaigns SET updated_at = now() WHERE team_id = $1 AND id = $2",
        team_id,
        id
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn set_senders(
    tx: &mut PgConnection,
    team_id: Uuid,
    id: Uuid,
    sender_ids: &[Uuid],
) -> Result<()> {
    let known = sqlx::query_scalar!(
        "SELECT id FROM sender_accounts WHERE team_id = $1 AND id = ANY($2)",
        team_id,
        sender_ids
    )
    .fetch_all(&mut *tx)
    .await?;
    if let Some(unknown) = sender_ids.iter().find(|id| !known.contains(id)) {
        return Err(Error::invalid(
            "sender_ids",
            format!("there is no sender account {unknown} in your team"),
        ));
    }
    sqlx::query!(
        "DELETE FROM campaign_senders WHERE team_id = $1 AND campaign_id = $2",
        team_id,
        id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO campaign_senders (campaign_id, team_id, sender_account_id, position)
         SELECT $2, $1, sender, position::integer FROM unnest($3::uuid[]) WITH ORDINALITY AS s (sender, position)",
        team_id,
        id,
        sender_ids
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn set_steps(tx: &mut PgConnection, team_id: Uuid, id: Uuid, steps: &[Step]) -> Result<()> {
    sqlx::query!("DELETE FROM campaign_steps WHERE team_id = $1 AND campaign_id = $2", team_id, id)
        .execute(&mut *tx)
        .await?;
    let subjects: Vec<&str> = steps.iter().map(|s| s.subject.as_str()).collect();
    let bodies: Vec<&str> = steps.iter().map(|s| s.body.as_str()).collect();
    let htmls: Vec<Option<&str>> = steps.iter().map(|s| s.html.as_deref()).collect();
    let delays: Vec<i32> = steps.iter().map(|s| s.delay_days).collect();
    sqlx::query!(
        "INSERT INTO campaign_steps (campaign_id, team_id, step_number, subject, body, html_body, delay_days)
         SELECT $2, $1, n::integer, subject, body, html, delay
         FROM unnest($3::text[], $4::text[], $5::text[], $6::integer[]) WITH ORDINALITY AS s (subject, body, html, delay, n)",
        team_id,
        id,
        &subjects as &[&str],
        &bodies as &[&str],
        &htmls as &[Option<&str>],
        &delays
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The campaign with its steps, senders and progress.
pub async fn get(pool: &PgPool, team_id: Uuid, id: Uuid) -> Result<Campaign> {
    let row = sqlx::query!(
        r#"SELECT id, name, status AS "status: CampaignStatus", status_reason, time_zone, send_days,
                  start_hour, end_hour, min_gap_seconds, max_gap_seconds, stop_on_auto_reply,
                  bounce_pause_threshold, lead_fields, created_at, updated_at, started_at, completed_at
           FROM campaigns WHERE team_id = $1 AND id = $2"#,
        team_id,
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(Error::NotFound("campaign"))?;
    let steps = steps(pool, team_id, id).await?;
    let sender_ids = sqlx::query_scalar!(
        "SELECT sender_account_id FROM campaign_senders WHERE team_id = $1 AND campaign_id = $2 ORDER BY position",
        team_id,
        id
    )
    .fetch_all(pool)
    .await?;
    Ok(Campaign {
        id: row.id,
        name: row.name,
        status: row.status,
        status_reason: row.status_reason,
        sender_ids,
        steps,
        schedule: Schedule {
            timezone: row.time_zone,
            days: row.send_days,
            start_hour: row.start_hour,
            end_hour: row.end_hour,
            min_gap_seconds: row.min_gap_seconds,
            max_gap_seconds: row.max_gap_seconds,
        },
        settings: CampaignSettings {
            stop_on_auto_reply: row.stop_on_auto_reply,
            bounce_pause_threshold: row.bounce_pause_threshold,
        },
        lead_fields: row.lead_fields,
        stats: stats(pool, team_id, id).await?,
        created_at: row.created_at,
        updated_at: row.updated_at,
        started_at: row.started_at,
        completed_at: row.completed_at,
    })
}

pub async fn steps(pool: &PgPool, team_id: Uuid, id: Uuid) -> Result<Vec<Step>> {
    let mut conn = pool.acquire().await?;
    steps_in(&mut conn, team_id, id).await
}

async fn steps_in(conn: &mut PgConnection, team_id: Uuid, id: Uuid) -> Result<Vec<Step>> {
    Ok(sqlx::query_as!(
        Step,
        r#"SELECT subject, body, html_body AS html, delay_days FROM campaign_steps
           WHERE team_id = $1 AND campaign_id = $2 ORDER BY step_number"#,
        team_id,
        id
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// The campaign's progress counts.
async fn stats(pool: &PgPool, team_id: Uuid, id: Uuid) -> Result<CampaignStats> {
    let mut progress = progress(pool, team_id, &[id]).await?;
    Ok(progress.remove(&id).map(|p| p.stats).unwrap_or_default())
}

/// A campaign's progress: its stats, and the counts they come from.
pub(crate) struct Progress {
    pub stats: CampaignStats,
    pub counts: counts::Counts,
}

/// The progress of the team's campaigns `ids`: lead and message counts from the running
/// counts (a few rows, however large the campaign), the messages sent in the last 24 hours
/// (an index range bounded by a day's sends) and the accounts' remaining caps.
pub(crate) async fn progress(
    pool: &PgPool,
    team_id: Uuid,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Progress>> {
    use crate::model::{LeadStatus as L, OutboxStatus as O};
    // Three independent reads: run at once, the page waits for the slowest, not the sum.
    let (mut counts, sent_today, allowance) = tokio::try_join!(
        counts::for_campaigns(pool, team_id, ids),
        sent_today(pool, team_id, ids),
        allowance_today(pool, team_id, ids),
    )?;
    Ok(ids
        .iter()
        .map(|id| {
            let counts = counts.remove(id).unwrap_or_default();
            let stats = CampaignStats {
                leads: counts.leads(),
                pending: counts.leads_in(L::Pending),
                scheduled: counts.messages_in(&[O::Scheduled, O::Pending]),
                sent: counts.messages_in(&[O::Sent]),
                replied: counts.leads_in(L::Replied),
                auto_replied: counts.leads_in(L::AutoReplied),
                bounced: counts.leads_in(L::Bounced),
                unsubscribed: counts.leads_in(L::Unsubscribed),
                suppressed: counts.leads_in(L::Suppressed),
                failed: counts.leads_in(L::Failed),
                sent_today: sent_today.get(id).copied().unwrap_or(0),
                allowance_today: allowance.get(id).copied().unwrap_or(0),
            };
            (*id, Progress { stats, counts })
        })
        .collect())
}

/// Messages each campaign sent in the last 24 hours.
async fn sent_today(pool: &PgPool, team_id: Uuid, ids: &[Uuid]) -> Result<HashMap<Uuid, i64>> {
    Ok(sqlx::query!(
        r#"SELECT m.campaign_id, count(*) AS "sent!"
           FROM campaigns c JOIN outbox_messages m ON m.campaign_id = c.id
           WHERE c.team_id = $1 AND c.id = ANY($2) AND m.status = 'sent'
             AND m.sent_at > now() - interval '24 hours'
           GROUP BY m.campaign_id"#,
        team_id,
        ids
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|row| (row.campaign_id, row.sent))
    .collect())
}

/// How many more messages each campaign's accounts may send in the current rolling 24 hours
/// (their caps are shared with the team's other campaigns). An account waiting to be
/// reconnected sends nothing, so it adds nothing.
async fn allowance_today(pool: &PgPool, team_id: Uuid, ids: &[Uuid]) -> Result<HashMap<Uuid, i64>> {
    let accounts = sqlx::query!(
        r#"SELECT cs.campaign_id, s.kind, s.daily_cap,
                  (SELECT count(*) FROM sends d WHERE d.sender_id = s.id AND d.sent_at > now() - interval '24 hours') AS "sent!"
           FROM campaign_senders cs JOIN sender_accounts s ON s.id = cs.sender_account_id
           WHERE cs.team_id = $1 AND cs.campaign_id = ANY($2) AND s.status IN ('active', 'paused_until')"#,
        team_id,
        ids
    )
    .fetch_all(pool)
    .await?;
    let mut allowance: HashMap<Uuid, i64> = HashMap::new();
    for account in accounts {
        let kind = crate::senders::SenderKind::parse(&account.kind)
            .unwrap_or(crate::senders::SenderKind::Gmail);
        let cap = account.daily_cap.map_or(i64::from(kind.default_cap()), i64::from);
        *allowance.entry(account.campaign_id).or_default() += (cap - account.sent).max(0);
    }
    Ok(allowance)
}

/// The team's campaigns, newest first.
pub async fn list(pool: &PgPool, team_id: Uuid) -> Result<Vec<CampaignSummary>> {
    Ok(sqlx::query_as!(
        CampaignSummary,
        r#"SELECT c.id, c.name, c.status AS "status: CampaignStatus", c.status_reason,
                  c.lead_count::bigint AS "leads!",
                  (SELECT count(*) FROM campaign_steps s WHERE s.campaign_id = c.id) AS "steps!",
                  c.created_at
           FROM campaigns c WHERE c.team_id = $1 ORDER BY c.created_at DESC, c.id"#,
        team_id
    )
    .fetch_all(pool)
    .await?)
}

/// What a start request came to.
#[derive(Debug)]
pub enum StartOutcome {
    Started(Box<Campaign>),
    /// The lint found errors; nothing changed.
    Refused(LintReport),
}

/// Starts a draft campaign once the lint finds no errors.
pub async fn start(pool: &PgPool, team_id: Uuid, id: Uuid) -> Result<StartOutcome> {
    let report = lint::lint(pool, team_id, id).await?;
    if report.blocks_start() {
        return Ok(StartOutcome::Refused(report));
    }
    transition(pool, team_id, id, &[CampaignStatus::Draft], CampaignStatus::Running).await?;
    Ok(StartOutcome::Started(Box::new(get(pool, team_id, id).await?)))
}

pub async fn pause(pool: &PgPool, team_id: Uuid, id: Uuid) -> Result<Campaign> {
    transition(pool, team_id, id, &[CampaignStatus::Running], CampaignStatus::Paused).await?;
    get(pool, team_id, id).await
}

pub async fn resume(pool: &PgPool, team_id: Uuid, id: Uuid) -> Result<Campaign> {
    transition(pool, team_id, id, &[CampaignStatus::Paused], CampaignStatus::Running).await?;
    get(pool, team_id, id).await
}

pub async fn cancel(pool: &PgPool, team_id: Uuid, id: Uuid) -> Result<Campaign> {
    let from = [CampaignStatus::Draft, CampaignStatus::Running, CampaignStatus::Paused];
    transition(pool, team_id, id, &from, CampaignStatus::Cancelled).await?;
    get(pool, team_id, id).await
}

/// Moves the campaign to `to` if it is in one of `from`, in one transaction with the row
/// locked, so two concurrent requests cannot both act.
async fn transition(
    pool: &PgPool,
    team_id: Uuid,
    id: Uuid,
    from: &[CampaignStatus],
    to: CampaignStatus,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    let status = lock(&mut tx, team_id, id).await?;
    if !from.contains(&status) {
        let allowed: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
        return Err(Error::Conflict(format!(
            "the campaign is {}; only a {} campaign can become {}",
            status.as_str(),
            allowed.join(" or "),
            to.as_str()
        )));
    }
    sqlx::query!(
        "UPDATE campaigns SET status = $3, status_reason = NULL, updated_at = now(),
                started_at = CASE WHEN $3 = 'running' THEN coalesce(started_at, now()) ELSE started_at END
         WHERE team_id = $1 AND id = $2",
        team_id,
        id,
        to.as_str()
    )
    .execute(&mut *tx)
    .await?;
    match to {
        CampaignStatus::Running => {
            crate::outbox::plan_first_steps(&mut tx, team_id, id, chrono::Utc::now()).await?;
        }
        CampaignStatus::Cancelled => {
            crate::outbox::cancel_unsent(&mut tx, team_id, id).await?;
        }
        _ => {}
    }
    crate::events::notify(&mut *tx, team_id).await?;
    tx.commit().await?;
    Ok(())
}
