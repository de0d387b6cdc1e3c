//! The scheduler's decisions as pure functions of their inputs (time, settings, history),
//! so they are tested with any clock: sending windows in a campaign's time zone, the rolling
//! 24-hour cap, pacing between sends, and retry backoff. The outbox worker applies them.

pub mod backoff;
pub mod pacing;
pub mod rolling_cap;
pub mod window;

pub use backoff::retry_delay;
pub use pacing::{Pace, next_send_time};
pub use rolling_cap::RollingCap;
pub use window::{DaySet, SendingWindow};
