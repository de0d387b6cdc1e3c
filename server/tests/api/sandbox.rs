//! The Gmail simulator inside the product (sandbox mode): served by the app, its state kept in
//! the data directory, and the `/sandbox` pages showing mail exactly as sent, as text. And the
//! same code in "Google mode", talking to a Google-compatible server on its own port.

use chrono::TimeDelta;
use engine::sandbox::{OAuthClient, SANDBOX_CLIENT_SECRET, SimConfig, Simulator};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::helpers::{TestApp, google_env, new_client, spawn_app, spawn_app_with};
use crate::sender_helpers::{ADA, Consent, GRACE};

const LEAD: &str = "lead+reply@example.com";

/// Sends one message from ADA (connected by the app's admin) to `LEAD`, through the app's
/// own Gmail client and token; returns the raw message.
async fn send_from_ada(app: &TestApp) -> String {
    let ada = app.sender_id(ADA).await;
    let team = engine::auth::user_by_email(&app.db.pool, "admin@acme.test").await.unwrap().team_id;
    let s = &app.state;
    let token = engine::senders::access_token(&s.pool, &s.secret_key, &s.google.oauth, team, ada)
        .await
        .unwrap();
    let raw = format!(
        "From: Ada <{ADA}>\r\nTo: {LEAD}\r\nSubject: Hello <b>Lead</b>\r\nMessage-ID: <t1@outreach.test>\r\n\
         Date: Mon, 5 Jan 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Hi <script>alert(1)</script> from the sandbox.\r\n"
    );
    s.google
        .quota
        .client(&s.google.gmail, team, ada)
        .send(&token, raw.as_bytes(), None)
        .await
        .unwrap();
    raw
}

