//! The outbox and the sending worker against the built-in Gmail simulator: sends in thread,
//! accounts taking turns, caps, retries by error class, ambiguous attempts checked in the
//! mailbox, crash recovery, cancel and suppression at send time, several instances at once.
//!
//! The app runs with its own worker off; tests drive `Worker::pass` themselves and move time
//! forward by clearing pacing and retry waits, so every run is deterministic.

use std::collections::HashMap;

use engine::outbox::worker::{PassReport, Worker, WorkerSettings};
use engine::sandbox::{DailyCaps, Faults, OAuthClient, SimConfig, Simulator};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, google_env, spawn_app_with};
use crate::sender_helpers::{ADA, GRACE};

struct Setup {
    app: TestApp,
    token: String,
    campaign: String,
}

pub(crate) fn worker(app: &TestApp) -> Worker {
    let settings = WorkerSettings {
        ambiguous_check_delay: std::time::Duration::ZERO,
        ..WorkerSettings::default()
    };
    Worker::new(
        app.db.pool.clone(),
        app.state.secret_key.clone(),
        app.state.google.clone(),
        app.state.config.base_url.clone(),
        settings,
    )
}

/// A running two-step campaign over the given accounts with `leads` leads.
async fn running_campaign(mailboxes: &[&str], leads: usize) -> Setup {
    let app = spawn_app_with(&[("OUTREACH_OUTBOX_WORKER", "off".into())]).await;
    app.setup_team().await;
    let token = app.api_token("admin@acme.test").await;
    let mut senders = Vec::new();
    for mailbox in mailboxes {
        senders.push(app.connect_mailbox(mailbox).await.to_string());
    }
    let steps = json!([
        {"subject": "Idea for <<company>>", "body": "Hi <<first_name|there>>, quick idea."},
        {"body": "Hi <<first_name|there>>, following up.", "delay_days": 0}
    ]);
    let campaign = start_campaign(&app, &token, &senders, steps, leads).await;
    Setup { app, token, campaign }
}

/// Creates a campaign with `steps` over `senders` (ids), sending all week round the clock
/// without gaps, imports `leads` leads `lead<n>@prospects.example` and starts it.
pub async fn start_campaign(
    app: &TestApp,
    token: &str,
    senders: &[String],
    steps: Value,
    leads: usize,
) -> String {
    let (status, campaign) = app
        .api_json(Method::POST, "/api/v1/campaigns", token, Some(json!({
            "name": "Outbox",
            "sender_ids": senders,
            "steps": steps,
            "schedule": {"timezone": "UTC", "days": ["mon","tue","wed","thu","fri","sat","sun"],
                         "start_hour": 0, "end_hour": 24, "min_gap_seconds": 0, "max_gap_seconds": 0}
        })))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{campaign}");
    let campaign = campaign["id"].as_str().unwrap().to_owned();
    let mut csv = String::from("email,first_name,company\n");
    for n in 0..leads {
        csv.push_str(&format!("lead{n}@prospects.example,Lead{n},Company{n}\n"));
    }
    app.import_and_start(token, &campaign, csv).await;
    campaign
}

/// Runs passes until nothing is left to do, skipping pacing gaps and retry waits (as if time
/// passed) between passes.
async fn drive(app: &TestApp, worker: &Worker) -> PassReport {
    let mut total = PassReport::default();
    for _ in 0..200 {
        let report = worker.pass().await.expect("a pass");
        total += report;
        fast_forward(app).await;
        if report.sent + report.retried + report.resolved + report.failed + report.ambiguous == 0 {
            break;
        }
    }
    total
}

pub(crate) async fn fast_forward(app: &TestApp) {
    sqlx::query("UPDATE sender_leases SET next_send_at = NULL")
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE outbox_messages SET send_at = now() - interval '1 second' WHERE status IN ('pending', 'ambiguous', 'scheduled') AND send_at > now()")
        .execute(&app.db.pool)
        .await
        .unwrap();
}

/// The campaign's sent messages as the outbox API lists them.
async fn sent_messages(app: &TestApp, token: &str, campaign: &str) -> Value {
    let path = format!("/api/v1/outbox?campaign_id={campaign}&status=sent&per_page=100");
    app.api_json(Method::GET, &path, token, None).await.1
}

