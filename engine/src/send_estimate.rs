//! How fast a campaign will go, in plain language ("≈ 320 emails a day from 2 accounts,
//! finishing in about 4 days"), from its schedule, steps, leads and accounts' daily caps.
//!
//! Pure arithmetic on the settings (no database, WASM-safe), so the schedule form can show it
//! while the rep types. It is an estimate: replies stop follow-ups early and Gmail may pause an
//! account, so it counts every follow-up and full days at the configured pace.

use crate::model::{Schedule, Step};

/// What the estimate is made from.
#[derive(Debug, Clone, PartialEq)]
pub struct EstimateInput<'a> {
    pub schedule: &'a Schedule,
    pub steps: &'a [Step],
    /// Leads still to be mailed their first step.
    pub leads: u64,
    /// The daily cap of each chosen sender account.
    pub account_caps: &'a [u32],
}

/// The result: a daily rate and how long the campaign takes at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// Emails a day over all accounts (each limited by its cap and by the window and gaps).
    pub per_day: u64,
    pub accounts: usize,
    /// Calendar days from the start to the last follow-up; `None` when nothing can be sent
    /// (no leads, steps, accounts or sending days).
    pub days: Option<u64>,
}

/// Estimates the campaign's daily volume and duration.
pub fn estimate(input: &EstimateInput) -> Estimate {
    let schedule = input.schedule;
    let window_seconds =
        u64::try_from((schedule.end_hour - schedule.start_hour).max(0) * 3600).unwrap_or_default();
    // Gaps are drawn evenly between the minimum and the maximum, so this is their mean.
    let mean_gap = u64::try_from(schedule.min_gap_seconds.max(0) + schedule.max_gap_seconds.max(0))
        .unwrap_or_default()
        .div_ceil(2)
        .max(1);
    let paced = window_seconds / mean_gap;
    let per_day: u64 = input.account_caps.iter().map(|&cap| paced.min(u64::from(cap))).sum();
    let sending_days_per_week = schedule.days.len().min(7) as u64;
    let emails = input.leads * input.steps.len() as u64;
    let days = (per_day > 0 && emails > 0 && sending_days_per_week > 0).then(|| {
        // Every email needs a slot; and the last lead's first step still has the follow-up
        // delays ahead of it.
        let all_slots = emails.div_ceil(per_day);
        let first_steps = input.leads.div_ceil(per_day);
        let delays: u64 = input
            .steps
            .iter()
            .skip(1)
            .map(|s| u64::try_from(s.delay_days.max(0)).unwrap_or_default())
            .sum();
        let sending_days = all_slots.max(first_steps + delays);
        // Whole weeks of sending days, plus the days of the last, partial one (counted as if
        // the campaign started on the first sending day of a week).
        sending_days / sending_days_per_week * 7 + sending_days % sending_days_per_week
    });
    Estimate { per_day, accounts: input.account_caps.len(), days }
}

impl Estimate {
    /// "≈ 320 emails a day from 2 accounts, finishing in about 4 days".
    pub fn summary(&self) -> String {
        if self.accounts == 0 {
            return "Choose at least one sender account to see how fast this campaign will go."
                .into();
        }
        let accounts = if self.accounts == 1 {
            "1 account".to_string()
        } else {
            format!("{} accounts", self.accounts)
        };
        if self.per_day == 0 {
            return format!("Nothing can be sent from {accounts}: widen the sending window.");
        }
        let rate = format!("≈ {} emails a day from {accounts}", self.per_day);
        match self.days {
            None => rate,
            Some(1) => format!("{rate}, finishing within a day"),
            Some(days) => format!("{rate}, finishing in about {days} days"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(days: usize, hours: i32, gaps: (i32, i32)) -> Schedule {
        Schedule {
            timezone: "UTC".into(),
            days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][..days]
                .iter()
                .map(|d| d.to_string())
                .collect(),
            start_hour: 9,
            end_hour: 9 + hours,
            min_gap_seconds: gaps.0,
            max_gap_seconds: gaps.1,
        }
    }

    fn steps(delays: &[i32]) -> Vec<Step> {
        delays
            .iter()
            .map(|&delay_days| Step {
                subject: "s".into(),
                body: "b".into(),
                html: None,
                delay_days,
            })
            .collect()
    }

    #[test]
    fn pace_limits_each_account_below_its_cap() {
        // 8 hours at a mean gap of 180 s is 160 sends a day; the 500 cap does not bite.
        let s = schedule(5, 8, (60, 300));
        let st = steps(&[0]);
        let e =
            estimate(&EstimateInput { schedule: &s, steps: &st, leads: 480, account_caps: &[500] });
        assert_eq!(e.per_day, 160);
        assert_eq!(e.days, Some(3));
        assert_eq!(e.summary(), "≈ 160 emails a day from 1 account, finishing in about 3 days");
        // 12 sending days at 5 a week: two weeks and two days.
        let more = estimate(&EstimateInput {
            schedule: &s,
            steps: &st,
            leads: 1920,
            account_caps: &[500],
        });
        assert_eq!(more.days, Some(16));
    }

    #[test]
    fn caps_limit_fast_accounts_and_accounts_add_up() {
        let s = schedule(7, 10, (1, 1));
        let st = steps(&[0, 3]);
        let e = estimate(&EstimateInput {
            schedule: &s,
            steps: &st,
            leads: 400,
            account_caps: &[100, 300],
        });
        assert_eq!(e.per_day, 400);
        // 800 emails take 2 days of slots, but the last first step (day 1) waits 3 days.
        assert_eq!(e.days, Some(4));
        assert_eq!(e.summary(), "≈ 400 emails a day from 2 accounts, finishing in about 4 days");
    }

    #[test]
    fn says_what_is_missing() {
        let s = schedule(5, 8, (60, 300));
        let st = steps(&[0]);
        let none =
            estimate(&EstimateInput { schedule: &s, steps: &st, leads: 10, account_caps: &[] });
        assert!(none.summary().starts_with("Choose at least one sender account"));
        let closed = schedule(5, 0, (60, 300));
        let e = estimate(&EstimateInput {
            schedule: &closed,
            steps: &st,
            leads: 10,
            account_caps: &[500],
        });
        assert_eq!(e.per_day, 0);
        assert!(e.summary().contains("widen the sending window"));
        let no_leads =
            estimate(&EstimateInput { schedule: &s, steps: &st, leads: 0, account_caps: &[500] });
        assert_eq!(no_leads.days, None);
        assert_eq!(no_leads.summary(), "≈ 160 emails a day from 1 account");
        let small =
            estimate(&EstimateInput { schedule: &s, steps: &st, leads: 3, account_caps: &[500] });
        assert_eq!(small.summary(), "≈ 160 emails a day from 1 account, finishing within a day");
    }
}
