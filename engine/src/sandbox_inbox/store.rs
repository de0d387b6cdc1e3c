//! Reads the simulator for one team: which mailboxes it connected (from PostgreSQL), their
//! messages and deliveries (from the simulator), and messages decoded with mail-parser.

use std::collections::HashSet;

use mail_parser::{Address, MessageParser};
use sqlx::PgPool;
use uuid::Uuid;

use super::{
    SandboxDelivery, SandboxMailbox, SandboxMailboxView, SandboxMessage, SandboxMessageSummary,
    SandboxOverview,
};
use crate::error::{Error, Result};
use crate::sandbox::{DeliveryOutcome, MailboxKind, MailboxSummary, MessageView, Simulator};
use crate::senders::SenderKind;

/// Deliveries listed on the overview at most.
const RECENT_DELIVERIES: usize = 200;

async fn connected_addresses(pool: &PgPool, team_id: Uuid) -> Result<HashSet<String>> {
    Ok(sqlx::query_scalar!("SELECT email FROM sender_accounts WHERE team_id = $1", team_id)
        .fetch_all(pool)
        .await?
        .into_iter()
        .collect())
}

fn kind_of(kind: MailboxKind) -> SenderKind {
    match kind {
        MailboxKind::Gmail => SenderKind::Gmail,
        MailboxKind::Workspace => SenderKind::Workspace,
        MailboxKind::WorkspaceTrial => SenderKind::WorkspaceTrial,
    }
}

fn mailbox_of(summary: MailboxSummary, connected: &HashSet<String>) -> SandboxMailbox {
    SandboxMailbox {
        connected: connected.contains(&summary.address),
        address: summary.address,
        kind: kind_of(summary.kind),
        messages: u32::try_from(summary.messages).unwrap_or(u32::MAX),
        sent_last_24h: u32::try_from(summary.sent_last_24h).unwrap_or(u32::MAX),
        daily_cap: summary.daily_cap,
    }
}

fn outcome_name(outcome: DeliveryOutcome) -> &'static str {
    match outcome {
        DeliveryOutcome::Delivered => "delivered",
        DeliveryOutcome::Bounced => "bounced",
        DeliveryOutcome::Delayed => "delayed",
    }
}

pub async fn overview(pool: &PgPool, sim: &Simulator, team_id: Uuid) -> Result<SandboxOverview> {
    let connected = connected_addresses(pool, team_id).await?;
    let mailboxes = sim.mailboxes().into_iter().map(|m| mailbox_of(m, &connected)).collect();
    let deliveries = sim
        .deliveries(None)
        .into_iter()
        .rev()
        .filter(|d| connected.contains(&d.sender))
        .take(RECENT_DELIVERIES)
        .map(|d| SandboxDelivery {
            seq: d.seq,
            recipient: d.recipient,
            sender: d.sender,
            subject: d.subject,
            at: d.at,
            outcome: outcome_name(d.outcome).to_owned(),
        })
        .collect();
    Ok(SandboxOverview {
        mailboxes,
        deliveries,
        reply_delay_secs: sim.config().reaction_delay.num_seconds(),
    })
}

/// A connected mailbox and its messages, newest first.
pub async fn mailbox(
    pool: &PgPool,
    sim: &Simulator,
    team_id: Uuid,
    address: &str,
) -> Result<SandboxMailboxView> {
    let (summary, connected) = visible_mailbox(pool, sim, team_id, address).await?;
    let messages = messages_of(sim, &summary.address)?
        .into_iter()
        .rev()
        .map(|m| SandboxMessageSummary {
            id: m.id,
            thread_id: m.thread_id,
            labels: m.label_ids,
            from: m.from.join(", "),
            to: m.to.join(", "),
            subject: m.subject,
            at: m.internal_date,
        })
        .collect();
    Ok(SandboxMailboxView { mailbox: mailbox_of(summary, &connected), messages })
}

/// One message of a connected mailbox.
pub async fn mailbox_message(
    pool: &PgPool,
    sim: &Simulator,
    team_id: Uuid,
    address: &str,
    id: &str,
) -> Result<SandboxMessage> {
    let (summary, _) = visible_mailbox(pool, sim, team_id, address).await?;
    let message = messages_of(sim, &summary.address)?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or(Error::NotFound("message"))?;
    Ok(decode(format!("In the mailbox of {}", summary.address), message.raw.as_bytes()))
}

