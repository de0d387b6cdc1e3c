//! The soak (`./scripts/soak`; ignored by the normal suite): a 2,000-lead, two-step campaign
//! over five accounts, sent by the real `outreach` binary while everything goes wrong at once
//! — Gmail fails 10% of calls with 500/503, delivers 5% of sends but answers 5xx, answers
//! bursts of 429s, stops one account half-way through its cap (accepting, then bouncing, a
//! few sends over it) and rewrites Message-IDs on another; one account's grant is revoked and
//! reconnected; the binary is killed with SIGKILL 20 times and its PostgreSQL (a cluster of
//! the test's own) is restarted twice. Days are compressed: when a day's sending is done, the
//! test lets a sending day pass (caps, pauses and due times move a day on) and goes on until
//! the campaign is finished.
//!
//! The simulator's record is the judge: every lead got step 1 exactly once, the follow-up
//! exactly once unless it replied (then never), no account went over its cap on any day,
//! every message the database calls sent was delivered once, every other one has a reason,
//! the campaign completed by itself, and no token the simulator issued appears in any line
//! the binary logged.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use engine::db::embedded::EmbeddedPostgres;
use engine::sandbox::{
    DailyCaps, Delivery, Faults, MailboxKind, OAuthClient, SimConfig, Simulator,
};
use rand::{Rng, SeedableRng, rngs::StdRng};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use crate::binary_helpers::{Binary, kill, sigterm};
use crate::helpers::{TestApp, TestDb, google_env, location, spawn_app_on};
use crate::sender_helpers::{ADA, Consent, GRACE, KATHERINE};

const CLIENT_ID: &str = "outreach-soak.apps.googleusercontent.com";
const CLIENT_SECRET: &str = "soak-secret";
const LEADS: usize = 2_000;
/// Every tenth lead answers step 1 (a `+reply` address): it must never get step 2.
const REPLY_EVERY: usize = 10;
const INES: &str = "ines@workspace.sandbox.outreach.test";
const LIN: &str = "lin@workspace.sandbox.outreach.test";
const MAILBOXES: [&str; 5] = [ADA, GRACE, KATHERINE, INES, LIN];
/// The cap every account has in the app.
const CAP: u32 = 200;
/// Gmail's own limit for ADA (the one `gmail` account): reached half-way through its cap.
const GMAIL_LIMIT: u32 = CAP / 2;
/// Gmail rewrites the Message-IDs of this account's mail.
const REWRITING: &str = GRACE;
/// This account's grant is revoked on day 2, and an admin reconnects it.
const REVOKED: &str = KATHERINE;
const KILLS: usize = 20;
const BURSTS: usize = 7;
/// A day ends when nothing has moved for this long (the caps are used up, or the rest waits
/// for tomorrow), after its planned events.
const QUIET: Duration = Duration::from_secs(12);
const MAX_DAYS: u32 = 10;
/// After the last day, how long the campaign may take to settle.
const SETTLE_WITHIN: Duration = Duration::from_secs(300);
/// PostgreSQL stays down this long at each restart.
const DB_DOWN: Duration = Duration::from_secs(3);

/// What happens during a day, at a planned moment after it begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    Kill,
    RestartPostgres,
    Burst429,
    Revoke,
}

/// The events of each day (days 1 to 4, when most is sent), drawn from a seeded RNG.
fn plan(rng: &mut StdRng) -> HashMap<u32, Vec<(Duration, Event)>> {
    let mut days: HashMap<u32, Vec<(Duration, Event)>> = HashMap::new();
    let mut at = |day: u32, from: u64, to: u64, event: Event, rng: &mut StdRng| {
        let moment = Duration::from_millis(rng.gen_range(from * 1000..to * 1000));
        days.entry(day).or_default().push((moment, event));
    };
    for kill in 0..KILLS {
        at(1 + (kill % 4) as u32, 1, 30, Event::Kill, rng);
    }
    for burst in 0..BURSTS {
        at(1 + (burst % 4) as u32, 1, 30, Event::Burst429, rng);
    }
    at(2, 5, 20, Event::RestartPostgres, rng);
    at(3, 5, 20, Event::RestartPostgres, rng);
    at(2, 2, 6, Event::Revoke, rng);
    for events in days.values_mut() {
        events.sort_by_key(|(moment, _)| *moment);
    }
    days
}

