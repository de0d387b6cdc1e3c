//! Email templates: merge fields and spintax, parsed once and rendered per lead.
//! The server's preview and lint run this very code, so preview == send.
//!
//! Syntax:
//! - `<<first_name>>` inserts a lead field; `<<first_name|there>>` uses `there` when the
//!   field is empty. Names are normalized like CSV headers (`<< First Name >>` is
//!   `first_name`); an empty fallback (`<<title|>>`) makes a field optional.
//! - `{Hi|Hello|}` picks one option per lead (options may be empty and may nest, and may hold
//!   merge fields). The pick is a pure function of [`spin_seed`], so it never changes.
//! - `\<`, `\>`, `\{`, `\}`, `\|` and `\\` write the character itself; `>>` and a `|` outside
//!   spintax are plain text.

mod check;
mod parse;
mod render;
mod spin;

use std::collections::BTreeMap;

pub use check::{TemplateProblem, source_problems};
pub use parse::{ParseError, SyntaxError, SyntaxErrorKind};
/// The MIME footer escapes its HTML the same way.
#[cfg(feature = "server")]
pub use render::push_html_escaped;
pub use render::{Escape, FieldLookup, RenderProblem, Rendered};
pub use spin::spin_seed;

/// A parsed template; construct it with [`Template::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    nodes: Vec<Node>,
    /// The source's length: a good first capacity for the rendered text.
    source_len: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Text(String),
    Field(FieldRef),
    Spin(SpinGroup),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldRef {
    /// Normalized with [`crate::field_name::normalize_field_name`].
    name: String,
    fallback: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SpinGroup {
    /// The group's number in source order (nested groups counted too); with the seed it
    /// decides the pick, so editing one group does not reshuffle the groups before it.
    position: u32,
    options: Vec<Vec<Node>>,
}

/// One merge field a template uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldUse {
    pub name: String,
    /// True when every use of the field has a fallback, so an empty value is never a problem.
    pub has_fallback: bool,
}

impl Template {
    /// Parses `source`, reporting every syntax error found (not only the first).
    pub fn parse(source: &str) -> Result<Self, ParseError> {
        parse::parse(source).map(|nodes| Self { nodes, source_len: source.len() })
    }

    /// The merge fields used anywhere in the template (spintax options included), by name.
    pub fn fields(&self) -> Vec<FieldUse> {
        let mut fields: BTreeMap<&str, bool> = BTreeMap::new();
        visit_fields(&self.nodes, &mut |field| {
            let has_fallback = field.fallback.is_some();
            fields
                .entry(&field.name)
                .and_modify(|all_have| *all_have &= has_fallback)
                .or_insert(has_fallback);
        });
        fields
            .into_iter()
            .map(|(name, has_fallback)| FieldUse { name: name.to_owned(), has_fallback })
            .collect()
    }

    /// Whether the template varies by lead at all (a merge field or spintax): the campaign
    /// lint warns about identical mass mail, which spam filters and recipients punish.
    pub fn is_personalized(&self) -> bool {
        self.nodes.iter().any(|node| !matches!(node, Node::Text(_)))
    }
}

fn visit_fields<'a>(nodes: &'a [Node], visit: &mut impl FnMut(&'a FieldRef)) {
    for node in nodes {
        match node {
            Node::Text(_) => {}
            Node::Field(field) => visit(field),
            Node::Spin(group) => {
                for option in &group.options {
                    visit_fields(option, visit);
                }
            }
        }
    }
}

/// Escapes `text` so that a template made of it renders exactly `text` (for inserting
/// literal text, e.g. a pasted snippet, into a template).
pub fn escape_literal(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '\\' | '<' | '>' | '{' | '}' | '|') {
            escaped.push('\\');
        }
        escaped.push(ch);
    }
    escaped
}

#[cfg(test)]
mod tests;
