//! Durable sends per second: the outbox worker with pacing off, against a Gmail simulator on
//! its own port and a fresh database (the local PostgreSQL, or an embedded one). Every send is
//! the whole exactly-once path: claim with the cap reserved, `sending` committed, the Gmail
//! call, the result committed.
//!
//! 1. 100 sender accounts, a 10,000-lead campaign: sends per second until all are out.
//! 2. Per-send cost as the outbox grows: the first 1,000 sends of a 1,000-lead campaign and of
//!    a 100,000-lead campaign over 10 accounts (the figure must stay flat).
//!
//! The simulator is set not to be the bottleneck (no latency, generous quota), so the figures
//! are the engine's and PostgreSQL's. Run with
//! `cargo bench -p engine --features testing --bench durable_sends`.

use std::sync::Arc;
use std::time::Instant;

use engine::config::Config;
use engine::crypto::SecretKey;
use engine::google::Google;
use engine::model::{NewCampaign, Schedule, Step, User};
use engine::outbox::worker::{Worker, WorkerSettings};
use engine::sandbox::{DailyCaps, MailboxKind, OAuthClient, SimConfig, Simulator};
use sqlx::PgPool;
use uuid::Uuid;

const CLIENT_ID: &str = "bench.apps.googleusercontent.com";
const CLIENT_SECRET: &str = "bench-secret";

struct Bench {
    pool: PgPool,
    key: Arc<SecretKey>,
    google: Google,
    config: Config,
    admin: User,
}

impl Bench {
    async fn new(accounts: usize) -> (Self, Vec<String>) {
        let mailboxes: Vec<String> =
            (0..accounts).map(|n| format!("sender{n}@bench.example")).collect();
        let (_sim, base) = Simulator::spawn(SimConfig {
            oauth_clients: vec![OAuthClient::new(CLIENT_ID, CLIENT_SECRET)],
            quota_per_minute: 10_000_000,
            max_concurrent_requests: 100,
            daily_caps: DailyCaps { workspace: 1_000_000, ..DailyCaps::default() },
            default_mailboxes: mailboxes
                .iter()
                .map(|m| (m.clone(), MailboxKind::Workspace))
                .collect(),
            ..SimConfig::default()
        })
        .await
        .expect("simulator");
        let db = engine::testing::test_db().await;
        let mut vars = engine::testing::google_env(&base, CLIENT_ID, CLIENT_SECRET);
        vars.push(("DATABASE_URL", db.url.clone()));
        let config = Config::from_lookup(|name| {
            vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
        })
        .expect("configuration");
        let key = Arc::new(SecretKey::generate());
        let google = Google::from_config(&config, &key, db.pool.clone()).expect("Google clients");
        let (_, admin) = engine::testing::team_with_admin(&db.pool, "Bench").await;
        let bench = Self { pool: db.pool, key, google, config, admin };
        for mailbox in &mailboxes {
            bench.connect(mailbox).await;
        }
        (bench, mailboxes)
    }

    /// The OAuth flow an admin goes through, with the consent page answered directly.
    async fn connect(&self, mailbox: &str) {
        let consent = engine::senders::begin_connect(
            &self.pool,
            &self.key,
            &self.google.oauth,
            &self.admin,
            None,
            false,
        )
        .await
        .expect("consent URL");
        let mut form = vec![("mailbox", mailbox.to_string()), ("decision", "allow".into())];
        form.extend(
            engine::gmail::oauth::REQUESTED_SCOPES.iter().map(|s| ("scope", s.to_string())),
        );
        let answer = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(consent.as_str())
            .form(&form)
            .send()
            .await
            .expect("consent answer");
        let callback = answer.headers()["location"].to_str().unwrap().to_owned();
        let query = callback.split_once('?').expect("code and state").1;
        let google = self.google.clone();
        engine::senders::complete_connect(
            &self.pool,
            &self.key,
            &self.google.oauth,
            query,
            Some(self.admin.id),
            &move |email| google.guess_kind(email),
        )
        .await
        .expect("connected");
    }