async fn overview(app: &TestApp, client: &reqwest::Client) -> Value {
    let response = app.call::<app::pages::sandbox::LoadSandboxOverview>(client, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_sandbox_pages_show_what_recipients_received_as_text() {
    let app = spawn_app().await;
    app.setup_team().await;
    app.connect_mailbox(ADA).await;
    send_from_ada(&app).await;

    let data = overview(&app, &app.client).await;
    assert_eq!(data["deliveries"][0]["recipient"], LEAD);
    assert_eq!(data["deliveries"][0]["outcome"], "delivered");
    assert_eq!(data["reply_delay_secs"], 20);
    let seq = data["deliveries"][0]["seq"].as_u64().unwrap();
    let mailboxes = data["mailboxes"].as_array().unwrap();
    assert!(mailboxes.iter().any(|m| m["address"] == ADA && m["connected"] == true));
    assert!(mailboxes.iter().any(|m| m["address"] == GRACE && m["connected"] == false));

    let page = app.get("/sandbox").await.text().await.unwrap();
    assert!(page.contains(LEAD));
    assert!(
        page.contains("Hello &lt;b&gt;Lead&lt;/b&gt;") && !page.contains("<b>Lead</b>"),
        "{page}"
    );
    for pattern in ["+reply", "+replynew", "+ooo", "+bounce", "+softbounce", "+unsubscribe"] {
        assert!(page.contains(pattern), "{pattern} explained");
    }

    let message = app.get(&format!("/sandbox/deliveries/{seq}")).await.text().await.unwrap();
    assert!(
        message.contains("Hi &lt;script&gt;alert(1)&lt;/script&gt; from the sandbox."),
        "{message}"
    );
    assert!(!message.contains("<script>alert(1)"), "never rendered as HTML");
    assert!(
        message.contains("Message-ID") && message.contains("t1@outreach.test"),
        "headers shown"
    );

    // The recipient's reaction arrives after the delay, in ADA's mailbox.
    app.sandbox().advance(TimeDelta::seconds(21));
    let mailbox = app
        .call::<app::pages::sandbox::LoadSandboxMailbox>(&app.client, &[("address", ADA)])
        .await
        .json::<Value>()
        .await
        .unwrap();
    let subjects: Vec<&str> = mailbox["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, vec!["Re: Hello <b>Lead</b>", "Hello <b>Lead</b>"], "newest first");
    let reply_id = mailbox["messages"][0]["id"].as_str().unwrap().to_owned();
    let reply =
        app.get(&format!("/sandbox/mailboxes/{ADA}/{reply_id}")).await.text().await.unwrap();
    assert!(reply.contains("In-Reply-To") && reply.contains("Re: Hello &lt;b&gt;Lead&lt;/b&gt;"));
    let nav = app.get("/senders").await.text().await.unwrap();
    assert!(nav.contains("href=\"/sandbox\"") && nav.contains("Sandbox mail"));

    // Another team sees the mailboxes exist, but none of Acme's mail.
    let (globex, _) = app.other_team("Globex").await;
    let theirs = overview(&app, &globex).await;
    assert_eq!(theirs["deliveries"], serde_json::json!([]));
    let delivery = app
        .call::<app::pages::sandbox::LoadSandboxDelivery>(&globex, &[("seq", &seq.to_string())])
        .await;
    assert!(delivery.text().await.unwrap().contains("NotFound"));
    let message = app
        .call::<app::pages::sandbox::LoadSandboxMessage>(
            &globex,
            &[("address", ADA), ("id", &reply_id)],
        )
        .await;
    assert!(message.text().await.unwrap().contains("NotFound"));
    let mine = app
        .call::<app::pages::sandbox::LoadSandboxMessage>(
            &app.client,
            &[("address", ADA), ("id", &reply_id)],
        )
        .await;
    assert_eq!(mine.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_sandbox_keeps_its_state_in_the_data_directory_and_its_control_api_private() {
    let app = spawn_app().await;
    app.setup_team().await;
    app.connect_mailbox(ADA).await;
    send_from_ada(&app).await;

    let control = reqwest::get(app.url("/sandbox/google/__control/mailboxes")).await.unwrap();
    assert_eq!(control.status(), StatusCode::NOT_FOUND);

    app.sandbox().flush().unwrap();
    let path = app.state.config.data_dir.join("sandbox.json");
    let restored = Simulator::new(SimConfig { snapshot_path: Some(path), ..SimConfig::default() });
    let deliveries = restored.deliveries(Some(LEAD));
    assert_eq!(deliveries.len(), 1, "what was sent survives a restart");

    // The sandbox's OAuth client secret comes from the app's key, not a public constant.
    let secret = &app.sandbox().config().oauth_clients[0].client_secret;
    assert_eq!(*secret, engine::google::sandbox_client_secret(&app.state.secret_key));
    assert_ne!(secret, SANDBOX_CLIENT_SECRET);
}

#[tokio::test]
async fn with_google_credentials_the_app_talks_to_the_configured_google_instead() {
    let client_id = "outreach-test.apps.googleusercontent.com";
    let (google, base) = Simulator::spawn(SimConfig {
        oauth_clients: vec![OAuthClient::new(client_id, "test-client-secret")],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let app = spawn_app_with(&google_env(&base, client_id, "test-client-secret")).await;
    assert!(app.state.google.sandbox.is_none());
    app.setup_team().await;
    let home = app.get("/").await.text().await.unwrap();
    assert!(!home.contains("Sandbox mode"));
    let served = app.get("/sandbox/google/o/oauth2/v2/auth").await;
    assert_eq!(served.status(), StatusCode::NOT_FOUND, "no built-in simulator in Google mode");

    let token = app.api_token("admin@acme.test").await;
    let (status, body) = app.api_json(Method::POST, "/api/v1/senders/connect", &token, None).await;
    assert_eq!(status, StatusCode::OK);
    let url = body["authorization_url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{base}/o/oauth2/v2/auth?")), "{url}");
    let callback = app.consent(url, &Consent::allow(GRACE)).await;
    let done = app.follow_callback(&new_client(), &callback).await;
    assert_eq!(done.status(), StatusCode::OK);

    let consent_url = app.start_connect(&app.client, None).await;
    assert!(consent_url.starts_with(&base), "the UI sends the browser to the configured Google");
    let callback = app.consent(&consent_url, &Consent::allow(ADA)).await;
    assert_eq!(app.follow_callback(&app.client, &callback).await.status(), StatusCode::SEE_OTHER);

    let (_, list) = app.api_json(Method::GET, "/api/v1/senders", &token, None).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    let grace = app.sender_id(GRACE).await;
    let team = engine::auth::user_by_email(&app.db.pool, "admin@acme.test").await.unwrap().team_id;
    let s = &app.state;
    let access =
        engine::senders::access_token(&s.pool, &s.secret_key, &s.google.oauth, team, grace)
            .await
            .unwrap();
    let profile = s
        .google
        .gmail
        .get_profile(&SecretString::from(access.expose_secret().to_owned()))
        .await
        .unwrap();
    assert_eq!(profile.email_address, GRACE);
    assert!(!google.quota_units(GRACE).is_empty(), "the configured server answered");

    let sandbox_page = app.call::<app::pages::sandbox::LoadSandboxOverview>(&app.client, &[]).await;
    assert!(sandbox_page.text().await.unwrap().contains("NotFound"));
}
