//! The dashboard's figures for one team: each running or paused campaign's progress today
//! and overall, when it should send next and finish, and the state of its accounts (and the
//! final figures of the campaigns completed in the last week). A few queries whose cost does
//! not grow with the campaigns' size: the running counts (`campaigns::counts`), index ranges
//! bounded by one day's sends, one row per account.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use futures::TryFutureExt;
use sqlx::PgPool;
use uuid::Uuid;

use crate::campaigns::counts::Counts;
use crate::error::Result;
use crate::model::{CampaignProgress, CampaignStatus, Dashboard, OutboxStatus};
use crate::scheduling::SendingWindow;
use crate::scheduling::rolling_cap::WINDOW;
use crate::senders::{SenderAccount, SenderStatus};

/// How long a completed campaign stays on the dashboard, with its final figures.
pub const COMPLETED_SHOWN: TimeDelta = TimeDelta::days(7);

/// Estimates further away than this are not given (at a cap of 1 a day, a big campaign
/// would take decades).
const MAX_ETA_DAYS: i64 = 3650;

/// The team's dashboard as of `now`.
pub async fn load(pool: &PgPool, team_id: Uuid, now: DateTime<Utc>) -> Result<Dashboard> {
    let campaigns = sqlx::query!(
        r#"SELECT c.id, c.name, c.status AS "status: CampaignStatus", c.status_reason, c.started_at,
                  c.completed_at, c.time_zone, c.send_days, c.start_hour, c.end_hour,
                  ARRAY(SELECT s.delay_days FROM campaign_steps s
                        WHERE s.campaign_id = c.id ORDER BY s.step_number) AS "delays!",
                  ARRAY(SELECT cs.sender_account_id FROM campaign_senders cs
                        WHERE cs.campaign_id = c.id ORDER BY cs.position) AS "sender_ids!",
                  (SELECT m.send_at FROM outbox_messages m
                   WHERE m.campaign_id = c.id AND m.status IN ('scheduled', 'pending')
                   ORDER BY m.send_at LIMIT 1) AS next_due,
                  (SELECT m.send_at FROM outbox_messages m
                   WHERE m.campaign_id = c.id AND m.status IN ('scheduled', 'pending')
                   ORDER BY m.send_at DESC LIMIT 1) AS last_due
           FROM campaigns c
           WHERE c.team_id = $1
             AND (c.status IN ('running', 'paused') OR (c.status = 'completed' AND c.completed_at > $2))
           ORDER BY c.status = 'completed', c.status = 'paused', c.completed_at DESC NULLS LAST,
                    c.started_at DESC NULLS LAST, c.id"#,
        team_id,
        now - COMPLETED_SHOWN
    )
    .fetch_all(pool)
    .err_into();
    let drafts = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM campaigns WHERE team_id = $1 AND status = 'draft'"#,
        team_id
    )
    .fetch_one(pool)
    .err_into();
    // Independent reads run at once: the page waits for the slowest, not for their sum.
    let (rows, drafts, senders) =
        tokio::try_join!(campaigns, drafts, crate::senders::list_all(pool, team_id, now))?;
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let (mut progress, ready) = tokio::try_join!(
        crate::campaigns::progress(pool, team_id, &ids),
        ready_at(pool, &senders, now),
    )?;
    let mut campaigns = Vec::with_capacity(rows.len());
    for row in rows {
        let crate::campaigns::Progress { stats, counts } =
            progress.remove(&row.id).unwrap_or_else(|| crate::campaigns::Progress {
                stats: Default::default(),
                counts: Counts::default(),
            });
        let steps = i64::try_from(row.delays.len()).unwrap_or(i64::MAX);
        let messages_planned = stats.sent + still_planned(&counts, steps);
        let left = messages_planned - stats.sent;
        let window = SendingWindow::from_stored(
            &row.time_zone,
            &row.send_days,
            row.start_hour,
            row.end_hour,
        );
        let running = row.status == CampaignStatus::Running;
        let mut plan = Plan::default();
        if let (Some(window), true) = (&window, running) {
            let accounts: Vec<&SenderAccount> = row
                .sender_ids
                .iter()
                .filter_map(|id| senders.iter().find(|s| s.id == *id))
                .collect();
            let capacity =
                accounts.iter().filter(|a| can_send_soon(a)).map(|a| i64::from(a.daily_cap)).sum();
            let ready = accounts.iter().filter_map(|a| ready.get(&a.id).copied().flatten()).min();
            let next_send_at = next_send(now, row.next_due, ready, window);
            let work = Work {
                left,
                allowance_today: stats.allowance_today,
                capacity,
                follow_up_days: follow_up_days(&counts, &row.delays),
                last_due: row.last_due,
            };
            let today_closes = window.next_open(now).and_then(|open| window.closes_at(open));
            plan = Plan {
                eta: eta(now, window, next_send_at, &work),
                next_send_at,
                // A paused campaign, or one whose accounts cannot send, plans nothing more.
                more_today: match today_closes {
                    Some(until) if stats.allowance_today > 0 => {
                        due_before(pool, row.id, until, stats.allowance_today).await?
                    }
                    _ => 0,
                },
            };
        }
        campaigns.push(CampaignProgress {
            id: row.id,
            name: row.name,
            status: row.status,
            status_reason: row.status_reason,
            started_at: row.started_at,
            completed_at: row.completed_at,
            today_planned: stats.sent_today + plan.more_today,
            leads_mailed: counts.step_messages(1, OutboxStatus::Sent),
            messages_planned,
            steps,
            eta: plan.eta,
            next_send_at: plan.next_send_at,
            sender_ids: row.sender_ids,
            stats,
        });
    }
    Ok(Dashboard { campaigns, senders, drafts, generated_at: now })
}

