//! Free text that must stay on one line (a header value, a name): shared by message building
//! and CSV import so both clean names the same way.

/// `text` with every control character (CR, LF, tab, …) turned into a space, ends trimmed.
pub fn single_line(text: &str) -> String {
    let spaced: String = text.chars().map(|ch| if ch.is_control() { ' ' } else { ch }).collect();
    spaced.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_spaces() {
        assert_eq!(single_line(" a\tb\u{0}c\r\nd "), "a b c  d");
        assert_eq!(single_line("\n"), "");
    }
}
