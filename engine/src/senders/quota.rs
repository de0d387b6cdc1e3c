//! Gmail quota units per account, UTC day and method, kept in PostgreSQL. Recording is on the
//! request path of every Gmail call, so it only adds to an in-memory tally; a background task
//! (and shutdown) flushes the tally with one upsert.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use crate::clock::Clock;
use crate::error::Result;
use crate::gmail::{GmailClient, GmailMethod, QuotaMeter};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    team_id: Uuid,
    sender_id: Uuid,
    day: NaiveDate,
    method: GmailMethod,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tally {
    units: i64,
    calls: i64,
}

/// The meters of every sender account of this app instance. Cheap to clone.
#[derive(Clone)]
pub struct QuotaMeters {
    shared: Arc<Shared>,
}

struct Shared {
    pool: PgPool,
    clock: Arc<dyn Clock>,
    pending: Mutex<HashMap<Key, Tally>>,
}

impl std::fmt::Debug for QuotaMeters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuotaMeters").finish_non_exhaustive()
    }
}

/// The meter of one account (what `GmailClient::with_meter` takes).
struct SenderMeter {
    shared: Arc<Shared>,
    team_id: Uuid,
    sender_id: Uuid,
}

impl QuotaMeter for SenderMeter {
    fn record(&self, method: GmailMethod, units: u32) {
        let key = Key {
            team_id: self.team_id,
            sender_id: self.sender_id,
            day: self.shared.clock.now().date_naive(),
            method,
        };
        let mut pending = self.shared.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let tally = pending.entry(key).or_default();
        tally.units += i64::from(units);
        tally.calls += 1;
    }
}

impl QuotaMeters {
    pub fn new(pool: PgPool, clock: Arc<dyn Clock>) -> Self {
        Self { shared: Arc::new(Shared { pool, clock, pending: Mutex::new(HashMap::new()) }) }
    }

    /// The meter that books calls to `sender_id` of `team_id`.
    pub fn for_sender(&self, team_id: Uuid, sender_id: Uuid) -> Arc<dyn QuotaMeter> {
        Arc::new(SenderMeter { shared: self.shared.clone(), team_id, sender_id })
    }

    /// `gmail`, booking its calls to the account.
    pub fn client(&self, gmail: &GmailClient, team_id: Uuid, sender_id: Uuid) -> GmailClient {
        gmail.with_meter(self.for_sender(team_id, sender_id))
    }

    /// Writes what was recorded since the last flush. Units of accounts deleted meanwhile are
    /// dropped; on a database error the units are kept for the next flush.
    pub async fn flush(&self) -> Result<()> {
        let batch: Vec<(Key, Tally)> = {
            let mut pending = self.shared.pending.lock().unwrap_or_else(PoisonError::into_inner);
            pending.drain().collect()
        };
        if batch.is_empty() {
            return Ok(());
        }
        let team_ids: Vec<Uuid> = batch.iter().map(|(k, _)| k.team_id).collect();
        let sender_ids: Vec<Uuid> = batch.iter().map(|(k, _)| k.sender_id).collect();
        let days: Vec<NaiveDate> = batch.iter().map(|(k, _)| k.day).collect();
        let methods: Vec<String> = batch.iter().map(|(k, _)| k.method.name().to_owned()).collect();
        let units: Vec<i64> = batch.iter().map(|(_, t)| t.units).collect();
        let calls: Vec<i64> = batch.iter().map(|(_, t)| t.calls).collect();
        let written = sqlx::query!(
            "INSERT INTO sender_quota_usage (team_id, sender_id, day, method, units, calls)
             SELECT t.team_id, t.sender_id, t.day, t.method, t.units, t.calls
             FROM UNNEST($1::uuid[], $2::uuid[], $3::date[], $4::text[], $5::int8[], $6::int8[])
                  AS t(team_id, sender_id, day, method, units, calls)
             JOIN sender_accounts s ON s.id = t.sender_id AND s.team_id = t.team_id
             ON CONFLICT (sender_id, day, method) DO UPDATE
             SET units = sender_quota_usage.units + EXCLUDED.units,
                 calls = sender_quota_usage.calls + EXCLUDED.calls",
            &team_ids,
            &sender_ids,
            &days,
            &methods,
            &units,
            &calls
        )
        .execute(&self.shared.pool)
        .await;
        if let Err(error) = written {
            let mut pending = self.shared.pending.lock().unwrap_or_else(PoisonError::into_inner);
            for (key, tally) in batch {
                let entry = pending.entry(key).or_default();
                entry.units += tally.units;
                entry.calls += tally.calls;
            }
            return Err(error.into());
        }
        Ok(())
    }

    /// Flushes every `every` until the runtime stops.
    pub fn spawn_flusher(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let meters = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                if let Err(error) = meters.flush().await {
                    tracing::warn!(%error, "could not record Gmail quota units; retrying");
                }
            }
        })
    }
}
