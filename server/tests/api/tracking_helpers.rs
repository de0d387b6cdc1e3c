//! A running campaign from one sandbox account to chosen addresses (whose `+tag` picks how
//! the simulated recipient reacts, a second later), and the steps a test drives by hand: a worker
//! pass, a sync of the account, the lead as the REST API shows it.

use engine::outbox::worker::{PassReport, Worker};
use engine::sandbox::Inbound;
use engine::tracking::{SyncReport, Syncer};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, spawn_app_with};
use crate::outbox::{fast_forward, worker};
use crate::sender_helpers::ADA;

pub struct Tracked {
    pub app: TestApp,
    pub token: String,
    pub campaign: String,
    pub team_id: Uuid,
    pub sender_id: Uuid,
    /// One instance's worker (it keeps the account's lease between passes).
    pub worker: Worker,
}

/// What the campaign looks like.
pub struct CampaignSpec<'a> {
    pub leads: &'a [&'a str],
    /// Sending days between the two steps (None: a one-step campaign).
    pub follow_up_delay: Option<i32>,
    pub stop_on_auto_reply: bool,
}

impl<'a> CampaignSpec<'a> {
    /// Two steps, the follow-up a day later (so it waits while replies come in).
    pub fn two_steps(leads: &'a [&'a str]) -> Self {
        Self { leads, follow_up_delay: Some(1), stop_on_auto_reply: false }
    }
}

pub async fn tracked_campaign(spec: CampaignSpec<'_>) -> Tracked {
    let app = spawn_app_with(&[
        ("OUTREACH_OUTBOX_WORKER", "off".into()),
        ("OUTREACH_SANDBOX_REPLY_DELAY_SECS", "1".into()),
    ])
    .await;
    app.setup_team().await;
    let token = app.api_token("admin@acme.test").await;
    let sender_id = app.connect_mailbox(ADA).await;
    let mut steps = vec![
        json!({"subject": "Idea for <<company>>", "body": "Hi <<first_name|there>>, quick idea."}),
    ];
    if let Some(delay) = spec.follow_up_delay {
        steps.push(json!({"body": "Following up.", "delay_days": delay}));
    }
    let (status, campaign) = app
        .api_json(Method::POST, "/api/v1/campaigns", &token, Some(json!({
            "name": "Tracked",
            "sender_ids": [sender_id],
            "steps": steps,
            "schedule": {"timezone": "UTC", "days": ["mon","tue","wed","thu","fri","sat","sun"],
                         "start_hour": 0, "end_hour": 24, "min_gap_seconds": 0, "max_gap_seconds": 0},
            "settings": {"stop_on_auto_reply": spec.stop_on_auto_reply, "bounce_pause_threshold": 0.05}
        })))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{campaign}");
    let campaign = campaign["id"].as_str().unwrap().to_owned();
    let mut csv = String::from("email,first_name,company\n");
    for lead in spec.leads {
        csv.push_str(&format!("{lead},Pat,Acme\n"));
    }
    app.import_and_start(&token, &campaign, csv).await;
    let team_id = sqlx::query_scalar("SELECT team_id FROM sender_accounts WHERE id = $1")
        .bind(sender_id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let worker = worker(&app);
    Tracked { app, token, campaign, team_id, sender_id, worker }
}

impl Tracked {
    /// Worker passes until nothing is due now (follow-ups due later stay scheduled).
    pub async fn send_due(&self) -> PassReport {
        let mut total = PassReport::default();
        for _ in 0..50 {
            let report = self.worker.pass().await.expect("a pass");
            total += report;
            sqlx::query("UPDATE sender_leases SET next_send_at = NULL")
                .execute(&self.app.db.pool)
                .await
                .unwrap();
            if report.sent + report.retried + report.cancelled + report.failed == 0 {
                break;
            }
        }
        total
    }

    /// Makes every waiting message due now and sends them.
    pub async fn send_everything(&self) -> PassReport {
        fast_forward(&self.app).await;
        self.send_due().await
    }

    pub fn syncer(&self) -> Syncer {
        let state = &self.app.state;
        Syncer::new(state.pool.clone(), state.secret_key.clone(), state.google.clone())
    }

    /// Lets the simulated recipients react (a second later, as they are set to), then syncs.
    pub async fn sync(&self) -> SyncReport {
        self.app.sandbox().advance(chrono::TimeDelta::seconds(2));
        self.syncer().sync_account(self.team_id, self.sender_id).await.expect("a sync")
    }

    pub async fn lead_id(&self, email: &str) -> Uuid {
        self.app.lead_id(email).await
    }

    /// The lead with its timeline, through the REST API.
    pub async fn lead(&self, email: &str) -> Value {
        let id = self.lead_id(email).await;
        let (status, lead) =
            self.app.api_json(Method::GET, &format!("/api/v1/leads/{id}"), &self.token, None).await;
        assert_eq!(status, StatusCode::OK, "{lead}");
        lead
    }

    /// The kinds of the lead's timeline events, oldest first.
    pub async fn timeline(&self, email: &str) -> Vec<String> {
        self.lead(email).await["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The statuses of a lead's outbox messages by step.
    pub async fn steps_of(&self, email: &str) -> Vec<(i32, String)> {
        sqlx::query_as(
            "SELECT m.step_number, m.status FROM outbox_messages m JOIN leads l ON l.id = m.lead_id
             WHERE l.email = $1 ORDER BY m.step_number",
        )
        .bind(email)
        .fetch_all(&self.app.db.pool)
        .await
        .unwrap()
    }

    /// How many messages the outside world received for `recipient`.
    pub fn received_by(&self, recipient: &str) -> usize {
        self.app.sandbox().deliveries(Some(recipient)).len()
    }

    pub async fn campaign_json(&self) -> Value {
        let path = format!("/api/v1/campaigns/{}", self.campaign);
        self.app.api_json(Method::GET, &path, &self.token, None).await.1
    }

    /// `from` answers the first message it received, in its thread, with `body`.
    pub fn reply_in_thread(&self, from: &str, body: &str) {
        let sent = self.app.sandbox().deliveries(Some(from));
        let reply = Inbound::Simple {
            from: from.into(),
            subject: format!("Re: {}", sent[0].subject),
            body: body.into(),
            in_reply_to: sent[0].message_id.clone(),
        };
        self.app.sandbox().inject(ADA, reply).unwrap();
    }

    /// The names of the `Outreach/…` labels on each of ADA's messages, by subject.
    pub async fn labels_in_mailbox(&self) -> Vec<(String, Vec<String>)> {
        let sandbox = self.app.sandbox();
        let token = sandbox.grant_tokens(ADA, &["https://mail.google.com/"]).unwrap();
        let url = format!("{}/sandbox/google/gmail/v1/users/me/labels", self.app.address);
        let labels: Value = reqwest::Client::new()
            .get(url)
            .bearer_auth(token.access_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let names: std::collections::HashMap<&str, &str> = labels["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["id"].as_str().unwrap(), l["name"].as_str().unwrap()))
            .filter(|(_, name)| name.starts_with("Outreach/"))
            .collect();
        sandbox
            .messages(ADA)
            .unwrap()
            .into_iter()
            .map(|m| {
                let labels = m
                    .label_ids
                    .iter()
                    .filter_map(|id| names.get(id.as_str()).map(|n| (*n).to_owned()))
                    .collect();
                (m.subject, labels)
            })
            .collect()
    }
}

/// The one-click unsubscribe POST (RFC 8058) a mail provider sends to a `List-Unsubscribe` URL.
pub fn one_click(client: &reqwest::Client, url: &str) -> reqwest::RequestBuilder {
    client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
}
