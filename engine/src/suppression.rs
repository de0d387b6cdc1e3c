//! The team-wide suppression list: addresses and whole domains that are never mailed, with
//! why and since when. Checked at the moment of sending, not only when scheduling.

use std::collections::HashSet;

use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use crate::db::escape_like;
use crate::email_address::{EmailAddress, parse_domain};
use crate::error::{Error, Result};
use crate::model::{
    InvalidEntry, Page, Suppression, SuppressionImportReport as ImportReport, SuppressionReason,
};

/// Suppression CSV files are small lists; anything bigger is a mistake.
pub const IMPORT_BYTE_LIMIT: usize = 10 * 1024 * 1024;

/// What a suppression covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Email(EmailAddress),
    Domain(String),
}

impl Target {
    /// `someone@acme.com` is an address; `acme.com` or `@acme.com` a whole domain.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let text = text.trim();
        match text.split_once('@') {
            Some((local, _)) if !local.is_empty() => EmailAddress::parse(text)
                .map(Target::Email)
                .map_err(|e| format!("'{text}' is not a valid address: {e}")),
            _ => parse_domain(text)
                .map(Target::Domain)
                .map_err(|e| format!("'{text}' is not a valid domain: {e}")),
        }
    }

    fn columns(&self) -> (Option<&str>, Option<&str>) {
        match self {
            Target::Email(email) => (Some(email.as_str()), None),
            Target::Domain(domain) => (None, Some(domain.as_str())),
        }
    }
}

/// Lists the team's suppressions, newest first; `query` matches addresses and domains.
pub async fn list(
    pool: &PgPool,
    team_id: Uuid,
    query: Option<&str>,
    page: i64,
    per_page: i64,
) -> Result<Page<Suppression>> {
    let paging = crate::db::Paging::new(page, per_page)?;
    let (page, per_page) = (paging.page, paging.per_page);
    let pattern = query
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| format!("%{}%", escape_like(&q.to_lowercase())));
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM suppressions
           WHERE team_id = $1 AND ($2::text IS NULL OR coalesce(email, domain) LIKE $2)"#,
        team_id,
        pattern
    )
    .fetch_one(pool)
    .await?;
    let items = sqlx::query_as!(
        Suppression,
        r#"SELECT id, email, domain, reason AS "reason: SuppressionReason", note, created_at FROM suppressions
           WHERE team_id = $1 AND ($2::text IS NULL OR coalesce(email, domain) LIKE $2)
           ORDER BY created_at DESC, id
           LIMIT $3 OFFSET $4"#,
        team_id,
        pattern,
        per_page,
        paging.offset()
    )
    .fetch_all(pool)
    .await?;
    Ok(Page { items, total, page, per_page })
}

/// Suppresses `target` (a no-op returning the existing entry when it is already there).
/// Returns the entry and whether it is new.
pub async fn add(
    pool: &PgPool,
    team_id: Uuid,
    target: &Target,
    reason: SuppressionReason,
    note: &str,
    created_by: Option<Uuid>,
) -> Result<(Suppression, bool)> {
    let mut tx = pool.begin().await?;
    let added = insert(&mut tx, team_id, target, reason, note, created_by).await?;
    tx.commit().await?;
    Ok(added)
}

/// The insert itself, for callers that suppress as part of a larger transaction (a bounce,
/// an unsubscribe click).
pub async fn insert(
    tx: &mut sqlx::PgConnection,
    team_id: Uuid,
    target: &Target,
    reason: SuppressionReason,
    note: &str,
    created_by: Option<Uuid>,
) -> Result<(Suppression, bool)> {
    let (email, domain) = target.columns();
    let note = note.trim();
    if note.chars().count() > 2000 {
        return Err(Error::invalid("note", "the note is longer than 2000 characters"));
    }
    let inserted = sqlx::query_as!(
        Suppression,
        r#"INSERT INTO suppressions (id, team_id, email, domain, reason, note, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT DO NOTHING
           RETURNING id, email, domain, reason AS "reason: SuppressionReason", note, created_at"#,
        Uuid::new_v4(),
        team_id,
        email,
        domain,
        reason.as_str(),
        note,
        created_by
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(created) = inserted {
        return Ok((created, true));
    }
    let existing = sqlx::query_as!(
        Suppression,
        r#"SELECT id, email, domain, reason AS "reason: SuppressionReason", note, created_at FROM suppressions
           WHERE team_id = $1 AND (email = $2 OR domain = $3)"#,
        team_id,
        email,
        domain
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok((existing, false))
}

pub async fn remove(pool: &PgPool, team_id: Uuid, id: Uuid) -> Result<()> {
    let deleted =
        sqlx::query!("DELETE FROM suppressions WHERE team_id = $1 AND id = $2", team_id, id)
            .execute(pool)
            .await?;
    if deleted.rows_affected() == 0 {
        return Err(Error::NotFound("suppression"));
    }
    Ok(())
}

/// Is the address, or its whole domain, on the team's list?
pub async fn is_suppressed(
    executor: impl PgExecutor<'_>,
    team_id: Uuid,
    email: &EmailAddress,
) -> Result<bool> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM suppressions WHERE team_id = $1 AND (email = $2 OR domain = $3)) AS "suppressed!""#,
        team_id,
        email.as_str(),
        email.domain()
    )
    .fetch_one(executor)
    .await?)
}