/// What a running campaign is still expected to do.
#[derive(Default)]
struct Plan {
    eta: Option<DateTime<Utc>>,
    next_send_at: Option<DateTime<Utc>>,
    /// Messages that may still go out today: due before today's window closes, within what
    /// the accounts may still send.
    more_today: i64,
}

/// What is left of a campaign, and what its accounts can do, for its finish estimate.
struct Work {
    left: i64,
    allowance_today: i64,
    capacity: i64,
    follow_up_days: u32,
    /// The latest send time of a message already scheduled (a follow-up days ahead).
    last_due: Option<DateTime<Utc>>,
}

/// The finish estimate: the work starts with the next send (not now: the follow-ups left may
/// all be days ahead), and does not end before the latest message already scheduled.
fn eta(
    now: DateTime<Utc>,
    window: &SendingWindow,
    next_send_at: Option<DateTime<Utc>>,
    work: &Work,
) -> Option<DateTime<Utc>> {
    let start = next_send_at.unwrap_or(now).max(now);
    // Today's allowance is what is left of the current 24 hours; a start a day or more away
    // has the accounts' full caps.
    let allowance = if start - now < WINDOW { work.allowance_today } else { work.capacity };
    let finish =
        estimate_finish(start, window, work.left, allowance, work.capacity, work.follow_up_days)?;
    let last_due = work.last_due.and_then(|due| window.next_open(due.max(now)));
    Some(last_due.map_or(finish, |due| finish.max(due)))
}

/// How many of the campaign's messages waiting to go out are due before `until`, counting at
/// most `limit` (a range of the due index no longer than what may still be sent).
async fn due_before(
    pool: &PgPool,
    campaign_id: Uuid,
    until: DateTime<Utc>,
    limit: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM (
               SELECT 1 FROM outbox_messages
               WHERE campaign_id = $1 AND status IN ('scheduled', 'pending') AND send_at < $2
               LIMIT $3) due"#,
        campaign_id,
        until,
        limit
    )
    .fetch_one(pool)
    .await?)
}

/// Messages still to go to leads whose sequence goes on: each open message, and the steps
/// after it (planned when the one before is sent).
fn still_planned(counts: &Counts, steps: i64) -> i64 {
    counts.open_by_step().map(|(step, n)| n * (steps - i64::from(step) + 1).max(1)).sum()
}

/// Sending days the last follow-ups must wait after the earliest step still open.
fn follow_up_days(counts: &Counts, delays: &[i32]) -> u32 {
    let Some(earliest) = counts.open_by_step().filter(|(_, n)| *n > 0).map(|(step, _)| step).min()
    else {
        return 0;
    };
    let after = usize::try_from(earliest).unwrap_or(usize::MAX);
    delays.iter().skip(after).map(|d| u32::try_from(*d).unwrap_or(0)).sum()
}

/// Active accounts, and those Gmail paused for a while.
fn can_send_soon(account: &SenderAccount) -> bool {
    matches!(account.status, SenderStatus::Active | SenderStatus::PausedUntil)
}

