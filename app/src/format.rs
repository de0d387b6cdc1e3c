//! How values are written for people (times, counts), the same on server and browser.

use chrono::{DateTime, Utc};

/// An absolute time, e.g. "2026-11-23 14:05 UTC".
pub fn datetime(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
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
    use super::count;

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(count(0u32), "0");
        assert_eq!(count(450u32), "450");
        assert_eq!(count(1_800u32), "1,800");
        assert_eq!(count(1_234_567u64), "1,234,567");
    }
}