/// Counts for the report (and for RELIABILITY.md).
#[derive(Debug, Default)]
struct Figures {
    days: u32,
    kills: usize,
    postgres_restarts: usize,
    bursts: usize,
    revoked: bool,
    reconnected: bool,
}

struct Soak {
    app: TestApp,
    google: Simulator,
    binary: Binary,
    cluster: EmbeddedPostgres,
    /// The cluster's data directory, removed after a passed soak.
    cluster_dir: PathBuf,
    instance: Option<Child>,
    launches: usize,
    /// Every access and refresh token the simulator had issued when last looked at.
    tokens: HashSet<String>,
    /// The simulator's delivery count at the end of each day (days are judged separately).
    day_ends: Vec<usize>,
    figures: Figures,
    faults: Faults,
}

impl Drop for Soak {
    /// No binary and no PostgreSQL are left running; the cluster's files are left only by a
    /// failed soak.
    fn drop(&mut self) {
        if let Some(instance) = &mut self.instance {
            kill(instance);
        }
        let cluster = &self.cluster;
        let _ = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(cluster.stop())
        });
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.cluster_dir);
        }
    }
}

/// The app's database on a PostgreSQL cluster of the test's own, which it may restart (the
/// shared test server must never be).
async fn own_database() -> (EmbeddedPostgres, PathBuf, TestDb) {
    let dir = std::env::temp_dir().join(format!("outreach-soak-pg-{}", Uuid::new_v4()));
    let cluster = EmbeddedPostgres::start(&dir).await.expect("start the soak's PostgreSQL");
    cluster.ensure_database("soak").await.unwrap();
    let url = cluster.database_url("soak");
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect(&url)
        .await
        .expect("connect to the soak database");
    engine::db::migrate(&pool).await.expect("migrate the soak database");
    (cluster, dir, TestDb { pool, url, name: "soak".into() })
}

async fn stage() -> Soak {
    let (google, base) = Simulator::spawn(SimConfig {
        oauth_clients: vec![OAuthClient::new(CLIENT_ID, CLIENT_SECRET)],
        daily_caps: DailyCaps { gmail: GMAIL_LIMIT, workspace: 2_000, workspace_trial: 500 },
        over_cap_accepted_sends: 2,
        reaction_delay: TimeDelta::seconds(2),
        limit_bounce_delay: TimeDelta::seconds(3),
        // Sends as fast as the binary manages; the bursts bring the 429s.
        quota_per_minute: 1_000_000,
        ..SimConfig::default()
    })
    .await
    .expect("start the simulator");
    for extra in [INES, LIN] {
        google.create_mailbox(extra, MailboxKind::Workspace).unwrap();
    }
    let mut google_env = google_env(&base, CLIENT_ID, CLIENT_SECRET);
    google_env.push(("OUTREACH_SECRET_KEY", engine::crypto::SecretKey::generate().to_hex()));
    let (cluster, cluster_dir, db) = own_database().await;
    // This in-process app sets things up and reconnects the revoked account; binaries send.
    let mut app_env = google_env.clone();
    app_env.push(("OUTREACH_OUTBOX_WORKER", "off".into()));
    let app = spawn_app_on(db, &app_env).await;
    app.setup_team().await;
    let mut senders = Vec::new();
    for mailbox in MAILBOXES {
        senders.push(app.connect_mailbox(mailbox).await);
    }
    sqlx::query("UPDATE sender_accounts SET daily_cap = $1")
        .bind(CAP as i32)
        .execute(&app.db.pool)
        .await
        .unwrap();
    start_campaign(&app, &senders).await;
    let mut binary = Binary::new("soak", &google_env, &app.db.url);
    binary.set("OUTREACH_SYNC_INTERVAL_SECS", "5");
    let faults = Faults {
        server_error_rate: 0.10,
        fail_after_commit_rate: 0.05,
        latency_ms: 20,
        ..Faults::default()
    };
    google.set_faults(None, faults.clone()).unwrap();
    let rewriting = Faults { rewrite_message_id: true, ..faults.clone() };
    google.set_faults(Some(REWRITING), rewriting).unwrap();
    Soak {
        app,
        google,
        binary,
        cluster,
        cluster_dir,
        instance: None,
        launches: 0,
        tokens: HashSet::new(),
        day_ends: Vec::new(),
        figures: Figures::default(),
        faults,
    }
}

