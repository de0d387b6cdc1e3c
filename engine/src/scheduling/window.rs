//! A campaign's sending window: days of the week and hours of the day in its time zone,
//! with daylight-saving changes handled by converting every boundary through the zone.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, Offset, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

/// Days of the week as a bit set (Monday = bit 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaySet(u8);

impl DaySet {
    pub const WEEKDAYS: DaySet = DaySet(0b001_1111);
    pub const ALL: DaySet = DaySet(0b111_1111);

    pub fn from_days(days: impl IntoIterator<Item = Weekday>) -> Self {
        DaySet(days.into_iter().fold(0, |bits, day| bits | 1 << day.num_days_from_monday()))
    }

    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// When a campaign may send: `[start_hour, end_hour)` local time on `days`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SendingWindow {
    pub time_zone: Tz,
    pub days: DaySet,
    /// 0–23.
    pub start_hour: u32,
    /// 1–24, greater than `start_hour`; 24 means midnight at the end of the day.
    pub end_hour: u32,
}

impl SendingWindow {
    /// The window as a campaign stores it (IANA zone name, `"mon"`…`"sun"`, hours); `None`
    /// for an unknown zone or hours out of range.
    pub fn from_stored(
        time_zone: &str,
        days: &[String],
        start_hour: i32,
        end_hour: i32,
    ) -> Option<Self> {
        Some(SendingWindow {
            time_zone: time_zone.parse().ok()?,
            days: DaySet::from_days(days.iter().filter_map(|d| d.parse().ok())),
            start_hour: u32::try_from(start_hour).ok()?,
            end_hour: u32::try_from(end_hour).ok()?,
        })
    }

    /// Is `at` inside the window?
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.time_zone);
        let date = local.date_naive();
        self.days.contains(date.weekday())
            && self.start_on(date).is_some_and(|start| at >= start)
            && self.end_on(date).is_some_and(|end| at < end)
    }

    /// `at` itself when the window is open, otherwise the next moment it opens.
    /// `None` only for a window without days.
    pub fn next_open(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.days.is_empty() {
            return None;
        }
        if self.is_open(at) {
            return Some(at);
        }
        let today = at.with_timezone(&self.time_zone).date_naive();
        (0..=8)
            .filter_map(|offset| today.checked_add_signed(Duration::days(offset)))
            .filter(|date| self.days.contains(date.weekday()))
            .filter_map(|date| self.start_on(date))
            .find(|start| *start > at)
    }

    /// When the window that is open at `at` closes (`None` when it is closed at `at`).
    pub fn closes_at(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if !self.is_open(at) {
            return None;
        }
        self.end_on(at.with_timezone(&self.time_zone).date_naive())
    }

    /// Length of the window on the local day of `at` (shorter or longer on DST change days).
    pub fn length_on_day_of(&self, at: DateTime<Utc>) -> Duration {
        let date = at.with_timezone(&self.time_zone).date_naive();
        match (self.start_on(date), self.end_on(date)) {
            (Some(start), Some(end)) if self.days.contains(date.weekday()) => end - start,
            _ => Duration::zero(),
        }
    }

    /// When the window opens and closes on the local day of `at`, if that is a sending day.
    pub fn hours_on_day_of(&self, at: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let date = at.with_timezone(&self.time_zone).date_naive();
        if !self.days.contains(date.weekday()) {
            return None;
        }
        Some((self.start_on(date)?, self.end_on(date)?))
    }

    /// `from` moved forward by `days` sending days: the same local time of day on the
    /// `days`-th following day that is one of the window's days (a follow-up sent Friday with
    /// a two-day delay and a Monday–Friday window is due Tuesday). Zero days: `from`.
    pub fn add_sending_days(&self, from: DateTime<Utc>, days: u32) -> DateTime<Utc> {
        if days == 0 || self.days.is_empty() {
            return from;
        }
        let local = from.with_timezone(&self.time_zone);
        let mut date = local.date_naive();
        let mut remaining = days;
        while remaining > 0 {
            date = date.succ_opt().unwrap_or(date);
            if self.days.contains(date.weekday()) {
                remaining -= 1;
            }
        }
        resolve(&self.time_zone, date, local.time())
            .unwrap_or(from + Duration::days(i64::from(days)))
    }

    fn start_on(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        resolve(&self.time_zone, date, NaiveTime::from_hms_opt(self.start_hour, 0, 0)?)
    }

    fn end_on(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        if self.end_hour >= 24 {
            resolve(&self.time_zone, date.succ_opt()?, NaiveTime::MIN)
        } else {
            resolve(&self.time_zone, date, NaiveTime::from_hms_opt(self.end_hour, 0, 0)?)
        }
    }
}

