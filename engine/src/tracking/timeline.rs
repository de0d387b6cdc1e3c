//! A lead's timeline: the events recorded for it (replies, bounces, opt-outs, changes by
//! hand) and the messages it was sent (read from the outbox, so they are never stored twice).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::error::Result;
use crate::model::{LeadEvent, LeadEventKind};

/// Evidence is kept, not without bound.
const EVIDENCE_LIMIT: usize = 32 * 1024;
const SUMMARY_LIMIT: usize = 500;

/// An event about to be recorded.
#[derive(Debug, Clone)]
pub(crate) struct NewEvent<'a> {
    pub kind: LeadEventKind,
    pub occurred_at: DateTime<Utc>,
    pub summary: String,
    pub evidence: Option<&'a str>,
    pub gmail_message_id: Option<&'a str>,
    pub gmail_thread_id: Option<&'a str>,
}

impl<'a> NewEvent<'a> {
    pub fn new(kind: LeadEventKind, occurred_at: DateTime<Utc>, summary: String) -> Self {
        Self {
            kind,
            occurred_at,
            summary,
            evidence: None,
            gmail_message_id: None,
            gmail_thread_id: None,
        }
    }
}

/// Records an event on the lead (in the caller's transaction) and returns its id.
pub(crate) async fn record(
    tx: &mut PgConnection,
    team_id: Uuid,
    lead_id: Uuid,
    event: &NewEvent<'_>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let summary: String = event.summary.chars().take(SUMMARY_LIMIT).collect();
    let evidence = event.evidence.map(|e| e.chars().take(EVIDENCE_LIMIT).collect::<String>());
    sqlx::query!(
        "INSERT INTO lead_events (id, team_id, campaign_id, lead_id, kind, occurred_at, summary, evidence,
                                  gmail_message_id, gmail_thread_id, sender_id)
         SELECT $1, team_id, campaign_id, id, $3, $4, $5, $6, $7, $8, sender_id FROM leads
         WHERE team_id = $9 AND id = $2",
        id,
        lead_id,
        event.kind.as_str(),
        event.occurred_at,
        summary,
        evidence,
        event.gmail_message_id,
        event.gmail_thread_id,
        team_id
    )
    .execute(&mut *tx)
    .await?;
    Ok(id)
}

/// The lead's timeline, oldest first: sent messages and recorded events.
pub async fn for_lead(pool: &PgPool, team_id: Uuid, lead_id: Uuid) -> Result<Vec<LeadEvent>> {
    let sent = sqlx::query!(
        r#"SELECT step_number, subject, sent_at AS "sent_at!", gmail_message_id, gmail_thread_id
           FROM outbox_messages
           WHERE team_id = $1 AND lead_id = $2 AND status = 'sent' AND sent_at IS NOT NULL"#,
        team_id,
        lead_id
    )
    .fetch_all(pool)
    .await?;
    let mut events: Vec<LeadEvent> = sent
        .into_iter()
        .map(|row| LeadEvent {
            kind: LeadEventKind::Sent,
            occurred_at: row.sent_at,
            summary: format!("Step {} sent: {}", row.step_number, row.subject.unwrap_or_default()),
            evidence: None,
            gmail_message_id: row.gmail_message_id,
            gmail_thread_id: row.gmail_thread_id,
        })
        .collect();
    let recorded = sqlx::query_as!(
        LeadEvent,
        r#"SELECT kind AS "kind: LeadEventKind", occurred_at, summary, evidence, gmail_message_id, gmail_thread_id
           FROM lead_events WHERE team_id = $1 AND lead_id = $2
           ORDER BY occurred_at, id"#,
        team_id,
        lead_id
    )
    .fetch_all(pool)
    .await?;
    events.extend(recorded);
    events.sort_by_key(|e| e.occurred_at);
    Ok(events)
}
