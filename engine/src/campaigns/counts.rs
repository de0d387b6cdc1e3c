//! Campaigns' running counts — leads by status, outbox messages by step and status — which
//! triggers keep in `campaign_counts` (see its migration), so progress is read from a few
//! rows however large the campaign; and the fold that keeps those rows few.

use std::collections::HashMap;
use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use crate::error::Result;
use crate::model::{LeadStatus, OutboxStatus};

/// How often [`keep_folded`] folds the appended counts.
pub const FOLD_INTERVAL: Duration = Duration::from_secs(5);

/// One campaign's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    leads: HashMap<LeadStatus, i64>,
    /// By step and status.
    messages: HashMap<(i32, OutboxStatus), i64>,
}

impl Counts {
    pub fn leads(&self) -> i64 {
        self.leads.values().sum()
    }

    pub fn leads_in(&self, status: LeadStatus) -> i64 {
        self.leads.get(&status).copied().unwrap_or(0)
    }

    /// Messages in one of `statuses`, all steps.
    pub fn messages_in(&self, statuses: &[OutboxStatus]) -> i64 {
        self.messages.iter().filter(|((_, s), _)| statuses.contains(s)).map(|(_, n)| n).sum()
    }

    /// Step `step`'s messages in `status`.
    pub fn step_messages(&self, step: i32, status: OutboxStatus) -> i64 {
        self.messages.get(&(step, status)).copied().unwrap_or(0)
    }

    /// Messages still to go out or on their way (`scheduled`, `pending`, `sending`,
    /// `ambiguous`), by step.
    pub fn open_by_step(&self) -> impl Iterator<Item = (i32, i64)> + '_ {
        let mut steps: HashMap<i32, i64> = HashMap::new();
        for ((step, status), n) in &self.messages {
            if OPEN.contains(status) {
                *steps.entry(*step).or_default() += n;
            }
        }
        steps.into_iter()
    }
}

/// Messages not yet sent, failed or cancelled.
pub(crate) const OPEN: [OutboxStatus; 4] = [
    OutboxStatus::Scheduled,
    OutboxStatus::Pending,
    OutboxStatus::Sending,
    OutboxStatus::Ambiguous,
];

/// The counts of the team's campaigns `ids` (missing ones count nothing).
pub(crate) async fn for_campaigns(
    pool: &PgPool,
    team_id: Uuid,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Counts>> {
    let rows = sqlx::query!(
        r#"SELECT k.campaign_id, k.kind, k.step, k.status, sum(k.n)::bigint AS "n!"
           FROM campaign_counts k JOIN campaigns c ON c.id = k.campaign_id
           WHERE c.team_id = $1 AND c.id = ANY($2)
           GROUP BY k.campaign_id, k.kind, k.step, k.status HAVING sum(k.n) <> 0"#,
        team_id,
        ids
    )
    .fetch_all(pool)
    .await?;
    let mut counts: HashMap<Uuid, Counts> = ids.iter().map(|id| (*id, Counts::default())).collect();
    for row in rows {
        let entry = counts.entry(row.campaign_id).or_default();
        match row.kind.as_str() {
            "lead" => {
                if let Some(status) = LeadStatus::parse(&row.status) {
                    entry.leads.insert(status, row.n);
                }
            }
            _ => {
                if let Some(status) = OutboxStatus::parse(&row.status) {
                    entry.messages.insert((row.step, status), row.n);
                }
            }
        }
    }
    Ok(counts)
}

/// Sums the rows appended since the last fold into one per campaign, step and status.
/// Safe with any number of instances folding at once (each takes rows no other holds) and
/// with readers (who see the rows before or after, never half). Returns the rows taken.
pub async fn fold(pool: &PgPool) -> Result<u64> {
    let taken = sqlx::query_scalar!(
        r#"WITH taken AS (
               DELETE FROM campaign_counts WHERE id IN (
                   SELECT id FROM campaign_counts
                   WHERE (campaign_id, kind, step, status) IN (
                       SELECT campaign_id, kind, step, status FROM campaign_counts
                       GROUP BY campaign_id, kind, step, status HAVING count(*) > 1)
                   FOR UPDATE SKIP LOCKED)
               RETURNING campaign_id, kind, step, status, n
           ), folded AS (
               INSERT INTO campaign_counts (campaign_id, kind, step, status, n)
               SELECT campaign_id, kind, step, status, sum(n)::bigint FROM taken
               GROUP BY campaign_id, kind, step, status HAVING sum(n) <> 0
           )
           SELECT count(*) AS "taken!" FROM taken"#
    )
    .fetch_one(pool)
    .await?;
    Ok(u64::try_from(taken).unwrap_or(0))
}

/// Folds every [`FOLD_INTERVAL`] until `stop` turns true.
pub async fn keep_folded(pool: PgPool, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        if let Err(error) = fold(&pool).await {
            tracing::warn!(%error, "could not fold the campaign counts; trying again later");
        }
        tokio::select! {
            _ = tokio::time::sleep(FOLD_INTERVAL) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
    }
}
