//! What a reply, a bounce or an opt-out does to a lead, in the caller's transaction: its
//! status, its unsent messages, the suppression list and its timeline. Shared by the sync,
//! the unsubscribe link and the buttons people press.

use sqlx::PgConnection;
use uuid::Uuid;

use super::timeline::{self, NewEvent};
use crate::email_address::EmailAddress;
use crate::error::{Error, Result};
use crate::model::{LeadStatus, SuppressionReason};
use crate::suppression::{self, Target};

/// How firmly a status ends a lead's sequence. A weaker signal never overrides a stronger one:
/// an out-of-office after a reply stays a reply, a reply after an opt-out stays an opt-out.
fn strength(status: LeadStatus) -> u8 {
    match status {
        LeadStatus::AutoReplied => 1,
        LeadStatus::Replied => 2,
        LeadStatus::Bounced | LeadStatus::Suppressed => 3,
        LeadStatus::Unsubscribed => 4,
        _ => 0,
    }
}

/// Whether a lead in `current` moves to `new`.
pub fn replaces(current: LeadStatus, new: LeadStatus) -> bool {
    strength(new) > strength(current)
}

/// Moves the lead to `status` (unless it already is somewhere firmer); with `stop`, all its
/// unsent messages are cancelled. Returns whether the status changed. Open dashboards hear
/// of any change (of the lead's status, or of its messages).
pub(crate) async fn set_status(
    tx: &mut PgConnection,
    team_id: Uuid,
    lead_id: Uuid,
    status: LeadStatus,
    stop: bool,
) -> Result<bool> {
    let current = sqlx::query_scalar!(
        r#"SELECT status AS "status: LeadStatus" FROM leads WHERE team_id = $1 AND id = $2 FOR UPDATE"#,
        team_id,
        lead_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound("lead"))?;
    if stop {
        crate::outbox::cancel_lead(
            tx,
            lead_id,
            &format!("not sent: the lead is {}", status.as_str()),
        )
        .await?;
    }
    if !replaces(current, status) {
        if stop {
            crate::events::notify(&mut *tx, team_id).await?;
        }
        return Ok(false);
    }
    sqlx::query!(
        "UPDATE leads SET status = $3, updated_at = now() WHERE team_id = $1 AND id = $2",
        team_id,
        lead_id,
        status.as_str()
    )
    .execute(&mut *tx)
    .await?;
    crate::events::notify(&mut *tx, team_id).await?;
    Ok(true)
}

/// Puts the address on the team's suppression list (kept as it is when already there).
pub(crate) async fn suppress(
    tx: &mut PgConnection,
    team_id: Uuid,
    email: &str,
    reason: SuppressionReason,
    note: &str,
    by: Option<Uuid>,
) -> Result<()> {
    let address = EmailAddress::parse(email).map_err(|e| Error::invalid("email", e.to_string()))?;
    suppression::insert(tx, team_id, &Target::Email(address), reason, note, by).await?;
    Ok(())
}

/// The person asked to hear nothing more (unsubscribe link, "remove me" answer): the address
/// is suppressed team-wide, and every lead of the team with it stops, with the event on its
/// timeline. Returns how many leads changed (0 when it was all done before: idempotent).
pub(crate) async fn opt_out(
    tx: &mut PgConnection,
    team_id: Uuid,
    email: &str,
    event: &NewEvent<'_>,
) -> Result<u32> {
    suppress(tx, team_id, email, SuppressionReason::Unsubscribed, &event.summary, None).await?;
    let leads = crate::campaigns::leads::ids_with_address(tx, team_id, email).await?;
    let mut changed = 0;
    for lead_id in leads {
        if set_status(tx, team_id, lead_id, LeadStatus::Unsubscribed, true).await? {
            timeline::record(tx, team_id, lead_id, event).await?;
            changed += 1;
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stronger_signals_win_and_weaker_ones_never_undo_them() {
        use LeadStatus::*;
        assert!(replaces(InSequence, Replied));
        assert!(replaces(Completed, AutoReplied));
        assert!(replaces(AutoReplied, Replied));
        assert!(replaces(Replied, Unsubscribed));
        assert!(replaces(InSequence, Bounced));
        assert!(!replaces(Replied, AutoReplied));
        assert!(!replaces(Unsubscribed, Replied));
        assert!(!replaces(Bounced, Bounced));
        assert!(!replaces(Replied, Replied));
    }
}