/// A local date and time as an instant. A time that does not exist (skipped by a spring-
/// forward change) is read with the offset in force before the gap, which lands the same
/// distance after the change (02:30 in a skipped 02:00–03:00 hour becomes 03:30); an
/// ambiguous time (autumn) takes its first occurrence.
fn resolve(tz: &Tz, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let naive = date.and_time(time);
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        LocalResult::None => {
            let before = tz.from_local_datetime(&(naive - Duration::hours(3))).earliest()?;
            let offset = before.offset().fix().local_minus_utc();
            Some(Utc.from_utc_datetime(&(naive - Duration::seconds(i64::from(offset)))))
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono_tz::{America::New_York, Asia::Tokyo, Europe::Berlin};
    use proptest::prelude::*;

    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn office_hours(tz: Tz) -> SendingWindow {
        SendingWindow { time_zone: tz, days: DaySet::WEEKDAYS, start_hour: 9, end_hour: 17 }
    }

    #[test]
    fn open_inside_local_office_hours_only() {
        let berlin = office_hours(Berlin);
        // Monday 2026-11-23: Berlin is UTC+1.
        assert!(!berlin.is_open(utc("2026-11-23T07:59:59Z")));
        assert!(berlin.is_open(utc("2026-11-23T08:00:00Z")));
        assert!(berlin.is_open(utc("2026-11-23T15:59:59Z")));
        assert!(!berlin.is_open(utc("2026-11-23T16:00:00Z")));
        // Saturday.
        assert!(!berlin.is_open(utc("2026-11-28T10:00:00Z")));
    }

    #[test]
    fn next_open_skips_to_monday_morning_in_the_zone() {
        let ny = office_hours(New_York);
        // Friday 2026-11-27 18:00 in New York (UTC-5) → Monday 09:00 New York.
        assert_eq!(ny.next_open(utc("2026-11-27T23:00:00Z")), Some(utc("2026-11-30T14:00:00Z")));
        // Before opening on a weekday → same day.
        assert_eq!(ny.next_open(utc("2026-11-24T12:00:00Z")), Some(utc("2026-11-24T14:00:00Z")));
        let open = utc("2026-11-24T15:00:00Z");
        assert_eq!(ny.next_open(open), Some(open));
    }

    #[test]
    fn a_date_line_zone_has_its_own_weekday() {
        let tokyo = office_hours(Tokyo);
        // Sunday 2026-11-29 23:00 UTC is Monday 08:00 in Tokyo: closed, opens at 09:00 Tokyo.
        assert!(!tokyo.is_open(utc("2026-11-29T23:00:00Z")));
        assert_eq!(tokyo.next_open(utc("2026-11-29T23:00:00Z")), Some(utc("2026-11-30T00:00:00Z")));
    }

    #[test]
    fn daylight_saving_moves_the_window_in_utc() {
        let berlin = office_hours(Berlin);
        // Friday before the change (UTC+2) and Monday after (UTC+1).
        assert!(berlin.is_open(utc("2026-10-23T07:00:00Z")));
        assert!(!berlin.is_open(utc("2026-10-26T07:00:00Z")));
        assert!(berlin.is_open(utc("2026-10-26T08:00:00Z")));
    }

    #[test]
    fn a_window_starting_in_a_skipped_hour_opens_right_after_the_gap() {
        // 2026-03-29 02:00–03:00 does not exist in Berlin.
        let night =
            SendingWindow { time_zone: Berlin, days: DaySet::ALL, start_hour: 2, end_hour: 5 };
        assert_eq!(night.next_open(utc("2026-03-28T23:30:00Z")), Some(utc("2026-03-29T01:00:00Z")));
        assert_eq!(night.length_on_day_of(utc("2026-03-29T02:00:00Z")), Duration::hours(2));
        assert_eq!(night.length_on_day_of(utc("2026-03-30T02:00:00Z")), Duration::hours(3));
    }

    #[test]
    fn window_to_midnight_and_closing_time() {
        let evening =
            SendingWindow { time_zone: Berlin, days: DaySet::ALL, start_hour: 18, end_hour: 24 };
        let at = utc("2026-11-23T22:30:00Z");
        assert!(evening.is_open(at));
        assert_eq!(evening.closes_at(at), Some(utc("2026-11-23T23:00:00Z")));
        assert_eq!(evening.closes_at(utc("2026-11-23T12:00:00Z")), None);
    }

    #[test]
    fn sending_days_skip_days_outside_the_window() {
        let ny = office_hours(New_York);
        let friday_10am = utc("2026-11-27T15:00:00Z");
        assert_eq!(ny.add_sending_days(friday_10am, 0), friday_10am);
        assert_eq!(ny.add_sending_days(friday_10am, 1), utc("2026-11-30T15:00:00Z"));
        assert_eq!(ny.add_sending_days(friday_10am, 2), utc("2026-12-01T15:00:00Z"));
        assert_eq!(ny.add_sending_days(friday_10am, 5), utc("2026-12-04T15:00:00Z"));
    }

    #[test]
    fn sending_days_keep_local_time_across_daylight_saving() {
        // Friday 2026-10-30 10:00 New York is UTC-4; Monday 2026-11-02 10:00 is UTC-5.
        let ny = office_hours(New_York);
        assert_eq!(
            ny.add_sending_days(utc("2026-10-30T14:00:00Z"), 1),
            utc("2026-11-02T15:00:00Z")
        );
    }

    #[test]
    fn no_days_never_opens() {
        let never = SendingWindow {
            time_zone: Berlin,
            days: DaySet::from_days([]),
            start_hour: 9,
            end_hour: 17,
        };
        assert_eq!(never.next_open(utc("2026-11-23T10:00:00Z")), None);
    }

    fn any_zone() -> impl Strategy<Value = Tz> {
        prop::sample::select(vec![
            Berlin,
            New_York,
            Tokyo,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::UTC,
        ])
    }

    proptest! {
        #[test]
        fn next_open_is_open_and_nothing_earlier_is(
            tz in any_zone(),
            days in 1u8..128,
            start in 0u32..23,
            length in 1u32..24,
            offset_minutes in 0i64..(60 * 24 * 400),
        ) {
            let end = (start + length).min(24);
            let window = SendingWindow { time_zone: tz, days: DaySet(days), start_hour: start, end_hour: end };
            let at = utc("2026-01-01T00:00:00Z") + Duration::minutes(offset_minutes);
            let next = window.next_open(at).expect("some day is set");
            prop_assert!(next >= at);
            prop_assert!(window.is_open(next), "{next} not open");
            // Sampled instants between `at` and `next` are closed.
            let gap = (next - at).num_minutes();
            for step in 0..20 {
                let probe = at + Duration::minutes(gap * step / 20);
                if probe < next {
                    prop_assert!(!window.is_open(probe), "{probe} open before {next}");
                }
            }
        }

        #[test]
        fn sending_days_land_on_window_days(
            tz in any_zone(),
            days in 1u8..128,
            delay in 0u32..30,
            offset_hours in 0i64..(24 * 400),
        ) {
            let window = SendingWindow { time_zone: tz, days: DaySet(days), start_hour: 9, end_hour: 17 };
            let from = utc("2026-01-01T12:00:00Z") + Duration::hours(offset_hours);
            let due = window.add_sending_days(from, delay);
            prop_assert!(due >= from);
            if delay > 0 {
                prop_assert!(window.days.contains(due.with_timezone(&tz).weekday()));
                prop_assert!(due - from <= Duration::days(i64::from(delay) * 7 + 1));
            }
        }
    }
}
