//! What the charts and the pipeline show: a campaign's activity per day (overall and per
//! sender account) and its leads by stage.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Lead, LeadStatus};

/// One day of a campaign's activity (a day in the campaign's time zone).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct DayActivity {
    pub day: NaiveDate,
    /// Messages sent (every step).
    pub sent: i64,
    /// Replies, including leads marked as replied by hand.
    pub replied: i64,
    pub auto_replied: i64,
    /// Hard bounces.
    pub bounced: i64,
}

/// The days of a period, oldest first, with their sums and rates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ActivitySeries {
    /// Every day of the period, also those without activity.
    pub days: Vec<DayActivity>,
    pub sent: i64,
    /// Leads mailed for the first time (step 1) in the period.
    pub leads_contacted: i64,
    pub replied: i64,
    /// Leads with a reply (or marked replied) in the period.
    pub leads_replied: i64,
    pub auto_replied: i64,
    pub bounced: i64,
    /// `leads_replied / leads_contacted` (0–1; 0 when nobody was contacted).
    pub reply_rate: f64,
    /// `bounced / sent` (0–1; 0 when nothing was sent), as the bounce-rate pause counts it.
    pub bounce_rate: f64,
}

impl ActivitySeries {
    /// Fills in the totals and rates from the days (and the two lead counts).
    pub fn finish(&mut self) {
        self.sent = self.days.iter().map(|d| d.sent).sum();
        self.replied = self.days.iter().map(|d| d.replied).sum();
        self.auto_replied = self.days.iter().map(|d| d.auto_replied).sum();
        self.bounced = self.days.iter().map(|d| d.bounced).sum();
        self.reply_rate = ratio(self.leads_replied, self.leads_contacted);
        self.bounce_rate = ratio(self.bounced, self.sent);
    }

    pub fn is_empty(&self) -> bool {
        self.sent == 0 && self.replied == 0 && self.auto_replied == 0 && self.bounced == 0
    }
}

fn ratio(part: i64, whole: i64) -> f64 {
    if whole <= 0 { 0.0 } else { (part as f64 / whole as f64).clamp(0.0, 1.0) }
}

/// One sender account's share of the campaign's activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct SenderActivity {
    /// None for activity of leads no account has mailed yet (e.g. marked replied before).
    pub sender_id: Option<Uuid>,
    /// The account's address ("" when it was removed).
    pub email: String,
    #[serde(flatten)]
    pub series: ActivitySeries,
}

/// A campaign's activity per day over the last `days` days, in its time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct DailyStats {
    pub campaign_id: Uuid,
    /// The IANA time zone the days are cut in (the campaign's).
    pub time_zone: String,
    pub from: NaiveDate,
    /// Today, in that time zone.
    pub to: NaiveDate,
    #[serde(flatten)]
    pub total: ActivitySeries,
    /// The campaign's accounts (also those without activity), then any other account that
    /// sent for it.
    pub senders: Vec<SenderActivity>,
}

/// A column of the pipeline board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub enum Stage {
    Pending,
    InSequence,
    Replied,
    AutoReplied,
    Bounced,
    /// Unsubscribed or suppressed.
    OptedOut,
    Failed,
    Completed,
}

impl Stage {
    pub const ALL: [Stage; 8] = [
        Stage::Pending,
        Stage::InSequence,
        Stage::Replied,
        Stage::AutoReplied,
        Stage::Bounced,
        Stage::OptedOut,
        Stage::Failed,
        Stage::Completed,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Stage::Pending => "Pending",
            Stage::InSequence => "In sequence",
            Stage::Replied => "Replied",
            Stage::AutoReplied => "Auto-replied",
            Stage::Bounced => "Bounced",
            Stage::OptedOut => "Opted out",
            Stage::Failed => "Failed",
            Stage::Completed => "Completed",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Pending => "pending",
            Stage::InSequence => "in_sequence",
            Stage::Replied => "replied",
            Stage::AutoReplied => "auto_replied",
            Stage::Bounced => "bounced",
            Stage::OptedOut => "opted_out",
            Stage::Failed => "failed",
            Stage::Completed => "completed",
        }
    }

    /// The lead statuses in this column.
    pub fn statuses(self) -> &'static [LeadStatus] {
        match self {
            Stage::Pending => &[LeadStatus::Pending],
            Stage::InSequence => &[LeadStatus::InSequence],
            Stage::Replied => &[LeadStatus::Replied],
            Stage::AutoReplied => &[LeadStatus::AutoReplied],
            Stage::Bounced => &[LeadStatus::Bounced],
            Stage::OptedOut => &[LeadStatus::Unsubscribed, LeadStatus::Suppressed],
            Stage::Failed => &[LeadStatus::Failed],
            Stage::Completed => &[LeadStatus::Completed],
        }
    }

    pub fn of(status: LeadStatus) -> Stage {
        Stage::ALL.into_iter().find(|s| s.statuses().contains(&status)).unwrap_or(Stage::Pending)
    }

    pub fn parse(text: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str() == text.trim())
    }
}

