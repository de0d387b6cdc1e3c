//! The ledger of sends: one row per message Gmail accepted from an account. Daily caps are
//! counted from it over a rolling 24 hours, in PostgreSQL, so every app instance sees the same
//! count and it survives restarts.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::model::{SenderKind, SenderStatus};
use crate::error::{Error, Result};
use crate::scheduling::RollingCap;
use crate::scheduling::rolling_cap::WINDOW;

/// Records a send from the account at `sent_at`. The outbox records it when it claims a
/// message (a reservation: the attempt may reach Gmail) with the message's id, and releases it
/// with [`release_send`] when the attempt certainly did not.
pub async fn record_send(
    executor: impl PgExecutor<'_>,
    team_id: Uuid,
    sender_id: Uuid,
    sent_at: DateTime<Utc>,
    outbox_message_id: Option<Uuid>,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO sends (team_id, sender_id, sent_at, outbox_message_id)
         SELECT team_id, id, $3, $4 FROM sender_accounts WHERE team_id = $1 AND id = $2",
        team_id,
        sender_id,
        sent_at,
        outbox_message_id
    )
    .execute(executor)
    .await
    .map_err(Error::from)
    .and_then(|done| {
        if done.rows_affected() == 1 { Ok(()) } else { Err(Error::NotFound("sender account")) }
    })
}

/// Frees the cap slot an outbox message's attempt reserved (it certainly did not send).
pub async fn release_send(executor: impl PgExecutor<'_>, outbox_message_id: Uuid) -> Result<()> {
    sqlx::query!("DELETE FROM sends WHERE outbox_message_id = $1", outbox_message_id)
        .execute(executor)
        .await?;
    Ok(())
}

/// Messages sent from the account in the 24 hours before `now`.
pub async fn sent_last_24h(
    executor: impl PgExecutor<'_>,
    team_id: Uuid,
    sender_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u32> {
    let count = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM sends
           WHERE team_id = $1 AND sender_id = $2 AND sent_at > $3 AND sent_at <= $4"#,
        team_id,
        sender_id,
        now - WINDOW,
        now
    )
    .fetch_one(executor)
    .await?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

/// Whether an account may send one more message now, and if not, until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendAllowance {
    /// `remaining` more messages fit in the rolling window (at least 1).
    Available {
        remaining: u32,
    },
    /// The cap is used up; a slot frees at `until` (the oldest counted send turns 24 h old).
    CapReached {
        until: DateTime<Utc>,
    },
    /// Gmail's limit was hit; the account rests until `until`.
    Paused {
        until: DateTime<Utc>,
    },
    NeedsReauth,
    Disconnected,
}

/// Locks the account's row (`FOR UPDATE`) and says whether it may send now. Call it inside the
/// transaction that claims a message for sending and record the send (`record_send`) before
/// committing or releasing the claim, so two app instances cannot both take the last slot.
pub async fn send_allowance(
    conn: &mut PgConnection,
    team_id: Uuid,
    sender_id: Uuid,
    now: DateTime<Utc>,
) -> Result<SendAllowance> {
    let account = sqlx::query!(
        "SELECT kind, daily_cap, status, paused_until FROM sender_accounts
         WHERE team_id = $1 AND id = $2 FOR UPDATE",
        team_id,
        sender_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound("sender account"))?;
    let status = SenderStatus::parse(&account.status)
        .ok_or_else(|| Error::internal(format!("unknown sender status {:?}", account.status)))?;
    match status.effective(account.paused_until, now) {
        SenderStatus::Active => {}
        SenderStatus::PausedUntil => {
            return Ok(SendAllowance::Paused { until: account.paused_until.unwrap_or(now) });
        }
        SenderStatus::NeedsReauth => return Ok(SendAllowance::NeedsReauth),
        SenderStatus::Disconnected => return Ok(SendAllowance::Disconnected),
    }
    let kind = SenderKind::parse(&account.kind)
        .ok_or_else(|| Error::internal(format!("unknown sender kind {:?}", account.kind)))?;
    let cap = account.daily_cap.and_then(|c| u32::try_from(c).ok()).unwrap_or(kind.default_cap());
    let sends = sqlx::query_scalar!(
        "SELECT sent_at FROM sends
         WHERE team_id = $1 AND sender_id = $2 AND sent_at > $3 AND sent_at <= $4",
        team_id,
        sender_id,
        now - WINDOW,
        now
    )
    .fetch_all(&mut *conn)
    .await?;
    let cap = RollingCap { limit: cap };
    Ok(match cap.remaining(&sends, now) {
        0 => SendAllowance::CapReached { until: cap.next_slot(&sends, now) },
        remaining => SendAllowance::Available { remaining },
    })
}