/// Imports a CSV of addresses and domains: either a header naming `email`/`domain` (and
/// optionally `reason`, `note`) columns, or one entry per line in the first column. Bad lines
/// are reported and skipped; the valid ones are added in one transaction.
pub async fn import_csv(
    pool: &PgPool,
    team_id: Uuid,
    bytes: &[u8],
    created_by: Option<Uuid>,
) -> Result<ImportReport> {
    if bytes.len() > IMPORT_BYTE_LIMIT {
        return Err(Error::invalid("file", "the file is larger than 10 MB"));
    }
    let (entries, invalid) = parse_import(bytes)?;
    let mut report = ImportReport { invalid, ..ImportReport::default() };
    let mut tx = pool.begin().await?;
    for (target, reason, note) in entries {
        let (_, created) = insert(&mut tx, team_id, &target, reason, &note, created_by).await?;
        if created {
            report.added += 1;
        } else {
            report.already_suppressed += 1;
        }
    }
    tx.commit().await?;
    Ok(report)
}

type ImportEntry = (Target, SuppressionReason, String);

fn parse_import(bytes: &[u8]) -> Result<(Vec<ImportEntry>, Vec<InvalidEntry>)> {
    // Read like a lead list: any recognized encoding; images, archives, UTF-16 without a
    // byte-order mark and empty files refused before anything is added.
    let limit = u64::try_from(IMPORT_BYTE_LIMIT).unwrap_or(u64::MAX);
    let text = crate::csv_import::decode_to_string(bytes, limit)
        .map_err(|e| Error::invalid("file", e.to_string()))?;
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| text.lines().next().unwrap_or("").matches(*d as char).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut entries = Vec::new();
    let mut invalid = Vec::new();
    let mut seen = HashSet::new();
    let mut columns = Columns { target: vec![0], reason: None, note: None };
    let mut first = true;
    for record in reader.records() {
        let record = record
            .map_err(|e| Error::invalid("file", format!("the file is not a readable CSV: {e}")))?;
        // The csv crate's positions start before skipped blank lines; count from the record's
        // first character instead.
        let line = record.position().map_or(0, |p| line_of(&text, p.byte()));
        // A quote never closed swallows the rest of the file into the last value of a record.
        let swallowed = record.iter().next_back().is_some_and(|value| value.contains('\n'))
            && !text.trim_end_matches('\n').ends_with('"')
            && is_last_record(&text, &record);
        if swallowed {
            return Err(Error::invalid(
                "file",
                crate::csv_import::CsvError::UnclosedQuote { line }.to_string(),
            ));
        }
        if first {
            first = false;
            if let Some(header) = Columns::from_header(&record) {
                columns = header;
                continue;
            }
        }
        let Some(value) = columns
            .target
            .iter()
            .filter_map(|i| record.get(*i))
            .map(str::trim)
            .find(|v| !v.is_empty())
        else {
            if record.iter().any(|v| !v.trim().is_empty()) {
                invalid.push(InvalidEntry {
                    line,
                    reason: "no address or domain on this line".into(),
                });
            }
            continue;
        };
        match Target::parse(value) {
            Ok(target) => {
                let reason = columns
                    .reason
                    .and_then(|i| record.get(i))
                    .and_then(SuppressionReason::parse)
                    .unwrap_or(SuppressionReason::Imported);
                let note =
                    columns.note.and_then(|i| record.get(i)).unwrap_or_default().trim().to_string();
                if seen.insert(target.clone()) {
                    entries.push((target, reason, note));
                }
            }
            Err(reason) => invalid.push(InvalidEntry { line, reason }),
        }
    }
    Ok((entries, invalid))
}

