//! Sender accounts as the UI, the REST API and the rest of the engine see them: kinds with
//! their Gmail limits, statuses, the daily cap (parsed, never merely checked), and the listing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What kind of Google account, which sets Gmail's daily sending limit (PRODUCT.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub enum SenderKind {
    Gmail,
    Workspace,
    WorkspaceTrial,
}

impl SenderKind {
    pub const ALL: [SenderKind; 3] =
        [SenderKind::Gmail, SenderKind::Workspace, SenderKind::WorkspaceTrial];

    pub fn as_str(self) -> &'static str {
        match self {
            SenderKind::Gmail => "gmail",
            SenderKind::Workspace => "workspace",
            SenderKind::WorkspaceTrial => "workspace_trial",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "gmail" => Some(SenderKind::Gmail),
            "workspace" => Some(SenderKind::Workspace),
            "workspace_trial" => Some(SenderKind::WorkspaceTrial),
            _ => None,
        }
    }

    /// For people: "Gmail", "Google Workspace", "Workspace trial".
    pub fn label(self) -> &'static str {
        match self {
            SenderKind::Gmail => "Gmail",
            SenderKind::Workspace => "Google Workspace",
            SenderKind::WorkspaceTrial => "Workspace trial",
        }
    }

    /// Gmail's own limit: messages per rolling 24 hours.
    pub fn gmail_limit(self) -> u32 {
        match self {
            SenderKind::Gmail | SenderKind::WorkspaceTrial => 500,
            SenderKind::Workspace => 2_000,
        }
    }

    /// What the engine uses unless an admin says otherwise: 90% of Gmail's limit, leaving room
    /// for the person's own mail.
    pub fn default_cap(self) -> u32 {
        self.gmail_limit() * 9 / 10
    }

    /// A first guess from the address (Google does not say which kind an account is):
    /// consumer domains are `gmail`, anything else is Workspace. Admins correct trials.
    pub fn guess_from_address(email: &str) -> Self {
        let domain = email.rsplit_once('@').map_or("", |(_, d)| d).to_ascii_lowercase();
        if domain == "gmail.com" || domain == "googlemail.com" {
            SenderKind::Gmail
        } else {
            SenderKind::Workspace
        }
    }
}

/// A daily cap an admin set: at least 1 and at most Gmail's limit for the account's kind
/// (a higher cap would only earn "limit reached" errors and a paused account).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyCap(u32);

impl DailyCap {
    pub fn parse(value: i64, kind: SenderKind) -> Result<Self, String> {
        let limit = kind.gmail_limit();
        match u32::try_from(value) {
            Ok(cap) if (1..=limit).contains(&cap) => Ok(Self(cap)),
            _ => Err(format!(
                "the daily cap must be between 1 and {limit} (Gmail's limit for a {} account), not {value}",
                kind.label()
            )),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// Where an account stands (PRODUCT.md "sender account").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub enum SenderStatus {
    /// Sends and syncs.
    Active,
    /// Gmail's sending limit was hit: no sending until `paused_until`.
    PausedUntil,
    /// Google no longer accepts the grant (revoked, expired, scope removed): an admin must
    /// reconnect the account.
    NeedsReauth,
    /// An admin disconnected it; no tokens are stored.
    Disconnected,
}

impl SenderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SenderStatus::Active => "active",
            SenderStatus::PausedUntil => "paused_until",
            SenderStatus::NeedsReauth => "needs_reauth",
            SenderStatus::Disconnected => "disconnected",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(SenderStatus::Active),
            "paused_until" => Some(SenderStatus::PausedUntil),
            "needs_reauth" => Some(SenderStatus::NeedsReauth),
            "disconnected" => Some(SenderStatus::Disconnected),
            _ => None,
        }
    }

    /// The status as of `now`: a pause that has run out is active again.
    pub fn effective(self, paused_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        match (self, paused_until) {
            (SenderStatus::PausedUntil, Some(until)) if until > now => SenderStatus::PausedUntil,
            (SenderStatus::PausedUntil, _) => SenderStatus::Active,
            (other, _) => other,
        }
    }
}