/// One column of the board: how many leads are in the stage and the first of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct PipelineStage {
    pub stage: Stage,
    pub count: i64,
    /// The first leads of the stage, in import order.
    pub leads: Vec<Lead>,
}

/// The campaign's leads by stage, every stage present (in pipeline order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Pipeline {
    pub campaign_id: Uuid,
    pub total: i64,
    pub stages: Vec<PipelineStage>,
}

/// How the lead table is sorted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub enum LeadSortKey {
    /// Import order.
    #[default]
    Imported,
    Email,
    Name,
    Company,
    Status,
    /// The last change of the lead: a message sent, a reply, a status change.
    Activity,
}

/// A sort key and direction, written `email` or `-email` (descending) in query strings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LeadSort {
    pub key: LeadSortKey,
    pub descending: bool,
}

impl LeadSort {
    pub const KEYS: [(LeadSortKey, &'static str); 6] = [
        (LeadSortKey::Imported, "imported"),
        (LeadSortKey::Email, "email"),
        (LeadSortKey::Name, "name"),
        (LeadSortKey::Company, "company"),
        (LeadSortKey::Status, "status"),
        (LeadSortKey::Activity, "activity"),
    ];

    /// `email`, `-activity`, …; empty is import order. `None` for an unknown key.
    pub fn parse(text: &str) -> Option<LeadSort> {
        let text = text.trim();
        if text.is_empty() {
            return Some(LeadSort::default());
        }
        let (descending, name) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let key = Self::KEYS.iter().find(|(_, n)| *n == name)?.0;
        Some(LeadSort { key, descending })
    }

    pub fn as_param(self) -> String {
        let name = Self::KEYS.iter().find(|(k, _)| *k == self.key).map_or("imported", |(_, n)| n);
        if self.descending { format!("-{name}") } else { name.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_round_trip_through_query_strings() {
        for text in ["email", "-email", "name", "-activity", "status", "company"] {
            assert_eq!(LeadSort::parse(text).unwrap().as_param(), text);
        }
        assert_eq!(LeadSort::parse(""), Some(LeadSort::default()));
        assert_eq!(LeadSort::parse("password"), None);
    }

    #[test]
    fn every_status_is_in_exactly_one_stage() {
        for status in LeadStatus::ALL {
            let stages: Vec<Stage> =
                Stage::ALL.into_iter().filter(|s| s.statuses().contains(status)).collect();
            assert_eq!(stages, vec![Stage::of(*status)], "{status:?}");
        }
    }

    #[test]
    fn rates_are_shares_and_never_divide_by_zero() {
        let day = |sent, replied, bounced| DayActivity {
            day: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            sent,
            replied,
            auto_replied: 0,
            bounced,
        };
        let mut series = ActivitySeries {
            days: vec![day(10, 1, 1), day(30, 2, 0)],
            leads_contacted: 20,
            leads_replied: 3,
            ..ActivitySeries::default()
        };
        series.finish();
        assert_eq!((series.sent, series.replied, series.bounced), (40, 3, 1));
        assert!((series.reply_rate - 0.15).abs() < 1e-9);
        assert!((series.bounce_rate - 0.025).abs() < 1e-9);
        let mut empty = ActivitySeries::default();
        empty.finish();
        assert_eq!((empty.reply_rate, empty.bounce_rate), (0.0, 0.0));
        assert!(empty.is_empty());
    }
}