fn lead_address(n: usize) -> String {
    if n.is_multiple_of(REPLY_EVERY) {
        format!("lead{n}+reply@prospects.example")
    } else {
        format!("lead{n}@prospects.example")
    }
}

/// Two steps, the follow-up one sending day after step 1, every day all day.
async fn start_campaign(app: &TestApp, senders: &[Uuid]) {
    let token = app.api_token("admin@acme.test").await;
    let (status, campaign) = app
        .api_json(Method::POST, "/api/v1/campaigns", &token, Some(json!({
            "name": "Soak",
            "sender_ids": senders,
            "steps": [
                {"subject": "Idea for <<company>>", "body": "Hi <<first_name>>, an idea."},
                {"body": "Following up on my idea.", "delay_days": 1}
            ],
            "schedule": {"timezone": "UTC", "days": ["mon","tue","wed","thu","fri","sat","sun"],
                         "start_hour": 0, "end_hour": 24, "min_gap_seconds": 0, "max_gap_seconds": 0}
        })))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{campaign}");
    let campaign = campaign["id"].as_str().unwrap().to_owned();
    let mut csv = String::from("email,first_name,company\n");
    for n in 0..LEADS {
        csv.push_str(&format!("{},Lead{n},Company{n}\n", lead_address(n)));
    }
    app.import_and_start(&token, &campaign, csv).await;
}

impl Soak {
    fn launch(&mut self) {
        self.launches += 1;
        self.instance = Some(self.binary.launch(&format!("instance-{:02}", self.launches)));
    }

    /// The binary only ever dies by the test's hand.
    fn assert_alive(&mut self) {
        if let Some(instance) = &mut self.instance
            && let Some(status) = instance.try_wait().unwrap()
        {
            panic!(
                "the binary exited by itself ({status}); logs in {}",
                self.binary.logs().display()
            );
        }
    }

    fn collect_tokens(&mut self) {
        self.tokens.extend(self.google.tokens_in_force());
    }

