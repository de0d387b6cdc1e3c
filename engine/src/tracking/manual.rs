//! What people do to a lead by hand: mark it replied (its follow-ups stop) or suppress it
//! (the address joins the suppression list), undo that while it is safe — and the lead with
//! its timeline, as shown.
//!
//! **Undo** puts back exactly what the change did: the lead's status before, the messages it
//! cancelled (with their status and error) and, for a suppression, the suppression entry it
//! created; the change's event leaves the timeline. It is refused once anything else happened
//! that the change may have caused or that undoing would contradict:
//! - the lead is no longer in the status the change set (a bounce or an opt-out came after);
//! - an event was recorded for the lead since (a reply, a bounce, an opt-out, a later change
//!   by hand — undo the later change first); for a suppression, for any lead of the team
//!   with that address, since the entry covered them all;
//! - a message of the lead (for a suppression: of any lead with the address) changed since,
//!   e.g. one in flight at that moment was sent, or the worker skipped a suppressed address;
//! - the campaign was cancelled.
//!
//! A campaign that completed because the change left it nothing to send runs again when the
//! undo gives its messages back (the undo locks the campaign row, so the completion sweep
//! cannot act halfway through it).
//!
//! A suppression of an address that was already on the list is not undoable (removing the
//! entry would lift a suppression someone else made, and keeping it would make the undo a
//! no-op). Nothing else is ever removed from the list.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::effects;
use super::timeline::{self, NewEvent};
use crate::email_address::EmailAddress;
use crate::error::{Error, Result};
use crate::model::{LeadDetail, LeadEventKind, LeadPatch, LeadStatus, SuppressionReason};
use crate::suppression::{self, Target};

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
    let lead = sqlx::query!(
        r#"SELECT email, status AS "status: LeadStatus" FROM leads WHERE team_id = $1 AND id = $2 FOR UPDATE"#,
        team_id,
        lead_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound("lead"))?;
    // What the change may cancel, as it is now (for the undo).
    let open = sqlx::query!(
        "SELECT id, status, last_error FROM outbox_messages
         WHERE lead_id = $1 AND status IN ('scheduled', 'pending') ORDER BY id FOR UPDATE",
        lead_id
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut created_suppression = None;
    let (kind, summary) = match change.status {
        LeadStatus::Replied => (LeadEventKind::MarkedReplied, "Marked as replied by hand"),
        LeadStatus::Suppressed => {
            let address = EmailAddress::parse(&lead.email)
                .map_err(|e| Error::invalid("email", e.to_string()))?;
            let (entry, created) = suppression::insert(
                &mut tx,
                team_id,
                &Target::Email(address),
                SuppressionReason::Manual,
                "suppressed from the lead's page",
                by,
            )
            .await?;
            created_suppression = created.then_some(entry.id);
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
        let event =
            timeline::record(&mut tx, team_id, lead_id, &NewEvent::new(kind, now, summary.into()))
                .await?;
        let undoable = kind == LeadEventKind::MarkedReplied || created_suppression.is_some();
        if undoable {
            let ids: Vec<Uuid> = open.iter().map(|m| m.id).collect();
            let statuses: Vec<String> = open.iter().map(|m| m.status.clone()).collect();
            let errors: Vec<Option<String>> = open.iter().map(|m| m.last_error.clone()).collect();
            sqlx::query!(
                "INSERT INTO lead_change_undos (event_id, team_id, lead_id, previous_status,
                     cancelled_ids, cancelled_statuses, cancelled_errors, suppression_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                event,
                team_id,
                lead_id,
                lead.status.as_str(),
                &ids,
                &statuses,
                &errors as &[Option<String>],
                created_suppression
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    detail(pool, team_id, lead_id).await
}

/// Takes back the lead's latest change by hand ("Mark as replied" or "Suppress") while it is
/// safe (see the module documentation); otherwise `Error::Conflict` says why not.
pub async fn undo(pool: &PgPool, team_id: Uuid, lead_id: Uuid) -> Result<LeadDetail> {
    let mut tx = pool.begin().await?;
    let lead = sqlx::query!(
        r#"SELECT l.email, l.status AS "status: LeadStatus", l.campaign_id, c.status AS campaign_status
           FROM leads l JOIN campaigns c ON c.id = l.campaign_id
           WHERE l.team_id = $1 AND l.id = $2 FOR UPDATE OF l, c"#,
        team_id,
        lead_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound("lead"))?;
    let change = sqlx::query!(
        r#"SELECT u.event_id, u.previous_status AS "previous_status: LeadStatus", u.cancelled_ids,
                  u.cancelled_statuses, u.cancelled_errors AS "cancelled_errors: Vec<Option<String>>",
                  u.suppression_id, u.created_at, e.kind AS "kind: LeadEventKind"
           FROM lead_change_undos u JOIN lead_events e ON e.id = u.event_id
           WHERE u.team_id = $1 AND u.lead_id = $2
           ORDER BY u.created_at DESC, u.event_id DESC LIMIT 1"#,
        team_id,
        lead_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::Conflict("there is no change by hand to undo on this lead".into()))?;
    let set_to = match change.kind {
        LeadEventKind::Suppressed => LeadStatus::Suppressed,
        _ => LeadStatus::Replied,
    };
    if lead.status != set_to {
        return Err(Error::Conflict(format!(
            "the lead is {} now; the change can no longer be undone",
            lead.status.as_str().replace('_', " ")
        )));
    }
    if lead.campaign_status == "cancelled" {
        return Err(Error::Conflict(
            "the campaign is cancelled; the change can no longer be undone".into(),
        ));
    }
    // The leads the change touched: a suppression covers every lead with the address.
    let scope: Vec<Uuid> = if set_to == LeadStatus::Suppressed {
        crate::campaigns::leads::ids_with_address(&mut tx, team_id, &lead.email).await?
    } else {
        vec![lead_id]
    };
    let later_event = sqlx::query_scalar!(
        r#"SELECT kind FROM lead_events
           WHERE team_id = $1 AND lead_id = ANY($2) AND id <> $3 AND created_at >= $4
           ORDER BY created_at LIMIT 1"#,
        team_id,
        &scope,
        change.event_id,
        change.created_at
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(kind) = later_event {
        return Err(Error::Conflict(format!(
            "something happened since ({}); the change can no longer be undone",
            kind.replace('_', " ")
        )));
    }
    let messages_moved = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM outbox_messages
                          WHERE team_id = $1 AND lead_id = ANY($2) AND updated_at > $3) AS "moved!""#,
        team_id,
        &scope,
        change.created_at
    )
    .fetch_one(&mut *tx)
    .await?;
    if messages_moved {
        return Err(Error::Conflict(
            "a message to this address was sent or skipped since; the change can no longer be undone"
                .into(),
        ));
    }

    sqlx::query!(
        "UPDATE leads SET status = $3, updated_at = now() WHERE team_id = $1 AND id = $2",
        team_id,
        lead_id,
        change.previous_status.as_str()
    )
    .execute(&mut *tx)
    .await?;
    let restored = sqlx::query!(
        "UPDATE outbox_messages o SET status = r.status, last_error = r.error, updated_at = now()
         FROM unnest($2::uuid[], $3::text[], $4::text[]) AS r (id, status, error)
         WHERE o.id = r.id AND o.lead_id = $1 AND o.status = 'cancelled'",
        lead_id,
        &change.cancelled_ids,
        &change.cancelled_statuses,
        &change.cancelled_errors as &[Option<String>]
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if restored > 0 {
        // The change may have left the campaign nothing to send, and it completed.
        crate::campaigns::completion::reopen(&mut tx, lead.campaign_id).await?;
    }
    if let Some(entry) = change.suppression_id {
        sqlx::query!("DELETE FROM suppressions WHERE team_id = $1 AND id = $2", team_id, entry)
            .execute(&mut *tx)
            .await?;
    }
    // The change leaves the timeline (its undo record goes with it).
    sqlx::query!(
        "DELETE FROM lead_events WHERE team_id = $1 AND id = $2",
        team_id,
        change.event_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    detail(pool, team_id, lead_id).await
}
