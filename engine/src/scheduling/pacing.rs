//! When an account may send next: a random gap after its last send (within the campaign's
//! minimum and maximum, so the rhythm does not look machine-made), stretched when needed so
//! that the day's remaining allowance is spread over what is left of the sending window
//! instead of being spent in the first hour.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;

use super::window::SendingWindow;

/// A campaign's gap settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    pub min_gap: Duration,
    pub max_gap: Duration,
}

impl Pace {
    /// A random gap in `[min_gap, max_gap]`.
    pub fn draw_gap(&self, rng: &mut impl Rng) -> Duration {
        let min = self.min_gap.num_milliseconds().max(0);
        let max = self.max_gap.num_milliseconds().max(min);
        Duration::milliseconds(rng.gen_range(min..=max))
    }
}

/// The earliest moment of the account's next send, or `None` when the window never opens.
///
/// `remaining_allowance` is how many more sends the account's cap allows today; with the
/// window closing in 4 hours and 120 sends left, sends are at least 2 minutes apart.
pub fn next_send_time(
    now: DateTime<Utc>,
    last_send: Option<DateTime<Utc>>,
    gap: Duration,
    window: &SendingWindow,
    remaining_allowance: u32,
) -> Option<DateTime<Utc>> {
    let earliest = match last_send {
        None => now,
        Some(last) => {
            let spread = spread_interval(window, last, remaining_allowance);
            (last + gap.max(spread)).max(now)
        }
    };
    window.next_open(earliest)
}

/// The interval that spreads `remaining` sends evenly over the rest of the window open at
/// `from` (zero when the window is closed then, or nothing remains to spread).
fn spread_interval(window: &SendingWindow, from: DateTime<Utc>, remaining: u32) -> Duration {
    match window.closes_at(from) {
        Some(close) if remaining > 0 => {
            (close - from) / i32::try_from(remaining).unwrap_or(i32::MAX)
        }
        _ => Duration::zero(),
    }
}

#[cfg(test)]
mod tests {
    use chrono_tz::Europe::Berlin;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;
    use crate::scheduling::window::DaySet;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn office() -> SendingWindow {
        SendingWindow { time_zone: Berlin, days: DaySet::WEEKDAYS, start_hour: 9, end_hour: 17 }
    }

    #[test]
    fn first_send_goes_now_when_the_window_is_open() {
        let now = utc("2026-11-23T10:00:00Z");
        assert_eq!(next_send_time(now, None, Duration::seconds(60), &office(), 100), Some(now));
    }

    #[test]
    fn gap_after_the_last_send() {
        let last = utc("2026-11-23T10:00:00Z");
        let next = next_send_time(last, Some(last), Duration::seconds(90), &office(), 10_000);
        assert_eq!(next, Some(last + Duration::seconds(90)));
    }

    #[test]
    fn the_allowance_is_spread_over_the_rest_of_the_window() {
        // 11:00 Berlin, window closes 17:00: 6 hours for 120 sends → every 3 minutes.
        let last = utc("2026-11-23T10:00:00Z");
        let next = next_send_time(last, Some(last), Duration::seconds(30), &office(), 120);
        assert_eq!(next, Some(last + Duration::minutes(3)));
    }

    #[test]
    fn outside_the_window_waits_for_the_next_opening() {
        let friday_evening = utc("2026-11-27T17:00:00Z");
        let next = next_send_time(
            friday_evening,
            Some(friday_evening),
            Duration::seconds(30),
            &office(),
            50,
        );
        assert_eq!(next, Some(utc("2026-11-30T08:00:00Z")));
    }

    #[test]
    fn never_earlier_than_now() {
        let last = utc("2026-11-23T10:00:00Z");
        let now = last + Duration::hours(1);
        assert_eq!(
            next_send_time(now, Some(last), Duration::seconds(30), &office(), 100),
            Some(now)
        );
    }

    #[test]
    fn gaps_are_drawn_within_the_range() {
        let pace = Pace { min_gap: Duration::seconds(30), max_gap: Duration::seconds(90) };
        let mut rng = StdRng::seed_from_u64(3);
        let gaps: Vec<Duration> = (0..200).map(|_| pace.draw_gap(&mut rng)).collect();
        assert!(gaps.iter().all(|g| *g >= pace.min_gap && *g <= pace.max_gap));
        assert!(
            gaps.iter().any(|g| *g < Duration::seconds(45))
                && gaps.iter().any(|g| *g > Duration::seconds(75))
        );
        let fixed = Pace { min_gap: Duration::seconds(5), max_gap: Duration::seconds(5) };
        assert_eq!(fixed.draw_gap(&mut rng), Duration::seconds(5));
    }
}
