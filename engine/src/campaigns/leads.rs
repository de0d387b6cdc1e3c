//! A campaign's leads: the CSV import (streamed, written with `COPY`, all-or-nothing) and the
//! paged list.
//!
//! The import parses on a blocking thread and streams `COPY` rows through a small channel into
//! a temporary table, so memory stays flat however long the file is. One statement then sorts
//! the rows (new, already in this campaign, suppressed, in another running campaign) and
//! inserts the new ones; all of it in one transaction with the campaign row locked.

use std::collections::BTreeMap;
use std::io::Cursor;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::lock;
use crate::csv_import::{CsvError, CsvItem, ImportOptions, LeadReader, ParsedLead};
use crate::db::escape_like;
use crate::error::{Error, Result};
use crate::model::{
    CampaignStatus, InvalidEntry, Lead, LeadImportReport, LeadSort, LeadSortKey, LeadStatus, Page,
    Stage,
};

/// COPY data is sent in chunks of about this size.
const CHUNK_BYTES: usize = 256 * 1024;

/// What the parsing thread learned besides the rows.
struct Parsed {
    encoding: &'static str,
    delimiter: char,
    fields: Vec<String>,
    invalid: Vec<InvalidEntry>,
    duplicates: u64,
    /// Rows read below the header (blank ones not counted).
    rows: u64,
}

/// Imports a CSV file into the campaign. A file refused as a whole (`Error::Invalid` with
/// field `file`) imports nothing; otherwise the report says what happened to every row.
pub async fn import_csv(
    pool: &PgPool,
    team_id: Uuid,
    campaign_id: Uuid,
    file: Vec<u8>,
    options: ImportOptions,
) -> Result<LeadImportReport> {
    let mut tx = pool.begin().await?;
    let status = lock(&mut tx, team_id, campaign_id).await?;
    if status == CampaignStatus::Cancelled {
        return Err(Error::Conflict(
            "the campaign is cancelled; leads can no longer be added".into(),
        ));
    }
    let allow_elsewhere = sqlx::query_scalar!(
        "SELECT leads_in_other_campaigns = 'allow' AS \"allow!\" FROM teams WHERE id = $1",
        team_id
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "CREATE TEMPORARY TABLE lead_import (
             id uuid, line integer, email text COLLATE \"C\", domain text,
             first_name text, company text, fields jsonb
         ) ON COMMIT DROP",
    )
    .execute(&mut *tx)
    .await?;

    let (sender, mut chunks) = mpsc::channel::<Vec<u8>>(4);
    let parser = tokio::task::spawn_blocking(move || parse_into_copy_rows(file, &options, &sender));
    let mut copy = tx
        .copy_in_raw(
            "COPY lead_import (id, line, email, domain, first_name, company, fields) FROM STDIN",
        )
        .await?;
    while let Some(chunk) = chunks.recv().await {
        copy.send(chunk).await?;
    }
    let parsed = match parser.await.map_err(Error::internal)? {
        Ok(parsed) => parsed,
        Err(error) => {
            copy.abort("the file was refused").await?;
            return Err(Error::invalid("file", error.to_string()));
        }
    };
    copy.finish().await?;
    // Row counts for the planner (hash joins, not a probe per row); a small sample is enough
    // for that, and takes a fifth of the time of the default one.
    sqlx::query("SET LOCAL default_statistics_target = 10").execute(&mut *tx).await?;
    sqlx::query("ANALYZE lead_import").execute(&mut *tx).await?;

    // The sort before the insert stays in memory instead of spilling to disk.
    sqlx::query("SET LOCAL work_mem = '256MB'").execute(&mut *tx).await?;
    let skipped_checks = skip_row_checks(&mut tx).await?;
    // A plain insert, not `ON CONFLICT DO NOTHING` (whose speculative insertion costs an extra
    // index probe and tuple update per row): the file's addresses are unique (the parser drops
    // repeats), those already in the campaign are classified `in_campaign`, and the campaign
    // row stays locked until commit, so no other import can add one meanwhile. Suppressions
    // are joined (a hash join), not probed with a subquery per row, which took a sixth of the
    // time; each address and each domain is suppressed at most once per team (unique keys),
    // so the joins never repeat a row.
    let outcomes: Vec<(String, i64)> = sqlx::query_as(
        "WITH classified AS (
             SELECT i.*, CASE
                 WHEN here.id IS NOT NULL THEN 'in_campaign'
                 WHEN by_address.id IS NOT NULL OR by_domain.id IS NOT NULL THEN 'suppressed'
                 WHEN elsewhere.email IS NOT NULL THEN 'elsewhere'
                 ELSE 'new' END AS outcome
             FROM lead_import i
             LEFT JOIN leads here ON here.campaign_id = $1 AND here.email = i.email
             LEFT JOIN suppressions by_address ON by_address.team_id = $2 AND by_address.email = i.email
             LEFT JOIN suppressions by_domain ON by_domain.team_id = $2 AND by_domain.domain = i.domain
             LEFT JOIN (SELECT DISTINCT l.email FROM leads l JOIN campaigns c ON c.id = l.campaign_id
                        WHERE c.team_id = $2 AND c.id <> $1 AND c.status IN ('running', 'paused')) elsewhere
                    ON elsewhere.email = i.email
         ), inserted AS (
             INSERT INTO leads (id, team_id, campaign_id, email, first_name, company, fields, source_line)
             SELECT id, $2, $1, email, first_name, company, fields, line FROM classified
             WHERE outcome = 'new' OR (outcome = 'elsewhere' AND $3)
             ORDER BY id
             RETURNING 1
         )
         SELECT outcome, count(*) FROM classified GROUP BY outcome
         UNION ALL SELECT 'inserted', count(*) FROM inserted",
    )
    .bind(campaign_id)
    .bind(team_id)
    .bind(allow_elsewhere)
    .fetch_all(&mut *tx)
    .await?;
    if skipped_checks {
        sqlx::query("SET LOCAL session_replication_role = origin").execute(&mut *tx).await?;
    }
    let count = |name: &str| {
        outcomes.iter().find(|(outcome, _)| outcome == name).map_or(0, |(_, n)| *n as u64)
    };
    let imported = count("inserted");
    if imported == 0 {
        // Nothing added: the campaign stays exactly as it was (no new merge fields either).
        tx.commit().await?;
        return Ok(report(imported, &parsed, &count, allow_elsewhere));
    }
    sqlx::query!(
        "UPDATE campaigns SET lead_count = lead_count + $3,
                lead_fields = ARRAY(SELECT DISTINCT f FROM unnest(lead_fields || $4::text[]) AS f ORDER BY f),
                updated_at = now()
         WHERE team_id = $1 AND id = $2",
        team_id,
        campaign_id,
        i32::try_from(imported).map_err(Error::internal)?,
        &parsed.fields
    )
    .execute(&mut *tx)
    .await?;
    // A completed campaign given new leads runs again, for them.
    if imported > 0 {
        super::completion::reopen(&mut tx, campaign_id).await?;
    }
    if status != CampaignStatus::Draft {
        // Running, paused, or completed and running again: the new leads' first steps.
        crate::outbox::plan_first_steps(&mut tx, team_id, campaign_id, chrono::Utc::now()).await?;
    }
    crate::events::notify(&mut *tx, team_id).await?;
    tx.commit().await?;
    Ok(report(imported, &parsed, &count, allow_elsewhere))
}

