//! Rendering a parsed template for one lead: merge fields filled, spintax resolved, values
//! escaped for where the text goes (HTML body, header, plain text).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::BuildHasher;

use super::{FieldRef, Node, Template, spin};

/// Where rendered text goes, which decides how inserted values (field values and fallbacks)
/// are escaped. The template's own text is never escaped: it is the author's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Plain-text body: values as they are.
    None,
    /// HTML body: `& < > " '` become entities, so lead data can't add markup.
    Html,
    /// A header such as the subject: line breaks and other control characters become spaces,
    /// so lead data can't start a new header.
    Header,
}

/// Where a template finds field values by normalized name (`first_name`, `company`, …).
pub trait FieldLookup {
    fn field(&self, name: &str) -> Option<&str>;
}

impl<S: BuildHasher> FieldLookup for HashMap<String, String, S> {
    fn field(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl FieldLookup for BTreeMap<String, String> {
    fn field(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl FieldLookup for [(&str, &str)] {
    fn field(&self, name: &str) -> Option<&str> {
        self.iter().find(|(key, _)| *key == name).map(|(_, value)| *value)
    }
}

/// A template rendered for one lead. When `problems` is not empty the text must not be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    pub problems: Vec<RenderProblem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderProblem {
    /// A field without fallback is empty or missing for this lead; the text has nothing in
    /// its place (never the raw placeholder).
    EmptyField { field: String },
}

impl fmt::Display for RenderProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyField { field } => {
                write!(f, "<<{field}>> is empty for this lead and has no fallback")
            }
        }
    }
}

impl Template {
    /// Renders the template for one lead. `seed` comes from [`super::spin_seed`].
    pub fn render(
        &self,
        fields: &(impl FieldLookup + ?Sized),
        seed: u64,
        mode: Escape,
    ) -> Rendered {
        let text = String::with_capacity(self.source_len + self.source_len / 4);
        let mut renderer = Renderer { fields, seed, mode, text, problems: vec![] };
        renderer.nodes(&self.nodes);
        Rendered { text: renderer.text, problems: renderer.problems }
    }
}

struct Renderer<'a, F: ?Sized> {
    fields: &'a F,
    seed: u64,
    mode: Escape,
    text: String,
    problems: Vec<RenderProblem>,
}

impl<F: FieldLookup + ?Sized> Renderer<'_, F> {
    /// Recursion depth is bounded by the parser's spintax nesting limit.
    fn nodes(&mut self, nodes: &[Node]) {
        for node in nodes {
            match node {
                Node::Text(text) => self.text.push_str(text),
                Node::Field(field) => self.field(field),
                Node::Spin(group) => {
                    let choice = spin::pick(self.seed, group.position, group.options.len());
                    if let Some(option) = group.options.get(choice) {
                        self.nodes(option);
                    }
                }
            }
        }
    }

    fn field(&mut self, field: &FieldRef) {
        let value = self.fields.field(&field.name).filter(|value| !value.trim().is_empty());
        match value.or(field.fallback.as_deref()) {
            Some(value) => push_escaped(&mut self.text, value, self.mode),
            None => {
                let problem = RenderProblem::EmptyField { field: field.name.clone() };
                if !self.problems.contains(&problem) {
                    self.problems.push(problem);
                }
            }
        }
    }
}

fn push_escaped(out: &mut String, value: &str, mode: Escape) {
    match mode {
        Escape::None => out.push_str(value),
        Escape::Html => push_html_escaped(out, value),
        Escape::Header => {
            out.extend(value.chars().map(|ch| if ch.is_control() { ' ' } else { ch }));
        }
    }
}

/// Appends `text` with `& < > " '` as entities: safe in HTML text and in quoted attributes.
pub fn push_html_escaped(out: &mut String, text: &str) {
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
}
