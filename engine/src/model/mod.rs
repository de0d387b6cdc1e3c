//! The shapes of the domain that the browser also sees (users, teams, tokens). Plain data:
//! the server fills them from PostgreSQL, the UI renders them, the REST API serializes them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "server", derive(sqlx::Type, utoipa::ToSchema))]
#[cfg_attr(feature = "server", sqlx(type_name = "text", rename_all = "lowercase"))]
pub enum Role {
    Admin,
    Rep,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Rep => "rep",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "admin" => Some(Role::Admin),
            "rep" => Some(Role::Rep),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Uuid,
    pub team_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// IANA time zone used to show times to this user.
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Team {
    pub id: Uuid,
    pub name: String,
    /// Printed in every email footer.
    pub postal_address: String,
    pub created_at: DateTime<Utc>,
}

/// What a lead import does with an address already in another running or paused campaign
/// of the team (`teams.leads_in_other_campaigns`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OtherCampaignLeads {
    /// Not imported: nobody gets two sequences at once (the default).
    Skip,
    /// Imported anyway.
    Allow,
}

impl OtherCampaignLeads {
    pub fn as_str(self) -> &'static str {
        match self {
            OtherCampaignLeads::Skip => "skip",
            OtherCampaignLeads::Allow => "allow",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "skip" => Some(OtherCampaignLeads::Skip),
            "allow" => Some(OtherCampaignLeads::Allow),
            _ => None,
        }
    }
}

/// An API token as listed (the secret itself is shown only once, at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ApiTokenInfo {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the token, to tell tokens apart.
    pub token_prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Why an address or domain is never mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "server", derive(sqlx::Type, utoipa::ToSchema))]
#[cfg_attr(feature = "server", sqlx(type_name = "text", rename_all = "lowercase"))]
pub enum SuppressionReason {
    Unsubscribed,
    Bounced,
    Complained,
    Manual,
    Imported,
}

impl SuppressionReason {
    pub const ALL: [SuppressionReason; 5] = [
        SuppressionReason::Unsubscribed,
        SuppressionReason::Bounced,
        SuppressionReason::Complained,
        SuppressionReason::Manual,
        SuppressionReason::Imported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionReason::Unsubscribed => "unsubscribed",
            SuppressionReason::Bounced => "bounced",
            SuppressionReason::Complained => "complained",
            SuppressionReason::Manual => "manual",
            SuppressionReason::Imported => "imported",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

/// One entry of the team's suppression list: an address or a whole domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Suppression {
    pub id: Uuid,
    /// Set for an address entry.
    pub email: Option<String>,
    /// Set for a whole-domain entry.
    pub domain: Option<String>,
    pub reason: SuppressionReason,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

/// One page of a longer list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Matching entries in all pages.
    pub total: i64,
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page.max(1)).max(1)
    }
}

/// What a suppression-list import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct SuppressionImportReport {
    pub added: u64,
    pub already_suppressed: u64,
    pub invalid: Vec<InvalidEntry>,
}

/// A line of an imported file that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct InvalidEntry {
    pub line: u64,
    pub reason: String,
}

mod activity;
mod campaign;
mod dashboard;
pub use activity::*;
pub use campaign::*;
pub use dashboard::*;
