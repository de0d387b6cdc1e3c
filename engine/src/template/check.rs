//! Checks a template against the fields a campaign's leads actually have, so a typo like
//! `<<frist_name>>` is caught before anything is sent.

use std::fmt;

use super::Template;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateProblem {
    /// The template uses a field no lead has; `suggestion` is the closest known name.
    UnknownField { field: String, suggestion: Option<String> },
}

impl fmt::Display for TemplateProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownField { field, suggestion: Some(suggestion) } => {
                write!(f, "unknown field <<{field}>>: did you mean {suggestion}?")
            }
            Self::UnknownField { field, suggestion: None } => {
                write!(f, "unknown field <<{field}>>: the leads have no such column")
            }
        }
    }
}

impl Template {
    /// Reports the fields used by the template that are not in `known` (normalized names,
    /// e.g. the columns of the imported CSV plus `email`, `first_name`, `company`).
    pub fn check_fields<S: AsRef<str>>(&self, known: &[S]) -> Vec<TemplateProblem> {
        self.fields()
            .into_iter()
            .filter(|used| !known.iter().any(|name| name.as_ref() == used.name))
            .map(|used| TemplateProblem::UnknownField {
                suggestion: closest(&used.name, known),
                field: used.name,
            })
            .collect()
    }
}

/// What is wrong with a template as typed, in words: its syntax errors, or when it parses,
/// the fields it uses that are not in `known`. Empty when it is fine. The step editor checks
/// each keystroke with it.
pub fn source_problems<S: AsRef<str>>(source: &str, known: &[S]) -> Vec<String> {
    match Template::parse(source) {
        Err(e) => e.errors.iter().map(ToString::to_string).collect(),
        Ok(template) => template.check_fields(known).iter().map(ToString::to_string).collect(),
    }
}

/// The known name nearest to `name` by edit distance, if it is near enough to be a typo
/// (at most a third of the name's length, and at least 2 edits allowed).
fn closest<S: AsRef<str>>(name: &str, known: &[S]) -> Option<String> {
    let allowed = (name.chars().count() / 3).max(2);
    known
        .iter()
        .map(|candidate| (edit_distance(name, candidate.as_ref()), candidate.as_ref()))
        .filter(|&(distance, _)| distance <= allowed)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate.to_owned())
}

/// Levenshtein distance in characters, with one row of memory.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &b_char) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(a_char != b_char);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("frist_name", "first_name"), 2);
        assert_eq!(edit_distance("straße", "strase"), 1);
    }

    #[test]
    fn a_source_has_its_syntax_errors_or_else_its_unknown_fields() {
        let known = ["email", "first_name", "company"];
        assert_eq!(source_problems("Hi <<first_name|there>>, {a|b}", &known), Vec::<String>::new());
        let syntax = source_problems("Hi <<frist_name>> and <<first_name", &known);
        assert_eq!(syntax.len(), 1, "{syntax:?}");
        assert!(syntax[0].contains("<< is not closed"), "{syntax:?}");
        assert_eq!(
            source_problems("Hi <<frist_name>> at <<industry>>", &known),
            [
                "unknown field <<frist_name>>: did you mean first_name?",
                "unknown field <<industry>>: the leads have no such column",
            ]
        );
    }

    #[test]
    fn suggests_only_near_names() {
        let known = ["email", "first_name", "company"];
        assert_eq!(closest("firstname", &known).as_deref(), Some("first_name"));
        assert_eq!(closest("compnay", &known).as_deref(), Some("company"));
        assert_eq!(closest("industry", &known), None);
    }
}
