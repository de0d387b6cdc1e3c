//! Free text that must stay on one line (a header value, a name): shared by message building
//! and CSV import so both clean names the same way.

/// `text` with every control character (CR, LF, tab, …) turned into a space, bidirectional
/// overrides dropped (see [`is_bidi_control`]), ends trimmed.
pub fn single_line(text: &str) -> String {
    let spaced: String = text
        .chars()
        .filter(|&ch| !is_bidi_control(ch))
        .map(|ch| if ch.is_control() { ' ' } else { ch })
        .collect();
    spaced.trim().to_owned()
}

/// The explicit bidirectional embeddings, overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069). Right-to-left text needs none of them; in a name or a merge field they
/// only serve to make text read differently from what it is (`Ann\u{202E}gnp.exe` shows as
/// "Annexe.png"), on a page or in a recipient's mail client.
pub fn is_bidi_control(ch: char) -> bool {
    matches!(ch, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_spaces() {
        assert_eq!(single_line(" a\tb\u{0}c\r\nd "), "a b c  d");
        assert_eq!(single_line("\n"), "");
    }

    #[test]
    fn bidirectional_overrides_are_dropped() {
        assert_eq!(single_line("Ann\u{202E}gnp.exe"), "Anngnp.exe");
        assert_eq!(single_line("\u{2067}שלום\u{2069}"), "שלום");
    }
}
