//! The control API over HTTP, nesting under a prefix, and snapshots across restarts.

use std::sync::Arc;
use std::time::Duration;

use engine::clock::ManualClock;
use engine::gmail::{GmailClient, ListQuery};
use engine::sandbox::{SimConfig, Simulator};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::common::{ADA, message, spawn_sim, start_time};

/// The control API over plain HTTP: (status, JSON body or null).
struct Control {
    http: reqwest::Client,
    base: String,
}

impl Control {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}/__control{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None).await.1
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }
}

#[tokio::test]
async fn control_api_sets_the_stage_and_shows_the_outcome() {
    let t = spawn_sim(|_| {}).await;
    let control = Control { http: reqwest::Client::new(), base: t.base_url.clone() };
    let ida = "/mailboxes/ida@sandbox.outreach.test";

    let (status, created) = control
        .post(
            "/mailboxes",
            json!({ "address": "Ida@Sandbox.Outreach.Test", "kind": "workspace_trial" }),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(created["address"], "ida@sandbox.outreach.test");
    assert_eq!(created["daily_cap"], 500);
    let (status, _) =
        control.post("/mailboxes", json!({ "address": "ida@sandbox.outreach.test" })).await;
    assert_eq!(status, 409);

    let scopes = json!({ "scopes": ["https://www.googleapis.com/auth/gmail.modify"] });
    let (_, tokens) = control.post(&format!("{ida}/tokens"), scopes).await;
    let token = SecretString::from(tokens["access_token"].as_str().unwrap().to_owned());

    let simple = json!({ "from": "lead@example.com", "subject": "Question", "body": "How much?" });
    assert_eq!(control.post(&format!("{ida}/messages"), simple).await.0, 201);
    let inbox = ListQuery::search("in:inbox from:lead@example.com");
    assert_eq!(t.gmail.list_messages(&token, &inbox).await.unwrap().messages.len(), 1);

    let raw =
        "From: x@example.com\r\nTo: ida@sandbox.outreach.test\r\nSubject: Raw one\r\n\r\nhello";
    control.post(&format!("{ida}/messages"), json!({ "raw": raw })).await;
    let messages = control.get(&format!("{ida}/messages")).await;
    assert_eq!(messages.as_array().unwrap().len(), 2);
    assert_eq!(messages[1]["subject"], "Raw one");

    let lead = "lead+reply@example.com";
    t.gmail.send(&token, &message(lead, "Hi", "c1@o.test"), None).await.unwrap();
    let deliveries = control.get("/deliveries?recipient=lead%2Breply@example.com").await;
    assert_eq!(deliveries["count_by_recipient"][lead], 1);
    assert!(deliveries["deliveries"][0]["raw"].as_str().unwrap().contains("Subject: Hi"));

    let before = control.get("/clock").await;
    let (_, after) = control.post("/clock/advance", json!({ "seconds": 20 })).await;
    assert_ne!(before["now"], after["now"]);
    let replies = ListQuery::search("in:inbox from:lead+reply");
    assert_eq!(t.gmail.list_messages(&token, &replies).await.unwrap().messages.len(), 1);

    let quota = control.get(&format!("{ida}/quota")).await;
    assert_eq!(quota["messages.send"], 100);
    assert_eq!(quota["messages.list"], 10);
    assert_eq!(control.post("/quota/reset", json!({})).await.0, 204);
    assert_eq!(control.get("/quota").await, json!({}));

    let burst = json!({ "burst_429": 1 });
    let (status, _) =
        control.call(reqwest::Method::PUT, &format!("{ida}/faults"), Some(burst)).await;
    assert_eq!(status, 200);
    assert!(t.gmail.get_profile(&token).await.is_err());
    assert!(t.gmail.get_profile(&token).await.is_ok());

    let (_, revoked) = control.call(reqwest::Method::DELETE, &format!("{ida}/tokens"), None).await;
    assert_eq!(revoked["revoked"], 1);
    let (status, _) =
        control.call(reqwest::Method::GET, "/mailboxes/nobody@example.com/messages", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_router_works_nested_under_a_prefix() {
    let sim = Simulator::new(SimConfig::default());
    let app = axum::Router::new().nest("/sandbox/google", sim.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/sandbox/google", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let token = SecretString::from(
        sim.grant_tokens(ADA, &["https://www.googleapis.com/auth/gmail.modify"])
            .unwrap()
            .access_token,
    );
    let gmail = GmailClient::new(GmailClient::http_client(Duration::from_secs(5)).unwrap(), &base);
    assert_eq!(gmail.get_profile(&token).await.unwrap().email_address, ADA);
    let page = reqwest::get(format!("{base}/o/oauth2/v2/auth?client_id=nope")).await.unwrap();
    assert_eq!(page.status(), 401);
}

#[tokio::test]
async fn state_survives_a_restart_through_the_snapshot() {
    // Inside the target directory: the simulators save once more when the runtime shuts
    // down, after the test, so the file cannot be removed at its end; the next run starts
    // afresh.
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sandbox-snapshot-test.json");
    let _ = std::fs::remove_file(&path);
    let config = || SimConfig {
        clock: Arc::new(ManualClock::new(start_time())),
        snapshot_path: Some(path.clone()),
        ..SimConfig::default()
    };
    let (first, base) = Simulator::spawn(config()).await.unwrap();
    let tokens =
        first.grant_tokens(ADA, &["https://www.googleapis.com/auth/gmail.modify"]).unwrap();
    let token = SecretString::from(tokens.access_token);
    let gmail = GmailClient::new(GmailClient::http_client(Duration::from_secs(5)).unwrap(), &base);
    let sent = gmail
        .send(&token, &message("lead@example.com", "Before restart", "s1@o.test"), None)
        .await
        .unwrap();
    first.flush().unwrap();
    assert!(!path.with_extension("json.tmp").exists(), "written through a temporary file");

    let second = Simulator::new(config());
    let messages = second.messages(ADA).unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].id, sent.id);
    assert_eq!(second.deliveries(Some("lead@example.com")).len(), 1);
    // The refresh token is still valid after the restart.
    let refreshed = second.grant_tokens(ADA, &[]).unwrap();
    assert_ne!(refreshed.access_token, secrecy::ExposeSecret::expose_secret(&token));
}