/// One delivery, as its recipient received it (only those sent from the team's mailboxes).
pub async fn delivery(
    pool: &PgPool,
    sim: &Simulator,
    team_id: Uuid,
    seq: u64,
) -> Result<SandboxMessage> {
    let connected = connected_addresses(pool, team_id).await?;
    let delivery = sim
        .deliveries(None)
        .into_iter()
        .find(|d| d.seq == seq && connected.contains(&d.sender))
        .ok_or(Error::NotFound("delivery"))?;
    let context = format!(
        "{} to {} ({})",
        match delivery.outcome {
            DeliveryOutcome::Delivered => "Delivered",
            DeliveryOutcome::Bounced => "Bounced on its way",
            DeliveryOutcome::Delayed => "Delayed on its way",
        },
        delivery.recipient,
        delivery.at.format("%Y-%m-%d %H:%M:%S UTC")
    );
    Ok(decode(context, &delivery.raw))
}

fn messages_of(sim: &Simulator, address: &str) -> Result<Vec<MessageView>> {
    sim.messages(address).map_err(|_| Error::NotFound("sandbox mailbox"))
}

async fn visible_mailbox(
    pool: &PgPool,
    sim: &Simulator,
    team_id: Uuid,
    address: &str,
) -> Result<(MailboxSummary, HashSet<String>)> {
    let connected = connected_addresses(pool, team_id).await?;
    let address = address.trim().to_ascii_lowercase();
    if !connected.contains(&address) {
        return Err(Error::NotFound("sandbox mailbox"));
    }
    let summary = sim
        .mailboxes()
        .into_iter()
        .find(|m| m.address == address)
        .ok_or(Error::NotFound("sandbox mailbox"))?;
    Ok((summary, connected))
}

/// A message decoded for reading as text.
fn decode(context: String, raw: &[u8]) -> SandboxMessage {
    let parsed = MessageParser::default().parse(raw);
    let addresses = |address: Option<&Address<'_>>| {
        address
            .map(|list| {
                list.iter()
                    .map(|a| match (a.name(), a.address()) {
                        (Some(name), Some(address)) => format!("{name} <{address}>"),
                        (None, Some(address)) => address.to_owned(),
                        (Some(name), None) => name.to_owned(),
                        (None, None) => String::new(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    let (from, to, subject, date, text_body, html_source) = match &parsed {
        Some(message) => (
            addresses(message.from()),
            addresses(message.to()),
            message.subject().unwrap_or_default().to_owned(),
            message.date().map(|d| d.to_rfc822()),
            message.body_text(0).map(|text| text.into_owned()),
            message
                .html_part(0)
                .filter(|part| part.is_text_html())
                .and_then(|_| message.body_html(0))
                .map(|html| html.into_owned()),
        ),
        None => Default::default(),
    };
    SandboxMessage {
        context,
        from,
        to,
        subject,
        date,
        headers: header_lines(raw),
        text_body,
        html_source,
        raw: String::from_utf8_lossy(raw).into_owned(),
    }
}

/// The header block's fields in order, continuation lines unfolded, values as sent.
fn header_lines(raw: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(raw);
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.split('\n').map(|l| l.trim_end_matches('\r')) {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_headers_text_and_html_source() {
        let raw = b"From: =?utf-8?q?J=C3=BCrgen?= <j@example.com>\r\nTo: lead@example.com\r\n\
Subject: Hello\r\n <b>there</b>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\nHi <script>alert(1)</script>\r\n--b\r\n\
Content-Type: text/html; charset=utf-8\r\n\r\n<p>Hi</p>\r\n--b--\r\n";
        let message = decode("ctx".into(), raw);
        assert_eq!(message.from, "Jürgen <j@example.com>");
        assert_eq!(message.to, "lead@example.com");
        assert_eq!(message.subject, "Hello <b>there</b>");
        assert_eq!(message.headers[2], ("Subject".to_owned(), "Hello <b>there</b>".to_owned()));
        assert_eq!(message.headers.len(), 5);
        assert!(message.text_body.unwrap().contains("<script>alert(1)</script>"));
        assert_eq!(message.html_source.as_deref().map(str::trim), Some("<p>Hi</p>"));
    }

    #[test]
    fn plain_messages_have_no_html_source() {
        let message = decode("ctx".into(), b"Subject: x\r\n\r\nJust text\r\n");
        assert_eq!(message.html_source, None);
        assert_eq!(message.text_body.as_deref().map(str::trim), Some("Just text"));
    }
}
