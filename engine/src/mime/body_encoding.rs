//! Content-Transfer-Encoding of the text and HTML parts. `mail-builder` would pick and apply
//! one itself, but byte by byte through `io::Write`, which was most of the cost of building a
//! message; this does the same job in one pass over each line.
//!
//! Pure 7-bit text with short lines goes as it is (only line ends become CRLF); mostly-Latin
//! text is quoted-printable (RFC 2045 §6.7), readable in the raw source; text that is mostly
//! non-ASCII (Cyrillic, CJK…) is base64, which is then much shorter. Lines never exceed 76
//! characters.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// RFC 5322 recommends at most 78 characters per line, excluding the CRLF.
const MAX_PLAIN_LINE: usize = 78;
/// RFC 2045: encoded lines are at most 76 characters, the soft-break `=` included.
const MAX_ENCODED_LINE: usize = 76;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

pub(super) struct EncodedBody {
    pub transfer_encoding: &'static str,
    pub text: String,
}

pub(super) fn encode_body(text: &str) -> EncodedBody {
    let non_ascii = text.bytes().filter(|&b| !b.is_ascii()).count();
    // Quoted-printable spends 3 bytes per non-ASCII byte, base64 4 per 3 bytes of anything.
    if non_ascii * 6 > text.len() {
        return base64_body(text);
    }
    let plain = non_ascii == 0
        && lines(text).all(|line| {
            line.len() <= MAX_PLAIN_LINE
                && !line.iter().any(|b| b.is_ascii_control() && *b != b'\t')
        });
    let mut out = Vec::with_capacity(text.len() + text.len() / 8 + 16);
    for (index, line) in lines(text).enumerate() {
        if index > 0 {
            out.extend_from_slice(b"\r\n");
        }
        if plain {
            out.extend_from_slice(line);
        } else {
            quoted_printable_line(line, &mut out);
        }
    }
    // Both encodings only ever write ASCII.
    let text = String::from_utf8(out).unwrap_or_default();
    let transfer_encoding = if plain { "7bit" } else { "quoted-printable" };
    EncodedBody { transfer_encoding, text }
}

/// The lines of `text` without their line ends (CRLF or LF).
fn lines(text: &str) -> impl Iterator<Item = &[u8]> {
    text.split('\n').map(|line| line.strip_suffix('\r').unwrap_or(line).as_bytes())
}

/// Base64 of the text with CRLF line ends (the canonical form of text/*), in 76-character
/// lines.
fn base64_body(text: &str) -> EncodedBody {
    let mut canonical = Vec::with_capacity(text.len() + text.len() / 32);
    for (index, line) in lines(text).enumerate() {
        if index > 0 {
            canonical.extend_from_slice(b"\r\n");
        }
        canonical.extend_from_slice(line);
    }
    let encoded = STANDARD.encode(&canonical);
    let mut wrapped = String::with_capacity(encoded.len() + encoded.len() / 38 + 2);
    // Base64 is ASCII, so every index is a character boundary.
    for start in (0..encoded.len()).step_by(MAX_ENCODED_LINE) {
        if start > 0 {
            wrapped.push_str("\r\n");
        }
        wrapped.push_str(&encoded[start..(start + MAX_ENCODED_LINE).min(encoded.len())]);
    }
    EncodedBody { transfer_encoding: "base64", text: wrapped }
}

fn quoted_printable_line(line: &[u8], out: &mut Vec<u8>) {
    let mut column = 0;
    let mut index = 0;
    while index < line.len() {
        // Fast path: copy the run of literal bytes that fits on the current encoded line.
        let room = (MAX_ENCODED_LINE - 1).saturating_sub(column);
        let mut run = line[index..].iter().take(room).take_while(|&&b| may_be_literal(b)).count();
        let reaches_end = index + run == line.len();
        if reaches_end && run > 0 && matches!(line[index + run - 1], b' ' | b'\t') {
            run -= 1;
        }
        if run > 0 {
            out.extend_from_slice(&line[index..index + run]);
            column += run;
            index += run;
            continue;
        }
        column = encode_one(line, index, column, out);
        index += 1;
    }
}

