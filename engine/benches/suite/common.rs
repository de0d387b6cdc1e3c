//! What the benchmarks share: the result table, timing helpers, peak memory, databases and a
//! Gmail simulator with connected sender accounts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use engine::config::Config;
use engine::crypto::SecretKey;
use engine::google::Google;
use engine::model::{NewCampaign, Schedule, Step, User};
use engine::outbox::worker::{Worker, WorkerSettings};
use engine::sandbox::{DailyCaps, MailboxKind, OAuthClient, SimConfig, Simulator};
use engine::testing::TestDb;
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

/// One line of the final table.
pub struct Row {
    pub benchmark: String,
    pub figure: String,
    pub target: String,
}

impl Row {
    pub fn new(benchmark: impl Into<String>, figure: impl Into<String>, target: &str) -> Self {
        Self { benchmark: benchmark.into(), figure: figure.into(), target: target.into() }
    }
}

/// The rows as a Markdown table, so it can go into BENCHMARKS.md as printed.
pub fn print_table(rows: &[Row]) {
    let header = ["benchmark", "figure", "target"];
    let cells = |row: &Row| [row.benchmark.clone(), row.figure.clone(), row.target.clone()];
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(cells(row)) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [String; 3]| {
        let padded: Vec<String> =
            cells.iter().zip(widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        println!("| {} |", padded.join(" | "));
    };
    line(header.map(String::from));
    line(widths.map(|width| "-".repeat(width)));
    for row in rows {
        line(cells(row));
    }
}

/// `n` with thousands separators: 123456 → "123,456".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The 1, 5 and 15-minute load averages (Linux), to judge how busy the machine was.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Peak resident set size of this process in MB, from /proc (Linux).
pub fn peak_rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// Starts the peak RSS over from the current RSS (Linux ≥ 4.0), so a figure taken after this
/// is not an earlier benchmark's peak. Where that is refused, the peak stays process-wide.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// This thread's CPU time in seconds: unlike wall time it does not count the time other
/// processes (a parallel build, say) take the core away, so it measures per-core speed.
pub fn thread_cpu_time() -> f64 {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid, writable timespec for the duration of the call.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    now.tv_sec as f64 + now.tv_nsec as f64 * 1e-9
}

/// "p50 …, p95 …, max …" of `times`.
pub fn percentiles(times: &mut [Duration]) -> String {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    format!(
        "p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        ms(at(0.5)),
        ms(at(0.95)),
        ms(times[times.len() - 1])
    )
}

/// Drops a benchmark's database once its figures are taken (some hold a million rows).
pub async fn drop_db(db: TestDb) {
    db.pool.close().await;
    let server = engine::testing::server_url().await;
    let mut admin = PgConnection::connect(server).await.expect("connect to the test server");
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", db.name))
        .execute(&mut admin)
        .await
        .expect("drop the benchmark database");
}

const CLIENT_ID: &str = "bench.apps.googleusercontent.com";
const CLIENT_SECRET: &str = "bench-secret";

/// A fresh database and a Gmail simulator on its own port with `accounts` Workspace mailboxes
/// connected through the OAuth flow. The simulator is set not to be the bottleneck (no
/// latency, generous quota), so the figures are the engine's and PostgreSQL's.
pub struct SimBench {
    pub sim: Simulator,
    pub db: TestDb,
    pub key: Arc<SecretKey>,
    pub google: Google,
    config: Config,
    pub admin: User,
    pub mailboxes: Vec<String>,
}

impl SimBench {
    /// Simulated recipients (`+reply`, `+bounce`, …) react `reaction_delay` after a send.
    pub async fn new(accounts: usize, reaction_delay: TimeDelta) -> Self {
        let mailboxes: Vec<String> =
            (0..accounts).map(|n| format!("sender{n}@bench.example")).collect();
        let (sim, base) = Simulator::spawn(SimConfig {
            oauth_clients: vec![OAuthClient::new(CLIENT_ID, CLIENT_SECRET)],
            quota_per_minute: 10_000_000,
            max_concurrent_requests: 100,
            daily_caps: DailyCaps { workspace: 1_000_000, ..DailyCaps::default() },
            reaction_delay,
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
        let bench = Self { sim, db, key, google, config, admin, mailboxes };
        for mailbox in &bench.mailboxes {
            bench.connect(mailbox).await;
        }
        bench
    }

    pub fn pool(&self) -> &PgPool {
        &self.db.pool
    }

    /// The OAuth flow an admin goes through, with the consent page answered directly.
    async fn connect(&self, mailbox: &str) {
        let consent = engine::senders::begin_connect(
            self.pool(),
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
            self.pool(),
            &self.key,
            &self.google.oauth,
            query,
            Some(self.admin.id),
            &move |email| google.guess_kind(email),
        )
        .await
        .expect("connected");
    }

    pub async fn sender_ids(&self, count: usize) -> Vec<Uuid> {
        sqlx::query_scalar("SELECT id FROM sender_accounts ORDER BY email LIMIT $1")
            .bind(count as i64)
            .fetch_all(self.pool())
            .await
            .unwrap()
    }

    /// A running one-step campaign without pacing over `senders`, mailing `leads`.
    pub async fn campaign(&self, senders: Vec<Uuid>, leads: &[String]) -> Uuid {
        let team = self.admin.team_id;
        let campaign = engine::campaigns::create(
            self.pool(),
            team,
            Some(self.admin.id),
            NewCampaign {
                name: format!("{} leads", leads.len()),
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
        for (n, lead) in leads.iter().enumerate() {
            csv.push_str(&format!("{lead},Lead{n},Company{n}\n"));
        }
        let options = engine::csv_import::ImportOptions {
            byte_limit: 100 * 1024 * 1024,
            ..Default::default()
        };
        engine::campaigns::leads::import_csv(
            self.pool(),
            team,
            campaign.id,
            csv.into_bytes(),
            options,
        )
        .await
        .expect("import");
        match engine::campaigns::start(self.pool(), team, campaign.id).await.expect("start") {
            engine::campaigns::StartOutcome::Started(_) => campaign.id,
            engine::campaigns::StartOutcome::Refused(report) => panic!("lint: {report:?}"),
        }
    }

    async fn sent(&self, campaign: Uuid) -> i64 {
        sqlx::query_scalar(
            "SELECT count(*) FROM outbox_messages WHERE campaign_id = $1 AND status = 'sent'",
        )
        .bind(campaign)
        .fetch_one(self.pool())
        .await
        .unwrap()
    }

    /// Runs worker passes (pacing off) until `target` messages of `campaign` are sent;
    /// returns seconds.
    pub async fn send(&self, campaign: Uuid, target: i64) -> f64 {
        let settings = WorkerSettings {
            ambiguous_check_delay: Duration::ZERO,
            concurrency: 16,
            pacing: false,
            ..WorkerSettings::default()
        };
        let worker = Worker::new(
            self.pool().clone(),
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

    pub async fn cancel(&self, campaign: Uuid) {
        engine::campaigns::cancel(self.pool(), self.admin.team_id, campaign).await.expect("cancel");
    }

    pub async fn finish(self) {
        drop_db(self.db).await;
    }
}
