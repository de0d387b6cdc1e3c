//! The dashboard and its live events: the figures after sends, replies, auto-replies and
//! bounces (the same as counting the rows, before and after the running counts are folded),
//! another team's campaigns never shown, and an event within a second of a change for the
//! own team only — through the browser's stream (session cookie) and the API's (token).

use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, new_client, spawn_app};
use crate::tracking_helpers::{CampaignSpec, Tracked, tracked_campaign};

const JANE: &str = "jane+reply@acme.example";
const OLLY: &str = "olly+ooo@acme.example";
const BOB: &str = "bob+bounce@acme.example";
const KIM: &str = "kim@acme.example";
const SAM: &str = "sam@acme.example";

async fn dashboard(app: &TestApp, token: &str) -> Value {
    let (status, body) = app.api_json(Method::GET, "/api/v1/dashboard", token, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// A new draft campaign of the token's team.
async fn draft(app: &TestApp, token: &str, name: &str) -> Value {
    let (status, campaign) =
        app.api_json(Method::POST, "/api/v1/campaigns", token, Some(json!({"name": name}))).await;
    assert_eq!(status, StatusCode::CREATED, "{campaign}");
    campaign
}

/// The one campaign on the team's dashboard.
async fn only_campaign(t: &Tracked) -> Value {
    let body = dashboard(&t.app, &t.token).await;
    let campaigns = body["campaigns"].as_array().unwrap();
    assert_eq!(campaigns.len(), 1, "{body}");
    campaigns[0].clone()
}

/// Leads by status and messages by status, counted row by row.
async fn counted(t: &Tracked) -> (Value, Value) {
    let pool = &t.app.db.pool;
    let leads: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, count(*) FROM leads GROUP BY status")
            .fetch_all(pool)
            .await
            .unwrap();
    let messages: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, count(*) FROM outbox_messages GROUP BY status")
            .fetch_all(pool)
            .await
            .unwrap();
    let to_json = |rows: Vec<(String, i64)>| {
        Value::Object(rows.into_iter().map(|(k, n)| (k, json!(n))).collect())
    };
    (to_json(leads), to_json(messages))
}

/// The dashboard's figures agree with counting the rows, before and after a fold.
async fn assert_counts_match(t: &Tracked) {
    for _ in 0..2 {
        let campaign = only_campaign(t).await;
        let (leads, messages) = counted(t).await;
        let n = |v: &Value, key: &str| v[key].as_i64().unwrap_or(0);
        let stats = &campaign["stats"];
        assert_eq!(
            stats["leads"],
            json!(leads.as_object().unwrap().values().map(|v| v.as_i64().unwrap()).sum::<i64>())
        );
        for status in [
            "pending",
            "replied",
            "auto_replied",
            "bounced",
            "unsubscribed",
            "suppressed",
            "failed",
        ] {
            assert_eq!(stats[status].as_i64().unwrap(), n(&leads, status), "{status}: {campaign}");
        }
        assert_eq!(stats["sent"].as_i64().unwrap(), n(&messages, "sent"), "{campaign}");
        assert_eq!(
            stats["scheduled"].as_i64().unwrap(),
            n(&messages, "scheduled") + n(&messages, "pending")
        );
        engine::campaigns::counts::fold(&t.app.db.pool).await.unwrap();
    }
}

#[tokio::test]
async fn the_dashboard_follows_sends_replies_auto_replies_and_bounces() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[JANE, OLLY, BOB, KIM, SAM])).await;
    // Sam's address is suppressed before anything goes out: he is skipped, not planned.
    let (status, _) = t
        .app
        .api_json(Method::POST, "/api/v1/suppressions", &t.token, Some(json!({"email": SAM})))
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let before = only_campaign(&t).await;
    assert_eq!(before["name"], "Tracked");
    assert_eq!(before["status"], "running");
    assert_eq!(before["steps"], 2);
    assert_eq!(before["stats"]["leads"], 5);
    assert_eq!(before["stats"]["sent"], 0);
    assert_eq!(before["leads_mailed"], 0);
    assert_eq!(before["messages_planned"], 10, "five leads, two steps: {before}");
    assert_eq!(
        before["today_planned"], 5,
        "the first emails are due today, not the follow-ups: {before}"
    );
    assert!(before["next_send_at"].is_string(), "due now, the account is free: {before}");
    assert!(before["eta"].is_string(), "{before}");
    assert_eq!(before["sender_ids"], json!([t.sender_id]));

    assert_eq!(t.send_due().await.sent, 4);
    let sent = only_campaign(&t).await;
    assert_eq!(sent["stats"]["sent"], 4);
    assert_eq!(sent["stats"]["sent_today"], 4);
    assert_eq!(sent["stats"]["suppressed"], 1, "{sent}");
    assert_eq!(sent["leads_mailed"], 4);
    assert_eq!(
        sent["messages_planned"], 8,
        "four first emails sent, four follow-ups to come: {sent}"
    );
    assert_eq!(sent["today_planned"], 4, "the follow-ups are due on the next sending day: {sent}");
    let time = |value: &Value| {
        value.as_str().map(|at| at.parse::<chrono::DateTime<chrono::Utc>>().unwrap())
    };
    let next = time(&sent["next_send_at"]).expect("the follow-ups are scheduled");
    let generated = time(&dashboard(&t.app, &t.token).await["generated_at"]).unwrap();
    assert!(next > generated + chrono::TimeDelta::hours(20), "a day ahead: {sent}");
    assert!(time(&sent["eta"]) >= Some(next), "the finish is not before the next send: {sent}");
    assert_counts_match(&t).await;

    t.sync().await;
    let answered = only_campaign(&t).await;
    let stats = &answered["stats"];
    assert_eq!(
        (stats["replied"].as_i64(), stats["auto_replied"].as_i64(), stats["bounced"].as_i64()),
        (Some(1), Some(1), Some(1)),
        "{answered}"
    );
    assert_eq!(answered["messages_planned"], 6, "Jane's and Bob's follow-ups are off: {answered}");
    assert_counts_match(&t).await;
    // The campaign's own page shows the same figures.
    assert_eq!(t.campaign_json().await["stats"], answered["stats"]);

    // Paused with follow-ups left: still shown, planning nothing more today, with no next
    // send or finish.
    let path = |change: &str| format!("/api/v1/campaigns/{}/{change}", t.campaign);
    assert_eq!(
        t.app.api_json(Method::POST, &path("pause"), &t.token, None).await.0,
        StatusCode::OK
    );
    let paused = only_campaign(&t).await;
    assert_eq!(paused["status"], "paused");
    assert_eq!(paused["today_planned"], 4, "{paused}");
    assert!(paused["next_send_at"].is_null() && paused["eta"].is_null(), "{paused}");
    assert_eq!(
        t.app.api_json(Method::POST, &path("resume"), &t.token, None).await.0,
        StatusCode::OK
    );
    assert_eq!(only_campaign(&t).await["today_planned"], 4);
    // With the follow-ups due now, they are planned for today.
    sqlx::query("UPDATE outbox_messages SET send_at = now() WHERE status = 'scheduled'")
        .execute(&t.app.db.pool)
        .await
        .unwrap();
    assert_eq!(only_campaign(&t).await["today_planned"], 6);
    // An account waiting to be reconnected sends nothing more today.
    let set_status = |status: &'static str| {
        sqlx::query("UPDATE sender_accounts SET status = $2, status_reason = 'test' WHERE id = $1")
            .bind(t.sender_id)
            .bind(status)
            .execute(&t.app.db.pool)
    };
    set_status("needs_reauth").await.unwrap();
    assert_eq!(only_campaign(&t).await["today_planned"], 4, "only what was sent today");
    set_status("active").await.unwrap();

    // The follow-ups go out (the out-of-office does not stop them here): nothing is left.
    assert_eq!(t.send_everything().await.sent, 2);
    let done = only_campaign(&t).await;
    assert_eq!(done["stats"]["sent"], 6);
    assert_eq!(done["messages_planned"], 6);
    assert!(done["next_send_at"].is_null() && done["eta"].is_null(), "{done}");
    assert_counts_match(&t).await;

    let senders = dashboard(&t.app, &t.token).await["senders"].clone();
    let ada =
        senders.as_array().unwrap().iter().find(|s| s["id"] == json!(t.sender_id)).unwrap().clone();
    assert_eq!(ada["status"], "active");
    assert_eq!(ada["sent_last_24h"], 6);
}

