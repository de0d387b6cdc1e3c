//! tower-sessions' store backed by PostgreSQL (`engine::web_session`), so sessions survive
//! restarts and are shared by every app instance.

use async_trait::async_trait;
use sqlx::PgPool;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};

#[derive(Debug, Clone)]
pub struct PgSessionStore {
    pool: PgPool,
}

impl PgSessionStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Deletes expired sessions every `period`, for as long as the app runs.
    pub async fn delete_expired_every(self, period: std::time::Duration) {
        let mut ticker = tokio::time::interval(period);
        loop {
            ticker.tick().await;
            match engine::web_session::delete_expired(&self.pool).await {
                Ok(0) => {}
                Ok(deleted) => tracing::debug!(deleted, "expired sessions deleted"),
                Err(error) => tracing::warn!(%error, "could not delete expired sessions"),
            }
        }
    }
}

fn encode(record: &Record) -> Result<(serde_json::Value, chrono::DateTime<chrono::Utc>)> {
    let data = serde_json::to_value(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
    let expiry = record.expiry_date;
    let expires_at = chrono::DateTime::from_timestamp(expiry.unix_timestamp(), expiry.nanosecond())
        .ok_or_else(|| Error::Encode("session expiry out of range".into()))?;
    Ok((data, expires_at))
}

fn backend(error: engine::Error) -> Error {
    Error::Backend(error.to_string())
}

#[async_trait]
impl SessionStore for PgSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        let (data, expires_at) = encode(record)?;
        // Ids are 128 random bits; a collision is practically impossible but cheap to handle.
        while !engine::web_session::create(&self.pool, &record.id.to_string(), &data, expires_at)
            .await
            .map_err(backend)?
        {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let (data, expires_at) = encode(record)?;
        engine::web_session::save(&self.pool, &record.id.to_string(), &data, expires_at)
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let Some((data, expires_at)) =
            engine::web_session::load(&self.pool, &id.to_string()).await.map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_value(data).map_err(|e| Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(expires_at.timestamp())
            .map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data, expiry_date }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        engine::web_session::delete(&self.pool, &id.to_string()).await.map_err(backend)
    }
}
