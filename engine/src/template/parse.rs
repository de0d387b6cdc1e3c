//! The template parser: a small recursive descent over the source bytes. Every special
//! character is ASCII, so slicing at their positions always lands on a `char` boundary.
//! It keeps going after an error so the editor can show all of them at once.

use std::fmt;

use super::{FieldRef, Node, SpinGroup};
use crate::field_name::normalize_field_name;

/// Deeper spintax is certainly a mistake, and the limit keeps the recursion bounded.
const MAX_SPIN_DEPTH: usize = 16;

/// Characters that `\` turns into plain text.
const ESCAPABLE: &[u8] = b"\\<>{}|";

/// Everything wrong with a template source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub errors: Vec<SyntaxError>,
}

/// One mistake, located for the editor: `offset` in bytes, `line` and `column` (in characters)
/// from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
    pub kind: SyntaxErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxErrorKind {
    #[error(
        "<< is not closed: a merge field looks like <<first_name>> (write \\<< for a literal <<)"
    )]
    UnclosedField,
    #[error("the merge field has no name: write <<first_name>>")]
    EmptyFieldName,
    #[error("'{0}' is not a valid merge field name: it needs a letter or digit")]
    InvalidFieldName(String),
    #[error("{{ is not closed: spintax looks like {{Hi|Hello}} (write \\{{ for a literal brace)")]
    UnclosedSpin,
    #[error(
        "spintax needs at least two options separated by |; write \\{{ for a literal brace, \
         or <<field>> for a merge field"
    )]
    SpinWithoutOptions,
    #[error("}} has no matching {{: write \\}} for a literal brace")]
    StrayClose,
    #[error("spintax is nested more than {MAX_SPIN_DEPTH} levels deep")]
    TooDeep,
}

impl std::error::Error for ParseError {}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SyntaxError {}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.kind)
    }
}

pub(super) fn parse(source: &str) -> Result<Vec<Node>, ParseError> {
    let mut parser = Parser { source, pos: 0, next_group: 0, errors: Vec::new() };
    let (nodes, _) = parser.sequence(0);
    if parser.errors.is_empty() {
        Ok(nodes)
    } else {
        let errors = parser.errors.into_iter().map(|(at, kind)| locate(source, at, kind));
        Err(ParseError { errors: errors.collect() })
    }
}

fn locate(source: &str, offset: usize, kind: SyntaxErrorKind) -> SyntaxError {
    let before = &source[..offset];
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    SyntaxError {
        offset,
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
        kind,
    }
}

/// Why [`Parser::sequence`] returned.
#[derive(Debug, PartialEq, Eq)]
enum End {
    Eof,
    /// A `|` inside spintax: another option follows.
    Bar,
    /// The `}` closing the current spintax group.
    Close,
}

struct Parser<'a> {
    source: &'a str,
    pos: usize,
    next_group: u32,
    errors: Vec<(usize, SyntaxErrorKind)>,
}

