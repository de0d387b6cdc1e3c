//! Every GmailError class, produced by the simulator and read through the real HTTP stack.

use std::time::Duration;

use chrono::TimeDelta;
use engine::gmail::{GmailClient, GmailError, ListQuery, MessageFormat, NewLabel, classify};
use engine::sandbox::Faults;
use secrecy::SecretString;
use serde_json::json;

use crate::common::{ADA, SEND, message, spawn_sim};

#[tokio::test]
async fn invalid_requests_carry_googles_reason() {
    let t = spawn_sim(|_| {}).await;
    let token = t.full_token(ADA);
    let no_recipient = b"From: ada@sandbox.outreach.test\r\nSubject: x\r\n\r\nbody";
    assert_eq!(
        t.gmail.send(&token, no_recipient, None).await,
        Err(GmailError::InvalidRequest { reason: "Recipient address required".into() })
    );
    let bad_to = b"From: ada@sandbox.outreach.test\r\nTo: not an address\r\nSubject: x\r\n\r\nbody";
    assert_eq!(
        t.gmail.send(&token, bad_to, None).await,
        Err(GmailError::InvalidRequest { reason: "Invalid To header".into() })
    );
    assert!(t.sim.deliveries(None).is_empty());
    let reserved = t.gmail.create_label(&token, &NewLabel::visible("Inbox")).await;
    assert_eq!(reserved, Err(GmailError::InvalidRequest { reason: "Invalid label name".into() }));
}