#[tokio::test]
async fn another_teams_campaigns_are_never_shown() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[KIM])).await;
    let (_, other_token) = t.app.other_team("Globex").await;
    let theirs = draft(&t.app, &other_token, "Globex launch").await;
    sqlx::query("UPDATE campaigns SET status = 'running' WHERE id = $1::uuid")
        .bind(theirs["id"].as_str().unwrap())
        .execute(&t.app.db.pool)
        .await
        .unwrap();

    let ours = dashboard(&t.app, &t.token).await;
    let names: Vec<&str> =
        ours["campaigns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Tracked"]);
    let other = dashboard(&t.app, &other_token).await;
    let names: Vec<&str> = other["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Globex launch"]);
    assert_eq!(other["senders"], json!([]), "not our sender accounts either");
    assert_eq!(other["campaigns"][0]["stats"]["leads"], 0);
}

#[tokio::test]
async fn the_dashboard_and_its_events_need_a_signed_in_user_or_a_token() {
    let app = spawn_app().await;
    app.setup_team().await;
    for path in ["/api/v1/dashboard", "/api/v1/events"] {
        let response = reqwest::get(app.url(path)).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        let response = app
            .api(Method::GET, path.trim_start_matches("/api/v1"), "not-a-token")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let anonymous = new_client().get(app.url("/events")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    // The REST API ignores the session cookie: a signed-in browser gets no API stream.
    assert_eq!(app.get("/api/v1/events").await.status(), StatusCode::UNAUTHORIZED);
    let page = app.get("/events").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["content-type"], "text/event-stream");
}

/// An open event stream, read event by event.
struct Events {
    chunks: std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<Vec<u8>>> + Send>>,
    buffer: String,
}

impl Events {
    async fn open(request: reqwest::RequestBuilder) -> Self {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let chunks = response.bytes_stream().map(|chunk| chunk.map(|bytes| bytes.to_vec()));
        let mut events = Self { chunks: Box::pin(chunks), buffer: String::new() };
        // Whatever setting up the test caused is not what the test waits for.
        events.settle().await;
        events
    }

    /// The data of the next event, if one arrives within `wait` (comments are skipped).
    async fn next(&mut self, wait: Duration) -> Option<String> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..end + 2).collect();
                let data: Vec<&str> =
                    event.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim).collect();
                if !data.is_empty() {
                    return Some(data.join("\n"));
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.chunks.next()).await.ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
    }

    /// Lets the events of what just happened pass (a burst may be told more than once).
    async fn settle(&mut self) {
        while self.next(Duration::from_millis(400)).await.is_some() {}
    }

    /// Asserts that an event arrives within a second of now.
    async fn expect_event(&mut self, what: &str) {
        let started = Instant::now();
        let event = self.next(Duration::from_secs(1)).await;
        assert_eq!(
            event.as_deref(),
            Some(r#"{"type":"change"}"#),
            "no event within 1 s after {what}"
        );
        assert!(started.elapsed() < Duration::from_secs(1));
        self.settle().await;
    }

    async fn expect_silence(&mut self, what: &str) {
        let event = self.next(Duration::from_millis(1200)).await;
        assert_eq!(event, None, "an event after {what}");
    }
}

