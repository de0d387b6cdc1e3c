//! Where time comes from. Everything that decides by time takes a `Clock`, so tests can run
//! days of scheduling in milliseconds and the Gmail simulator can be fast-forwarded.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to; cheap to clone, all clones share one time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self { now: Arc::new(Mutex::new(start)) }
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().expect("clock mutex poisoned");
        *now += by;
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.now.lock().expect("clock mutex poisoned") = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().expect("clock mutex poisoned")
    }
}

/// A clock that runs at wall-clock speed but can also be pushed forward (the simulator's
/// clock: real time for a person trying the product, fast-forward for tests).
#[derive(Debug, Clone, Default)]
pub struct OffsetClock {
    offset: Arc<Mutex<Duration>>,
}

impl OffsetClock {
    pub fn new() -> Self {
        Self { offset: Arc::new(Mutex::new(Duration::zero())) }
    }

    pub fn advance(&self, by: Duration) {
        *self.offset.lock().expect("clock mutex poisoned") += by;
    }

    pub fn offset(&self) -> Duration {
        *self.offset.lock().expect("clock mutex poisoned")
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_clones_share_time() {
        let start =
            DateTime::parse_from_rfc3339("2026-01-05T09:00:00Z").unwrap().with_timezone(&Utc);
        let a = ManualClock::new(start);
        let b = a.clone();
        a.advance(Duration::hours(3));
        assert_eq!(b.now(), start + Duration::hours(3));
    }

    #[test]
    fn offset_clock_moves_forward_when_advanced() {
        let clock = OffsetClock::new();
        let before = clock.now();
        clock.advance(Duration::days(1));
        assert!(clock.now() - before >= Duration::days(1));
    }
}
