//! Who answers for Google in this installation, built once from the configuration: the OAuth
//! client, the Gmail client, the per-account quota meters — and in sandbox mode the built-in
//! simulator, which the server serves under `SANDBOX_PREFIX` and which the same clients then
//! call over loopback, exactly as they would call Google.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use secrecy::SecretString;
use sqlx::PgPool;

use crate::clock::SystemClock;
use crate::config::{Config, GoogleEndpoints, GoogleMode};
use crate::crypto::{Purpose, SecretKey};
use crate::gmail::GmailClient;
use crate::gmail::oauth::{GoogleOAuth, GoogleOAuthConfig};
use crate::sandbox::{MailboxKind, OAuthClient, SANDBOX_CLIENT_ID, SimConfig, Simulator};
use crate::senders::{QuotaMeters, SenderKind};

/// Where Google sends the browser back after consent (the redirect URI to register).
pub const CALLBACK_PATH: &str = "/senders/oauth/callback";

/// The sandbox's state file inside the data directory.
pub const SANDBOX_SNAPSHOT: &str = "sandbox.json";

/// How long one Gmail API call may take.
const GMAIL_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct Google {
    pub oauth: GoogleOAuth,
    /// Books no quota; take `quota.client(&gmail, team, sender)` for an account's calls.
    pub gmail: GmailClient,
    pub quota: QuotaMeters,
    /// The built-in Gmail simulator (sandbox mode only).
    pub sandbox: Option<Simulator>,
}

impl std::fmt::Debug for Google {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Google")
            .field("oauth", &self.oauth)
            .field("gmail", &self.gmail)
            .field("sandbox", &self.sandbox.is_some())
            .finish()
    }
}

impl Google {
    /// Builds the clients for `config`. Call after the listening port is known: in sandbox
    /// mode the server calls itself at `config.internal_base_url()`.
    pub fn from_config(config: &Config, key: &SecretKey, pool: PgPool) -> Result<Self, String> {
        let (endpoints, sandbox) = match &config.google {
            GoogleMode::Google(endpoints) => ((**endpoints).clone(), None),
            GoogleMode::Sandbox => {
                let secret = sandbox_client_secret(key);
                let endpoints = GoogleEndpoints::sandbox(
                    &config.base_url,
                    &config.internal_base_url(),
                    SecretString::from(secret.clone()),
                );
                let sim = Simulator::new(SimConfig {
                    // Tokens a fresh sandbox hands out must not be predictable.
                    seed: rand::random(),
                    oauth_clients: vec![OAuthClient::new(SANDBOX_CLIENT_ID, secret)],
                    reaction_delay: TimeDelta::from_std(config.sandbox_reply_delay)
                        .unwrap_or(TimeDelta::seconds(20)),
                    snapshot_path: Some(config.data_dir.join(SANDBOX_SNAPSHOT)),
                    ..SimConfig::default()
                });
                (endpoints, Some(sim))
            }
        };
        let mut redirect = config.base_url.clone();
        redirect.set_path(CALLBACK_PATH);
        let oauth = GoogleOAuth::new(&GoogleOAuthConfig {
            client_id: endpoints.client_id.clone(),
            client_secret: endpoints.client_secret.clone(),
            auth_url: endpoints.auth_url.to_string(),
            token_url: endpoints.token_url.to_string(),
            revoke_url: endpoints.revoke_url.to_string(),
            userinfo_url: endpoints.userinfo_url.to_string(),
            redirect_url: redirect.to_string(),
        })
        .map_err(|e| format!("invalid Google OAuth endpoint: {e}"))?;
        let http = GmailClient::http_client(GMAIL_TIMEOUT)
            .map_err(|e| format!("cannot build the Gmail HTTP client: {e}"))?;
        let gmail = GmailClient::new(http, endpoints.gmail_api_url.as_str());
        let quota = QuotaMeters::new(pool, Arc::new(SystemClock));
        Ok(Self { oauth, gmail, quota, sandbox })
    }

    /// The kind a newly connected address gets: in sandbox mode the mailbox's own kind, else
    /// a guess from the domain.
    pub fn guess_kind(&self, email: &str) -> SenderKind {
        let sandbox_kind = self.sandbox.as_ref().and_then(|sim| {
            sim.mailboxes()
                .into_iter()
                .find(|m| m.address.eq_ignore_ascii_case(email))
                .map(|m| m.kind)
        });
        match sandbox_kind {
            Some(MailboxKind::Gmail) => SenderKind::Gmail,
            Some(MailboxKind::Workspace) => SenderKind::Workspace,
            Some(MailboxKind::WorkspaceTrial) => SenderKind::WorkspaceTrial,
            None => SenderKind::guess_from_address(email),
        }
    }
}

/// The sandbox OAuth client's secret: derived from the app's secret key, so it is not a
/// well-known constant, and the app and its simulator agree on it without configuration.
pub fn sandbox_client_secret(key: &SecretKey) -> String {
    key.sign(Purpose::SandboxClientSecret, SANDBOX_CLIENT_ID.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sandbox_client_is_the_one_the_config_names() {
        assert_eq!(SANDBOX_CLIENT_ID, crate::config::SANDBOX_CLIENT_ID);
        let key = SecretKey::generate();
        assert_eq!(sandbox_client_secret(&key), sandbox_client_secret(&key));
        assert_ne!(sandbox_client_secret(&key), sandbox_client_secret(&SecretKey::generate()));
    }
}
