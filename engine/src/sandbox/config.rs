//! How a simulator is set up: its clock, randomness, OAuth clients, limits and delays.
//! The defaults are Google's numbers; tests shrink them.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use crate::clock::{Clock, SystemClock};

/// The OAuth client the app uses in sandbox mode (no Google credentials configured).
pub const SANDBOX_CLIENT_ID: &str = "outreach-sandbox.apps.googleusercontent.com";
pub const SANDBOX_CLIENT_SECRET: &str = "sandbox-client-secret";

/// The kind of account, which sets its daily sending cap (PRODUCT.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailboxKind {
    Gmail,
    Workspace,
    WorkspaceTrial,
}

impl MailboxKind {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "gmail" => Some(Self::Gmail),
            "workspace" => Some(Self::Workspace),
            "workspace_trial" => Some(Self::WorkspaceTrial),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gmail => "gmail",
            Self::Workspace => "workspace",
            Self::WorkspaceTrial => "workspace_trial",
        }
    }
}

/// Messages per rolling 24 hours, per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyCaps {
    pub gmail: u32,
    pub workspace: u32,
    pub workspace_trial: u32,
}

impl Default for DailyCaps {
    fn default() -> Self {
        Self { gmail: 500, workspace: 2_000, workspace_trial: 500 }
    }
}

impl DailyCaps {
    pub fn for_kind(&self, kind: MailboxKind) -> u32 {
        match kind {
            MailboxKind::Gmail => self.gmail,
            MailboxKind::Workspace => self.workspace,
            MailboxKind::WorkspaceTrial => self.workspace_trial,
        }
    }
}

/// A registered OAuth client. An empty `redirect_uris` accepts any http(s) URL, so the app's
/// sandbox works whatever its base URL is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthClient {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uris: Vec<String>,
}

impl OAuthClient {
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_uris: Vec::new(),
        }
    }

    pub fn accepts_redirect(&self, uri: &str) -> bool {
        if self.redirect_uris.is_empty() {
            url::Url::parse(uri).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        } else {
            self.redirect_uris.iter().any(|r| r == uri)
        }
    }
}

#[derive(Clone)]
pub struct SimConfig {
    /// The simulator adds its own fast-forward offset on top (see `Simulator::advance`).
    pub clock: Arc<dyn Clock>,
    /// Seeds ids, tokens, history gaps and fault dice.
    pub seed: u64,
    pub oauth_clients: Vec<OAuthClient>,
    pub access_token_lifetime: TimeDelta,
    /// Quota units per user per sliding minute (15,000 older projects, 6,000 newer ones).
    pub quota_per_minute: u32,
    /// Requests one user may have in flight at once.
    pub max_concurrent_requests: u32,
    pub daily_caps: DailyCaps,
    /// After the cap, this many sends are answered 200 and bounced later; then 429s.
    pub over_cap_accepted_sends: u32,
    /// Request bodies above this on the JSON `messages.send` path get 413.
    pub json_size_limit: usize,
    /// History older than this is forgotten: `history.list` from before it answers 404.
    pub history_retention: TimeDelta,
    /// How long simulated recipients take to reply, auto-reply or bounce.
    pub reaction_delay: TimeDelta,
    /// How long after an over-cap send its "limit for sending mail" bounce arrives.
    pub limit_bounce_delay: TimeDelta,
    /// Where to keep state across restarts; `None` keeps it in memory only.
    pub snapshot_path: Option<PathBuf>,
    pub default_mailboxes: Vec<(String, MailboxKind)>,
}

impl std::fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConfig")
            .field("seed", &self.seed)
            .field("quota_per_minute", &self.quota_per_minute)
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .field("daily_caps", &self.daily_caps)
            .field("snapshot_path", &self.snapshot_path)
            .finish_non_exhaustive()
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            seed: 0x5eed_0f0a,
            oauth_clients: vec![OAuthClient::new(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)],
            access_token_lifetime: TimeDelta::seconds(3599),
            quota_per_minute: 15_000,
            max_concurrent_requests: 10,
            daily_caps: DailyCaps::default(),
            over_cap_accepted_sends: 3,
            json_size_limit: 5 * 1024 * 1024,
            history_retention: TimeDelta::days(7),
            reaction_delay: TimeDelta::seconds(20),
            limit_bounce_delay: TimeDelta::seconds(60),
            snapshot_path: None,
            default_mailboxes: vec![
                ("ada@sandbox.outreach.test".to_owned(), MailboxKind::Gmail),
                ("grace@workspace.sandbox.outreach.test".to_owned(), MailboxKind::Workspace),
                ("katherine@trial.sandbox.outreach.test".to_owned(), MailboxKind::WorkspaceTrial),
            ],
        }
    }
}
