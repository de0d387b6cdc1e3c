//! The `Outreach/…` Gmail labels: created once per account (a 409 means the label exists:
//! it is looked up by name), their ids stored, and applied with `messages.modify`.

use std::collections::HashMap;

use secrecy::SecretString;
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::gmail::{GmailClient, GmailError, ModifyMessageRequest, NewLabel};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutreachLabel {
    Sent,
    FollowUp,
    Replied,
    Bounced,
}

impl OutreachLabel {
    pub const ALL: [OutreachLabel; 4] = [
        OutreachLabel::Sent,
        OutreachLabel::FollowUp,
        OutreachLabel::Replied,
        OutreachLabel::Bounced,
    ];

    pub fn name(self) -> &'static str {
        match self {
            OutreachLabel::Sent => "Outreach/Sent",
            OutreachLabel::FollowUp => "Outreach/Follow-up",
            OutreachLabel::Replied => "Outreach/Replied",
            OutreachLabel::Bounced => "Outreach/Bounced",
        }
    }

    /// The label for a sent step: the first email or a follow-up.
    pub fn for_step(step: i32) -> Self {
        if step > 1 { OutreachLabel::FollowUp } else { OutreachLabel::Sent }
    }
}

/// The account's label ids by label, creating (or finding) the missing ones. Once all are
/// stored this costs no Gmail call.
pub async fn ensure(
    pool: &PgPool,
    client: &GmailClient,
    token: &SecretString,
    team_id: Uuid,
    sender_id: Uuid,
) -> Result<HashMap<OutreachLabel, String>> {
    let stored = sqlx::query!(
        "SELECT name, gmail_label_id FROM sender_labels WHERE team_id = $1 AND sender_id = $2",
        team_id,
        sender_id
    )
    .fetch_all(pool)
    .await?;
    let mut ids: HashMap<OutreachLabel, String> = stored
        .into_iter()
        .filter_map(|row| {
            let label = OutreachLabel::ALL.into_iter().find(|l| l.name() == row.name)?;
            Some((label, row.gmail_label_id))
        })
        .collect();
    for label in OutreachLabel::ALL {
        if ids.contains_key(&label) {
            continue;
        }
        let id = match client.create_label(token, &NewLabel::visible(label.name())).await {
            Ok(created) => created.id,
            // Listed afresh for each conflict, not once: the sender and the sync ensure the
            // labels concurrently, so a label missing from an earlier listing may exist now.
            Err(GmailError::Conflict { .. }) => client
                .list_labels(token)
                .await
                .map_err(gmail_error)?
                .into_iter()
                .find(|l| l.name.eq_ignore_ascii_case(label.name()))
                .map(|l| l.id)
                .ok_or_else(|| {
                    Error::internal(format!(
                        "Gmail says the label {} exists but does not list it",
                        label.name()
                    ))
                })?,
            Err(error) => return Err(gmail_error(error)),
        };
        sqlx::query!(
            "INSERT INTO sender_labels (team_id, sender_id, name, gmail_label_id) VALUES ($1, $2, $3, $4)
             ON CONFLICT (sender_id, name) DO UPDATE SET gmail_label_id = EXCLUDED.gmail_label_id",
            team_id,
            sender_id,
            label.name(),
            id
        )
        .execute(pool)
        .await?;
        ids.insert(label, id);
    }
    Ok(ids)
}

/// Adds `label` to one message.
pub async fn apply(
    client: &GmailClient,
    token: &SecretString,
    ids: &HashMap<OutreachLabel, String>,
    gmail_message_id: &str,
    label: OutreachLabel,
) -> Result<()> {
    let Some(id) = ids.get(&label) else { return Ok(()) };
    let change = ModifyMessageRequest { add_label_ids: vec![id.clone()], ..Default::default() };
    client.modify_message(token, gmail_message_id, &change).await.map_err(gmail_error)?;
    Ok(())
}

/// Labels a message the worker just sent (`Outreach/Sent` or `Outreach/Follow-up`). Needs
/// the modify scope: the caller checks that the account allows tracking.
pub async fn label_sent(
    pool: &PgPool,
    client: &GmailClient,
    token: &SecretString,
    team_id: Uuid,
    sender_id: Uuid,
    outbox_id: Uuid,
) -> Result<()> {
    let sent = sqlx::query!(
        "SELECT step_number, gmail_message_id FROM outbox_messages
         WHERE team_id = $1 AND id = $2 AND status = 'sent'",
        team_id,
        outbox_id
    )
    .fetch_optional(pool)
    .await?;
    let Some((step, Some(gmail_id))) = sent.map(|s| (s.step_number, s.gmail_message_id)) else {
        return Ok(());
    };
    let ids = ensure(pool, client, token, team_id, sender_id).await?;
    apply(client, token, &ids, &gmail_id, OutreachLabel::for_step(step)).await
}

/// A Gmail failure as the engine reports it; a refused access token stays recognizable
/// (`Unauthenticated`), so the sync can refresh it once and try again.
pub(crate) fn gmail_error(error: GmailError) -> Error {
    match error {
        GmailError::Unauthorized => Error::Unauthenticated,
        other => Error::internal(format!("Gmail: {other}")),
    }
}
