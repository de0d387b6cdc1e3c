//! Free text in headers: one line, and display names encoded per RFC 5322 / RFC 2047.
//!
//! `mail-builder` wraps encoded display names in double quotes, which RFC 2047 §5 forbids
//! (some clients then show the `=?utf-8?…?=` text literally), so mailboxes are written here.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::email_address::EmailAddress;
use crate::single_line::single_line;

/// RFC 2047 allows 75 characters per encoded word; `=?utf-8?B?` and `?=` take 12, leaving 63
/// base64 characters, i.e. 45 bytes (rounded down to whole 3-byte groups).
const MAX_ENCODED_WORD_BYTES: usize = 45;

/// `Display Name <address>`, or `<address>` without a name.
pub(super) fn mailbox(name: &str, address: &EmailAddress) -> String {
    let name = single_line(name);
    if name.is_empty() {
        return format!("<{address}>");
    }
    format!("{} <{address}>", display_name(&name))
}

/// A phrase as RFC 5322 wants it: bare when it is only atoms and spaces, a quoted string when
/// it is other ASCII, encoded words when it is not ASCII.
fn display_name(name: &str) -> String {
    if name.chars().all(|ch| ch == ' ' || is_atext(ch)) {
        name.to_owned()
    } else if name.is_ascii() {
        let mut quoted = String::with_capacity(name.len() + 2);
        quoted.push('"');
        for ch in name.chars() {
            if ch == '"' || ch == '\\' {
                quoted.push('\\');
            }
            quoted.push(ch);
        }
        quoted.push('"');
        quoted
    } else {
        encoded_words(name)
    }
}

/// RFC 5322 `atext`: the characters allowed in an unquoted word.
fn is_atext(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(ch)
}

/// Base64 encoded words, split between characters (never inside one), separated by spaces
/// so the header can be folded between them.
fn encoded_words(text: &str) -> String {
    let mut words = Vec::new();
    let mut start = 0;
    for (index, ch) in text.char_indices() {
        if index + ch.len_utf8() - start > MAX_ENCODED_WORD_BYTES {
            words.push(encoded_word(&text[start..index]));
            start = index;
        }
    }
    words.push(encoded_word(&text[start..]));
    words.join(" ")
}

fn encoded_word(chunk: &str) -> String {
    format!("=?utf-8?B?{}?=", STANDARD.encode(chunk))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address() -> EmailAddress {
        EmailAddress::parse("jane@example.com").unwrap()
    }

    #[test]
    fn names_are_bare_quoted_or_encoded() {
        assert_eq!(mailbox("Jane Doe", &address()), "Jane Doe <jane@example.com>");
        assert_eq!(mailbox("", &address()), "<jane@example.com>");
        assert_eq!(mailbox("Doe, Jane", &address()), "\"Doe, Jane\" <jane@example.com>");
        assert_eq!(mailbox("A \"B\" \\C", &address()), "\"A \\\"B\\\" \\\\C\" <jane@example.com>");
        assert_eq!(mailbox("Jürgen", &address()), "=?utf-8?B?SsO8cmdlbg==?= <jane@example.com>");
    }

    #[test]
    fn line_breaks_cannot_escape_the_header() {
        let name = "Eve\r\nBcc: victim@example.com";
        assert_eq!(
            mailbox(name, &address()),
            "\"Eve  Bcc: victim@example.com\" <jane@example.com>"
        );
    }

    #[test]
    fn long_names_split_into_short_words_between_characters() {
        let name = "Ω".repeat(100);
        let encoded = encoded_words(&name);
        for word in encoded.split(' ') {
            assert!(word.len() <= 75, "{word}");
            let payload = word.trim_start_matches("=?utf-8?B?").trim_end_matches("?=");
            let decoded = String::from_utf8(STANDARD.decode(payload).unwrap()).unwrap();
            assert!(decoded.chars().all(|c| c == 'Ω'));
        }
    }
}