fn report(
    imported: u64,
    parsed: &Parsed,
    count: &dyn Fn(&str) -> u64,
    allow_elsewhere: bool,
) -> LeadImportReport {
    LeadImportReport {
        imported,
        duplicates_in_file: parsed.duplicates,
        already_in_campaign: count("in_campaign"),
        in_other_campaigns: count("elsewhere"),
        skipped_in_other_campaigns: !allow_elsewhere,
        suppressed: count("suppressed"),
        invalid: parsed.invalid.clone(),
        encoding: parsed.encoding.to_owned(),
        delimiter: parsed.delimiter.to_string(),
        fields: parsed.fields.clone(),
    }
}

/// Turns off the per-row foreign-key checks for the lead insert, where the database allows it
/// (a superuser, or a role granted `SET ON PARAMETER session_replication_role`); returns whether
/// it did. They are a quarter of an import's time and cannot fail there: every row gets the
/// campaign locked `FOR UPDATE` at the start of the transaction (so it exists until commit) and
/// no sender. Elsewhere the checks stay: the caller turns them back on after the insert.
async fn skip_row_checks(tx: &mut sqlx::PgConnection) -> Result<bool> {
    sqlx::query("SAVEPOINT row_checks").execute(&mut *tx).await?;
    match sqlx::query("SET LOCAL session_replication_role = replica").execute(&mut *tx).await {
        Ok(_) => {
            sqlx::query("RELEASE SAVEPOINT row_checks").execute(&mut *tx).await?;
            Ok(true)
        }
        // 42501: insufficient privilege. The import just runs with the checks.
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42501") => {
            sqlx::query("ROLLBACK TO SAVEPOINT row_checks").execute(&mut *tx).await?;
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Runs on a blocking thread: reads the file and sends COPY text rows in chunks.
fn parse_into_copy_rows(
    file: Vec<u8>,
    options: &ImportOptions,
    sender: &mpsc::Sender<Vec<u8>>,
) -> std::result::Result<Parsed, CsvError> {
    let mut reader = LeadReader::new(Cursor::new(file), options)?;
    let mut parsed = Parsed {
        encoding: reader.encoding().label(),
        delimiter: reader.delimiter(),
        fields: reader.custom_field_names().map(str::to_owned).collect(),
        invalid: Vec::new(),
        duplicates: 0,
        rows: 0,
    };
    let mut chunk = Vec::with_capacity(CHUNK_BYTES + 4096);
    for item in reader.by_ref() {
        parsed.rows += 1;
        match item? {
            CsvItem::Lead(lead) => push_copy_row(&mut chunk, &lead),
            CsvItem::Invalid(line) => {
                parsed.invalid.push(InvalidEntry { line: line.line, reason: line.reason });
            }
            CsvItem::Duplicate(_) => parsed.duplicates += 1,
        }
        if chunk.len() >= CHUNK_BYTES {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_BYTES + 4096));
            if sender.blocking_send(full).is_err() {
                // The database side gave up; its error is the one to report.
                return Ok(parsed);
            }
        }
    }
    if parsed.rows == 0 {
        return Err(CsvError::NoRows);
    }
    if !chunk.is_empty() {
        let _ = sender.blocking_send(chunk);
    }
    Ok(parsed)
}

