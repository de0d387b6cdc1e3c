//! The Message-ID a sent message was delivered with. Gmail may replace the one we set (seen
//! on some Workspace accounts), and a follow-up whose `In-Reply-To` names an id the recipient
//! never got starts a new conversation in the recipient's mail client. So after a message
//! that has a later step is sent, its Message-ID is read back (`messages.get` with metadata:
//! 5 quota units, and only on accounts whose scopes allow reading) and kept when it differs.
//! Best effort: when it cannot be read, follow-ups answer our own id, as they would anyway.

use secrecy::SecretString;
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::Result;
use crate::gmail::{GmailClient, MessageFormat};
use crate::tracking::labels::gmail_error;

/// Reads back and stores the delivered Message-ID of the sent message `outbox_id`, if the
/// lead has a later step to thread under it and Gmail replaced our id.
pub(crate) async fn read_back(
    pool: &PgPool,
    client: &GmailClient,
    token: &SecretString,
    team_id: Uuid,
    outbox_id: Uuid,
) -> Result<()> {
    let sent = sqlx::query!(
        r#"SELECT m.gmail_message_id AS "gmail_message_id!", m.message_id AS "message_id!"
           FROM outbox_messages m
           WHERE m.team_id = $1 AND m.id = $2 AND m.status = 'sent'
             AND m.gmail_message_id IS NOT NULL AND m.message_id IS NOT NULL
             AND EXISTS (SELECT 1 FROM campaign_steps s
                         WHERE s.campaign_id = m.campaign_id AND s.step_number > m.step_number)"#,
        team_id,
        outbox_id
    )
    .fetch_optional(pool)
    .await?;
    let Some(sent) = sent else { return Ok(()) };
    let message = client
        .get_message(token, &sent.gmail_message_id, MessageFormat::Metadata, &["Message-ID"])
        .await
        .map_err(gmail_error)?;
    let Some(delivered) = message.header("Message-ID").and_then(bracketed) else {
        return Ok(());
    };
    if delivered == sent.message_id {
        return Ok(());
    }
    sqlx::query!(
        "UPDATE outbox_messages SET delivered_message_id = $3 WHERE team_id = $1 AND id = $2",
        team_id,
        outbox_id,
        delivered
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// A Message-ID header value in the stored form, `<id>`; `None` unless it holds one id that a
/// follow-up's headers can name.
fn bracketed(header: &str) -> Option<String> {
    crate::mime::bare_message_id("Message-ID", header).ok().map(|bare| format!("<{bare}>"))
}

#[cfg(test)]
mod tests {
    use super::bracketed;

    #[test]
    fn header_values_are_stored_bracketed() {
        assert_eq!(bracketed("<a.b@mail.gmail.com>").as_deref(), Some("<a.b@mail.gmail.com>"));
        assert_eq!(bracketed("  <x@y>\r\n").as_deref(), Some("<x@y>"));
        assert_eq!(bracketed("x@y").as_deref(), Some("<x@y>"));
    }

    #[test]
    fn empty_or_garbled_values_are_ignored() {
        assert_eq!(bracketed(""), None);
        assert_eq!(bracketed("<>"), None);
        assert_eq!(bracketed("no-at-sign"), None);
        assert_eq!(bracketed("<a@b> <c@d>"), None);
    }
}
