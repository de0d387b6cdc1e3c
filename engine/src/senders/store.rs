//! Reading and changing sender accounts: the listing (with the rolling 24-hour send count and
//! today's quota units), an admin's edits, which reps may use which account, and the status
//! changes the rest of the engine reports (needs reauth, paused).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::model::{DailyCap, SenderAccount, SenderKind, SenderStatus, tracking_allowed};
use crate::error::{Error, Result};
use crate::model::User;
use crate::scheduling::rolling_cap::WINDOW;
use crate::single_line::single_line;

const NOT_FOUND: Error = Error::NotFound("sender account");

struct Row {
    id: Uuid,
    email: String,
    display_name: String,
    kind: String,
    daily_cap: Option<i32>,
    status: String,
    paused_until: Option<DateTime<Utc>>,
    status_reason: Option<String>,
    granted_scopes: Vec<String>,
    created_at: DateTime<Utc>,
    last_synced_at: Option<DateTime<Utc>>,
    sync_error: Option<String>,
    sent_last_24h: i64,
    quota_units_today: i64,
}

impl Row {
    fn into_account(self, now: DateTime<Utc>) -> Result<SenderAccount> {
        let kind = SenderKind::parse(&self.kind)
            .ok_or_else(|| Error::internal(format!("unknown sender kind {:?}", self.kind)))?;
        let stored = SenderStatus::parse(&self.status)
            .ok_or_else(|| Error::internal(format!("unknown sender status {:?}", self.status)))?;
        let status = stored.effective(self.paused_until, now);
        let cap = self.daily_cap.and_then(|c| u32::try_from(c).ok());
        Ok(SenderAccount {
            id: self.id,
            email: self.email,
            display_name: self.display_name,
            kind,
            daily_cap: cap.unwrap_or_else(|| kind.default_cap()),
            daily_cap_is_default: cap.is_none(),
            gmail_limit: kind.gmail_limit(),
            sent_last_24h: u32::try_from(self.sent_last_24h).unwrap_or(u32::MAX),
            status,
            paused_until: (status == SenderStatus::PausedUntil)
                .then_some(self.paused_until)
                .flatten(),
            status_reason: if status == SenderStatus::Active { None } else { self.status_reason },
            quota_units_today: u64::try_from(self.quota_units_today).unwrap_or_default(),
            tracking: tracking_allowed(&self.granted_scopes),
            last_synced_at: self.last_synced_at,
            sync_error: self.sync_error,
            granted_scopes: self.granted_scopes,
            connected_at: self.created_at,
        })
    }
}

/// The accounts `viewer` may see: every account of the team for admins, the granted ones for
/// reps. Ordered by address.
pub async fn list(
    pool: &PgPool,
    team_id: Uuid,
    viewer: &User,
    now: DateTime<Utc>,
) -> Result<Vec<SenderAccount>> {
    let rows = fetch(pool, team_id, None, restrict_to(viewer), now).await?;
    rows.into_iter().map(|row| row.into_account(now)).collect()
}

