//! Live updates: a change that the dashboard shows (a send, a classification, a campaign or
//! sender account changing state, an import) notifies the PostgreSQL channel
//! `outreach_events` with the team's id, in the transaction that makes the change — so every
//! app instance sharing the database hears it, and only once it is committed. Each instance
//! runs one listener ([`Events::listen`]) that fans the notifications out to its open event
//! streams, which subscribe per team ([`Events::subscribe`]) and coalesce bursts.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::{PgExecutor, PgPool};
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;
use uuid::Uuid;

use crate::error::Result;

/// The PostgreSQL channel; the payload is the team's id.
pub const CHANNEL: &str = "outreach_events";
/// The least time between two events of one stream: a burst of sends becomes one event.
pub const MIN_GAP: Duration = Duration::from_millis(250);
/// Buffered changes per instance before a slow stream is told it missed some.
const CAPACITY: usize = 1024;

/// Tells every app instance that something the team's dashboard shows changed. Call it in
/// the transaction that makes the change: PostgreSQL delivers it on commit, and only once
/// per team and transaction however often it is called.
pub async fn notify(executor: impl PgExecutor<'_>, team_id: Uuid) -> Result<()> {
    sqlx::query!("SELECT pg_notify($1, $2)", CHANNEL, team_id.to_string())
        .execute(executor)
        .await?;
    Ok(())
}

/// What the listener passes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Something of this team changed.
    Team(Uuid),
    /// The listener lost its connection for a moment: any team may have missed changes.
    Everyone,
}

/// One instance's hub of live changes. Cheap to clone.
#[derive(Clone)]
pub struct Events {
    changes: broadcast::Sender<Change>,
    stopping: Arc<watch::Sender<bool>>,
}

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

impl Events {
    pub fn new() -> Self {
        Self {
            changes: broadcast::channel(CAPACITY).0,
            stopping: Arc::new(watch::channel(false).0),
        }
    }

    /// The changes of one team, as the event stream of one browser tab or API client sees
    /// them.
    pub fn subscribe(&self, team_id: Uuid) -> Subscription {
        Subscription {
            team_id,
            changes: self.changes.subscribe(),
            stopping: self.stopping.subscribe(),
            last: None,
        }
    }

    /// Passes a change to the subscribers (the listener does; tests may too).
    pub fn publish(&self, change: Change) {
        // No subscriber is not an error: nobody watches right now.
        let _ = self.changes.send(change);
    }

    /// Ends every subscription (the server is shutting down: open streams must not keep it).
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// Listens on [`CHANNEL`] until the pool closes or [`Events::stop`] is called. A lost
    /// connection is re-established by itself; the changes missed meanwhile are reported as
    /// [`Change::Everyone`], so every open dashboard reloads once.
    pub async fn listen(self, pool: PgPool) {
        let mut stopping = self.stopping.subscribe();
        let mut listener = loop {
            match connect(&pool).await {
                Ok(listener) => break listener,
                Err(error) => {
                    tracing::warn!(%error, "could not listen for live changes; trying again");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                        _ = stopping.wait_for(|stop| *stop) => return,
                    }
                }
            }
        };
        loop {
            let received = tokio::select! {
                received = listener.try_recv() => received,
                _ = stopping.wait_for(|stop| *stop) => return,
            };
            match received {
                Ok(Some(notification)) => match Uuid::parse_str(notification.payload()) {
                    Ok(team_id) => self.publish(Change::Team(team_id)),
                    Err(_) => tracing::warn!("ignored a live change without a team id"),
                },
                Ok(None) => {
                    tracing::info!("the live-change listener reconnected");
                    self.publish(Change::Everyone);
                }
                Err(sqlx::Error::PoolClosed) => return,
                Err(error) => {
                    tracing::warn!(%error, "listening for live changes failed; trying again");
                    self.publish(Change::Everyone);
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        _ = stopping.wait_for(|stop| *stop) => return,
                    }
                }
            }
        }
    }
}

async fn connect(pool: &PgPool) -> std::result::Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// One team's changes for one stream.
pub struct Subscription {
    team_id: Uuid,
    changes: broadcast::Receiver<Change>,
    stopping: watch::Receiver<bool>,
    last: Option<Instant>,
}

impl Subscription {
    /// Waits for the next change of the team and returns once it is worth telling: at most
    /// one event per [`MIN_GAP`], with the changes that arrive meanwhile folded into it.
    /// `None` when the server is shutting down.
    pub async fn changed(&mut self) -> Option<()> {
        loop {
            let received = tokio::select! {
                received = self.changes.recv() => received,
                _ = self.stopping.wait_for(|stop| *stop) => return None,
            };
            match received {
                Ok(Change::Team(team_id)) if team_id != self.team_id => continue,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => break,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
        if let Some(last) = self.last {
            tokio::select! {
                _ = tokio::time::sleep_until(last + MIN_GAP) => {}
                _ = self.stopping.wait_for(|stop| *stop) => return None,
            }
        }
        // What arrived while waiting is told by this same event.
        while let Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) = self.changes.try_recv() {
        }
        self.last = Some(Instant::now());
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stream_hears_its_own_team_only() {
        let events = Events::new();
        let (ours, theirs) = (Uuid::new_v4(), Uuid::new_v4());
        let mut subscription = events.subscribe(ours);
        events.publish(Change::Team(theirs));
        let waiting =
            tokio::time::timeout(Duration::from_millis(100), subscription.changed()).await;
        assert!(waiting.is_err(), "another team's change must not wake the stream");
        events.publish(Change::Team(theirs));
        events.publish(Change::Team(ours));
        assert_eq!(subscription.changed().await, Some(()));
    }

    #[tokio::test]
    async fn a_burst_becomes_one_event_per_gap() {
        let events = Events::new();
        let team = Uuid::new_v4();
        let mut subscription = events.subscribe(team);
        events.publish(Change::Team(team));
        let started = Instant::now();
        assert_eq!(subscription.changed().await, Some(()));
        assert!(started.elapsed() < MIN_GAP, "the first change is told at once");
        for _ in 0..50 {
            events.publish(Change::Team(team));
        }
        assert_eq!(subscription.changed().await, Some(()));
        assert!(started.elapsed() >= MIN_GAP, "the next one waits for the gap");
        let quiet = tokio::time::timeout(Duration::from_millis(100), subscription.changed()).await;
        assert!(quiet.is_err(), "the burst was folded into one event");
    }

    #[tokio::test]
    async fn a_reconnected_listener_wakes_everyone_and_stop_ends_streams() {
        let events = Events::new();
        let mut subscription = events.subscribe(Uuid::new_v4());
        events.publish(Change::Everyone);
        assert_eq!(subscription.changed().await, Some(()));
        events.stop();
        assert_eq!(subscription.changed().await, None);
    }
}