    async fn sender_ids(&self, count: usize) -> Vec<Uuid> {
        sqlx::query_scalar("SELECT id FROM sender_accounts ORDER BY email LIMIT $1")
            .bind(count as i64)
            .fetch_all(&self.pool)
            .await
            .unwrap()
    }

    /// A running one-step campaign without pacing over `senders` with `leads` leads.
    async fn campaign(&self, senders: Vec<Uuid>, leads: usize) -> Uuid {
        let team = self.admin.team_id;
        let campaign = engine::campaigns::create(
            &self.pool,
            team,
            Some(self.admin.id),
            NewCampaign {
                name: format!("{leads} leads"),
                sender_ids: senders,
                steps: vec![Step {
                    subject: "Idea for <<company>>".into(),
                    body: "Hi <<first_name>>, a quick idea for <<company>>.".into(),
                    html: None,
                    delay_days: 0,
                }],
                schedule: Some(Schedule {
                    days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                        .map(String::from)
                        .to_vec(),
                    start_hour: 0,
                    end_hour: 24,
                    min_gap_seconds: 0,
                    max_gap_seconds: 0,
                    ..Schedule::default()
                }),
                settings: None,
            },
        )
        .await
        .expect("campaign");
        let mut csv = String::from("email,first_name,company\n");
        for n in 0..leads {
            csv.push_str(&format!("lead{n}@{}.example,Lead{n},Company{n}\n", campaign.id.simple()));
        }
        let options = engine::csv_import::ImportOptions {
            byte_limit: 100 * 1024 * 1024,
            ..Default::default()
        };
        engine::campaigns::leads::import_csv(
            &self.pool,
            team,
            campaign.id,
            csv.into_bytes(),
            options,
        )
        .await
        .expect("import");
        match engine::campaigns::start(&self.pool, team, campaign.id).await.expect("start") {
            engine::campaigns::StartOutcome::Started(_) => campaign.id,
            engine::campaigns::StartOutcome::Refused(report) => panic!("lint: {report:?}"),
        }
    }

    async fn sent(&self, campaign: Uuid) -> i64 {
        sqlx::query_scalar(
            "SELECT count(*) FROM outbox_messages WHERE campaign_id = $1 AND status = 'sent'",
        )
        .bind(campaign)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    /// Runs worker passes until `target` messages of `campaign` are sent; returns seconds.
    async fn send(&self, campaign: Uuid, target: i64) -> f64 {
        let settings = WorkerSettings {
            ambiguous_check_delay: std::time::Duration::ZERO,
            concurrency: 16,
            pacing: false,
            ..WorkerSettings::default()
        };
        let worker = Worker::new(
            self.pool.clone(),
            self.key.clone(),
            self.google.clone(),
            self.config.base_url.clone(),
            settings,
        );
        let started = Instant::now();
        while self.sent(campaign).await < target {
            let report = worker.pass().await.expect("pass");
            assert_eq!(report.failed + report.ambiguous, 0, "{report:?}");
        }
        started.elapsed().as_secs_f64()
    }

    async fn cancel(&self, campaign: Uuid) {
        engine::campaigns::cancel(&self.pool, self.admin.team_id, campaign).await.expect("cancel");
    }
}

#[tokio::main]
async fn main() {
    let (bench, _) = Bench::new(100).await;
    println!("{:<44} {:>8} {:>10} {:>12}", "scenario", "sends", "seconds", "sends/second");
    let row = |name: &str, sends: i64, seconds: f64| {
        println!("{name:<44} {sends:>8} {seconds:>10.2} {:>12.0}", sends as f64 / seconds);
    };

    let all = bench.sender_ids(100).await;
    let campaign = bench.campaign(all, 10_000).await;
    let seconds = bench.send(campaign, 10_000).await;
    row("100 accounts, 10,000 leads, all sent", 10_000, seconds);

    for leads in [1_000usize, 100_000] {
        let campaign = bench.campaign(bench.sender_ids(10).await, leads).await;
        let seconds = bench.send(campaign, 1_000).await;
        row(&format!("10 accounts, first 1,000 of {leads} leads"), 1_000, seconds);
        bench.cancel(campaign).await;
    }
}
