//! Campaigns, their steps, schedule and settings, their leads, and what the import, lint and
//! preview report: the shapes the REST API returns and the UI renders.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::InvalidEntry;

/// Declares a string-valued status enum with its snake_case names, shared by serde, sqlx
/// (stored as `text`) and the UI.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[cfg_attr(feature = "server", derive(sqlx::Type, utoipa::ToSchema))]
        #[cfg_attr(feature = "server", sqlx(type_name = "text", rename_all = "snake_case"))]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(text.trim()))
            }
        }
    };
}

text_enum! {
    /// Where a campaign is in its life.
    CampaignStatus {
        Draft => "draft",
        Running => "running",
        Paused => "paused",
        Completed => "completed",
        Cancelled => "cancelled",
    }
}

text_enum! {
    /// Where one planned email is (PRODUCT.md, "outbox message").
    OutboxStatus {
        Scheduled => "scheduled",
        Pending => "pending",
        Sending => "sending",
        Ambiguous => "ambiguous",
        Sent => "sent",
        Failed => "failed",
        Cancelled => "cancelled",
    }
}

text_enum! {
    /// Where a lead is in its campaign.
    LeadStatus {
        Pending => "pending",
        InSequence => "in_sequence",
        Replied => "replied",
        AutoReplied => "auto_replied",
        Bounced => "bounced",
        Unsubscribed => "unsubscribed",
        Suppressed => "suppressed",
        Completed => "completed",
        Failed => "failed",
    }
}

/// One email of the sequence. Step 1 starts the thread; later steps are follow-ups in it,
/// with the subject `Re: <step 1's subject>` (their own `subject` is not used).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Step {
    #[serde(default)]
    pub subject: String,
    pub body: String,
    /// An optional HTML version of the body.
    #[serde(default)]
    pub html: Option<String>,
    /// Sending days after the previous step was sent; 0 means as soon as pacing allows.
    #[serde(default)]
    pub delay_days: i32,
}

/// When a campaign sends: `[start_hour, end_hour)` on `days`, in `timezone`, with a random gap
/// between `min_gap_seconds` and `max_gap_seconds` between two sends of one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Schedule {
    /// IANA time zone name, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// `"mon"` … `"sun"`.
    pub days: Vec<String>,
    pub start_hour: i32,
    pub end_hour: i32,
    pub min_gap_seconds: i32,
    pub max_gap_seconds: i32,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            timezone: "UTC".into(),
            days: ["mon", "tue", "wed", "thu", "fri"].map(String::from).to_vec(),
            start_hour: 9,
            end_hour: 17,
            min_gap_seconds: 60,
            max_gap_seconds: 300,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CampaignSettings {
    /// Stop the sequence for a lead whose out-of-office answered.
    pub stop_on_auto_reply: bool,
    /// Hard-bounce rate (0–1] above which the campaign pauses itself, after 20 sends.
    pub bounce_pause_threshold: f64,
}

impl Default for CampaignSettings {
    fn default() -> Self {
        Self { stop_on_auto_reply: false, bounce_pause_threshold: 0.05 }
    }
}

/// Counts for a campaign's progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CampaignStats {
    pub leads: i64,
    /// Leads not yet mailed.
    pub pending: i64,
    /// Outbox messages waiting for their time.
    pub scheduled: i64,
    /// Messages sent.
    pub sent: i64,
    pub replied: i64,
    pub auto_replied: i64,
    pub bounced: i64,
    pub unsubscribed: i64,
    pub suppressed: i64,
    pub failed: i64,
    pub sent_today: i64,
    /// How many more this campaign's accounts may send in the current 24 hours.
    pub allowance_today: i64,
}

/// The merge fields every lead has, besides the custom ones its CSV brought.
pub const STANDARD_FIELDS: [&str; 3] = ["email", "first_name", "company"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Campaign {
    pub id: Uuid,
    pub name: String,
    pub status: CampaignStatus,
    /// Why it paused or completed by itself.
    pub status_reason: Option<String>,
    /// The sender accounts, in the order they take turns.
    pub sender_ids: Vec<Uuid>,
    pub steps: Vec<Step>,
    pub schedule: Schedule,
    pub settings: CampaignSettings,
    /// Custom merge fields of the imported leads (besides `email`, `first_name`, `company`).
    pub lead_fields: Vec<String>,
    pub stats: CampaignStats,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    /// When it completed by itself, nothing being left to send.
    pub completed_at: Option<DateTime<Utc>>,
}

impl Campaign {
    /// Every merge field its leads have: the standard ones, then the imported custom ones.
    pub fn merge_fields(&self) -> Vec<&str> {
        STANDARD_FIELDS.into_iter().chain(self.lead_fields.iter().map(String::as_str)).collect()
    }
}

/// A campaign as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CampaignSummary {
    pub id: Uuid,
    pub name: String,
    pub status: CampaignStatus,
    pub status_reason: Option<String>,
    pub leads: i64,
    pub steps: i64,
    pub created_at: DateTime<Utc>,
}

/// A new campaign; everything but the name can come later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    pub name: String,
    #[serde(default)]
    pub sender_ids: Vec<Uuid>,
    #[serde(default)]
    pub steps: Vec<Step>,
    #[serde(default)]
    pub schedule: Option<Schedule>,
    #[serde(default)]
    pub settings: Option<CampaignSettings>,
}

/// A change to a campaign: only the parts given are replaced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CampaignPatch {
    pub name: Option<String>,
    pub sender_ids: Option<Vec<Uuid>>,
    /// The whole list of steps (steps already sent to someone cannot change).
    pub steps: Option<Vec<Step>>,
    pub schedule: Option<Schedule>,
    pub settings: Option<CampaignSettings>,
}

