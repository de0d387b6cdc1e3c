//! An account's OAuth tokens: stored encrypted (AES-256-GCM under `OUTREACH_SECRET_KEY`, bound
//! to the row id and to which token it is), refreshed shortly before they expire — one refresh
//! at a time per account across every app instance — and revoked on disconnect.
//!
//! The single refresh is a lease in the account's row (`token_refresh_lease_until`), not a
//! lock held across Google's answer: no transaction or connection waits on the network, and an
//! instance that dies mid-refresh only delays the others until the lease runs out.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use uuid::Uuid;

use super::model::SenderStatus;
use super::store::mark_needs_reauth;
use crate::crypto::SecretKey;
use crate::error::Error;
use crate::gmail::oauth::{GoogleOAuth, OAuthError, TokenSet};

/// Refresh this long before the access token expires, so no call starts with a token that
/// dies on the way.
pub const REFRESH_MARGIN: TimeDelta = TimeDelta::minutes(5);
/// How long a refreshing instance holds the lease (longer than the OAuth client's timeout).
const LEASE_SECONDS: f64 = 45.0;
/// How often a waiting caller looks whether the refresh is done.
const WAIT_STEP: Duration = Duration::from_millis(100);
/// How long a caller waits for another instance's refresh before giving up for now.
const WAIT_LIMIT: Duration = Duration::from_secs(60);

/// Why no usable access token can be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("sender account not found")]
    NotFound,
    /// Google refused the grant (or the tokens cannot be read): an admin must reconnect.
    #[error("the account must be reconnected: {reason}")]
    NeedsReauth { reason: String },
    #[error("the account is disconnected")]
    Disconnected,
    /// Google could not be asked (network, 5xx, unexpected answer): try again later.
    #[error("could not refresh the access token: {0}")]
    Google(OAuthError),
    /// Another instance's refresh did not finish in time: try again later.
    #[error("another refresh of this account's token is still running")]
    Busy,
    #[error(transparent)]
    Engine(#[from] Error),
}

impl From<sqlx::Error> for TokenError {
    fn from(error: sqlx::Error) -> Self {
        TokenError::Engine(error.into())
    }
}

impl From<TokenError> for Error {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::NotFound => Error::NotFound("sender account"),
            TokenError::Engine(error) => error,
            TokenError::NeedsReauth { reason } => {
                Error::Conflict(format!("the account must be reconnected: {reason}"))
            }
            TokenError::Disconnected => Error::Conflict("the account is disconnected".into()),
            TokenError::Google(error) => Error::Internal(error.to_string()),
            TokenError::Busy => Error::Internal(TokenError::Busy.to_string()),
        }
    }
}

/// Which of an account's tokens a ciphertext holds (part of the encryption context, so an
/// access token's ciphertext never decrypts as a refresh token or in another row).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Which {
    Access,
    Refresh,
}

fn context(sender_id: Uuid, which: Which) -> Vec<u8> {
    let name = match which {
        Which::Access => "access_token",
        Which::Refresh => "refresh_token",
    };
    format!("sender_accounts/{sender_id}/{name}").into_bytes()
}

pub(crate) fn seal(
    key: &SecretKey,
    sender_id: Uuid,
    which: Which,
    token: &SecretString,
) -> Vec<u8> {
    key.encrypt(token.expose_secret().as_bytes(), &context(sender_id, which))
}

pub(crate) fn open(
    key: &SecretKey,
    sender_id: Uuid,
    which: Which,
    sealed: &[u8],
) -> Option<SecretString> {
    let plain = key.decrypt(sealed, &context(sender_id, which)).ok()?;
    String::from_utf8(plain).ok().map(SecretString::from)
}

const UNREADABLE: &str = "the stored Google tokens cannot be decrypted with this OUTREACH_SECRET_KEY \
                          (was the key changed?); reconnect the account";

/// A usable access token for the account, refreshed first when it expires within
/// [`REFRESH_MARGIN`]. Time is `oauth`'s clock.
pub async fn access_token(
    pool: &PgPool,
    key: &SecretKey,
    oauth: &GoogleOAuth,
    team_id: Uuid,
    sender_id: Uuid,
) -> Result<SecretString, TokenError> {
    usable_token(pool, key, oauth, team_id, sender_id, None).await
}

/// After Gmail answered 401 to `rejected`: a different, refreshed token (unless another call
/// already refreshed it, whose token is returned). Retry the call once with it.
pub async fn access_token_after_rejection(
    pool: &PgPool,
    key: &SecretKey,
    oauth: &GoogleOAuth,
    team_id: Uuid,
    sender_id: Uuid,
    rejected: &SecretString,
) -> Result<SecretString, TokenError> {
    usable_token(pool, key, oauth, team_id, sender_id, Some(rejected)).await
}

