//! Gmail's per-user limits: quota units per sliding minute, concurrent requests, and the
//! daily sending cap over a rolling 24 hours (with the "accepted, then bounced" grace sends).

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, TimeDelta, Utc};

use super::mailbox::Mailbox;
use crate::gmail::GmailMethod;

const MINUTE: TimeDelta = TimeDelta::seconds(60);
const DAY: TimeDelta = TimeDelta::hours(24);

/// Per-mailbox counters that live only in memory (not in snapshots).
#[derive(Debug, Default)]
pub struct Usage {
    units: BTreeMap<String, BTreeMap<GmailMethod, u64>>,
    minute: HashMap<String, VecDeque<(DateTime<Utc>, u32)>>,
    in_flight: HashMap<String, u32>,
}

impl Usage {
    /// Takes a concurrency slot, or false when the mailbox already has `limit` in flight.
    pub fn try_acquire_slot(&mut self, mailbox: &str, limit: u32) -> bool {
        let count = self.in_flight.entry(mailbox.to_owned()).or_default();
        if *count >= limit {
            return false;
        }
        *count += 1;
        true
    }

    pub fn release_slot(&mut self, mailbox: &str) {
        if let Some(count) = self.in_flight.get_mut(mailbox) {
            *count = count.saturating_sub(1);
        }
    }

    /// Spends `method`'s units if the sliding minute has room for them.
    pub fn try_spend(
        &mut self,
        mailbox: &str,
        method: GmailMethod,
        now: DateTime<Utc>,
        budget: u32,
    ) -> bool {
        let window = self.minute.entry(mailbox.to_owned()).or_default();
        while window.front().is_some_and(|(at, _)| *at <= now - MINUTE) {
            window.pop_front();
        }
        let spent: u32 = window.iter().map(|(_, units)| units).sum();
        if spent + method.units() > budget {
            return false;
        }
        window.push_back((now, method.units()));
        *self.units.entry(mailbox.to_owned()).or_default().entry(method).or_default() +=
            u64::from(method.units());
        true
    }

    /// Units spent per method since the last reset.
    pub fn units(&self, mailbox: &str) -> BTreeMap<GmailMethod, u64> {
        self.units.get(mailbox).cloned().unwrap_or_default()
    }

    pub fn all_units(&self) -> &BTreeMap<String, BTreeMap<GmailMethod, u64>> {
        &self.units
    }

    /// Forgets units and minute windows (not requests in flight).
    pub fn reset(&mut self) {
        self.units.clear();
        self.minute.clear();
    }
}

/// What the daily cap says about one more send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendAdmission {
    Deliver,
    /// Over the cap but within the grace: answer 200, deliver nothing, bounce later.
    AcceptThenBounce,
    /// 429 until the rolling window frees a slot.
    Refuse {
        retry_at: DateTime<Utc>,
    },
}

pub fn admit_send(
    mailbox: &mut Mailbox,
    cap: u32,
    grace: u32,
    now: DateTime<Utc>,
) -> SendAdmission {
    while mailbox.sent_log.front().is_some_and(|at| *at <= now - DAY) {
        mailbox.sent_log.pop_front();
    }
    if mailbox.sent_log.len() < cap as usize {
        mailbox.over_cap_accepted = 0;
        return SendAdmission::Deliver;
    }
    if mailbox.over_cap_accepted < grace {
        mailbox.over_cap_accepted += 1;
        return SendAdmission::AcceptThenBounce;
    }
    let oldest = mailbox.sent_log.front().copied().unwrap_or(now);
    SendAdmission::Refuse { retry_at: oldest + DAY }
}

/// How many sends counted toward the cap in the last 24 hours.
pub fn sent_last_24h(mailbox: &Mailbox, now: DateTime<Utc>) -> usize {
    mailbox.sent_log.iter().filter(|at| **at > now - DAY).count()
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;
    use crate::sandbox::config::MailboxKind;

    fn t(seconds: i64) -> DateTime<Utc> {
        "2026-01-05T09:00:00Z".parse::<DateTime<Utc>>().unwrap() + TimeDelta::seconds(seconds)
    }

    #[test]
    fn minute_budget_slides() {
        let mut usage = Usage::default();
        assert!(usage.try_spend("a", GmailMethod::MessagesSend, t(0), 250));
        assert!(usage.try_spend("a", GmailMethod::MessagesSend, t(30), 250));
        assert!(!usage.try_spend("a", GmailMethod::MessagesSend, t(59), 250));
        assert!(usage.try_spend("b", GmailMethod::MessagesSend, t(59), 250), "per user");
        assert!(
            usage.try_spend("a", GmailMethod::MessagesSend, t(60), 250),
            "the first one left the window"
        );
        assert_eq!(usage.units("a")[&GmailMethod::MessagesSend], 300);
    }

    #[test]
    fn concurrency_slots() {
        let mut usage = Usage::default();
        assert!(usage.try_acquire_slot("a", 2));
        assert!(usage.try_acquire_slot("a", 2));
        assert!(!usage.try_acquire_slot("a", 2));
        usage.release_slot("a");
        assert!(usage.try_acquire_slot("a", 2));
    }

    #[test]
    fn daily_cap_rolls_over_24_hours_with_grace_sends() {
        let mut mailbox =
            Mailbox::new("a@x.test", MailboxKind::Gmail, &mut StdRng::seed_from_u64(1));
        for i in 0..2 {
            assert_eq!(admit_send(&mut mailbox, 2, 1, t(i)), SendAdmission::Deliver);
            mailbox.sent_log.push_back(t(i));
        }
        assert_eq!(admit_send(&mut mailbox, 2, 1, t(10)), SendAdmission::AcceptThenBounce);
        assert_eq!(
            admit_send(&mut mailbox, 2, 1, t(11)),
            SendAdmission::Refuse { retry_at: t(0) + DAY }
        );
        assert_eq!(sent_last_24h(&mailbox, t(12)), 2);
        // The first send leaves the window: one slot, and the grace is available again.
        assert_eq!(admit_send(&mut mailbox, 2, 1, t(0) + DAY), SendAdmission::Deliver);
        assert_eq!(mailbox.over_cap_accepted, 0);
    }
}
