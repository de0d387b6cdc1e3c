//! Storage for web sessions (the data behind the session cookie). Rows are keyed by the
//! SHA-256 of the session id, never the id itself.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::crypto::sha256;
use crate::error::Result;

pub async fn save(
    pool: &PgPool,
    id: &str,
    data: &serde_json::Value,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO web_sessions (id_hash, data, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (id_hash) DO UPDATE SET data = EXCLUDED.data, expires_at = EXCLUDED.expires_at",
        &sha256(id.as_bytes())[..],
        data,
        expires_at
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Inserts a new session; false when the id is taken (the caller picks another).
pub async fn create(
    pool: &PgPool,
    id: &str,
    data: &serde_json::Value,
    expires_at: DateTime<Utc>,
) -> Result<bool> {
    let inserted = sqlx::query!(
        "INSERT INTO web_sessions (id_hash, data, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id_hash) DO NOTHING",
        &sha256(id.as_bytes())[..],
        data,
        expires_at
    )
    .execute(pool)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The session's data and expiry, unless it is unknown or expired.
pub async fn load(pool: &PgPool, id: &str) -> Result<Option<(serde_json::Value, DateTime<Utc>)>> {
    let row = sqlx::query!(
        "SELECT data, expires_at FROM web_sessions WHERE id_hash = $1 AND expires_at > now()",
        &sha256(id.as_bytes())[..]
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.data, r.expires_at)))
}

pub async fn delete(pool: &PgPool, id: &str) -> Result<()> {
    sqlx::query!("DELETE FROM web_sessions WHERE id_hash = $1", &sha256(id.as_bytes())[..])
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn delete_expired(pool: &PgPool) -> Result<u64> {
    Ok(sqlx::query!("DELETE FROM web_sessions WHERE expires_at <= now()")
        .execute(pool)
        .await?
        .rows_affected())
}
