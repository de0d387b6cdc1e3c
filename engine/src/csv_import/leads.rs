//! Rows to leads: the streaming reader the import loop drives, and the cleaning of values.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Read;
use std::sync::Arc;

use serde::Serialize;

use super::columns::{self, Column, ColumnRole};
use super::{
    CsvError, ImportOptions, OpenedCsv, SourceEncoding, check_quotes_closed, open,
    record_start_line,
};
use crate::email_address::EmailAddress;
use crate::single_line::{is_bidi_control, single_line};
use crate::template::FieldLookup;

/// Invalid values are quoted in reports up to this many characters.
const MAX_QUOTED_VALUE: usize = 80;

/// One row's outcome. `line` is the physical line the row starts on (the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvItem {
    Lead(ParsedLead),
    Invalid(InvalidLine),
    Duplicate(DuplicateInFile),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedLead {
    pub line: u64,
    pub email: EmailAddress,
    /// Trimmed, on one line; empty when the file has no such column or value.
    pub first_name: String,
    pub company: String,
    /// Every custom column in file order, with its merge-field name; values trimmed, control
    /// characters other than line breaks and tabs removed.
    pub custom: Vec<(Arc<str>, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvalidLine {
    pub line: u64,
    /// For a person: "'jane@example' is not a valid email address: …".
    pub reason: String,
}

/// A row whose address already appeared earlier in the file (compared case-insensitively);
/// the first row wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateInFile {
    pub line: u64,
    pub email: EmailAddress,
}

impl FieldLookup for ParsedLead {
    fn field(&self, name: &str) -> Option<&str> {
        match name {
            "email" => Some(self.email.as_str()),
            "first_name" => Some(&self.first_name),
            "company" => Some(&self.company),
            _ => self.custom.iter().find(|(key, _)| &**key == name).map(|(_, v)| v.as_str()),
        }
    }
}

/// Streams the rows of a CSV file as [`CsvItem`]s. After an `Err` the file must be discarded
/// as a whole (the import is all-or-nothing on a malformed file); the iterator then ends.
pub struct LeadReader<R: Read> {
    csv: OpenedCsv<R>,
    roles: Vec<ColumnRole>,
    /// Custom field names in column order, shared by every lead.
    custom_names: Vec<(usize, Arc<str>)>,
    email_column: usize,
    /// 64-bit hashes of the addresses seen: 8 bytes per lead instead of the address. With a
    /// million leads the chance of two different addresses colliding is about 3·10⁻⁸.
    seen: HashSet<u64>,
    record: csv::StringRecord,
    done: bool,
}

impl<R: Read> LeadReader<R> {
    /// Opens the file and settles the columns; refuses it without an email column.
    pub fn new(reader: R, options: &ImportOptions) -> Result<Self, CsvError> {
        let csv = open(reader, options)?;
        let detected = columns::detect_roles(&csv.columns);
        let roles = columns::apply_overrides(&csv.columns, detected, &options.mapping)?;
        let email_column =
            roles.iter().position(|role| *role == ColumnRole::Email).ok_or_else(|| {
                CsvError::NoEmailColumn {
                    columns: csv.columns.iter().map(|c| c.original.clone()).collect(),
                }
            })?;
        let custom_names = roles
            .iter()
            .enumerate()
            .filter_map(|(index, role)| match role {
                ColumnRole::Custom(name) => Some((index, Arc::from(name.as_str()))),
                _ => None,
            })
            .collect();
        Ok(Self {
            csv,
            roles,
            custom_names,
            email_column,
            seen: HashSet::new(),
            record: csv::StringRecord::new(),
            done: false,
        })
    }

    pub fn encoding(&self) -> SourceEncoding {
        self.csv.encoding
    }

    pub fn delimiter(&self) -> char {
        char::from(self.csv.delimiter)
    }

    pub fn columns(&self) -> &[Column] {
        &self.csv.columns
    }

    /// The role of each column, after detection and the caller's overrides.
    pub fn roles(&self) -> &[ColumnRole] {
        &self.roles
    }

    /// The custom merge-field names every lead carries, in column order.
    pub fn custom_field_names(&self) -> impl Iterator<Item = &str> {
        self.custom_names.iter().map(|(_, name)| &**name)
    }

    fn next_item(&mut self) -> Result<Option<CsvItem>, CsvError> {
        loop {
            if !self.csv.records.read_record(&mut self.record)? {
                return Ok(None);
            }
            let line = record_start_line(&self.csv.records, &self.record);
            if self.record.iter().all(|value| value.trim().is_empty()) {
                continue;
            }
            check_quotes_closed(&self.csv.records, &self.record)?;
            return Ok(Some(self.item(line)));
        }
    }

    fn item(&mut self, line: u64) -> CsvItem {
        let column_count = self.csv.columns.len();
        let extra = self.record.iter().skip(column_count).filter(|v| !v.trim().is_empty()).count();
        if extra > 0 {
            let reason = format!(
                "this line has {} values but the header has {column_count} columns \
                 (a value containing '{}' needs quotes)",
                column_count + extra,
                char::from(self.csv.delimiter),
            );
            return CsvItem::Invalid(InvalidLine { line, reason });
        }
        let raw_email = self.value(self.email_column).trim();
        if raw_email.is_empty() {
            return CsvItem::Invalid(InvalidLine { line, reason: "no email address".into() });
        }
        let email = match EmailAddress::parse(raw_email) {
            Ok(email) => email,
            Err(error) => {
                let quoted = quote_for_report(raw_email);
                let reason = format!("'{quoted}' is not a valid email address: {error}");
                return CsvItem::Invalid(InvalidLine { line, reason });
            }
        };
        if !self.seen.insert(address_hash(&email)) {
            return CsvItem::Duplicate(DuplicateInFile { line, email });
        }
        CsvItem::Lead(self.lead(line, email))
    }

    fn lead(&self, line: u64, email: EmailAddress) -> ParsedLead {
        let single = |role: ColumnRole| {
            self.roles
                .iter()
                .position(|r| *r == role)
                .map_or_else(String::new, |index| single_line(self.value(index)))
        };
        let custom = self
            .custom_names
            .iter()
            .map(|(index, name)| (Arc::clone(name), clean_multi_line(self.value(*index))))
            .collect();
        ParsedLead {
            line,
            email,
            first_name: single(ColumnRole::FirstName),
            company: single(ColumnRole::Company),
            custom,
        }
    }

    /// The row's value in `column`, empty when the row is shorter than the header.
    fn value(&self, column: usize) -> &str {
        self.record.get(column).unwrap_or("")
    }
}

impl<R: Read> Iterator for LeadReader<R> {
    type Item = Result<CsvItem, CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.next_item().transpose();
        self.done = !matches!(item, Some(Ok(_)));
        item
    }
}

fn address_hash(email: &EmailAddress) -> u64 {
    // `DefaultHasher::new()` has fixed keys: the same within a run, which is all we need.
    let mut hasher = DefaultHasher::new();
    email.as_str().hash(&mut hasher);
    hasher.finish()
}

/// For custom fields: line breaks and tabs are kept, other control characters and
/// bidirectional overrides dropped.
pub(super) fn clean_multi_line(value: &str) -> String {
    value
        .trim()
        .chars()
        .filter(|&c| (!c.is_control() || c == '\n' || c == '\t') && !is_bidi_control(c))
        .collect()
}

/// A value safe and short enough to quote in a report.
fn quote_for_report(value: &str) -> String {
    let one_line = single_line(value);
    match one_line.char_indices().nth(MAX_QUOTED_VALUE) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}
