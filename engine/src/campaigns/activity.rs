//! The campaign's charts and pipeline: messages sent, replies, auto-replies and bounces per
//! day (in the campaign's time zone) overall and per sender account, and its leads by stage.
//!
//! Sends come from `campaign_send_counts` (per quarter hour, kept by triggers on the outbox),
//! so a chart reads a few thousand rows however many messages the campaign sent; replies,
//! auto-replies and bounces from the leads' events (a few per hundred sends), each with the
//! account its lead had then.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::model::{
    ActivitySeries, DailyStats, DayActivity, Lead, Pipeline, PipelineStage, SenderActivity, Stage,
};

pub const DEFAULT_DAYS: u32 = 30;
pub const MAX_DAYS: u32 = 366;
/// Leads shown per column of the board.
pub const BOARD_LEADS: i64 = 5;

/// The campaign's activity per day over the last `days` days (today included), with days cut
/// in the campaign's time zone.
pub async fn daily(
    pool: &PgPool,
    team_id: Uuid,
    campaign_id: Uuid,
    days: u32,
    now: DateTime<Utc>,
) -> Result<DailyStats> {
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(Error::invalid("days", format!("days must be between 1 and {MAX_DAYS}")));
    }
    let campaign = sqlx::query!(
        "SELECT time_zone FROM campaigns WHERE team_id = $1 AND id = $2",
        team_id,
        campaign_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(Error::NotFound("campaign"))?;
    let tz: Tz = campaign.time_zone.parse().unwrap_or(Tz::UTC);
    let time_zone = tz.name().to_string();
    let to = now.with_timezone(&tz).date_naive();
    let from = to - Days::new(u64::from(days - 1));
    // A UTC range sure to hold every instant of those local days; the dates cut it exactly.
    let lower = from.and_hms_opt(0, 0, 0).map(|t| t.and_utc() - chrono::Duration::days(1));
    let upper = (to + Days::new(2)).and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let (Some(lower), Some(upper)) = (lower, upper) else {
        return Err(Error::internal("date out of range"));
    };

    let sends = sqlx::query!(
        r#"SELECT (slot AT TIME ZONE $3)::date AS "day!", sender_id,
                  sum(sent)::bigint AS "sent!", sum(first_sent)::bigint AS "first_sent!"
           FROM campaign_send_counts
           WHERE team_id = $1 AND campaign_id = $2 AND slot >= $4 AND slot < $5
             AND (slot AT TIME ZONE $3)::date BETWEEN $6 AND $7
           GROUP BY 1, 2"#,
        team_id,
        campaign_id,
        time_zone,
        lower,
        upper,
        from,
        to
    )
    .fetch_all(pool)
    .await?;
    let events = sqlx::query!(
        r#"SELECT (occurred_at AT TIME ZONE $3)::date AS "day!", sender_id, kind, count(*) AS "count!"
           FROM lead_events
           WHERE team_id = $1 AND campaign_id = $2 AND occurred_at >= $4 AND occurred_at < $5
             AND (occurred_at AT TIME ZONE $3)::date BETWEEN $6 AND $7
             AND kind IN ('replied', 'marked_replied', 'auto_replied', 'bounced')
           GROUP BY 1, 2, 3"#,
        team_id,
        campaign_id,
        time_zone,
        lower,
        upper,
        from,
        to
    )
    .fetch_all(pool)
    .await?;
    let replied_leads = sqlx::query!(
        r#"SELECT sender_id, GROUPING(sender_id) = 1 AS "is_total!", count(DISTINCT lead_id) AS "count!"
           FROM lead_events
           WHERE team_id = $1 AND campaign_id = $2 AND occurred_at >= $4 AND occurred_at < $5
             AND (occurred_at AT TIME ZONE $3)::date BETWEEN $6 AND $7
             AND kind IN ('replied', 'marked_replied')
           GROUP BY ROLLUP (sender_id)"#,
        team_id,
        campaign_id,
        time_zone,
        lower,
        upper,
        from,
        to
    )
    .fetch_all(pool)
    .await?;
    let accounts = sqlx::query!(
        r#"SELECT s.id, s.email, cs.position AS "position?"
           FROM sender_accounts s
           LEFT JOIN campaign_senders cs ON cs.sender_account_id = s.id AND cs.campaign_id = $2
           WHERE s.team_id = $1"#,
        team_id,
        campaign_id
    )
    .fetch_all(pool)
    .await?;

    // The nil UUID in the send counts is "no account", as NULL is among the leads.
    let key = |sender: Option<Uuid>| sender.filter(|id| !id.is_nil());
    let dates: Vec<NaiveDate> = from.iter_days().take(days as usize).collect();
    let mut total = Tally::new(&dates);
    let mut per_sender: BTreeMap<Option<Uuid>, Tally> = BTreeMap::new();
    for account in accounts.iter().filter(|a| a.position.is_some()) {
        per_sender.insert(Some(account.id), Tally::new(&dates));
    }
    for row in &sends {
        let sender =
            per_sender.entry(key(Some(row.sender_id))).or_insert_with(|| Tally::new(&dates));
        for tally in [&mut total, sender] {
            if let Some(day) = tally.day(row.day) {
                day.sent += row.sent;
            }
            tally.series.leads_contacted += row.first_sent;
        }
    }
    for row in &events {
        let sender = per_sender.entry(key(row.sender_id)).or_insert_with(|| Tally::new(&dates));
        for tally in [&mut total, sender] {
            if let Some(day) = tally.day(row.day) {
                match row.kind.as_str() {
                    "replied" | "marked_replied" => day.replied += row.count,
                    "auto_replied" => day.auto_replied += row.count,
                    _ => day.bounced += row.count,
                }
            }
        }
    }
    for row in &replied_leads {
        // ROLLUP's grand total has a NULL sender, like the "no account" group.
        if row.is_total {
            total.series.leads_replied = row.count;
        } else if let Some(tally) = per_sender.get_mut(&key(row.sender_id)) {
            tally.series.leads_replied = row.count;
        }
    }

    let by_id: HashMap<Uuid, (&str, Option<i32>)> =
        accounts.iter().map(|a| (a.id, (a.email.as_str(), a.position))).collect();
    let mut senders: Vec<SenderActivity> = per_sender
        .into_iter()
        .map(|(sender_id, tally)| SenderActivity {
            sender_id,
            email: sender_id
                .and_then(|id| by_id.get(&id))
                .map_or_else(String::new, |(email, _)| email.to_string()),
            series: tally.finish(),
        })
        .collect();
    let position = |s: &SenderActivity| {
        s.sender_id.and_then(|id| by_id.get(&id)).and_then(|(_, p)| *p).unwrap_or(i32::MAX)
    };
    senders.sort_by(|a, b| {
        (position(a), a.sender_id.is_none(), &a.email).cmp(&(
            position(b),
            b.sender_id.is_none(),
            &b.email,
        ))
    });
    senders.retain(|s| s.sender_id.is_some() || !s.series.is_empty());
    Ok(DailyStats { campaign_id, time_zone, from, to, total: total.finish(), senders })
}

