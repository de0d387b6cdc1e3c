//! The one spelling of a merge-field name: CSV headers ("First Name", "E-Mail-Adresse") and
//! template placeholders (`<<first name>>`) both go through it, so they always meet.

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldNameError {
    #[error("a field name needs at least one letter or digit")]
    Empty,
}

/// Normalizes a column header or placeholder name to `snake_case`: lowercase, accents removed,
/// every run of other characters (spaces, hyphens, punctuation) turned into one `_`.
///
/// `"First Name"` → `first_name`, `"E-mail"` → `e_mail`, `"Prénom"` → `prenom`,
/// `"Straße"` → `strasse`; letters without a Latin equivalent (`"名前"`) are kept.
pub fn normalize_field_name(name: &str) -> Result<String, FieldNameError> {
    let mut normalized = String::with_capacity(name.len());
    let mut pending_separator = false;
    // Decompose first (so "ﬁ" and "Ｆ" become plain letters), lowercase the result, and only
    // then drop accents, because lowercasing can itself produce one ("İ" → "i̇").
    let folded = name.nfkd().flat_map(char::to_lowercase).filter(|&c| !is_combining_mark(c));
    for ch in folded {
        if ch.is_alphanumeric() {
            if pending_separator && !normalized.is_empty() {
                normalized.push('_');
            }
            pending_separator = false;
            push_folded(ch, &mut normalized);
        } else {
            pending_separator = true;
        }
    }
    if normalized.is_empty() { Err(FieldNameError::Empty) } else { Ok(normalized) }
}

/// Spells out the lowercase Latin letters that Unicode decomposition leaves alone.
fn push_folded(ch: char, out: &mut String) {
    match ch {
        'ß' => out.push_str("ss"),
        'æ' => out.push_str("ae"),
        'œ' => out.push_str("oe"),
        'ø' => out.push('o'),
        'ł' => out.push('l'),
        'đ' | 'ð' => out.push('d'),
        'þ' => out.push_str("th"),
        'ı' => out.push('i'),
        _ => out.push(ch),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn norm(name: &str) -> String {
        normalize_field_name(name).unwrap()
    }

    #[test]
    fn normalizes_common_headers() {
        assert_eq!(norm("First Name"), "first_name");
        assert_eq!(norm("E-mail"), "e_mail");
        assert_eq!(norm("Email Address"), "email_address");
        assert_eq!(norm("  Company  "), "company");
        assert_eq!(norm("first_name"), "first_name");
        assert_eq!(norm("FirstName"), "firstname");
        assert_eq!(norm("Company (legal)"), "company_legal");
        assert_eq!(norm("__x__y__"), "x_y");
        assert_eq!(norm("Phone #2"), "phone_2");
    }

    #[test]
    fn folds_accents_and_special_letters() {
        assert_eq!(norm("Prénom"), "prenom");
        assert_eq!(norm("E-Mail-Adresse"), "e_mail_adresse");
        assert_eq!(norm("Straße"), "strasse");
        assert_eq!(norm("Größe"), "grosse");
        assert_eq!(norm("Łódź Øre"), "lodz_ore");
        assert_eq!(norm("Ｆｕｌｌ width"), "full_width");
        assert_eq!(norm("名前"), "名前");
        assert_eq!(norm("Имя"), "имя");
    }

    #[test]
    fn rejects_names_without_letters_or_digits() {
        for name in ["", "   ", "---", "€", "\t"] {
            assert_eq!(normalize_field_name(name), Err(FieldNameError::Empty), "{name:?}");
        }
    }

    proptest! {
        #[test]
        fn normalizing_is_idempotent_and_snake_case(name in any::<String>()) {
            if let Ok(normalized) = normalize_field_name(&name) {
                prop_assert_eq!(normalize_field_name(&normalized).unwrap(), normalized.clone());
                prop_assert!(!normalized.starts_with('_') && !normalized.ends_with('_'));
                prop_assert!(!normalized.contains("__"));
                prop_assert!(normalized.chars().all(|c| c == '_' || c.is_alphanumeric()));
            }
        }
    }
}