async fn statuses(app: &TestApp) -> HashMap<String, i64> {
    sqlx::query_as::<_, (String, i64)>(
        "SELECT status, count(*) FROM outbox_messages GROUP BY status",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

/// How many messages each recipient received, per subject.
fn received(app: &TestApp) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for delivery in app.state.google.sandbox.as_ref().unwrap().deliveries(None) {
        *counts.entry(format!("{} {}", delivery.recipient, delivery.subject)).or_default() += 1;
    }
    counts
}

fn assert_each_received_once(app: &TestApp, leads: usize) {
    let counts = received(app);
    for n in 0..leads {
        let first = format!("lead{n}@prospects.example Idea for Company{n}");
        let second = format!("lead{n}@prospects.example Re: Idea for Company{n}");
        assert_eq!(counts.get(&first), Some(&1), "{first}: {counts:?}");
        assert_eq!(counts.get(&second), Some(&1), "{second}: {counts:?}");
    }
    assert_eq!(counts.values().sum::<usize>(), leads * 2, "nothing else was sent: {counts:?}");
}

#[tokio::test]
async fn a_two_step_campaign_goes_out_once_per_lead_in_thread_over_both_accounts() {
    let Setup { app, token, campaign } = running_campaign(&[ADA, GRACE], 6).await;
    let report = drive(&app, &worker(&app)).await;
    assert_eq!(report.sent, 12, "{report:?}");
    assert_each_received_once(&app, 6);

    let outbox = sent_messages(&app, &token, &campaign).await;
    assert_eq!(outbox["total"], 12);
    let items = outbox["items"].as_array().unwrap();
    let mut by_lead: HashMap<String, Vec<&Value>> = HashMap::new();
    for item in items {
        by_lead.entry(item["lead_id"].as_str().unwrap().to_owned()).or_default().push(item);
        assert!(item["message_id"].as_str().unwrap().starts_with('<'));
        assert!(item["gmail_message_id"].is_string() && item["sent_at"].is_string());
    }
    let mut senders_used = std::collections::HashSet::new();
    for messages in by_lead.values() {
        assert_eq!(messages.len(), 2);
        assert_eq!(
            messages[0]["gmail_thread_id"], messages[1]["gmail_thread_id"],
            "the follow-up is in the first email's thread"
        );
        assert_eq!(messages[0]["sender_id"], messages[1]["sender_id"], "a lead keeps its account");
        senders_used.insert(messages[0]["sender_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(senders_used.len(), 2, "both accounts took turns");

    // The follow-up as delivered answers the first email.
    let deliveries =
        app.state.google.sandbox.as_ref().unwrap().deliveries(Some("lead0@prospects.example"));
    let first = deliveries.iter().find(|d| !d.subject.starts_with("Re:")).unwrap();
    let follow_up = deliveries.iter().find(|d| d.subject.starts_with("Re:")).unwrap();
    let parsed = mail_parser::MessageParser::default().parse(&follow_up.raw).unwrap();
    let first_id = first.message_id.clone().unwrap();
    assert_eq!(parsed.in_reply_to().as_text(), Some(first_id.as_str()));
    assert!(parsed.header_raw("List-Unsubscribe").unwrap().contains("/u/"));

    let (_, campaign) =
        app.api_json(Method::GET, &format!("/api/v1/campaigns/{campaign}"), &token, None).await;
    assert_eq!(campaign["stats"]["sent"], 12);
    let (_, leads) = app
        .api_json(
            Method::GET,
            &format!(
                "/api/v1/campaigns/{}/leads?status=completed",
                campaign["id"].as_str().unwrap()
            ),
            &token,
            None,
        )
        .await;
    assert_eq!(leads["total"], 6);
}

#[tokio::test]
async fn follow_ups_answer_the_message_id_gmail_delivered() {
    let Setup { app, token, campaign } = running_campaign(&[ADA], 2).await;
    let sandbox = app.state.google.sandbox.clone().unwrap();
    sandbox
        .set_faults(Some(ADA), Faults { rewrite_message_id: true, ..Faults::default() })
        .unwrap();
    let report = drive(&app, &worker(&app)).await;
    assert_eq!(report.sent, 4, "{report:?}");
    assert_each_received_once(&app, 2);

    let outbox = sent_messages(&app, &token, &campaign).await;
    let items = outbox["items"].as_array().unwrap();
    for n in 0..2 {
        let lead = format!("lead{n}@prospects.example");
        let deliveries = sandbox.deliveries(Some(&lead));
        let first = deliveries.iter().find(|d| !d.subject.starts_with("Re:")).unwrap();
        let follow_up = deliveries.iter().find(|d| d.subject.starts_with("Re:")).unwrap();
        let delivered = first.message_id.clone().unwrap();
        let parsed = mail_parser::MessageParser::default().parse(&follow_up.raw).unwrap();
        assert_eq!(parsed.in_reply_to().as_text(), Some(delivered.as_str()), "{lead}");
        assert_eq!(parsed.references().as_text(), Some(delivered.as_str()), "{lead}");

        let ours = |step: i64| {
            items.iter().find(|m| m["lead_email"] == lead.as_str() && m["step"] == step).unwrap()
        };
        assert_eq!(ours(1)["delivered_message_id"], format!("<{delivered}>"), "{lead}");
        assert_ne!(ours(1)["message_id"], ours(1)["delivered_message_id"], "Gmail replaced it");
        assert!(ours(2)["delivered_message_id"].is_null(), "nothing answers the last step");

        // The Outbox page shows it too.
        let page = app.get(&format!("/outbox?campaign_id={campaign}&status=sent")).await;
        // (Without the hydration markers between text nodes.)
        let html = page.text().await.unwrap().replace("<!>", "");
        assert!(
            html.contains(&format!("Gmail replaced it: delivered as &lt;{delivered}&gt;")),
            "{lead}"
        );
    }
}

/// A process that dies between recording a send and reading back its Message-ID leaves that
/// work due, and a try that fails is tried again later: a later pass does it, before the
/// follow-up goes out.
#[tokio::test]
async fn a_read_back_cut_short_or_failed_is_done_by_a_later_pass() {
    let Setup { app, .. } = running_campaign(&[ADA], 1).await;
    let sandbox = app.state.google.sandbox.clone().unwrap();
    let rewriting = Faults { rewrite_message_id: true, ..Faults::default() };
    sandbox.set_faults(Some(ADA), rewriting.clone()).unwrap();
    let w = worker(&app);
    assert_eq!(w.pass().await.unwrap().sent, 1);
    // What a crash right after the send's commit leaves behind.
    let cut_short = sqlx::query(
        "UPDATE outbox_messages SET delivered_message_id = NULL, after_send_at = sent_at,
                after_send_tries = 0
         WHERE status = 'sent'",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(cut_short.rows_affected(), 1);
    let follow_through = || async {
        sqlx::query_as::<_, (i16, bool, Option<String>)>(
            "SELECT after_send_tries, COALESCE(after_send_at > now(), false), delivered_message_id
             FROM outbox_messages WHERE step_number = 1",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
    };

    // The next pass tries, and Gmail answers 429: tried again a minute later.
    sandbox.set_faults(Some(ADA), Faults { burst_429: 20, ..rewriting.clone() }).unwrap();
    let report = w.pass().await.unwrap();
    assert_eq!(report.sent, 0, "{report:?}");
    assert_eq!(follow_through().await, (1, true, None));

    sandbox.set_faults(Some(ADA), rewriting).unwrap();
    sqlx::query("UPDATE outbox_messages SET after_send_at = now() WHERE after_send_at IS NOT NULL")
        .execute(&app.db.pool)
        .await
        .unwrap();
    fast_forward(&app).await;
    assert_eq!(drive(&app, &w).await.sent, 1);
    assert_each_received_once(&app, 1);
    let deliveries = sandbox.deliveries(Some("lead0@prospects.example"));
    let first = deliveries.iter().find(|d| !d.subject.starts_with("Re:")).unwrap();
    let follow_up = deliveries.iter().find(|d| d.subject.starts_with("Re:")).unwrap();
    let parsed = mail_parser::MessageParser::default().parse(&follow_up.raw).unwrap();
    assert_eq!(parsed.in_reply_to().as_text(), first.message_id.as_deref());
    let (tries, due, delivered) = follow_through().await;
    assert_eq!((tries, due), (2, false), "nothing is left to do");
    assert_eq!(delivered, first.message_id.as_ref().map(|id| format!("<{id}>")));
}

#[tokio::test]
async fn the_daily_cap_holds_and_the_rest_waits() {
    let Setup { app, .. } = running_campaign(&[ADA], 5).await;
    sqlx::query("UPDATE sender_accounts SET daily_cap = 3").execute(&app.db.pool).await.unwrap();
    let report = drive(&app, &worker(&app)).await;
    assert_eq!(report.sent, 3, "{report:?}");
    let sent: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sends").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(sent, 3);
    assert_eq!(statuses(&app).await.get("sent"), Some(&3));
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried_without_duplicates() {
    let Setup { app, .. } = running_campaign(&[ADA], 4).await;
    let sandbox = app.state.google.sandbox.clone().unwrap();
    sandbox.set_faults(Some(ADA), Faults { burst_429: 3, ..Faults::default() }).unwrap();
    let w = worker(&app);
    let first = w.pass().await.unwrap();
    assert_eq!(first.retried, 1, "a 429 puts the message back to pending: {first:?}");
    let pending: (String, String) =
        sqlx::query_as("SELECT status, last_error FROM outbox_messages WHERE status = 'pending'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(pending.1.contains("slow down"), "{pending:?}");
    fast_forward(&app).await;

    // Every send fails with a 5xx: ambiguous, looked for, not found, sent again later.
    sandbox.set_faults(Some(ADA), Faults { server_error_rate: 1.0, ..Faults::default() }).unwrap();
    let report = w.pass().await.unwrap();
    assert_eq!(report.sent, 0, "{report:?}");
    sandbox.clear_faults(ADA).unwrap();
    drive(&app, &w).await;
    assert_each_received_once(&app, 4);
}

#[tokio::test]
async fn an_attempt_that_reached_gmail_is_found_and_never_sent_twice() {
    let Setup { app, .. } = running_campaign(&[ADA], 3).await;
    let sandbox = app.state.google.sandbox.clone().unwrap();
    // Stored and delivered, but the client sees a 5xx; and Gmail rewrites the Message-ID, so
    // only the X-Outreach-Id search can find it.
    sandbox
        .set_faults(
            Some(ADA),
            Faults { fail_after_commit_rate: 1.0, rewrite_message_id: true, ..Faults::default() },
        )
        .unwrap();
    let w = worker(&app);
    let report = w.pass().await.unwrap();
    assert_eq!(report.ambiguous, 1, "{report:?}");
    assert_eq!(statuses(&app).await.get("ambiguous"), Some(&1));
    sandbox.clear_faults(ADA).unwrap();
    let report = drive(&app, &w).await;
    assert!(report.resolved >= 1, "{report:?}");
    assert_each_received_once(&app, 3);
}

#[tokio::test]
async fn a_crash_mid_send_is_recovered_by_the_next_lease_holder() {
    let Setup { app, .. } = running_campaign(&[ADA], 3).await;
    let sandbox = app.state.google.sandbox.clone().unwrap();
    sandbox
        .set_faults(Some(ADA), Faults { fail_after_commit_rate: 1.0, ..Faults::default() })
        .unwrap();
    let crashed = worker(&app);
    crashed.pass().await.unwrap();
    // As if the process died after Gmail accepted the message and before the result was
    // recorded: the message is still `sending` and its instance's lease runs out.
    sqlx::query("UPDATE outbox_messages SET status = 'sending' WHERE status = 'ambiguous'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE sender_leases SET expires_at = now() - interval '1 second'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    sandbox.clear_faults(ADA).unwrap();
    let successor = worker(&app);
    drive(&app, &successor).await;
    assert_each_received_once(&app, 3);
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox_messages WHERE status NOT IN ('sent')")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_revoked_grant_stops_the_account_and_its_messages_wait() {
    let Setup { app, .. } = running_campaign(&[ADA], 2).await;
    let sandbox = app.state.google.sandbox.clone().unwrap();
    sandbox.revoke_tokens(ADA).unwrap();
    // Expire the stored access token so the worker must refresh with the revoked grant.
    sqlx::query("UPDATE sender_accounts SET access_token_expires_at = now() - interval '1 minute'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let report = worker(&app).pass().await.unwrap();
    assert_eq!(report.sent, 0, "{report:?}");
    let status: String = sqlx::query_scalar("SELECT status FROM sender_accounts")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "needs_reauth");
    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox_messages WHERE status IN ('scheduled', 'pending')",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(open, 2, "nothing is lost while the account waits for reconnection");
    assert!(received(&app).is_empty());
}

#[tokio::test]
async fn gmail_daily_limit_pauses_the_account_until_google_says_and_nothing_is_lost() {
    // A Google whose Gmail accounts may send 2 messages a day and then answer 429 "Daily
    // user sending limit exceeded. Retry after …" at once; our own cap (450) is not reached.
    let (google, base) = Simulator::spawn(SimConfig {
        oauth_clients: vec![OAuthClient::new("limits.apps.googleusercontent.com", "limits")],
        daily_caps: DailyCaps { gmail: 2, ..DailyCaps::default() },
        over_cap_accepted_sends: 0,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let mut env = google_env(&base, "limits.apps.googleusercontent.com", "limits");
    env.push(("OUTREACH_OUTBOX_WORKER", "off".into()));
    let app = spawn_app_with(&env).await;
    app.setup_team().await;
    let token = app.api_token("admin@acme.test").await;
    let ada = app.connect_mailbox(ADA).await.to_string();
    let steps = json!([{"subject": "Idea for <<company>>", "body": "Hi <<first_name>>."}]);
    start_campaign(&app, &token, &[ada], steps, 4).await;

    let w = worker(&app);
    let report = drive(&app, &w).await;
    assert_eq!((report.sent, report.retried, report.failed), (2, 1, 0), "{report:?}");
    assert_eq!(google.deliveries(None).len(), 2);
    let (_, senders) = app.api_json(Method::GET, "/api/v1/senders", &token, None).await;
    let account = &senders[0];
    assert_eq!(account["status"], "paused_until", "{account}");
    let until: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(account["paused_until"].clone()).unwrap();
    let first_send = google.deliveries(None)[0].at;
    assert!(
        (until - (first_send + chrono::TimeDelta::hours(24))).num_seconds().abs() <= 1,
        "paused until Google's Retry after ({until}), a day after the first send ({first_send})"
    );
    let waiting = statuses(&app).await;
    assert_eq!(
        (waiting.get("pending"), waiting.get("scheduled"), waiting.get("failed")),
        (Some(&1), Some(&1), None),
        "the refused message is back to pending, the other was not tried, nothing failed"
    );
    let waiting: String = sqlx::query_scalar(
        "SELECT last_error FROM outbox_messages WHERE status = 'pending' AND last_error IS NOT NULL",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(waiting.contains("limit"), "{waiting}");

    // While paused nothing is attempted; once Google's day has passed, the rest go out.
    fast_forward(&app).await;
    assert_eq!(w.pass().await.unwrap().sent, 0);
    google.advance(chrono::TimeDelta::hours(25));
    sqlx::query("UPDATE sender_accounts SET paused_until = now() - interval '1 second'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    drive(&app, &w).await;
    assert_eq!(google.deliveries(None).len(), 4);
    assert_eq!(statuses(&app).await.get("sent"), Some(&4));
}

#[tokio::test]
async fn suppression_pause_and_cancel_are_honoured_at_send_time() {
    let Setup { app, token, campaign } = running_campaign(&[ADA], 4).await;
    app.api_json(
        Method::POST,
        "/api/v1/suppressions",
        &token,
        Some(json!({"email": "lead0@prospects.example"})),
    )
    .await;
    let (_, paused) = app
        .api_json(Method::POST, &format!("/api/v1/campaigns/{campaign}/pause"), &token, None)
        .await;
    assert_eq!(paused["status"], "paused");
    let w = worker(&app);
    assert_eq!(w.pass().await.unwrap().sent, 0, "a paused campaign sends nothing");
    // Follow-ups a day later, so the cancel comes between the steps (steps not yet sent may
    // change while the campaign runs).
    let (status, changed) = app
        .api_json(
            Method::PATCH,
            &format!("/api/v1/campaigns/{campaign}"),
            &token,
            Some(json!({"steps": [
                {"subject": "Idea for <<company>>", "body": "Hi <<first_name|there>>, quick idea."},
                {"body": "Hi <<first_name|there>>, following up.", "delay_days": 1}
            ]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    app.api_json(Method::POST, &format!("/api/v1/campaigns/{campaign}/resume"), &token, None).await;
    for _ in 0..10 {
        w.pass().await.unwrap();
        sqlx::query("UPDATE sender_leases SET next_send_at = NULL")
            .execute(&app.db.pool)
            .await
            .unwrap();
    }
    assert_eq!(
        statuses(&app).await.get("scheduled"),
        Some(&3),
        "three follow-ups wait for tomorrow"
    );
    let (status, _) = app
        .api_json(
            Method::PATCH,
            &format!("/api/v1/campaigns/{campaign}"),
            &token,
            Some(json!({"steps": [
                {"subject": "Changed", "body": "Changed"}, {"body": "x"}
            ]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a step already sent cannot change");
    let (_, cancelled) = app
        .api_json(Method::POST, &format!("/api/v1/campaigns/{campaign}/cancel"), &token, None)
        .await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(
        statuses(&app).await.get("cancelled"),
        Some(&4),
        "three follow-ups and the suppressed lead's first step"
    );
    drive(&app, &w).await;
    let counts = received(&app);
    assert!(
        !counts.keys().any(|k| k.starts_with("lead0@")),
        "the suppressed address got nothing: {counts:?}"
    );
    let lead0: String =
        sqlx::query_scalar("SELECT status FROM leads WHERE email = 'lead0@prospects.example'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(lead0, "suppressed");
    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox_messages WHERE status IN ('scheduled', 'pending')",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(open, 0);
    assert_eq!(
        counts.values().sum::<usize>(),
        3,
        "three first steps, no follow-up after the cancel: {counts:?}"
    );
}

#[tokio::test]
async fn three_instances_share_the_work_without_duplicates() {
    let Setup { app, .. } = running_campaign(&[ADA, GRACE], 30).await;
    let workers = [worker(&app), worker(&app), worker(&app)];
    for _ in 0..100 {
        let (a, b, c) = tokio::join!(workers[0].pass(), workers[1].pass(), workers[2].pass());
        let progress = [a.unwrap(), b.unwrap(), c.unwrap()]
            .iter()
            .map(|r| r.sent + r.retried + r.resolved)
            .sum::<u32>();
        fast_forward(&app).await;
        if progress == 0 {
            break;
        }
    }
    assert_each_received_once(&app, 30);
}

#[tokio::test]
async fn the_outbox_api_is_team_scoped_and_validates_filters() {
    let Setup { app, token, .. } = running_campaign(&[ADA], 1).await;
    let (_, page) = app.api_json(Method::GET, "/api/v1/outbox", &token, None).await;
    assert_eq!(page["total"], 1);
    let id = page["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(page["items"][0]["status"], "scheduled");
    let (status, one) =
        app.api_json(Method::GET, &format!("/api/v1/outbox/{id}"), &token, None).await;
    assert_eq!(
        (status, one["lead_email"].clone()),
        (StatusCode::OK, json!("lead0@prospects.example"))
    );
    let (_, other) = app.other_team("Globex").await;
    let (status, _) =
        app.api_json(Method::GET, &format!("/api/v1/outbox/{id}"), &other, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, theirs) = app.api_json(Method::GET, "/api/v1/outbox", &other, None).await;
    assert_eq!(theirs["total"], 0);
    let (status, error) =
        app.api_json(Method::GET, "/api/v1/outbox?status=lost", &token, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["field"], "status");
}