    async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.app.db.pool).await.unwrap()
    }

    /// Changes whenever a message moves on (sent, withdrawn, planned, requeued).
    async fn progress(&self) -> (i64, i64, i64) {
        sqlx::query_as(
            "SELECT count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'cancelled'),
                    count(*) FROM outbox_messages",
        )
        .fetch_one(&self.app.db.pool)
        .await
        .unwrap()
    }

    /// Nothing is left to send or to check.
    async fn finished(&self) -> bool {
        self.scalar("SELECT count(*) FROM outbox_messages WHERE status NOT IN ('sent', 'cancelled', 'failed')")
            .await
            == 0
    }

    async fn happen(&mut self, event: Event) {
        match event {
            Event::Kill => {
                if let Some(instance) = &mut self.instance {
                    kill(instance);
                }
                self.figures.kills += 1;
                self.launch();
            }
            Event::RestartPostgres => {
                self.cluster.stop().await.expect("stop PostgreSQL");
                tokio::time::sleep(DB_DOWN).await;
                self.cluster.start_again().await.expect("start PostgreSQL again");
                self.figures.postgres_restarts += 1;
            }
            Event::Burst429 => {
                let burst = Faults { burst_429: 30, ..self.faults.clone() };
                self.google.set_faults(None, burst).unwrap();
                self.figures.bursts += 1;
            }
            Event::Revoke => {
                self.collect_tokens();
                assert!(self.google.revoke_tokens(REVOKED).unwrap() > 0);
                self.figures.revoked = true;
            }
        }
    }

    /// Once the binary has noticed the revoked grant, an admin reconnects the account.
    async fn reconnect_when_needed(&mut self) {
        if !self.figures.revoked || self.figures.reconnected {
            return;
        }
        let id = self.app.sender_id(REVOKED).await;
        let status: String = sqlx::query_scalar("SELECT status FROM sender_accounts WHERE id = $1")
            .bind(id)
            .fetch_one(&self.app.db.pool)
            .await
            .unwrap();
        if status != "needs_reauth" {
            return;
        }
        let consent_url = self.app.start_connect(&self.app.client, Some(id)).await;
        let callback = self.app.consent(&consent_url, &Consent::allow(REVOKED)).await;
        let answer = self.app.follow_callback(&self.app.client, &callback).await;
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        assert!(location(&answer).starts_with("/senders?connected="), "{}", location(&answer));
        self.figures.reconnected = true;
    }

    /// Runs one day: its events at their moments, until nothing moves any more.
    async fn run_day(&mut self, mut events: Vec<(Duration, Event)>) {
        let began = Instant::now();
        let mut last = (self.progress().await, Instant::now());
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            self.assert_alive();
            self.collect_tokens();
            while events.first().is_some_and(|(at, _)| began.elapsed() >= *at) {
                let (_, event) = events.remove(0);
                self.happen(event).await;
            }
            self.reconnect_when_needed().await;
            let progress = self.progress().await;
            if progress != last.0 {
                last = (progress, Instant::now());
            }
            if events.is_empty() && (last.1.elapsed() > QUIET || self.finished().await) {
                return;
            }
        }
    }

    /// Overnight: the binary stops (SIGTERM) so the day's sends are all counted, then the
    /// caps, pauses and due times move a day on, in the database and at Gmail.
    async fn let_a_day_pass(&mut self) {
        if let Some(mut instance) = self.instance.take() {
            sigterm(&instance);
            instance.wait().unwrap();
        }
        self.day_ends.push(self.google.deliveries(None).len());
        for shift in [
            "UPDATE sends SET sent_at = sent_at - interval '1 day'",
            "UPDATE sender_accounts SET paused_until = paused_until - interval '1 day' WHERE paused_until IS NOT NULL",
            "UPDATE outbox_messages SET send_at = send_at - interval '1 day' WHERE status IN ('scheduled', 'pending')",
            "UPDATE outbox_messages SET after_send_at = after_send_at - interval '1 day' WHERE after_send_at IS NOT NULL",
        ] {
            sqlx::query(shift).execute(&self.app.db.pool).await.unwrap();
        }
        self.google.let_sending_day_pass();
        self.launch();
    }

    /// After the last day: the rest goes out, and stays settled (late bounces requeue).
    async fn settle(&mut self) {
        let deadline = Instant::now() + SETTLE_WITHIN;
        let mut settled_since: Option<Instant> = None;
        while settled_since.is_none_or(|since| since.elapsed() < QUIET) {
            assert!(
                Instant::now() < deadline,
                "the campaign did not settle; logs in {}",
                self.binary.logs().display()
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
            self.assert_alive();
            self.collect_tokens();
            self.reconnect_when_needed().await;
            settled_since = match (self.finished().await, settled_since) {
                (true, Some(since)) => Some(since),
                (true, None) => Some(Instant::now()),
                (false, _) => None,
            };
        }
        if let Some(mut instance) = self.instance.take() {
            sigterm(&instance);
            instance.wait().unwrap();
        }
        self.day_ends.push(self.google.deliveries(None).len());
        self.collect_tokens();
    }
}

/// One outbox message as the database ends up with it.
struct Message {
    lead: usize,
    step: i32,
    status: String,
    lead_status: String,
    message_id: Option<String>,
    delivered_message_id: Option<String>,
}

async fn messages(app: &TestApp) -> HashMap<Uuid, Message> {
    type Row = (Uuid, String, i32, String, String, Option<String>, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT m.id, l.email, m.step_number, m.status, l.status, m.message_id, m.delivered_message_id
         FROM outbox_messages m JOIN leads l ON l.id = m.lead_id",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(id, email, step, status, lead_status, message_id, delivered_message_id)| {
            let lead = email
                .trim_start_matches("lead")
                .split(['+', '@'])
                .next()
                .and_then(|n| n.parse().ok())
                .expect("a soak lead");
            let message =
                Message { lead, step, status, lead_status, message_id, delivered_message_id };
            (id, message)
        })
        .collect()
}