/// One row in COPY's text format: tab-separated, with `\`, tab and line breaks escaped.
fn push_copy_row(out: &mut Vec<u8>, lead: &ParsedLead) {
    let fields: serde_json::Map<String, serde_json::Value> = lead
        .custom
        .iter()
        .map(|(name, value)| (name.to_string(), serde_json::Value::String(value.clone())))
        .collect();
    let json = serde_json::Value::Object(fields).to_string();
    let columns = [
        Uuid::now_v7().to_string(),
        lead.line.to_string(),
        lead.email.as_str().to_owned(),
        lead.email.domain().to_owned(),
        lead.first_name.clone(),
        lead.company.clone(),
        json,
    ];
    for (index, value) in columns.iter().enumerate() {
        if index > 0 {
            out.push(b'\t');
        }
        push_copy_escaped(out, value);
    }
    out.push(b'\n');
}

fn push_copy_escaped(out: &mut Vec<u8>, value: &str) {
    for &byte in value.as_bytes() {
        match byte {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(byte),
        }
    }
}

/// Which leads to list, and in which order.
#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    pub status: Option<LeadStatus>,
    /// A column of the pipeline board (e.g. "opted out": unsubscribed or suppressed); with
    /// `status` too, only leads matching both.
    pub stage: Option<Stage>,
    /// The start of an address, or part of a name or company.
    pub query: Option<String>,
    pub sort: LeadSort,
    /// Keyset paging: the leads right after this one in the sort order (the page's `page`
    /// number is then only echoed), so a page deep in 100k leads costs as little as the first.
    pub after: Option<Uuid>,
    /// The leads right before this one (the previous page).
    pub before: Option<Uuid>,
}

impl LeadFilter {
    /// From query-string values: `status` is a lead status or a board stage (`opted_out`),
    /// `sort` a key such as `email` or `-activity` (descending); empty values are "any".
    pub fn from_params(
        status: Option<&str>,
        query: Option<&str>,
        sort: Option<&str>,
    ) -> Result<Self> {
        let mut filter = LeadFilter::default();
        if let Some(text) = status.map(str::trim).filter(|s| !s.is_empty()) {
            match (LeadStatus::parse(text), Stage::parse(text)) {
                (Some(status), _) => filter.status = Some(status),
                (None, Some(stage)) => filter.stage = Some(stage),
                (None, None) => {
                    return Err(Error::invalid("status", format!("'{text}' is not a lead status")));
                }
            }
        }
        filter.query = query.map(str::trim).filter(|q| !q.is_empty()).map(str::to_string);
        filter.sort = LeadSort::parse(sort.unwrap_or_default()).ok_or_else(|| {
            Error::invalid(
                "sort",
                "sort by email, name, company, status, activity or imported (a leading '-' for descending)",
            )
        })?;
        Ok(filter)
    }