#[tokio::test]
async fn a_change_reaches_the_own_teams_streams_within_a_second_and_no_one_elses() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[JANE, KIM])).await;
    let (other_browser, other_token) = t.app.other_team("Globex").await;
    let mut browser = Events::open(t.app.client.get(t.app.url("/events"))).await;
    let mut api = Events::open(t.app.api(Method::GET, "/events", &t.token)).await;
    let mut other = Events::open(other_browser.get(t.app.url("/events"))).await;

    // Another team's change reaches only that team.
    draft(&t.app, &other_token, "Globex launch").await;
    tokio::join!(
        other.expect_event("its own campaign was created"),
        browser.expect_silence("another team's change"),
        api.expect_silence("another team's change"),
    );

    // A send (the outbox worker), a reply (the sync), a pause (a person). The browser
    // (signed in by the team's setup) and the API client each hear of every one.
    assert_eq!(t.send_due().await.sent, 2);
    tokio::join!(browser.expect_event("a send"), api.expect_event("a send"));
    t.sync().await;
    tokio::join!(browser.expect_event("a reply"), api.expect_event("a reply"));
    let path = format!("/api/v1/campaigns/{}/pause", t.campaign);
    assert_eq!(t.app.api_json(Method::POST, &path, &t.token, None).await.0, StatusCode::OK);
    tokio::join!(browser.expect_event("a pause"), api.expect_event("a pause"));
    other.expect_silence("our changes").await;
}