/// A stored Message-ID (`<id>`) as the simulator records deliveries: without brackets.
fn bare(message_id: &str) -> &str {
    message_id.trim_matches(['<', '>'])
}

/// The outbox message a delivery carries (its `X-Outreach-Id` header).
fn outreach_id(delivery: &Delivery) -> Uuid {
    let text = String::from_utf8_lossy(&delivery.raw);
    let value = text
        .lines()
        .find_map(|line| line.strip_prefix("X-Outreach-Id:"))
        .expect("every message carries its X-Outreach-Id");
    value.trim().parse().expect("a uuid")
}

impl Soak {
    /// Every lead got step 1 once, step 2 once unless it replied; every message sent in the
    /// database was delivered once, every other one was withdrawn because its lead replied.
    async fn assert_every_message_explained(&self) -> (usize, usize) {
        let messages = messages(&self.app).await;
        let deliveries = self.google.deliveries(None);
        let mut delivered: HashMap<Uuid, usize> = HashMap::new();
        let mut received: HashMap<(usize, i32), usize> = HashMap::new();
        let mut rewritten = 0;
        for delivery in &deliveries {
            let id = outreach_id(delivery);
            let message = messages.get(&id).expect("every delivery is an outbox message");
            *delivered.entry(id).or_default() += 1;
            *received.entry((message.lead, message.step)).or_default() += 1;
            let sent_id = message.message_id.as_deref().map(bare);
            if delivery.message_id.as_deref() != sent_id {
                assert!(delivery.sender.eq_ignore_ascii_case(REWRITING), "{delivery:?}");
                rewritten += 1;
            }
        }
        for n in 0..LEADS {
            let replies = n.is_multiple_of(REPLY_EVERY);
            assert_eq!(received.get(&(n, 1)), Some(&1), "lead {n} got step 1 once");
            let follow_ups = received.get(&(n, 2)).copied().unwrap_or(0);
            assert_eq!(follow_ups, usize::from(!replies), "lead {n} (replies: {replies}): step 2");
        }
        for (id, message) in &messages {
            let times = delivered.get(id).copied().unwrap_or(0);
            match message.status.as_str() {
                "sent" => assert_eq!(times, 1, "sent message {id} delivered once"),
                "cancelled" => {
                    assert_eq!(times, 0, "withdrawn message {id} never delivered");
                    assert_eq!(message.step, 2, "only follow-ups are withdrawn");
                    assert_eq!(
                        message.lead_status, "replied",
                        "withdrawn because the lead replied"
                    );
                }
                other => panic!("message {id} ended {other}"),
            }
        }
        let step_two = received.iter().filter(|((_, step), _)| *step == 2).count();
        (step_two, rewritten)
    }

    /// Every follow-up answers the Message-ID its lead got with step 1 — Gmail's, where Gmail
    /// rewrote ours — unless the read-back of that step had not succeeded by then (then it
    /// answers ours; at most 1% may). Returns how many answer Gmail's rewritten id, and how
    /// many fell back.
    async fn assert_follow_ups_threaded(&self) -> (usize, usize) {
        let messages = messages(&self.app).await;
        let deliveries = self.google.deliveries(None);
        let mut first_steps = HashMap::new();
        for delivery in &deliveries {
            let message = &messages[&outreach_id(delivery)];
            if let Some(stored) = message.delivered_message_id.as_deref() {
                assert_eq!(Some(bare(stored)), delivery.message_id.as_deref(), "read back right");
            }
            if message.step == 1 {
                first_steps.insert(message.lead, (message, delivery.message_id.clone()));
            }
        }
        let (mut threaded, mut fell_back) = (0, 0);
        for delivery in &deliveries {
            let message = &messages[&outreach_id(delivery)];
            if message.step != 2 {
                continue;
            }
            let parsed = mail_parser::MessageParser::default().parse(&delivery.raw).unwrap();
            let answers = parsed.in_reply_to().as_text().map(str::to_owned);
            let (first, got) = &first_steps[&message.lead];
            let ours = first.message_id.as_deref().map(|m| bare(m).to_owned());
            if answers == *got {
                threaded += usize::from(got != &ours);
            } else {
                assert_eq!(answers, ours, "lead {} answers neither id", message.lead);
                fell_back += 1;
            }
        }
        assert!(
            threaded > 0 && fell_back * 100 <= threaded,
            "{threaded} threaded, {fell_back} not"
        );
        (threaded, fell_back)
    }

