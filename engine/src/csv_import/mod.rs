//! Reading a CSV of leads as people export them from Excel, Google Sheets or a CRM: any common
//! encoding and separator, headers in several languages. Parsing only; it streams leads to
//! the caller (who writes them to the database), and holds little more than one row in memory.
//!
//! [`LeadReader`] yields each row as a [`CsvItem`]: a lead, an invalid line, or a duplicate.
//! A [`CsvError`] means the whole file is refused and nothing should be imported.

mod columns;
mod decode;
mod delimiter;
mod leads;
mod preview;

use std::collections::BTreeMap;
use std::io::{self, Read};

pub use columns::{Column, ColumnRole};
pub use decode::{SourceEncoding, decode_to_string};
pub use leads::{CsvItem, DuplicateInFile, InvalidLine, LeadReader, ParsedLead};
pub use preview::{CsvPreview, PreviewRow, preview};

use decode::{DecodingReader, csv_error_from_io};

/// The largest upload accepted unless the caller says otherwise.
pub const DEFAULT_BYTE_LIMIT: u64 = 50 * 1024 * 1024;

/// The longest header line looked at to choose the separator.
const MAX_HEADER_SNIFF: usize = 1024 * 1024;

/// More columns than this is no lead list (and each would become a merge field).
pub const MAX_COLUMNS: usize = 1000;

/// Column names quoted in an error message: this many, each cut to [`MAX_QUOTED_NAME`].
const MAX_QUOTED_COLUMNS: usize = 20;
const MAX_QUOTED_NAME: usize = 40;

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Files larger than this are refused.
    pub byte_limit: u64,
    /// The import UI's choices, by column index (from 0); they override detection.
    pub mapping: BTreeMap<usize, ColumnRole>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self { byte_limit: DEFAULT_BYTE_LIMIT, mapping: BTreeMap::new() }
    }
}

/// Why a file is refused as a whole.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("the file is empty")]
    Empty,
    #[error("the file has no header line with column names")]
    NoHeader,
    #[error("the file is larger than the limit of {}", readable_size(*limit))]
    TooLarge { limit: u64 },
    #[error("this is not a CSV file: it looks like {0}. Save or export it as CSV and upload that")]
    NotText(&'static str),
    #[error("the file is not valid {encoding} (at byte {offset}): save it again as \"CSV UTF-8\"")]
    InvalidEncoding { encoding: &'static str, offset: u64 },
    #[error(
        "no email column found; the columns are: {}. Name the column \"Email\" or choose it \
         in the import settings",
        quote_columns(columns)
    )]
    NoEmailColumn { columns: Vec<String> },
    #[error("the file has {count} columns; at most {MAX_COLUMNS} are supported")]
    TooManyColumns { count: usize },
    #[error(
        "line {line}: a value opens a quote (\") that is never closed, so everything after it \
         would be read as one value; fix the quotes on that line"
    )]
    UnclosedQuote { line: u64 },
    #[error("the file has a header but no rows below the header")]
    NoRows,
    #[error("the column settings do not fit this file: {0}")]
    InvalidMapping(String),
    #[error("the file could not be read as CSV: {0}")]
    Malformed(String),
    #[error("the file could not be read: {0}")]
    Io(io::Error),
}

impl From<csv::Error> for CsvError {
    fn from(error: csv::Error) -> Self {
        let message = error.to_string();
        match error.into_kind() {
            csv::ErrorKind::Io(io_error) => csv_error_from_io(io_error),
            _ => CsvError::Malformed(message),
        }
    }
}

/// Column names for a message: at most [`MAX_QUOTED_COLUMNS`], each cut short.
fn quote_columns(columns: &[String]) -> String {
    let mut quoted: Vec<String> = columns
        .iter()
        .take(MAX_QUOTED_COLUMNS)
        .map(|name| match name.char_indices().nth(MAX_QUOTED_NAME) {
            Some((cut, _)) => format!("{}…", &name[..cut]),
            None => name.clone(),
        })
        .collect();
    if columns.len() > MAX_QUOTED_COLUMNS {
        quoted.push(format!("… and {} more", columns.len() - MAX_QUOTED_COLUMNS));
    }
    quoted.join(", ")
}