impl From<NewCampaign> for CampaignPatch {
    fn from(new: NewCampaign) -> Self {
        Self {
            name: Some(new.name),
            sender_ids: Some(new.sender_ids),
            steps: Some(new.steps),
            schedule: new.schedule,
            settings: new.settings,
        }
    }
}

/// One recipient of a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Lead {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub email: String,
    pub first_name: String,
    pub company: String,
    /// Custom merge fields by name.
    pub fields: BTreeMap<String, String>,
    pub status: LeadStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a lead import did. Nothing is imported when the file as a whole is refused (that is an
/// error, not a report).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct LeadImportReport {
    pub imported: u64,
    /// Rows whose address appeared earlier in the file (case-insensitively).
    pub duplicates_in_file: u64,
    pub already_in_campaign: u64,
    /// Addresses already in another running or paused campaign of the team; imported or
    /// skipped as the team's setting says (`skipped_in_other_campaigns`).
    pub in_other_campaigns: u64,
    pub skipped_in_other_campaigns: bool,
    /// On the suppression list (address or domain): not imported.
    pub suppressed: u64,
    /// Every row that could not be used, with its line number and why.
    pub invalid: Vec<InvalidEntry>,
    /// How the file was read.
    pub encoding: String,
    pub delimiter: String,
    /// The custom merge fields the file brought.
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub enum Severity {
    /// The campaign cannot start until it is fixed.
    Error,
    /// Worth fixing; does not block the start.
    Warning,
}

/// One problem the lint found. `step` counts from 1; `lead_id` is set for a problem of one
/// lead (an empty field without fallback), `field` names the template part or merge field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct LintProblem {
    pub severity: Severity,
    pub lead_id: Option<Uuid>,
    pub lead_email: Option<String>,
    pub step: Option<u32>,
    pub field: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct LintReport {
    /// Problems that concern the whole campaign, then per-lead problems (the first 200).
    pub problems: Vec<LintProblem>,
    pub errors: u64,
    pub warnings: u64,
    /// Leads with at least one problem (all of them, even beyond the listed 200).
    pub leads_with_problems: u64,
}

impl LintReport {
    pub fn blocks_start(&self) -> bool {
        self.errors > 0
    }
}

/// One step rendered for one lead, exactly as it would be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Preview {
    pub lead_id: Uuid,
    pub lead_email: String,
    pub step: u32,
    pub subject: String,
    /// The plain-text body with the unsubscribe footer every message carries.
    pub body: String,
    pub html: Option<String>,
    /// Why this lead could not be sent this step (empty fields without fallback).
    pub problems: Vec<String>,
}

#[cfg(feature = "server")]
impl crate::template::FieldLookup for Lead {
    fn field(&self, name: &str) -> Option<&str> {
        match name {
            "email" => Some(&self.email),
            "first_name" => Some(&self.first_name),
            "company" => Some(&self.company),
            _ => self.fields.get(name).map(String::as_str),
        }
    }
}

/// One planned email (lead × step) and everything about its delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct OutboxMessage {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub lead_id: Uuid,
    pub lead_email: String,
    /// From 1.
    pub step: i32,
    pub sender_id: Option<Uuid>,
    pub status: OutboxStatus,
    /// When it is due (scheduled), the next try (pending) or the next mailbox check (ambiguous).
    pub send_at: DateTime<Utc>,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// Our Message-ID, fixed before the first attempt.
    pub message_id: Option<String>,
    /// The Message-ID Gmail delivered it with, when Gmail replaced ours (read back after the
    /// send on accounts that allow tracking); follow-ups answer this one.
    pub delivered_message_id: Option<String>,
    pub subject: Option<String>,
    pub gmail_message_id: Option<String>,
    pub gmail_thread_id: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl LeadStatus {
    /// Whether a lead in this status gets no more messages. An out-of-office answer stops
    /// the sequence only when the campaign says so.
    pub fn stops_sequence(self, stop_on_auto_reply: bool) -> bool {
        match self {
            LeadStatus::Pending | LeadStatus::InSequence => false,
            LeadStatus::AutoReplied => stop_on_auto_reply,
            _ => true,
        }
    }
}

text_enum! {
    /// One entry of a lead's timeline.
    LeadEventKind {
        Sent => "sent",
        Replied => "replied",
        AutoReplied => "auto_replied",
        Bounced => "bounced",
        Delayed => "delayed",
        Unsubscribed => "unsubscribed",
        MarkedReplied => "marked_replied",
        Suppressed => "suppressed",
        NotDelivered => "not_delivered",
    }
}

/// Something that happened to a lead: a message sent, a reply, a bounce, an opt-out, a change
/// by hand — with the raw evidence (headers, delivery status) where there is some.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct LeadEvent {
    pub kind: LeadEventKind,
    pub occurred_at: DateTime<Utc>,
    /// One line for people.
    pub summary: String,
    pub evidence: Option<String>,
    pub gmail_message_id: Option<String>,
    pub gmail_thread_id: Option<String>,
}

/// A lead with its timeline, oldest event first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct LeadDetail {
    #[serde(flatten)]
    pub lead: Lead,
    pub events: Vec<LeadEvent>,
}

/// A change to a lead by hand: `replied` (stops its follow-ups) or `suppressed` (also puts
/// the address on the team's suppression list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LeadPatch {
    pub status: LeadStatus,
}