/// Bytes that stand for themselves in quoted-printable (spaces and tabs only inside a line).
fn may_be_literal(byte: u8) -> bool {
    MAY_BE_LITERAL[usize::from(byte)]
}

/// [`may_be_literal`] as a table: one load per byte in the encoder's hot loop.
static MAY_BE_LITERAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = matches!(byte as u8, b'!'..=b'<' | b'>'..=b'~' | b' ' | b'\t');
        byte += 1;
    }
    table
};

/// Writes `line[index]`, escaped if needed and after a soft line break if it would not fit;
/// returns the new column.
fn encode_one(line: &[u8], index: usize, column: usize, out: &mut Vec<u8>) -> usize {
    let byte = line[index];
    let is_last = index + 1 == line.len();
    // Spaces and tabs are literal except at the end of a line, where transports strip them.
    let literal = may_be_literal(byte) && !(is_last && matches!(byte, b' ' | b'\t'));
    let width = if literal { 1 } else { 3 };
    // Keep room for the soft line break's `=`, unless this is the line's last character.
    let limit = if is_last { MAX_ENCODED_LINE } else { MAX_ENCODED_LINE - 1 };
    let mut column = column;
    if column + width > limit {
        out.extend_from_slice(b"=\r\n");
        column = 0;
    }
    if literal {
        out.push(byte);
    } else {
        out.extend_from_slice(&[b'=', HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0xf)]]);
    }
    column + width
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Decodes quoted-printable the way a mail client does, to check the encoder.
    fn decode(encoded: &str) -> String {
        let joined = encoded.replace("=\r\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'=' {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap().replace("\r\n", "\n")
    }

    #[test]
    fn short_ascii_text_stays_readable() {
        let body = encode_body("Hi Jane,\n\nSee you.\r\nSam");
        assert_eq!(body.transfer_encoding, "7bit");
        assert_eq!(body.text, "Hi Jane,\r\n\r\nSee you.\r\nSam");
    }

    #[test]
    fn non_ascii_long_lines_and_trailing_spaces_are_quoted_printable() {
        let german = format!("Grüße aus Köln. {}", "Bis bald. ".repeat(4));
        for text in [german.as_str(), &"word ".repeat(40), "é trailing \nx", "a=b\u{1}"] {
            let body = encode_body(text);
            assert_eq!(body.transfer_encoding, "quoted-printable", "{text:?}");
            assert!(body.text.split("\r\n").all(|line| line.len() <= MAX_ENCODED_LINE));
            assert_eq!(decode(&body.text), text.replace("\r\n", "\n"));
        }
        let encoded = encode_body(&format!("{german}=")).text;
        assert!(encoded.starts_with("Gr=C3=BC=C3=9Fe aus K=C3=B6ln. Bis bald."), "{encoded}");
        assert!(encoded.ends_with("=3D"), "{encoded}");
    }

    #[test]
    fn mostly_non_ascii_text_is_base64_in_short_lines() {
        let text = "Здравствуйте, Иван!\n".repeat(10);
        let body = encode_body(&text);
        assert_eq!(body.transfer_encoding, "base64");
        assert!(body.text.split("\r\n").all(|line| line.len() <= MAX_ENCODED_LINE));
        let decoded = STANDARD.decode(body.text.replace("\r\n", "")).unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), text.replace('\n', "\r\n"));
        assert_eq!(encode_body("é abcdefghij \nx").text, "=C3=A9 abcdefghij=20\r\nx");
    }

    proptest! {
        #[test]
        fn encoding_round_trips_within_line_limits(text in any::<String>()) {
            let body = encode_body(&text);
            prop_assert!(body.text.is_ascii());
            prop_assert!(body.text.split("\r\n").all(|line| line.len() <= MAX_PLAIN_LINE));
            let decoded = match body.transfer_encoding {
                "7bit" => body.text.replace("\r\n", "\n"),
                "quoted-printable" => decode(&body.text),
                _ => {
                    let bytes = STANDARD.decode(body.text.replace("\r\n", "")).unwrap();
                    String::from_utf8(bytes).unwrap().replace("\r\n", "\n")
                }
            };
            // Line ends are normalized: CRLF and LF both become CRLF on the wire.
            prop_assert_eq!(decoded, text.replace("\r\n", "\n"));
        }
    }
}
