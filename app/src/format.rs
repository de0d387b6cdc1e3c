//! How values are written for people (times, counts), the same on server and browser.

use chrono::{DateTime, Utc};

/// An absolute time, e.g. "2026-11-23 14:05 UTC".
pub fn datetime(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `at` as seen from `now`, e.g. "in 5 min", "3 h ago", "in 2 days", "now". Pair it with
/// [`datetime`]: relative times are quick to read, absolute ones exact.
pub fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (at - now).num_seconds();
    let span = seconds.unsigned_abs();
    let amount = match span {
        0..30 => return "now".into(),
        30..60 => "under a minute".to_string(),
        60..3_600 => format!("{} min", span / 60),
        3_600..86_400 => format!("{} h", span / 3_600),
        86_400..172_800 => "1 day".into(),
        _ => format!("{} days", span / 86_400),
    };
    if seconds > 0 { format!("in {amount}") } else { format!("{amount} ago") }
}

/// A count with thousands separators, e.g. "1,800".
pub fn count(n: impl Into<u64>) -> String {
    let digits = n.into().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A query-string value, percent-encoded.
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::{count, relative};

    #[test]
    fn relative_times_round_down_to_the_largest_unit() {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let at = |seconds: i64| now + TimeDelta::seconds(seconds);
        assert_eq!(relative(at(10), now), "now");
        assert_eq!(relative(at(-45), now), "under a minute ago");
        assert_eq!(relative(at(45), now), "in under a minute");
        assert_eq!(relative(at(5 * 60 + 59), now), "in 5 min");
        assert_eq!(relative(at(-3 * 3_600), now), "3 h ago");
        assert_eq!(relative(at(86_400 + 5), now), "in 1 day");
        assert_eq!(relative(at(3 * 86_400), now), "in 3 days");
    }

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(count(0u32), "0");
        assert_eq!(count(450u32), "450");
        assert_eq!(count(1_800u32), "1,800");
        assert_eq!(count(1_234_567u64), "1,234,567");
    }
}