/// `52428800` → `50 MB`; small limits in bytes.
fn readable_size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!("{} MB", bytes / MB)
    } else {
        format!("{bytes} bytes")
    }
}

/// A file opened for reading: encoding and separator decided, header read.
struct OpenedCsv<R: Read> {
    encoding: SourceEncoding,
    delimiter: u8,
    columns: Vec<Column>,
    records: csv::Reader<io::Chain<io::Cursor<Vec<u8>>, DecodingReader<R>>>,
}

fn open<R: Read>(reader: R, options: &ImportOptions) -> Result<OpenedCsv<R>, CsvError> {
    let mut decoded = DecodingReader::new(reader, options.byte_limit)?;
    let encoding = decoded.encoding();
    let head = read_first_record(&mut decoded)?;
    let delimiter = delimiter::sniff_delimiter(header_line(&head).unwrap_or(&head));
    let mut records = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(io::Cursor::new(head).chain(decoded));
    let mut header = csv::StringRecord::new();
    if !records.read_record(&mut header)? {
        return Err(CsvError::NoHeader);
    }
    check_quotes_closed(&records, &header)?;
    let count =
        (0..header.len()).rev().find(|&i| !header[i].trim().is_empty()).map_or(0, |i| i + 1);
    if count > MAX_COLUMNS {
        return Err(CsvError::TooManyColumns { count });
    }
    let columns = columns::columns_from_header(&header);
    if columns.is_empty() {
        return Err(CsvError::NoHeader);
    }
    Ok(OpenedCsv { encoding, delimiter, columns, records })
}

type Records<R> = csv::Reader<io::Chain<io::Cursor<Vec<u8>>, DecodingReader<R>>>;

/// Refuses `record` (just read) when it is a quoted value that ran to the end of the file: the
/// CSV parser reads an unclosed quote as a value holding every line after it. Such a value is
/// the record's last, spans lines, ends the file — and the file does not end with the quote
/// that would have closed it.
fn check_quotes_closed<R: Read>(
    records: &Records<R>,
    record: &csv::StringRecord,
) -> Result<(), CsvError> {
    let spans_lines = record.iter().next_back().is_some_and(|value| value.contains('\n'));
    if !spans_lines {
        return Ok(());
    }
    let decoder = records.get_ref().get_ref().1;
    let at_end = decoder.is_finished() && records.position().byte() == decoder.bytes_out();
    if at_end && !decoder.ends_with(b"\"\n") {
        // The value holds the line break that would have ended its record, so the record
        // starts as many lines before the end as it holds line breaks.
        let breaks: usize = record.iter().map(|field| field.matches('\n').count()).sum();
        let line = records.position().line().saturating_sub(breaks as u64).max(1);
        return Err(CsvError::UnclosedQuote { line });
    }
    Ok(())
}

/// The line `record` (just read by `records`) starts on. The CSV reader's own record position
/// counts blank lines skipped before the record as part of it, so count back from the end
/// instead: the line after the record, minus the line breaks inside it, minus its own (the
/// decoder guarantees every record one).
fn record_start_line<R: Read>(records: &csv::Reader<R>, record: &csv::StringRecord) -> u64 {
    let line_after = records.position().line();
    let inner_breaks: usize = record.iter().map(|field| field.matches('\n').count()).sum();
    line_after.saturating_sub(inner_breaks as u64 + 1).max(1)
}

/// Reads decoded bytes up to the end of the first non-blank record (a quoted line break does
/// not end it), so the separator can be chosen before the CSV parser starts.
fn read_first_record(decoded: &mut impl Read) -> Result<Vec<u8>, CsvError> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 8 * 1024];
    loop {
        let n = decoded.read(&mut chunk).map_err(csv_error_from_io)?;
        head.extend_from_slice(&chunk[..n]);
        if n == 0 || header_line(&head).is_some() || head.len() > MAX_HEADER_SNIFF {
            return Ok(head);
        }
    }
}

/// The first record of `head` after any blank lines, once it is complete.
fn header_line(head: &[u8]) -> Option<&[u8]> {
    let start = head.iter().position(|&b| b != b'\n')?;
    let rest = &head[start..];
    delimiter::first_record_end(rest).map(|end| &rest[..end])
}

#[cfg(test)]
mod tests;