    /// The statuses to list (`None`: all of them).
    fn statuses(&self) -> Option<Vec<String>> {
        let mut statuses: Vec<LeadStatus> = match self.stage {
            Some(stage) => stage.statuses().to_vec(),
            None => LeadStatus::ALL.to_vec(),
        };
        if let Some(status) = self.status {
            statuses.retain(|s| *s == status);
        }
        (self.status.is_some() || self.stage.is_some())
            .then(|| statuses.into_iter().map(|s| s.as_str().to_string()).collect())
    }
}

/// The columns a sort orders by: every key ends with the id, so equal values keep a stable
/// order and a lead names a position (keyset paging); each has an index starting with the
/// campaign (see the migrations). Names and companies sort ignoring the case of A–Z.
fn sort_columns(key: LeadSortKey) -> &'static str {
    match key {
        LeadSortKey::Imported => "id",
        LeadSortKey::Email => "email, id",
        LeadSortKey::Name => "lower(first_name), id",
        LeadSortKey::Company => "lower(company), id",
        LeadSortKey::Status => "status, id",
        LeadSortKey::Activity => "updated_at, id",
    }
}

/// A page of the campaign's leads, in the filter's order (import order by default).
pub async fn list(
    pool: &PgPool,
    team_id: Uuid,
    campaign_id: Uuid,
    filter: &LeadFilter,
    page: i64,
    per_page: i64,
) -> Result<Page<Lead>> {
    // The campaign's kept lead count (which also says it is the team's) spares counting
    // 100k leads when nothing is filtered.
    let lead_count = sqlx::query_scalar!(
        "SELECT lead_count FROM campaigns WHERE team_id = $1 AND id = $2",
        team_id,
        campaign_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(Error::NotFound("campaign"))?;
    let paging = crate::db::Paging::new(page, per_page)?;
    let (page, per_page) = (paging.page, paging.per_page);
    let statuses = filter.statuses();
    let query = filter.query.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let prefix = query.map(|q| format!("{}%", escape_like(&q.to_lowercase())));
    let contains = query.map(|q| format!("%{}%", escape_like(q)));
    let total = if statuses.is_none() && query.is_none() {
        i64::from(lead_count)
    } else {
        sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!" FROM leads
               WHERE team_id = $1 AND campaign_id = $2 AND ($3::text[] IS NULL OR status = ANY($3))
                 AND ($4::text IS NULL OR email LIKE $4
                      OR first_name ILIKE $5 COLLATE "default" OR company ILIKE $5 COLLATE "default")"#,
            team_id,
            campaign_id,
            statuses.as_deref(),
            prefix,
            contains
        )
        .fetch_one(pool)
        .await?
    };
    // The columns are one of a fixed set, never text from the request. With a cursor the
    // page starts right after (or ends right before) that lead, found through the index.
    let columns = sort_columns(filter.sort.key);
    let cursor = filter.after.or(filter.before);
    let descending = filter.sort.descending != filter.before.is_some();
    let direction = if descending { " DESC" } else { "" };
    let order: Vec<String> = columns.split(", ").map(|c| format!("{c}{direction}")).collect();
    let from_cursor = match cursor {
        Some(_) => format!(
            "AND ({columns}) {} (SELECT {columns} FROM leads WHERE team_id = $1 AND campaign_id = $2 AND id = $8)",
            if descending { "<" } else { ">" }
        ),
        None => String::new(),
    };
    let sql = format!(
        "SELECT id, campaign_id, email, first_name, company, fields, status, created_at, updated_at
         FROM leads
         WHERE team_id = $1 AND campaign_id = $2 AND ($3::text[] IS NULL OR status = ANY($3))
           AND ($4::text IS NULL OR email LIKE $4
                OR first_name ILIKE $5 COLLATE \"default\" OR company ILIKE $5 COLLATE \"default\")
           {from_cursor}
         ORDER BY {} LIMIT $6 OFFSET $7",
        order.join(", ")
    );
    let offset = if cursor.is_some() { 0 } else { paging.offset() };
    let mut query = sqlx::query_as::<_, LeadRecord>(&sql)
        .bind(team_id)
        .bind(campaign_id)
        .bind(statuses.as_deref())
        .bind(prefix)
        .bind(contains)
        .bind(per_page)
        .bind(offset);
    if let Some(cursor) = cursor {
        query = query.bind(cursor);
    }
    let mut rows = query.fetch_all(pool).await?;
    if filter.before.is_some() {
        rows.reverse();
    }
    let items = rows.into_iter().map(Lead::from).collect();
    Ok(Page { items, total, page, per_page })
}

/// The ids of the team's leads with this address, one per campaign, in import order. It looks
/// the address up campaign by campaign through the (campaign_id, email) key: there is no
/// (team_id, email) index, which every imported lead would have to be written into.
pub(crate) async fn ids_with_address(
    tx: &mut sqlx::PgConnection,
    team_id: Uuid,
    email: &str,
) -> Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar!(
        "SELECT l.id FROM campaigns c
         JOIN leads l ON l.campaign_id = c.id AND l.email = $2
         WHERE c.team_id = $1 AND l.team_id = $1
         ORDER BY l.id",
        team_id,
        email
    )
    .fetch_all(&mut *tx)
    .await?)
}