/// When each account may send next: after its pacing gap, its pause, and — at its cap —
/// when the oldest send that keeps it there turns 24 hours old. `None`: it cannot send until
/// someone reconnects it.
async fn ready_at(
    pool: &PgPool,
    senders: &[SenderAccount],
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, Option<DateTime<Utc>>>> {
    let ids: Vec<Uuid> = senders.iter().map(|s| s.id).collect();
    let paced: HashMap<Uuid, Option<DateTime<Utc>>> = sqlx::query!(
        "SELECT sender_id, next_send_at FROM sender_leases WHERE sender_id = ANY($1)",
        &ids
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|row| (row.sender_id, row.next_send_at))
    .collect();
    let mut ready = HashMap::with_capacity(senders.len());
    for account in senders {
        let at = match account.status {
            SenderStatus::NeedsReauth | SenderStatus::Disconnected => None,
            SenderStatus::PausedUntil => account.paused_until.or(Some(now)),
            SenderStatus::Active => {
                let mut at = paced.get(&account.id).copied().flatten().unwrap_or(now).max(now);
                if account.sent_last_24h >= account.daily_cap {
                    let over = i64::from(account.sent_last_24h - account.daily_cap);
                    let frees = sqlx::query_scalar!(
                        "SELECT sent_at FROM sends WHERE sender_id = $1 AND sent_at > $2 AND sent_at <= $3
                         ORDER BY sent_at OFFSET $4 LIMIT 1",
                        account.id,
                        now - WINDOW,
                        now,
                        over
                    )
                    .fetch_optional(pool)
                    .await?;
                    at = at.max(frees.map_or(now, |oldest| oldest + WINDOW));
                }
                Some(at)
            }
        };
        ready.insert(account.id, at);
    }
    Ok(ready)
}

/// When the campaign's next message goes out: its earliest due message (`due`), once one of
/// its accounts is free (`ready`: the earliest) and the sending window is open.
pub fn next_send(
    now: DateTime<Utc>,
    due: Option<DateTime<Utc>>,
    ready: Option<DateTime<Utc>>,
    window: &SendingWindow,
) -> Option<DateTime<Utc>> {
    window.next_open(due?.max(ready?).max(now))
}

/// When the last of `left` messages should go out: what the accounts may still send in the
/// current 24 hours (`allowance_today`) goes in the window open now, then
/// `capacity` (their daily caps) per sending day, each day's share spread over its window as
/// the pacing does; and not before the follow-ups' delays (`follow_up_days` sending days)
/// have passed. `None` when nothing is left, no account can send or it is years away.
pub fn estimate_finish(
    now: DateTime<Utc>,
    window: &SendingWindow,
    left: i64,
    allowance_today: i64,
    capacity: i64,
    follow_up_days: u32,
) -> Option<DateTime<Utc>> {
    if left <= 0 || capacity <= 0 {
        return None;
    }
    let first = window.next_open(now)?;
    // In an open window, what the caps still allow now; a window that opens later starts a
    // fresh day (by then the rolling 24 hours have let go of most earlier sends).
    let today = if first == now { allowance_today.clamp(0, capacity) } else { capacity };
    let finish = if left <= today {
        let close = window.closes_at(first)?;
        first + share_of(close - first, left, today)
    } else {
        let later = left - today;
        let days = (later + capacity - 1) / capacity;
        if days > MAX_ETA_DAYS {
            return None;
        }
        let last_day = window.add_sending_days(first, u32::try_from(days).ok()?);
        let (open, close) = window.hours_on_day_of(last_day)?;
        open + share_of(close - open, later - (days - 1) * capacity, capacity)
    };
    Some(finish.max(window.add_sending_days(first, follow_up_days)))
}

/// `part` of `whole` of a stretch of time.
fn share_of(length: TimeDelta, part: i64, whole: i64) -> TimeDelta {
    TimeDelta::seconds(length.num_seconds() * part / whole.max(1))
}

#[cfg(test)]
mod tests {
    use chrono_tz::Europe::Berlin;

    use super::*;
    use crate::scheduling::DaySet;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    /// 9–17 Berlin (UTC+1 in late November), Monday to Friday.
    fn office() -> SendingWindow {
        SendingWindow { time_zone: Berlin, days: DaySet::WEEKDAYS, start_hour: 9, end_hour: 17 }
    }

    #[test]
    fn what_fits_in_todays_allowance_finishes_today_spread_over_the_window() {
        // Monday 12:00 Berlin, window closes 17:00: 100 of 200 allowed → half of 5 hours.
        let now = utc("2026-11-23T11:00:00Z");
        let eta = estimate_finish(now, &office(), 100, 200, 450, 0);
        assert_eq!(eta, Some(utc("2026-11-23T13:30:00Z")));
    }

    #[test]
    fn the_rest_takes_whole_sending_days_at_the_daily_capacity() {
        // Friday 12:00 Berlin: 100 still today, then 450 a day. 1,000 left → 100 today,
        // 450 Monday, 450 Tuesday: Tuesday's window closes 17:00 Berlin.
        let now = utc("2026-11-27T11:00:00Z");
        assert_eq!(
            estimate_finish(now, &office(), 1_000, 100, 450, 0),
            Some(utc("2026-12-01T16:00:00Z"))
        );
        // 225 left after today → half of Monday's window (8 hours): 13:00 Berlin.
        assert_eq!(
            estimate_finish(now, &office(), 325, 100, 450, 0),
            Some(utc("2026-11-30T12:00:00Z"))
        );
    }

    #[test]
    fn follow_up_delays_hold_the_end_back() {
        let now = utc("2026-11-23T11:00:00Z");
        // Everything fits today, but the last step comes 3 sending days later.
        assert_eq!(
            estimate_finish(now, &office(), 10, 200, 450, 3),
            Some(utc("2026-11-26T11:00:00Z"))
        );
    }

    fn work(left: i64, allowance_today: i64, last_due: Option<DateTime<Utc>>) -> Work {
        Work { left, allowance_today, capacity: 450, follow_up_days: 0, last_due }
    }

    #[test]
    fn follow_ups_scheduled_days_ahead_finish_after_they_are_due() {
        // Monday 12:00 Berlin; the ten follow-ups left are due Thursday 11:00–11:30 Berlin.
        let now = utc("2026-11-23T11:00:00Z");
        let next = Some(utc("2026-11-26T10:00:00Z"));
        let last_due = Some(utc("2026-11-26T10:30:00Z"));
        assert_eq!(eta(now, &office(), next, &work(10, 450, last_due)), last_due);
        // More than the first of them can send on Thursday: the rest at 450 a day from then.
        assert_eq!(
            eta(now, &office(), next, &work(900, 0, last_due)),
            Some(utc("2026-11-27T16:00:00Z"))
        );
    }

    proptest::proptest! {
        #[test]
        fn the_finish_is_never_before_the_next_send_or_the_last_scheduled_message(
            next_in in 0i64..20 * 86_400,
            due_after in 0i64..20 * 86_400,
            left in 1i64..5_000,
            allowance in 0i64..450,
        ) {
            let now = utc("2026-11-23T11:00:00Z");
            let next = office().next_open(now + TimeDelta::seconds(next_in));
            let last_due = next.map(|n| n + TimeDelta::seconds(due_after));
            let finish = eta(now, &office(), next, &work(left, allowance, last_due)).unwrap();
            proptest::prop_assert!(Some(finish) >= next);
            proptest::prop_assert!(Some(finish) >= last_due);
        }
    }

    #[test]
    fn no_estimate_without_work_or_capacity() {
        let now = utc("2026-11-23T11:00:00Z");
        assert_eq!(estimate_finish(now, &office(), 0, 200, 450, 0), None);
        assert_eq!(estimate_finish(now, &office(), 10, 0, 0, 0), None);
        assert_eq!(estimate_finish(now, &office(), 10_000_000, 0, 1, 0), None);
    }

    #[test]
    fn outside_the_window_a_fresh_day_starts_at_the_next_opening() {
        // Friday evening with the day's cap used up: Monday from 09:00 Berlin has all of it.
        let now = utc("2026-11-27T17:00:00Z");
        assert_eq!(
            estimate_finish(now, &office(), 225, 0, 450, 0),
            Some(utc("2026-11-30T12:00:00Z"))
        );
    }

    #[test]
    fn next_send_waits_for_the_message_the_account_and_the_window() {
        let window = office();
        let now = utc("2026-11-23T11:00:00Z");
        let soon = utc("2026-11-23T11:05:00Z");
        assert_eq!(next_send(now, Some(now), Some(now), &window), Some(now));
        assert_eq!(next_send(now, Some(now), Some(soon), &window), Some(soon));
        assert_eq!(next_send(now, Some(soon), Some(now), &window), Some(soon));
        // Due in the evening: Tuesday 09:00 Berlin.
        let evening = utc("2026-11-23T18:00:00Z");
        assert_eq!(
            next_send(now, Some(evening), Some(now), &window),
            Some(utc("2026-11-24T08:00:00Z"))
        );
        // Overdue messages go out now, not in the past.
        assert_eq!(
            next_send(now, Some(utc("2026-11-20T10:00:00Z")), Some(now), &window),
            Some(now)
        );
        assert_eq!(next_send(now, None, Some(now), &window), None, "nothing due");
        assert_eq!(next_send(now, Some(now), None, &window), None, "no account can send");
    }
}
