//! Helpers: a simulator on a random port with a manual clock, tokens, and messages to send.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use engine::clock::ManualClock;
use engine::gmail::GmailClient;
use engine::sandbox::{SimConfig, Simulator};
use secrecy::SecretString;

pub const ADA: &str = "ada@sandbox.outreach.test";
pub const GRACE: &str = "grace@workspace.sandbox.outreach.test";
pub const SEND: &str = "https://www.googleapis.com/auth/gmail.send";
pub const MODIFY: &str = "https://www.googleapis.com/auth/gmail.modify";

pub struct TestSim {
    pub sim: Simulator,
    pub base_url: String,
    pub clock: ManualClock,
    pub gmail: GmailClient,
}

pub fn start_time() -> DateTime<Utc> {
    "2026-01-05T09:00:00Z".parse().unwrap()
}

/// A simulator with a manual clock, reactions 20 s after delivery; `tweak` adjusts the config.
pub async fn spawn_sim(tweak: impl FnOnce(&mut SimConfig)) -> TestSim {
    let clock = ManualClock::new(start_time());
    let mut config = SimConfig { clock: Arc::new(clock.clone()), seed: 42, ..SimConfig::default() };
    tweak(&mut config);
    let (sim, base_url) = Simulator::spawn(config).await.unwrap();
    let http = GmailClient::http_client(Duration::from_secs(5)).unwrap();
    let gmail = GmailClient::new(http, &base_url).with_clock(Arc::new(clock.clone()));
    TestSim { sim, base_url, clock, gmail }
}

impl TestSim {
    pub fn token(&self, mailbox: &str, scopes: &[&str]) -> SecretString {
        SecretString::from(self.sim.grant_tokens(mailbox, scopes).unwrap().access_token)
    }

    /// A token with everything Outreach asks for.
    pub fn full_token(&self, mailbox: &str) -> SecretString {
        self.token(mailbox, &["openid", "email", SEND, MODIFY])
    }
}

/// A plain outreach message.
pub fn message(to: &str, subject: &str, message_id: &str) -> Vec<u8> {
    format!(
        "Date: Mon, 5 Jan 2026 09:00:00 +0000\r\nFrom: Ada Lovelace <{ADA}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n\
         X-Outreach-Id: {message_id}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Hello from the engine.\r\n"
    )
    .into_bytes()
}

/// A follow-up in the thread of `parent_id` (a Message-ID without brackets).
pub fn follow_up(to: &str, subject: &str, message_id: &str, parent_id: &str) -> Vec<u8> {
    format!(
        "Date: Mon, 5 Jan 2026 09:00:00 +0000\r\nFrom: {ADA}\r\nTo: {to}\r\nSubject: {subject}\r\n\
         Message-ID: <{message_id}>\r\n\
         In-Reply-To: <{parent_id}>\r\nReferences: <{parent_id}>\r\n\r\nJust following up.\r\n"
    )
    .into_bytes()
}
