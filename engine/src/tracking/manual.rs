//! What people do to a lead by hand: mark it replied (its follow-ups stop) or suppress it
//! (the address joins the suppression list) — and the lead with its timeline, as shown.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::effects;
use super::timeline::{self, NewEvent};
use crate::error::{Error, Result};
use crate::model::{LeadDetail, LeadEventKind, LeadPatch, LeadStatus, SuppressionReason};

/// The lead with its timeline.
pub async fn detail(pool: &PgPool, team_id: Uuid, lead_id: Uuid) -> Result<LeadDetail> {
    let lead = crate::campaigns::leads::get(pool, team_id, lead_id).await?;
    let events = timeline::for_lead(pool, team_id, lead_id).await?;
    Ok(LeadDetail { lead, events })
}

/// Applies a change by hand: `replied` or `suppressed`. Idempotent.
pub async fn patch(
    pool: &PgPool,
    team_id: Uuid,
    lead_id: Uuid,
    change: &LeadPatch,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<LeadDetail> {
    let mut tx = pool.begin().await?;
    let email = sqlx::query_scalar!(
        "SELECT email FROM leads WHERE team_id = $1 AND id = $2",
        team_id,
        lead_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound("lead"))?;
    let (kind, summary) = match change.status {
        LeadStatus::Replied => (LeadEventKind::MarkedReplied, "Marked as replied by hand"),
        LeadStatus::Suppressed => {
            effects::suppress(
                &mut tx,
                team_id,
                &email,
                SuppressionReason::Manual,
                "suppressed from the lead's page",
                by,
            )
            .await?;
            (LeadEventKind::Suppressed, "Suppressed by hand: the address is never mailed again")
        }
        other => {
            return Err(Error::invalid(
                "status",
                format!(
                    "a lead cannot be set to '{}' by hand: use 'replied' or 'suppressed'",
                    other.as_str()
                ),
            ));
        }
    };
    if effects::set_status(&mut tx, team_id, lead_id, change.status, true).await? {
        timeline::record(&mut tx, team_id, lead_id, &NewEvent::new(kind, now, summary.into()))
            .await?;
    }
    tx.commit().await?;
    detail(pool, team_id, lead_id).await
}
