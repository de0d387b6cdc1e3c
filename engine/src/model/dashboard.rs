//! The dashboard: a team's running and paused campaigns (and those completed in the last
//! week) with their progress today and overall, when each should finish and send next, and
//! the state of the accounts they send from.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{CampaignStats, CampaignStatus};
use crate::senders::SenderAccount;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Dashboard {
    /// Running campaigns, then paused ones (the most recently started first), then those
    /// completed in the last 7 days (the most recent first).
    pub campaigns: Vec<CampaignProgress>,
    /// The team's sender accounts; campaigns refer to theirs by id.
    pub senders: Vec<SenderAccount>,
    /// Campaigns still in draft (with none running, the next thing to do is start one).
    pub drafts: i64,
    /// When the figures were taken; relative times ("in 5 minutes") count from it.
    pub generated_at: DateTime<Utc>,
}

/// One running, paused or recently completed campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CampaignProgress {
    pub id: Uuid,
    pub name: String,
    pub status: CampaignStatus,
    /// Why it paused (e.g. its bounce rate) or completed by itself.
    pub status_reason: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    /// When it completed, nothing being left to send.
    pub completed_at: Option<DateTime<Utc>>,
    /// Leads by status, messages sent, sent in the last 24 hours and the accounts' remaining
    /// allowance, as on the campaign's page.
    pub stats: CampaignStats,
    /// Emails in the sequence.
    pub steps: i64,
    /// Leads that were sent their first email.
    pub leads_mailed: i64,
    /// Messages sent plus those still to go to leads whose sequence goes on. Shrinks when a
    /// lead replies, bounces or opts out.
    pub messages_planned: i64,
    /// Today's goal: the messages sent in the last 24 hours (the window Gmail's limit counts)
    /// plus those that may still go out today — the messages due before today's sending
    /// window closes, at most the accounts' remaining allowance, none while paused ("312 of
    /// 450 today"). Follow-ups due on a later day are not counted.
    pub today_planned: i64,
    /// When the last message should go out, at the accounts' daily caps within the sending
    /// window, from the next send on, and after the follow-ups' delays and the latest message
    /// already scheduled (never before `next_send_at`). `None` when nothing is left to send or no
    /// account can send.
    pub eta: Option<DateTime<Utc>>,
    /// When the next message should go out: the earliest due one, once an account is free
    /// and the window open. `None` when paused, nothing is due or no account can send.
    pub next_send_at: Option<DateTime<Utc>>,
    /// The accounts it sends from, in the order they take turns.
    pub sender_ids: Vec<Uuid>,
}

impl CampaignProgress {
    /// Messages still to send.
    pub fn messages_left(&self) -> i64 {
        (self.messages_planned - self.stats.sent).max(0)
    }
}