struct TokenRow {
    status: String,
    status_reason: Option<String>,
    access_token_enc: Option<Vec<u8>>,
    access_token_expires_at: Option<DateTime<Utc>>,
    refresh_token_enc: Option<Vec<u8>>,
}

async fn load(pool: &PgPool, team_id: Uuid, sender_id: Uuid) -> Result<TokenRow, TokenError> {
    sqlx::query_as!(
        TokenRow,
        "SELECT status, status_reason, access_token_enc, access_token_expires_at, refresh_token_enc
         FROM sender_accounts WHERE team_id = $1 AND id = $2",
        team_id,
        sender_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(TokenError::NotFound)
}

/// The stored access token if it is good for a while yet (and is not the rejected one).
fn fresh_token(
    row: &TokenRow,
    key: &SecretKey,
    sender_id: Uuid,
    now: DateTime<Utc>,
    rejected: Option<&SecretString>,
) -> Option<SecretString> {
    let expires_at = row.access_token_expires_at?;
    if expires_at <= now + REFRESH_MARGIN {
        return None;
    }
    let token = open(key, sender_id, Which::Access, row.access_token_enc.as_deref()?)?;
    match rejected {
        Some(rejected) if rejected.expose_secret() == token.expose_secret() => None,
        _ => Some(token),
    }
}

fn check_status(row: &TokenRow) -> Result<(), TokenError> {
    match SenderStatus::parse(&row.status) {
        Some(SenderStatus::NeedsReauth) => Err(TokenError::NeedsReauth {
            reason: row.status_reason.clone().unwrap_or_else(|| "Google refused the grant".into()),
        }),
        Some(SenderStatus::Disconnected) => Err(TokenError::Disconnected),
        _ => Ok(()),
    }
}

/// The account's token row, refused when the account cannot have tokens, and its access
/// token if that is still good.
async fn current(
    pool: &PgPool,
    key: &SecretKey,
    oauth: &GoogleOAuth,
    team_id: Uuid,
    sender_id: Uuid,
    rejected: Option<&SecretString>,
) -> Result<(TokenRow, Option<SecretString>), TokenError> {
    let row = load(pool, team_id, sender_id).await?;
    check_status(&row)?;
    let fresh = fresh_token(&row, key, sender_id, oauth.now(), rejected);
    Ok((row, fresh))
}

async fn usable_token(
    pool: &PgPool,
    key: &SecretKey,
    oauth: &GoogleOAuth,
    team_id: Uuid,
    sender_id: Uuid,
    rejected: Option<&SecretString>,
) -> Result<SecretString, TokenError> {
    let give_up = tokio::time::Instant::now() + WAIT_LIMIT;
    loop {
        if let (_, Some(token)) = current(pool, key, oauth, team_id, sender_id, rejected).await? {
            return Ok(token);
        }
        if claim_lease(pool, team_id, sender_id).await? {
            let refreshed = refresh_holding_lease(pool, key, oauth, team_id, sender_id, rejected);
            let result = refreshed.await;
            release_lease(pool, team_id, sender_id).await?;
            return result;
        }
        if tokio::time::Instant::now() >= give_up {
            return Err(TokenError::Busy);
        }
        tokio::time::sleep(WAIT_STEP).await;
    }
}

async fn claim_lease(pool: &PgPool, team_id: Uuid, sender_id: Uuid) -> Result<bool, TokenError> {
    let claimed = sqlx::query!(
        "UPDATE sender_accounts
         SET token_refresh_lease_until = now() + make_interval(secs => $3)
         WHERE team_id = $1 AND id = $2 AND status IN ('active', 'paused_until')
           AND (token_refresh_lease_until IS NULL OR token_refresh_lease_until < now())",
        team_id,
        sender_id,
        LEASE_SECONDS
    )
    .execute(pool)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

async fn release_lease(pool: &PgPool, team_id: Uuid, sender_id: Uuid) -> Result<(), TokenError> {
    sqlx::query!(
        "UPDATE sender_accounts SET token_refresh_lease_until = NULL WHERE team_id = $1 AND id = $2",
        team_id,
        sender_id
    )
    .execute(pool)
    .await?;
    Ok(())
}

async fn refresh_holding_lease(
    pool: &PgPool,
    key: &SecretKey,
    oauth: &GoogleOAuth,
    team_id: Uuid,
    sender_id: Uuid,
    rejected: Option<&SecretString>,
) -> Result<SecretString, TokenError> {
    // Another instance may have finished its refresh between our read and our claim.
    let (row, fresh) = current(pool, key, oauth, team_id, sender_id, rejected).await?;
    if let Some(token) = fresh {
        return Ok(token);
    }
    let Some(refresh_token) = row
        .refresh_token_enc
        .as_deref()
        .and_then(|sealed| open(key, sender_id, Which::Refresh, sealed))
    else {
        mark_needs_reauth(&mut *pool.acquire().await?, team_id, sender_id, UNREADABLE).await?;
        return Err(TokenError::NeedsReauth { reason: UNREADABLE.into() });
    };
    match oauth.refresh(&refresh_token).await {
        Ok(tokens) => {
            store_refreshed(pool, key, team_id, sender_id, &tokens).await?;
            tracing::info!(%sender_id, "refreshed a sender account's access token");
            Ok(tokens.access_token)
        }
        Err(OAuthError::NeedsReauth) => {
            let reason = "Google says the grant was revoked or has expired (invalid_grant); \
                          reconnect the account";
            mark_needs_reauth(&mut *pool.acquire().await?, team_id, sender_id, reason).await?;
            tracing::warn!(%sender_id, "sender account needs reconnection: refresh token refused");
            Err(TokenError::NeedsReauth { reason: reason.into() })
        }
        Err(error) => {
            tracing::warn!(%sender_id, %error, "could not refresh a sender account's access token");
            Err(TokenError::Google(error))
        }
    }
}

async fn store_refreshed(
    pool: &PgPool,
    key: &SecretKey,
    team_id: Uuid,
    sender_id: Uuid,
    tokens: &TokenSet,
) -> Result<(), TokenError> {
    let access = seal(key, sender_id, Which::Access, &tokens.access_token);
    let refresh = tokens.refresh_token.as_ref().map(|t| seal(key, sender_id, Which::Refresh, t));
    // A disconnect that happened meanwhile wins: its tokens stay deleted.
    sqlx::query!(
        "UPDATE sender_accounts
         SET access_token_enc = $3, access_token_expires_at = $4,
             refresh_token_enc = coalesce($5, refresh_token_enc),
             granted_scopes = CASE WHEN cardinality($6::text[]) > 0 THEN $6 ELSE granted_scopes END,
             updated_at = now()
         WHERE team_id = $1 AND id = $2 AND status IN ('active', 'paused_until')",
        team_id,
        sender_id,
        access,
        tokens.expires_at,
        refresh,
        &tokens.granted_scopes
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Disconnects an account: revokes its grant at Google, then deletes the stored tokens (even
/// when Google cannot be reached; the reason then says where to remove the access by hand).
pub async fn disconnect(
    pool: &PgPool,
    key: &SecretKey,
    oauth: &GoogleOAuth,
    team_id: Uuid,
    sender_id: Uuid,
) -> Result<(), Error> {
    let row = load(pool, team_id, sender_id).await.map_err(Error::from)?;
    let token = row
        .refresh_token_enc
        .as_deref()
        .and_then(|sealed| open(key, sender_id, Which::Refresh, sealed))
        .or_else(|| {
            row.access_token_enc
                .as_deref()
                .and_then(|sealed| open(key, sender_id, Which::Access, sealed))
        });
    let reason = match token {
        None => "Disconnected.".to_owned(),
        Some(token) => match oauth.revoke(&token).await {
            // Google answers invalid_token for a grant that is already gone.
            Ok(()) | Err(OAuthError::Rejected { .. }) => {
                "Disconnected; Google's access was revoked.".to_owned()
            }
            Err(error) => {
                tracing::warn!(%sender_id, %error, "could not revoke a sender account's grant at Google");
                "Disconnected, but Google could not be reached to revoke access: remove Outreach \
                 under https://myaccount.google.com/permissions"
                    .to_owned()
            }
        },
    };
    sqlx::query!(
        "UPDATE sender_accounts
         SET status = 'disconnected', status_reason = $3, paused_until = NULL,
             access_token_enc = NULL, access_token_expires_at = NULL, refresh_token_enc = NULL,
             token_refresh_lease_until = NULL, updated_at = now()
         WHERE team_id = $1 AND id = $2",
        team_id,
        sender_id,
        reason
    )
    .execute(pool)
    .await?;
    crate::events::notify(pool, team_id).await?;
    tracing::info!(%sender_id, "sender account disconnected");
    Ok(())
}
