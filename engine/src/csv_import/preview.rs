//! The first rows of a file as the import screen shows them, with what was detected, so a
//! person can check the columns (and choose the email column) before importing.

use std::io::Read;

use serde::Serialize;

use super::columns::{self, Column, ColumnRole};
use super::leads::clean_multi_line;
use super::{
    CsvError, ImportOptions, SourceEncoding, check_quotes_closed, open, record_start_line,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsvPreview {
    pub encoding: SourceEncoding,
    pub delimiter: char,
    pub columns: Vec<Column>,
    /// One role per column; without an [`ColumnRole::Email`] the import would be refused.
    pub mapping: Vec<ColumnRole>,
    pub rows: Vec<PreviewRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviewRow {
    pub line: u64,
    /// One cleaned value per column.
    pub values: Vec<String>,
}

/// Reads the header and up to `max_rows` non-blank rows. A missing email column is not an
/// error here: the preview is where a person picks it.
pub fn preview(
    reader: impl Read,
    max_rows: usize,
    options: &ImportOptions,
) -> Result<CsvPreview, CsvError> {
    let mut csv = open(reader, options)?;
    let detected = columns::detect_roles(&csv.columns);
    let mapping = columns::apply_overrides(&csv.columns, detected, &options.mapping)?;
    let mut rows = Vec::with_capacity(max_rows.min(100));
    let mut record = csv::StringRecord::new();
    while rows.len() < max_rows && csv.records.read_record(&mut record)? {
        if record.iter().all(|value| value.trim().is_empty()) {
            continue;
        }
        check_quotes_closed(&csv.records, &record)?;
        let line = record_start_line(&csv.records, &record);
        let values = (0..csv.columns.len())
            .map(|index| clean_multi_line(record.get(index).unwrap_or("")))
            .collect();
        rows.push(PreviewRow { line, values });
    }
    Ok(CsvPreview {
        encoding: csv.encoding,
        delimiter: char::from(csv.delimiter),
        columns: csv.columns,
        mapping,
        rows,
    })
}
