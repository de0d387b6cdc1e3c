//! Gmail's daily sending limit counts over a rolling 24 hours, not per calendar day: a send
//! at 10:05 today frees its slot at 10:05 tomorrow.

use chrono::{DateTime, Duration, Utc};

pub const WINDOW: Duration = Duration::hours(24);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollingCap {
    pub limit: u32,
}

impl RollingCap {
    /// Sends still allowed at `now`, given the send times of the last 24 hours (any order;
    /// older ones are ignored).
    pub fn remaining(&self, sends: &[DateTime<Utc>], now: DateTime<Utc>) -> u32 {
        let used = sends.iter().filter(|t| **t > now - WINDOW && **t <= now).count();
        self.limit.saturating_sub(u32::try_from(used).unwrap_or(u32::MAX))
    }

    /// `now` when a send is allowed now, otherwise when the next slot frees up.
    pub fn next_slot(&self, sends: &[DateTime<Utc>], now: DateTime<Utc>) -> DateTime<Utc> {
        if self.remaining(sends, now) > 0 {
            return now;
        }
        let mut recent: Vec<DateTime<Utc>> =
            sends.iter().copied().filter(|t| *t > now - WINDOW && *t <= now).collect();
        recent.sort_unstable();
        // With `limit` sends in the window, a slot frees when the oldest one that keeps the
        // count at the limit leaves it.
        let excess = recent.len() - self.limit as usize;
        recent.get(excess).map_or(now, |oldest| *oldest + WINDOW)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    #[test]
    fn counts_only_the_last_24_hours() {
        let cap = RollingCap { limit: 3 };
        let sends = [at(0), at(60), at(120)];
        assert_eq!(cap.remaining(&sends, at(121)), 0);
        assert_eq!(cap.remaining(&sends, at(24 * 60)), 1, "the first send left the window");
        assert_eq!(cap.remaining(&sends, at(24 * 60 + 121)), 3);
    }

    #[test]
    fn next_slot_is_when_the_oldest_send_leaves_the_window() {
        let cap = RollingCap { limit: 2 };
        let sends = [at(30), at(0), at(90)];
        assert_eq!(cap.next_slot(&sends, at(100)), at(30 + 24 * 60));
        assert_eq!(cap.next_slot(&[at(0)], at(5)), at(5));
    }

    #[test]
    fn a_zero_cap_never_has_room_now() {
        let cap = RollingCap { limit: 0 };
        assert_eq!(cap.remaining(&[], at(0)), 0);
    }

    proptest! {
        #[test]
        fn sending_at_each_next_slot_never_exceeds_the_cap(limit in 1u32..20, attempts in 1usize..200, spacing in 0i64..120) {
            let cap = RollingCap { limit };
            let mut sends: Vec<DateTime<Utc>> = Vec::new();
            let mut now = at(0);
            for _ in 0..attempts {
                now = cap.next_slot(&sends, now);
                prop_assert!(cap.remaining(&sends, now) > 0);
                sends.push(now);
                let in_window = sends.iter().filter(|t| **t > now - WINDOW).count();
                prop_assert!(in_window <= limit as usize);
                now += Duration::minutes(spacing);
            }
        }
    }
}
