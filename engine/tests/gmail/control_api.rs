//! The control API over HTTP, nesting under a prefix, and snapshots across restarts.

use std::sync::Arc;
use std::time::Duration;

use engine::clock::ManualClock;
use engine::gmail::{GmailClient, ListQuery};
use engine::sandbox::{SimConfig, Simulator};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::common::{ADA, message, spawn_sim, start_time};

#[tokio::test]
async fn control_api_sets_the_stage_and_shows_the_outcome() {
    let t = spawn_sim(|_| {}).await;
    let http = reqwest::Client::new();
    let control = |path: &str| format!("{}/__control{path}", t.base_url);

    let created = http
        .post(control("/mailboxes"))
        .json(&json!({ "address": "Ida@Sandbox.Outreach.Test", "kind": "workspace_trial" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["address"], "ida@sandbox.outreach.test");
    assert_eq!(created["daily_cap"], 500);
    let again = http
        .post(control("/mailboxes"))
        .json(&json!({ "address": "ida@sandbox.outreach.test" }))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);

    let tokens: Value = http
        .post(control("/mailboxes/ida@sandbox.outreach.test/tokens"))
        .json(&json!({ "scopes": ["https://www.googleapis.com/auth/gmail.modify"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = SecretString::from(tokens["access_token"].as_str().unwrap().to_owned());

    let injected = http
        .post(control("/mailboxes/ida@sandbox.outreach.test/messages"))
        .json(&json!({ "from": "lead@example.com", "subject": "Question", "body": "How much?" }))
        .send()
        .await
        .unwrap();
    assert_eq!(injected.status(), 201);
    let inbox = t
        .gmail
        .list_messages(&token, &ListQuery::search("in:inbox from:lead@example.com"))
        .await
        .unwrap();
    assert_eq!(inbox.messages.len(), 1);

    let raw =
        "From: x@example.com\r\nTo: ida@sandbox.outreach.test\r\nSubject: Raw one\r\n\r\nhello";
    http.post(control("/mailboxes/ida@sandbox.outreach.test/messages"))
        .json(&json!({ "raw": raw }))
        .send()
        .await
        .unwrap();
    let messages: Value = http
        .get(control("/mailboxes/ida@sandbox.outreach.test/messages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(messages.as_array().unwrap().len(), 2);
    assert_eq!(messages[1]["subject"], "Raw one");

    t.gmail
        .send(&token, &message("lead+reply@example.com", "Hi", "c1@o.test"), None)
        .await
        .unwrap();
    let deliveries: Value = http
        .get(control("/deliveries?recipient=lead%2Breply@example.com"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(deliveries["count_by_recipient"]["lead+reply@example.com"], 1);
    assert!(deliveries["deliveries"][0]["raw"].as_str().unwrap().contains("Subject: Hi"));

    let before: Value = http.get(control("/clock")).send().await.unwrap().json().await.unwrap();
    let after: Value = http
        .post(control("/clock/advance"))
        .json(&json!({ "seconds": 20 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(before["now"], after["now"]);
    assert_eq!(
        t.gmail
            .list_messages(&token, &ListQuery::search("in:inbox from:lead+reply"))
            .await
            .unwrap()
            .messages
            .len(),
        1
    );

    let quota: Value = http
        .get(control("/mailboxes/ida@sandbox.outreach.test/quota"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(quota["messages.send"], 100);
    assert_eq!(quota["messages.list"], 10);
    http.post(control("/quota/reset")).send().await.unwrap();
    let quota: Value = http.get(control("/quota")).send().await.unwrap().json().await.unwrap();
    assert_eq!(quota, json!({}));

    let faults = http
        .put(control("/mailboxes/ida@sandbox.outreach.test/faults"))
        .json(&json!({ "burst_429": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(faults.status(), 200);
    assert!(t.gmail.get_profile(&token).await.is_err());
    assert!(t.gmail.get_profile(&token).await.is_ok());

    let revoked: Value = http
        .delete(control("/mailboxes/ida@sandbox.outreach.test/tokens"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(revoked["revoked"], 1);
    let unknown = http.get(control("/mailboxes/nobody@example.com/messages")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
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
    let path = std::env::temp_dir().join(format!(
        "outreach-sandbox-{}-{}.json",
        std::process::id(),
        start_time().timestamp()
    ));
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
    std::fs::remove_file(&path).ok();
}
