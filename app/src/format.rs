//! How values are written for people (times, counts), the same on server and browser.

use chrono::{DateTime, Utc};

/// An absolute time, e.g. "2026-11-23 14:05 UTC".
pub fn datetime(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}