/// The first `limit` leads (in import order) of each of the statuses.
pub(crate) async fn first_of_statuses(
    pool: &PgPool,
    team_id: Uuid,
    campaign_id: Uuid,
    statuses: &[String],
    limit: i64,
) -> Result<Vec<Lead>> {
    let rows = sqlx::query_as!(
        LeadRecord,
        r#"SELECT l.id AS "id!", l.campaign_id AS "campaign_id!", l.email AS "email!",
                  l.first_name AS "first_name!", l.company AS "company!", l.fields AS "fields!",
                  l.status AS "status!: LeadStatus", l.created_at AS "created_at!",
                  l.updated_at AS "updated_at!"
           FROM unnest($3::text[]) AS s (status)
           CROSS JOIN LATERAL (
               SELECT * FROM leads
               WHERE team_id = $1 AND campaign_id = $2 AND leads.status = s.status
               ORDER BY id LIMIT $4
           ) l"#,
        team_id,
        campaign_id,
        statuses,
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Lead::from).collect())
}

/// One lead of the team.
pub async fn get(pool: &PgPool, team_id: Uuid, lead_id: Uuid) -> Result<Lead> {
    let row = sqlx::query_as!(
        LeadRecord,
        r#"SELECT id, campaign_id, email, first_name, company, fields, status AS "status: LeadStatus",
                  created_at, updated_at
           FROM leads WHERE team_id = $1 AND id = $2"#,
        team_id,
        lead_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(Error::NotFound("lead"))?;
    Ok(row.into())
}

/// A `leads` row as stored (fields as JSON).
#[derive(sqlx::FromRow)]
struct LeadRecord {
    id: Uuid,
    campaign_id: Uuid,
    email: String,
    first_name: String,
    company: String,
    fields: serde_json::Value,
    status: LeadStatus,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<LeadRecord> for Lead {
    fn from(row: LeadRecord) -> Self {
        Lead {
            id: row.id,
            campaign_id: row.campaign_id,
            email: row.email,
            first_name: row.first_name,
            company: row.company,
            fields: fields_map(row.fields),
            status: row.status,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Removes leads from a draft campaign (e.g. those the lint found problems with).
pub async fn remove(
    pool: &PgPool,
    team_id: Uuid,
    campaign_id: Uuid,
    lead_ids: &[Uuid],
) -> Result<u64> {
    let mut tx = pool.begin().await?;
    let status = lock(&mut tx, team_id, campaign_id).await?;
    if status != CampaignStatus::Draft {
        return Err(Error::Conflict(format!(
            "the campaign is {}; leads can only be removed from a draft",
            status.as_str()
        )));
    }
    let removed = sqlx::query!(
        "DELETE FROM leads WHERE team_id = $1 AND campaign_id = $2 AND id = ANY($3)",
        team_id,
        campaign_id,
        lead_ids
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query!(
        "UPDATE campaigns SET lead_count = lead_count - $3, updated_at = now() WHERE team_id = $1 AND id = $2",
        team_id,
        campaign_id,
        i32::try_from(removed).map_err(Error::internal)?
    )
    .execute(&mut *tx)
    .await?;
    crate::events::notify(&mut *tx, team_id).await?;
    tx.commit().await?;
    Ok(removed)
}

pub(crate) async fn ensure_campaign(pool: &PgPool, team_id: Uuid, campaign_id: Uuid) -> Result<()> {
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM campaigns WHERE team_id = $1 AND id = $2) AS "exists!""#,
        team_id,
        campaign_id
    )
    .fetch_one(pool)
    .await?;
    if exists { Ok(()) } else { Err(Error::NotFound("campaign")) }
}

pub(crate) fn fields_map(value: serde_json::Value) -> BTreeMap<String, String> {
    match value {
        serde_json::Value::Object(map) => map
            .into_iter()
            .map(|(key, value)| match value {
                serde_json::Value::String(text) => (key, text),
                other => (key, other.to_string()),
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}