    /// No account delivered more than its cap (Gmail's limit for ADA) on any day.
    fn assert_caps_held(&self) {
        let deliveries = self.google.deliveries(None);
        let mut start = 0;
        for (day, end) in self.day_ends.iter().enumerate() {
            let mut per_sender: HashMap<&str, u32> = HashMap::new();
            for delivery in &deliveries[start..*end] {
                *per_sender.entry(&delivery.sender).or_default() += 1;
            }
            for (sender, sent) in per_sender {
                let cap = if sender.eq_ignore_ascii_case(ADA) { GMAIL_LIMIT } else { CAP };
                assert!(sent <= cap, "day {}: {sender} sent {sent}, over its cap {cap}", day + 1);
            }
            start = *end;
        }
    }

    /// Sends Gmail accepted from ADA over its limit and then bounced (never delivered).
    fn accepted_then_bounced(&self) -> usize {
        let in_sent = self
            .google
            .messages(ADA)
            .unwrap()
            .iter()
            .filter(|m| m.label_ids.iter().any(|l| l == "SENT"))
            .count();
        in_sent - self.google.deliveries(None).iter().filter(|d| d.sender == ADA).count()
    }

    /// No access or refresh token in any line any instance logged; returns the lines read.
    fn assert_no_token_logged(&self) -> usize {
        let lines = self.binary.log_lines();
        assert!(!self.tokens.is_empty());
        for line in &lines {
            for token in &self.tokens {
                assert!(!line.contains(token.as_str()), "a token in the log: {line}");
            }
        }
        lines.len()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the soak runs for about ten minutes: ./scripts/soak"]
async fn soak_a_long_campaign_while_everything_fails() {
    let began = Instant::now();
    let mut rng = StdRng::seed_from_u64(0x50a4_2026);
    let mut plan = plan(&mut rng);
    let mut soak = stage().await;
    soak.launch();
    for day in 1..=MAX_DAYS {
        soak.figures.days = day;
        soak.run_day(plan.remove(&day).unwrap_or_default()).await;
        if soak.finished().await && plan.is_empty() {
            break;
        }
        soak.let_a_day_pass().await;
    }
    soak.settle().await;
    let figures = &soak.figures;
    assert_eq!(
        (figures.kills, figures.postgres_restarts, figures.bursts),
        (KILLS, 2, BURSTS),
        "every planned event happened"
    );
    assert!(figures.revoked && figures.reconnected, "{figures:?}");
    let (step_two, rewritten) = soak.assert_every_message_explained().await;
    let (threaded, fell_back) = soak.assert_follow_ups_threaded().await;
    soak.assert_caps_held();
    let status: String = sqlx::query_scalar("SELECT status FROM campaigns")
        .fetch_one(&soak.app.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "completed", "with nothing left to send, the campaign completed by itself");
    let bounced = soak.accepted_then_bounced();
    assert!(bounced > 0, "Gmail's limit was reached and sends over it bounced");
    assert!(rewritten > 0, "Gmail rewrote Message-IDs");
    let lines = soak.assert_no_token_logged();
    println!(
        "soak passed in {:.0} s: {LEADS} leads, {} days, {} SIGKILLs, {} PostgreSQL restarts, \
         {} 429 bursts, {step_two} step-2 sends, {rewritten} rewritten Message-IDs \
         ({threaded} follow-ups answer them, {fell_back} answer ours), \
         {bounced} accepted-then-bounced sends, {} tokens looked for in {lines} log lines",
        began.elapsed().as_secs_f64(),
        figures.days,
        figures.kills,
        figures.postgres_restarts,
        figures.bursts,
        soak.tokens.len(),
    );
}
