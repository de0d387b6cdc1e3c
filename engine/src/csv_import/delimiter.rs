//! Which character separates the columns. Excel writes `;` where the decimal separator is a
//! comma (most of Europe), tools write tabs or pipes; the header line tells which.

/// In order of preference when counts tie.
const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

/// The candidate occurring most often in `header_line` outside double quotes; `,` when none
/// occurs (a file with a single column).
pub(super) fn sniff_delimiter(header_line: &[u8]) -> u8 {
    let mut counts = [0usize; CANDIDATES.len()];
    let mut in_quotes = false;
    for &byte in header_line {
        if byte == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes && let Some(i) = CANDIDATES.iter().position(|&c| c == byte) {
            counts[i] += 1;
        }
    }
    // `max_by_key` keeps the last maximum, so walk the candidates from the least preferred.
    let best = (0..CANDIDATES.len()).rev().max_by_key(|&i| counts[i]).unwrap_or(0);
    if counts[best] == 0 { b',' } else { CANDIDATES[best] }
}

/// Where the first line of `text` ends, where a line break inside double quotes does not
/// end it.
pub(super) fn first_record_end(text: &[u8]) -> Option<usize> {
    let mut in_quotes = false;
    for (i, &byte) in text.iter().enumerate() {
        match byte {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_most_frequent_separator_outside_quotes() {
        assert_eq!(sniff_delimiter(b"Email,First Name,Company"), b',');
        assert_eq!(sniff_delimiter(b"Email;Vorname;Firma"), b';');
        assert_eq!(sniff_delimiter(b"email\tname\tnotes, misc"), b'\t');
        assert_eq!(sniff_delimiter(b"email|name"), b'|');
        assert_eq!(sniff_delimiter(b"\"Name, full\";\"Email; work\";Firma"), b';');
        assert_eq!(sniff_delimiter(b"email"), b',');
        assert_eq!(sniff_delimiter(b"a,b;c"), b',');
    }

    #[test]
    fn finds_the_end_of_a_quoted_multi_line_header() {
        assert_eq!(first_record_end(b"\"a\nb\",c\nx"), Some(7));
        assert_eq!(first_record_end(b"abc"), None);
    }
}