/// Whether `record`'s last value reaches the end of `text` (nothing but line breaks after it).
fn is_last_record(text: &str, record: &csv::StringRecord) -> bool {
    let Some(last) = record.iter().next_back() else { return false };
    text.trim_end_matches('\n').ends_with(last.trim_end_matches('\n'))
}

fn line_of(text: &str, byte: u64) -> u64 {
    let start = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
    let blank = text.as_bytes()[start..].iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
    let end = start + blank;
    text.as_bytes()[..end].iter().filter(|b| **b == b'\n').count() as u64 + 1
}

struct Columns {
    target: Vec<usize>,
    reason: Option<usize>,
    note: Option<usize>,
}

impl Columns {
    fn from_header(record: &csv::StringRecord) -> Option<Self> {
        let names: Vec<String> =
            record.iter().map(|h| h.trim().to_lowercase().replace(['-', ' '], "_")).collect();
        let position = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
        let target: Vec<usize> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                matches!(n.as_str(), "email" | "e_mail" | "email_address" | "address" | "domain")
            })
            .map(|(i, _)| i)
            .collect();
        (!target.is_empty()).then(|| Columns {
            target,
            reason: position(&["reason"]),
            note: position(&["note", "notes"]),
        })
    }
}

/// The whole list as CSV. Cells that a spreadsheet would run as a formula get a leading `'`.
pub async fn export_csv(pool: &PgPool, team_id: Uuid) -> Result<String> {
    let rows = sqlx::query_as!(
        Suppression,
        r#"SELECT id, email, domain, reason AS "reason: SuppressionReason", note, created_at FROM suppressions
           WHERE team_id = $1 ORDER BY created_at, id"#,
        team_id
    )
    .fetch_all(pool)
    .await?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let write = |writer: &mut csv::Writer<Vec<u8>>, cells: [&str; 5]| {
        writer
            .write_record(cells.map(spreadsheet_safe))
            .map_err(|e| Error::internal(format!("writing CSV: {e}")))
    };
    write(&mut writer, ["email", "domain", "reason", "note", "created_at"])?;
    for row in rows {
        let created = row.created_at.to_rfc3339();
        write(
            &mut writer,
            [
                row.email.as_deref().unwrap_or(""),
                row.domain.as_deref().unwrap_or(""),
                row.reason.as_str(),
                &row.note,
                &created,
            ],
        )?;
    }
    let bytes = writer.into_inner().map_err(|e| Error::internal(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(Error::internal)
}

/// Neutralizes spreadsheet formula injection (OWASP "CSV injection").
pub fn spreadsheet_safe(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_addresses_or_domains() {
        assert_eq!(
            Target::parse(" Jane@Acme.com ").unwrap(),
            Target::Email(EmailAddress::parse("jane@acme.com").unwrap())
        );
        assert_eq!(Target::parse("@Acme.com").unwrap(), Target::Domain("acme.com".into()));
        assert_eq!(Target::parse("acme.com").unwrap(), Target::Domain("acme.com".into()));
        assert!(Target::parse("not valid").unwrap_err().contains("not a valid domain"));
        assert!(Target::parse("x@@y.com").unwrap_err().contains("not a valid address"));
    }

    #[test]
    fn import_reads_headerless_lists_and_headed_files() {
        let (entries, invalid) = parse_import(b"a@x.com\nexample.org\n\nbroken@\n").unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(invalid, vec![InvalidEntry { line: 4, reason: invalid[0].reason.clone() }]);
        let (entries, invalid) =
            parse_import(b"Name;E-Mail;Reason\nJane;jane@x.com;bounced\nBob;bob@x.com;whatever\n")
                .unwrap();
        assert!(invalid.is_empty());
        assert_eq!(entries[0].1, SuppressionReason::Bounced);
        assert_eq!(entries[1].1, SuppressionReason::Imported);
    }

    #[test]
    fn import_skips_repeats_within_the_file() {
        let (entries, _) = parse_import(b"email\nA@x.com\na@x.com\n").unwrap();
        assert_eq!(entries.len(), 1);
    }

    #[test]
    fn formulas_are_neutralized_on_export() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("+1"), "'+1");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("jane@x.com"), "jane@x.com");
    }
}