/// A series being filled in.
struct Tally {
    series: ActivitySeries,
    first: Option<NaiveDate>,
}

impl Tally {
    fn new(dates: &[NaiveDate]) -> Self {
        let days = dates.iter().map(|&day| DayActivity { day, ..DayActivity::default() }).collect();
        Tally {
            series: ActivitySeries { days, ..ActivitySeries::default() },
            first: dates.first().copied(),
        }
    }

    fn day(&mut self, day: NaiveDate) -> Option<&mut DayActivity> {
        let index = usize::try_from((day - self.first?).num_days()).ok()?;
        self.series.days.get_mut(index)
    }

    fn finish(mut self) -> ActivitySeries {
        self.series.finish();
        self.series
    }
}

/// The campaign's leads by stage: every stage with its count and its first leads.
pub async fn pipeline(pool: &PgPool, team_id: Uuid, campaign_id: Uuid) -> Result<Pipeline> {
    super::leads::ensure_campaign(pool, team_id, campaign_id).await?;
    // The running counts, not a `GROUP BY status` over the campaign's leads (≈ 100 ms at 100k).
    let counts = super::counts::for_campaigns(pool, team_id, &[campaign_id])
        .await?
        .remove(&campaign_id)
        .unwrap_or_default();
    let present: Vec<String> = Stage::ALL
        .into_iter()
        .flat_map(Stage::statuses)
        .filter(|&&status| counts.leads_in(status) > 0)
        .map(|status| status.as_str().to_string())
        .collect();
    let leads =
        super::leads::first_of_statuses(pool, team_id, campaign_id, &present, BOARD_LEADS).await?;
    let stages = Stage::ALL
        .into_iter()
        .map(|stage| {
            let count = stage.statuses().iter().map(|&status| counts.leads_in(status)).sum();
            let mut first: Vec<Lead> =
                leads.iter().filter(|l| Stage::of(l.status) == stage).cloned().collect();
            first.sort_by_key(|l| l.id);
            first.truncate(BOARD_LEADS as usize);
            PipelineStage { stage, count, leads: first }
        })
        .collect::<Vec<_>>();
    Ok(Pipeline { campaign_id, total: stages.iter().map(|s| s.count).sum(), stages })
}