/// Every account of the team, whoever asks: a campaign's progress shows the state of the
/// accounts it sends from to everyone who may see the campaign.
pub async fn list_all(
    pool: &PgPool,
    team_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<SenderAccount>> {
    let rows = fetch(pool, team_id, None, None, now).await?;
    rows.into_iter().map(|row| row.into_account(now)).collect()
}

/// One account of the team, if `viewer` may see it (reps: only granted accounts; others look
/// the same as missing ones).
pub async fn get(
    pool: &PgPool,
    team_id: Uuid,
    viewer: &User,
    sender_id: Uuid,
    now: DateTime<Utc>,
) -> Result<SenderAccount> {
    fetch(pool, team_id, Some(sender_id), restrict_to(viewer), now)
        .await?
        .into_iter()
        .next()
        .ok_or(NOT_FOUND)?
        .into_account(now)
}

/// One account of the team, whoever asks (the engine's own use: sending, syncing).
pub async fn get_any(
    pool: &PgPool,
    team_id: Uuid,
    sender_id: Uuid,
    now: DateTime<Utc>,
) -> Result<SenderAccount> {
    fetch(pool, team_id, Some(sender_id), None, now)
        .await?
        .into_iter()
        .next()
        .ok_or(NOT_FOUND)?
        .into_account(now)
}

fn restrict_to(viewer: &User) -> Option<Uuid> {
    (!viewer.is_admin()).then_some(viewer.id)
}

fn utc_day(now: DateTime<Utc>) -> NaiveDate {
    now.date_naive()
}

async fn fetch(
    pool: &PgPool,
    team_id: Uuid,
    sender_id: Option<Uuid>,
    granted_to: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Vec<Row>> {
    Ok(sqlx::query_as!(
        Row,
        r#"SELECT s.id, s.email, s.display_name, s.kind, s.daily_cap, s.status, s.paused_until,
                  s.status_reason, s.granted_scopes, s.created_at, s.last_synced_at, s.sync_error,
                  (SELECT count(*) FROM sends x
                    WHERE x.sender_id = s.id AND x.sent_at > $6 AND x.sent_at <= $4)
                    AS "sent_last_24h!",
                  (SELECT coalesce(sum(q.units), 0)::bigint FROM sender_quota_usage q
                    WHERE q.sender_id = s.id AND q.day = $5) AS "quota_units_today!"
           FROM sender_accounts s
           WHERE s.team_id = $1
             AND ($2::uuid IS NULL OR s.id = $2)
             AND ($3::uuid IS NULL OR EXISTS (
                   SELECT 1 FROM sender_access a WHERE a.sender_id = s.id AND a.user_id = $3))
           ORDER BY s.email"#,
        team_id,
        sender_id,
        granted_to,
        now,
        utc_day(now),
        now - WINDOW,
    )
    .fetch_all(pool)
    .await?)
}

/// An admin's edit. `None` leaves a value as it is; `daily_cap: Some(None)` returns to the
/// default (90% of the kind's limit).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderChanges {
    pub kind: Option<String>,
    pub daily_cap: Option<Option<i64>>,
    pub display_name: Option<String>,
}

/// Applies an admin's edit; validation errors name the field (`kind`, `daily_cap`,
/// `display_name`).
pub async fn update(
    pool: &PgPool,
    team_id: Uuid,
    sender_id: Uuid,
    changes: SenderChanges,
    now: DateTime<Utc>,
) -> Result<SenderAccount> {
    let mut tx = pool.begin().await?;
    let current = sqlx::query!(
        "SELECT kind, daily_cap, display_name FROM sender_accounts
         WHERE team_id = $1 AND id = $2 FOR UPDATE",
        team_id,
        sender_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(NOT_FOUND)?;
    let kind = match &changes.kind {
        Some(text) => SenderKind::parse(text).ok_or_else(|| {
            Error::invalid(
                "kind",
                format!("unknown kind {text:?}: use gmail, workspace or workspace_trial"),
            )
        })?,
        None => SenderKind::parse(&current.kind)
            .ok_or_else(|| Error::internal(format!("unknown sender kind {:?}", current.kind)))?,
    };
    let daily_cap = match changes.daily_cap {
        Some(Some(value)) => Some(DailyCap::parse(value, kind)),
        Some(None) => None,
        None => current.daily_cap.map(|cap| {
            DailyCap::parse(i64::from(cap), kind)
                .map_err(|problem| format!("{problem}; lower the cap together with the kind"))
        }),
    }
    .transpose()
    .map_err(|problem| Error::invalid("daily_cap", problem))?;
    let display_name = match changes.display_name {
        Some(name) => {
            let name = single_line(&name);
            if name.chars().count() > 200 {
                return Err(Error::invalid(
                    "display_name",
                    "the name is longer than 200 characters",
                ));
            }
            name
        }
        None => current.display_name,
    };
    sqlx::query!(
        "UPDATE sender_accounts SET kind = $3, daily_cap = $4, display_name = $5, updated_at = now()
         WHERE team_id = $1 AND id = $2",
        team_id,
        sender_id,
        kind.as_str(),
        daily_cap.map(|cap| cap.get() as i32),
        display_name
    )
    .execute(&mut *tx)
    .await?;
    crate::events::notify(&mut *tx, team_id).await?;
    tx.commit().await?;
    get_any(pool, team_id, sender_id, now).await
}

/// The reps (user ids) allowed to use an account. Admins may use every account anyway.
pub async fn allowed_users(pool: &PgPool, team_id: Uuid, sender_id: Uuid) -> Result<Vec<Uuid>> {
    ensure_exists(pool, team_id, sender_id).await?;
    Ok(sqlx::query_scalar!(
        "SELECT a.user_id FROM sender_access a JOIN users u ON u.id = a.user_id
         WHERE a.team_id = $1 AND a.sender_id = $2 ORDER BY lower(u.name), u.email",
        team_id,
        sender_id
    )
    .fetch_all(pool)
    .await?)
}

/// Allows (or stops) a user of the team sending from an account. Idempotent.
pub async fn set_access(
    pool: &PgPool,
    team_id: Uuid,
    sender_id: Uuid,
    user_id: Uuid,
    allowed: bool,
    granted_by: Uuid,
) -> Result<()> {
    ensure_exists(pool, team_id, sender_id).await?;
    crate::team::get_user(pool, team_id, user_id).await?;
    if allowed {
        sqlx::query!(
            "INSERT INTO sender_access (team_id, sender_id, user_id, granted_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT (sender_id, user_id) DO NOTHING",
            team_id,
            sender_id,
            user_id,
            granted_by
        )
        .execute(pool)
        .await?;
    } else {
        sqlx::query!(
            "DELETE FROM sender_access WHERE team_id = $1 AND sender_id = $2 AND user_id = $3",
            team_id,
            sender_id,
            user_id
        )
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Checks that `user` may send from every one of `sender_ids` (for campaigns): unknown ids
/// and, for reps, accounts not granted to them are refused, naming the `sender_ids` field.
pub async fn ensure_usable(
    pool: &PgPool,
    team_id: Uuid,
    user: &User,
    sender_ids: &[Uuid],
) -> Result<()> {
    let usable = sqlx::query_scalar!(
        "SELECT s.id FROM sender_accounts s
         WHERE s.team_id = $1 AND s.id = ANY($2)
           AND ($3::uuid IS NULL OR EXISTS (
                 SELECT 1 FROM sender_access a WHERE a.sender_id = s.id AND a.user_id = $3))",
        team_id,
        sender_ids,
        restrict_to(user)
    )
    .fetch_all(pool)
    .await?;
    match sender_ids.iter().find(|id| !usable.contains(id)) {
        Some(id) => Err(Error::invalid(
            "sender_ids",
            format!("there is no sender account {id} that you may use"),
        )),
        None => Ok(()),
    }
}

async fn ensure_exists(pool: &PgPool, team_id: Uuid, sender_id: Uuid) -> Result<()> {
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM sender_accounts WHERE team_id = $1 AND id = $2) AS "exists!""#,
        team_id,
        sender_id
    )
    .fetch_one(pool)
    .await?;
    if exists { Ok(()) } else { Err(NOT_FOUND) }
}

/// Google no longer accepts the account's grant (or the stored tokens are unusable): it stops
/// until an admin reconnects it. Disconnected accounts stay disconnected.
pub async fn mark_needs_reauth(
    conn: &mut PgConnection,
    team_id: Uuid,
    sender_id: Uuid,
    reason: &str,
) -> Result<()> {
    let updated = sqlx::query!(
        "UPDATE sender_accounts
         SET status = 'needs_reauth', status_reason = $3, paused_until = NULL,
             token_refresh_lease_until = NULL, updated_at = now()
         WHERE team_id = $1 AND id = $2 AND status <> 'disconnected'",
        team_id,
        sender_id,
        reason
    )
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        tracing::debug!(%sender_id, "needs_reauth not recorded: account missing or disconnected");
    } else {
        crate::events::notify(&mut *conn, team_id).await?;
    }
    Ok(())
}

/// Gmail's sending limit was hit: no sending from the account until `until` (only an active or
/// already paused account is paused; a later pause wins).
pub async fn pause_until(
    conn: &mut PgConnection,
    team_id: Uuid,
    sender_id: Uuid,
    until: DateTime<Utc>,
    reason: &str,
) -> Result<()> {
    sqlx::query!(
        "UPDATE sender_accounts
         SET status = 'paused_until', status_reason = $4, updated_at = now(),
             paused_until = CASE WHEN status = 'paused_until' AND paused_until > $3
                                 THEN paused_until ELSE $3 END
         WHERE team_id = $1 AND id = $2 AND status IN ('active', 'paused_until')",
        team_id,
        sender_id,
        until,
        reason
    )
    .execute(&mut *conn)
    .await?;
    crate::events::notify(&mut *conn, team_id).await?;
    Ok(())
}