impl Parser<'_> {
    fn peek(&self, offset: usize) -> Option<u8> {
        self.source.as_bytes().get(self.pos + offset).copied()
    }

    fn error(&mut self, at: usize, kind: SyntaxErrorKind) {
        self.errors.push((at, kind));
    }

    /// Parses nodes until the end, or (inside spintax, `depth > 0`) a `|` or `}`.
    fn sequence(&mut self, depth: usize) -> (Vec<Node>, End) {
        let mut nodes = Vec::new();
        let mut text = String::new();
        let end = loop {
            let Some(byte) = self.peek(0) else { break End::Eof };
            match byte {
                b'\\' => self.escape(&mut text),
                b'<' if self.peek(1) == Some(b'<') => {
                    if let Some(field) = self.field() {
                        flush(&mut text, &mut nodes);
                        nodes.push(Node::Field(field));
                    } else {
                        text.push_str("<<");
                    }
                }
                b'{' => {
                    if let Some(group) = self.spin_group(depth + 1) {
                        flush(&mut text, &mut nodes);
                        nodes.push(Node::Spin(group));
                    }
                }
                b'|' if depth > 0 => break End::Bar,
                b'}' if depth > 0 => break End::Close,
                b'}' => {
                    self.error(self.pos, SyntaxErrorKind::StrayClose);
                    self.pos += 1;
                }
                _ => self.plain_text(&mut text, depth),
            }
        };
        flush(&mut text, &mut nodes);
        (nodes, end)
    }

    /// Copies text up to the next character that may start something else.
    fn plain_text(&mut self, text: &mut String, depth: usize) {
        let start = self.pos;
        self.pos += 1;
        while let Some(byte) = self.peek(0) {
            let special = matches!(byte, b'\\' | b'<' | b'{' | b'}') || (byte == b'|' && depth > 0);
            if special {
                break;
            }
            self.pos += 1;
        }
        text.push_str(&self.source[start..self.pos]);
    }

    /// `\x` is `x` for the escapable characters; any other backslash is itself.
    fn escape(&mut self, text: &mut String) {
        match self.peek(1) {
            Some(next) if ESCAPABLE.contains(&next) => {
                text.push(char::from(next));
                self.pos += 2;
            }
            _ => {
                text.push('\\');
                self.pos += 1;
            }
        }
    }

    /// Parses `<<name>>` or `<<name|fallback>>` at `self.pos`. On a syntax error it records
    /// it and returns `None`; an unclosed `<<` is then left to be read as text.
    fn field(&mut self) -> Option<FieldRef> {
        let start = self.pos;
        self.pos += 2;
        let name_start = self.pos;
        let mut fallback = None;
        loop {
            match self.peek(0) {
                None | Some(b'\n') => return self.unclosed_field(start),
                Some(b'<') if self.peek(1) == Some(b'<') => return self.unclosed_field(start),
                Some(b'>') if self.peek(1) == Some(b'>') => break,
                Some(b'|') if fallback.is_none() => {
                    let name_end = self.pos;
                    self.pos += 1;
                    fallback = Some((name_end, self.fallback_text()));
                    if matches!(self.peek(0), None | Some(b'\n')) {
                        return self.unclosed_field(start);
                    }
                }
                Some(_) => self.pos += 1,
            }
        }
        let name_end = fallback.as_ref().map_or(self.pos, |(end, _)| *end);
        self.pos += 2;
        let raw_name = self.source[name_start..name_end].trim();
        let name = self.field_name(start, raw_name)?;
        let fallback = fallback.map(|(_, text)| text.trim().to_owned());
        Some(FieldRef { name, fallback })
    }

    /// Reads a fallback up to (not including) `>>`, a line break or the end.
    fn fallback_text(&mut self) -> String {
        let mut text = String::new();
        while let Some(byte) = self.peek(0) {
            match byte {
                b'>' if self.peek(1) == Some(b'>') => break,
                b'\n' => break,
                b'\\' => self.escape(&mut text),
                _ => {
                    let rest = &self.source[self.pos..];
                    let run = rest
                        .char_indices()
                        .skip(1)
                        .find(|&(_, ch)| matches!(ch, '>' | '\n' | '\\'))
                        .map_or(rest.len(), |(end, _)| end);
                    text.push_str(&rest[..run]);
                    self.pos += run;
                }
            }
        }
        text
    }

    fn unclosed_field(&mut self, start: usize) -> Option<FieldRef> {
        self.error(start, SyntaxErrorKind::UnclosedField);
        self.pos = start + 2;
        None
    }

    fn field_name(&mut self, start: usize, raw_name: &str) -> Option<String> {
        if raw_name.is_empty() {
            self.error(start, SyntaxErrorKind::EmptyFieldName);
            return None;
        }
        match normalize_field_name(raw_name) {
            Ok(name) => Some(name),
            Err(_) => {
                self.error(start, SyntaxErrorKind::InvalidFieldName(raw_name.to_owned()));
                None
            }
        }
    }

    /// Parses `{a|b|…}` at `self.pos`, recording errors and returning `None` on a mistake.
    fn spin_group(&mut self, depth: usize) -> Option<SpinGroup> {
        let start = self.pos;
        self.pos += 1;
        if depth > MAX_SPIN_DEPTH {
            self.error(start, SyntaxErrorKind::TooDeep);
            // Skip the rest: nothing after this point can be parsed meaningfully.
            self.pos = self.source.len();
            return None;
        }
        let position = self.next_group;
        self.next_group += 1;
        let mut options = Vec::new();
        loop {
            let (option, end) = self.sequence(depth);
            options.push(option);
            if end == End::Eof {
                self.error(start, SyntaxErrorKind::UnclosedSpin);
                return None;
            }
            // Step over the `|` or `}` that ended the option.
            self.pos += 1;
            if end == End::Close {
                break;
            }
        }
        if options.len() < 2 {
            self.error(start, SyntaxErrorKind::SpinWithoutOptions);
            return None;
        }
        Some(SpinGroup { position, options })
    }
}

fn flush(text: &mut String, nodes: &mut Vec<Node>) {
    if !text.is_empty() {
        nodes.push(Node::Text(std::mem::take(text)));
    }
}
