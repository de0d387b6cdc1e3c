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
    // Rounded to the nearest unit: 2 days and 23 hours reads "3 days", not "2 days".
    let nearest = |unit: u64| (span + unit / 2) / unit;
    let amount = match span {
        0..30 => return "now".into(),
        30..60 => "under a minute".to_string(),
        _ if nearest(60) < 60 => format!("{} min", nearest(60)),
        _ if nearest(3_600) < 24 => format!("{} h", nearest(3_600)),
        _ if nearest(86_400) == 1 => "1 day".into(),
        _ => format!("{} days", nearest(86_400)),
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
    fn relative_times_round_to_the_nearest_largest_unit() {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let at = |seconds: i64| now + TimeDelta::seconds(seconds);
        assert_eq!(relative(at(10), now), "now");
        assert_eq!(relative(at(-45), now), "under a minute ago");
        assert_eq!(relative(at(45), now), "in under a minute");
        assert_eq!(relative(at(5 * 60 + 29), now), "in 5 min");
        assert_eq!(relative(at(5 * 60 + 31), now), "in 6 min");
        assert_eq!(relative(at(59 * 60 + 40), now), "in 1 h");
        assert_eq!(relative(at(-3 * 3_600), now), "3 h ago");
        assert_eq!(relative(at(23 * 3_600 + 40 * 60), now), "in 1 day");
        assert_eq!(relative(at(86_400 + 5), now), "in 1 day");
        assert_eq!(relative(at(2 * 86_400 + 23 * 3_600), now), "in 3 days");
        assert_eq!(relative(at(-3 * 86_400), now), "3 days ago");
    }

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(count(0u32), "0");
        assert_eq!(count(450u32), "450");
        assert_eq!(count(1_800u32), "1,800");
        assert_eq!(count(1_234_567u64), "1,234,567");
    }
}