/// A connected Gmail account as listed (the REST `GET /api/v1/senders` item).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct SenderAccount {
    pub id: Uuid,
    pub email: String,
    /// The From name of outgoing mail (empty: the address alone).
    pub display_name: String,
    pub kind: SenderKind,
    /// The most messages Outreach sends from this account in any 24 hours.
    pub daily_cap: u32,
    /// True while no admin set a cap: `daily_cap` is 90% of Gmail's limit for the kind.
    pub daily_cap_is_default: bool,
    /// Gmail's own limit for the kind.
    pub gmail_limit: u32,
    /// Messages sent from this account in the last 24 hours (rolling).
    pub sent_last_24h: u32,
    /// As of now: an expired pause shows as `active`.
    pub status: SenderStatus,
    pub paused_until: Option<DateTime<Utc>>,
    /// Why the account is not active, for people.
    pub status_reason: Option<String>,
    /// Gmail API quota units spent today (UTC) by this account.
    pub quota_units_today: u64,
    /// Reply and bounce tracking and Gmail labels: on only when Google granted
    /// `gmail.modify` (or full mail access).
    pub tracking: bool,
    /// When replies and bounces were last checked, and why the last check failed.
    pub last_synced_at: Option<DateTime<Utc>>,
    pub sync_error: Option<String>,
    /// The OAuth scopes Google granted.
    pub granted_scopes: Vec<String>,
    pub connected_at: DateTime<Utc>,
}

impl SenderAccount {
    /// Whether the engine may send from it now (status only; the cap is checked on send).
    pub fn can_send(&self) -> bool {
        self.status == SenderStatus::Active
    }
}

/// Scopes that let Outreach read replies and bounces and apply labels.
pub const TRACKING_SCOPES: [&str; 2] =
    ["https://www.googleapis.com/auth/gmail.modify", "https://mail.google.com/"];

pub fn tracking_allowed(granted_scopes: &[String]) -> bool {
    granted_scopes.iter().any(|s| TRACKING_SCOPES.contains(&s.as_str()))
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn default_caps_are_ninety_percent_of_gmails_limits() {
        assert_eq!(SenderKind::Gmail.default_cap(), 450);
        assert_eq!(SenderKind::Workspace.default_cap(), 1_800);
        assert_eq!(SenderKind::WorkspaceTrial.default_cap(), 450);
    }

    #[test]
    fn caps_must_fit_the_kind() {
        assert_eq!(DailyCap::parse(500, SenderKind::Gmail).unwrap().get(), 500);
        assert_eq!(DailyCap::parse(1, SenderKind::Gmail).unwrap().get(), 1);
        assert!(DailyCap::parse(0, SenderKind::Gmail).is_err());
        assert!(DailyCap::parse(-3, SenderKind::Workspace).is_err());
        let too_high = DailyCap::parse(501, SenderKind::WorkspaceTrial).unwrap_err();
        assert!(too_high.contains("500"), "{too_high}");
        assert_eq!(DailyCap::parse(2_000, SenderKind::Workspace).unwrap().get(), 2_000);
        assert!(DailyCap::parse(i64::MAX, SenderKind::Workspace).is_err());
    }

    #[test]
    fn kinds_and_statuses_round_trip_their_names() {
        for kind in SenderKind::ALL {
            assert_eq!(SenderKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(SenderKind::parse("outlook"), None);
        for status in [
            SenderStatus::Active,
            SenderStatus::PausedUntil,
            SenderStatus::NeedsReauth,
            SenderStatus::Disconnected,
        ] {
            assert_eq!(SenderStatus::parse(status.as_str()), Some(status));
        }
    }

    #[test]
    fn an_expired_pause_is_active() {
        let now = Utc::now();
        let paused = SenderStatus::PausedUntil;
        assert_eq!(paused.effective(Some(now + TimeDelta::hours(1)), now), paused);
        assert_eq!(paused.effective(Some(now - TimeDelta::seconds(1)), now), SenderStatus::Active);
        assert_eq!(SenderStatus::NeedsReauth.effective(None, now), SenderStatus::NeedsReauth);
    }

    #[test]
    fn kind_guess_and_tracking_scopes() {
        assert_eq!(SenderKind::guess_from_address("a@Gmail.com"), SenderKind::Gmail);
        assert_eq!(SenderKind::guess_from_address("a@acme.com"), SenderKind::Workspace);
        assert!(tracking_allowed(&["https://www.googleapis.com/auth/gmail.modify".into()]));
        assert!(!tracking_allowed(&["https://www.googleapis.com/auth/gmail.send".into()]));
    }
}
