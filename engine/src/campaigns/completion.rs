//! A running campaign completes by itself once nothing is left to send: every lead got its
//! last step or stopped (replied, bounced, opted out, suppressed, failed), and no message is
//! still to go out or on its way. Replies and bounces to what it sent are still read after.
//!
//! Race-free with the changes that give a campaign work again: importing leads, starting and
//! resuming lock the campaign row, and the worker turns a `sending` message into `sent` and
//! plans the next step in one transaction, so there is never a moment without an open
//! message. The sweep locks the campaigns it found finished and checks again in a new
//! statement (whose snapshot follows the lock), so an import that committed meanwhile is seen.
//! The few changes that give a completed campaign work again — new leads, an undo by hand, a
//! sent message Gmail did not deliver — lock the campaign row first and [`reopen`] it.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::error::Result;

/// Why a campaign completed, as its page and the dashboard say it.
pub const REASON: &str = "Nothing is left to send: every lead got its last email or stopped (replied, bounced, opted out, suppressed or failed).";

/// Completes every running campaign that has nothing left to send; returns their ids. Safe
/// with any number of instances sweeping at once (each skips the campaigns another holds).
pub async fn complete_finished(pool: &PgPool, now: DateTime<Utc>) -> Result<Vec<Uuid>> {
    let mut tx = pool.begin().await?;
    let finished = sqlx::query_scalar!(
        "SELECT id FROM campaigns WHERE status = 'running' AND NOT campaign_has_work(id)
         FOR UPDATE SKIP LOCKED"
    )
    .fetch_all(&mut *tx)
    .await?;
    if finished.is_empty() {
        return Ok(Vec::new());
    }
    let completed = sqlx::query!(
        "UPDATE campaigns SET status = 'completed', status_reason = $2, completed_at = $3,
                updated_at = now()
         WHERE id = ANY($1) AND status = 'running' AND NOT campaign_has_work(id)
         RETURNING team_id, id",
        &finished,
        REASON,
        now
    )
    .fetch_all(&mut *tx)
    .await?;
    let teams: BTreeSet<Uuid> = completed.iter().map(|row| row.team_id).collect();
    for team_id in teams {
        crate::events::notify(&mut *tx, team_id).await?;
    }
    tx.commit().await?;
    for row in &completed {
        tracing::info!(team_id = %row.team_id, campaign_id = %row.id, "campaign completed");
    }
    Ok(completed.into_iter().map(|row| row.id).collect())
}

/// Makes a completed campaign run again, after a change gave it something to send. The caller
/// locked the campaign row before that change (`campaigns::lock`), so no sweep completed it in
/// between; a running or paused campaign stays as it is.
pub(crate) async fn reopen(tx: &mut PgConnection, campaign_id: Uuid) -> Result<()> {
    sqlx::query!(
        "UPDATE campaigns SET status = 'running', status_reason = NULL, completed_at = NULL,
                updated_at = now()
         WHERE id = $1 AND status = 'completed'",
        campaign_id
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}
