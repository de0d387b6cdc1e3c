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
pub use decode::SourceEncoding;
pub use leads::{CsvItem, DuplicateInFile, InvalidLine, LeadReader, ParsedLead};
pub use preview::{CsvPreview, PreviewRow, preview};

use decode::{DecodingReader, csv_error_from_io};

/// The largest upload accepted unless the caller says otherwise.
pub const DEFAULT_BYTE_LIMIT: u64 = 50 * 1024 * 1024;

/// The longest header line looked at to choose the separator.
const MAX_HEADER_SNIFF: usize = 1024 * 1024;

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
        columns.join(", ")
    )]
    NoEmailColumn { columns: Vec<String> },
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
    let columns = columns::columns_from_header(&header);
    if columns.is_empty() {
        return Err(CsvError::NoHeader);
    }
    Ok(OpenedCsv { encoding, delimiter, columns, records })
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