/// Raw HTTP, for what our client never sends: other base64 variants and missing `raw`.
#[tokio::test]
async fn raw_accepts_every_base64_variant_and_rejects_garbage() {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};

    let t = spawn_sim(|_| {}).await;
    let token = t.sim.grant_tokens(ADA, &[SEND]).unwrap().access_token;
    let http = reqwest::Client::new();
    let url = format!("{}/gmail/v1/users/me/messages/send", t.base_url);
    // Bytes whose encodings differ between the alphabets.
    let mut raw = message("lead@example.com", "Variants", "v@o.test");
    raw.extend_from_slice(&[0xfb, 0xff, 0xbf]);
    for encoded in [STANDARD.encode(&raw), STANDARD_NO_PAD.encode(&raw), URL_SAFE.encode(&raw)] {
        let response = http
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({ "raw": encoded }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{encoded}");
    }
    assert_eq!(t.sim.deliveries(Some("lead@example.com"))[0].raw, raw);

    let response = http
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({ "raw": "Zm9v*YmFy" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body = response.text().await.unwrap();
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(value["error"]["status"], "INVALID_ARGUMENT");
    assert_eq!(
        value["error"]["message"],
        "Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed for \"Zm9v*YmFy\""
    );
    assert!(matches!(classify(400, &body, true, t.sim.now()), GmailError::InvalidRequest { .. }));

    let response = http.post(&url).bearer_auth(&token).json(&json!({})).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let value: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        value["error"]["message"],
        "'raw' RFC822 payload message string or uploading message via /upload/* URL required"
    );
    assert_eq!(value["error"]["errors"][0]["reason"], "badRequest");
}

#[tokio::test]
async fn expired_and_unknown_tokens_are_unauthorized() {
    let t = spawn_sim(|c| c.access_token_lifetime = TimeDelta::seconds(60)).await;
    let token = t.full_token(ADA);
    assert!(t.gmail.get_profile(&token).await.is_ok());
    t.clock.advance(TimeDelta::seconds(61));
    assert_eq!(t.gmail.get_profile(&token).await, Err(GmailError::Unauthorized));
    let unknown = SecretString::from("ya29.made-up");
    assert_eq!(
        t.gmail.send(&unknown, &message("a@example.com", "x", "x@o.test"), None).await,
        Err(GmailError::Unauthorized)
    );

    // The body is Google's.
    let response = reqwest::Client::new()
        .get(format!("{}/gmail/v1/users/me/profile", t.base_url))
        .bearer_auth("ya29.made-up")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let value: serde_json::Value = response.json().await.unwrap();
    assert_eq!(value["error"]["status"], "UNAUTHENTICATED");
    assert_eq!(value["error"]["errors"][0]["reason"], "authError");
    assert_eq!(value["error"]["errors"][0]["location"], "Authorization");
}

#[tokio::test]
async fn a_send_only_grant_can_send_but_needs_reauth_for_everything_else() {
    let t = spawn_sim(|_| {}).await;
    let token = t.token(ADA, &["email", SEND]);
    assert!(t.gmail.send(&token, &message("a@example.com", "x", "x@o.test"), None).await.is_ok());
    let reason = "Request had insufficient authentication scopes.".to_owned();
    let needs_reauth = Err(GmailError::NeedsReauth { reason });
    assert_eq!(
        t.gmail.list_messages(&token, &ListQuery::default()).await.map(|_| ()),
        needs_reauth
    );
    assert_eq!(t.gmail.get_profile(&token).await.map(|_| ()), needs_reauth);
    assert_eq!(t.gmail.list_labels(&token).await.map(|_| ()), needs_reauth);
    assert_eq!(
        t.gmail.history_since(&token, &engine::gmail::HistoryQuery::since(1)).await.map(|_| ()),
        needs_reauth
    );
}

#[tokio::test]
async fn not_found_and_conflict() {
    let t = spawn_sim(|_| {}).await;
    let token = t.full_token(ADA);
    assert_eq!(
        t.gmail.get_message(&token, "0000000000000000", MessageFormat::Full, &[]).await,
        Err(GmailError::NotFound)
    );
    assert_eq!(
        t.gmail.get_thread(&token, "nope", MessageFormat::Minimal, &[]).await,
        Err(GmailError::NotFound)
    );
    t.gmail.create_label(&token, &NewLabel::visible("Outreach/Replied")).await.unwrap();
    assert_eq!(
        t.gmail.create_label(&token, &NewLabel::visible("OUTREACH/replied")).await,
        Err(GmailError::Conflict { reason: "Label name exists or conflicts".into() })
    );
}

#[tokio::test]
async fn json_path_over_the_limit_is_payload_too_large() {
    let t = spawn_sim(|c| c.json_size_limit = 10_000).await;
    let token = t.full_token(ADA);
    let mut raw = message("a@example.com", "big", "big@o.test");
    raw.extend(std::iter::repeat_n(b'y', 20_000));
    assert_eq!(t.gmail.send(&token, &raw, None).await, Err(GmailError::PayloadTooLarge));
}

#[tokio::test]
async fn server_errors_are_transient_for_reads_and_ambiguous_for_sends() {
    let t = spawn_sim(|_| {}).await;
    let token = t.full_token(ADA);
    t.sim.set_faults(Some(ADA), Faults { server_error_rate: 1.0, ..Faults::default() }).unwrap();
    assert!(matches!(t.gmail.get_profile(&token).await, Err(GmailError::Transient { .. })));
    assert!(matches!(
        t.gmail.send(&token, &message("a@example.com", "x", "x@o.test"), None).await,
        Err(GmailError::Ambiguous { .. })
    ));
    t.sim.clear_faults(ADA).unwrap();
    assert!(t.gmail.get_profile(&token).await.is_ok());
}

#[tokio::test]
async fn bursts_of_429_are_rate_limits() {
    let t = spawn_sim(|_| {}).await;
    let token = t.full_token(ADA);
    t.sim.set_faults(None, Faults { burst_429: 2, ..Faults::default() }).unwrap();
    for _ in 0..2 {
        assert_eq!(
            t.gmail.get_profile(&token).await.map(|_| ()),
            Err(GmailError::RateLimited { retry_after: None })
        );
    }
    assert!(t.gmail.get_profile(&token).await.is_ok());
}

#[tokio::test]
async fn network_failures_depend_on_whether_the_request_left() {
    let t = spawn_sim(|_| {}).await;
    let token = t.full_token(ADA);

    // Nothing listens there: the request never left, so even a send is safe to retry.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let nowhere =
        GmailClient::new(GmailClient::http_client(Duration::from_secs(2)).unwrap(), closed);
    assert!(matches!(
        nowhere.send(&token, b"To: a@example.com\r\n\r\nx", None).await,
        Err(GmailError::Transient { .. })
    ));

    // A timeout after the request left: a send is ambiguous, a read is transient.
    t.sim.set_faults(Some(ADA), Faults { latency_ms: 800, ..Faults::default() }).unwrap();
    let impatient = GmailClient::new(
        GmailClient::http_client(Duration::from_millis(200)).unwrap(),
        t.base_url.clone(),
    );
    assert!(matches!(
        impatient.send(&token, &message("a@example.com", "x", "x@o.test"), None).await,
        Err(GmailError::Ambiguous { .. })
    ));
    assert!(matches!(impatient.get_profile(&token).await, Err(GmailError::Transient { .. })));
}
