//! Gmail's limits and the faults that make sends ambiguous.

use chrono::{DateTime, TimeDelta, Utc};
use engine::gmail::{GmailError, ListQuery, MessageFormat, classify};
use engine::sandbox::{DailyCaps, Faults};

use crate::common::{ADA, message, spawn_sim};

fn sandbox_caps(gmail: u32) -> DailyCaps {
    DailyCaps { gmail, ..DailyCaps::default() }
}

#[tokio::test]
async fn daily_cap_accepts_then_bounces_then_refuses_until_the_window_rolls() {
    let t = spawn_sim(|c| {
        c.daily_caps = sandbox_caps(2);
        c.over_cap_accepted_sends = 1;
        c.limit_bounce_delay = TimeDelta::seconds(60);
    })
    .await;
    let token = t.full_token(ADA);
    let first_send_at = t.sim.now();
    for n in 0..2 {
        t.gmail
            .send(
                &token,
                &message(&format!("lead{n}@example.com"), "Hi", &format!("m{n}@o.test")),
                None,
            )
            .await
            .unwrap();
        t.clock.advance(TimeDelta::minutes(10));
    }

    // Over the cap: accepted with 200, never delivered, bounced a little later.
    let accepted =
        t.gmail.send(&token, &message("lead2@example.com", "Hi", "m2@o.test"), None).await.unwrap();
    assert_eq!(accepted.label_ids, vec!["SENT"]);
    assert!(t.sim.deliveries(Some("lead2@example.com")).is_empty());

    // Then 429 with Google's wording and the time the rolling window frees a slot.
    let response = reqwest::Client::new()
        .post(format!("{}/gmail/v1/users/me/messages/send", t.base_url))
        .bearer_auth(secrecy::ExposeSecret::expose_secret(&token))
        .json(&serde_json::json!({ "raw": engine::gmail::base64url::encode(&message("x@example.com", "Hi", "m3@o.test")) }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let body = response.text().await.unwrap();
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    let expected_retry = first_send_at + TimeDelta::hours(24);
    assert_eq!(
        value["error"]["message"],
        format!(
            "User-rate limit exceeded.  Retry after {} (Mail sending)",
            expected_retry.format("%Y-%m-%dT%H:%M:%S%.3fZ")
        )
    );
    assert_eq!(value["error"]["errors"][0]["reason"], "rateLimitExceeded");
    assert_eq!(value["error"]["errors"][0]["domain"], "usageLimits");
    assert_eq!(
        classify(429, &body, true, t.sim.now()),
        GmailError::DailyLimit { retry_at: expected_retry }
    );
    assert_eq!(
        t.gmail.send(&token, &message("y@example.com", "Hi", "m4@o.test"), None).await,
        Err(GmailError::DailyLimit { retry_at: expected_retry })
    );

    // The bounce arrives once its delay has passed; it does not say which message failed.
    t.clock.advance(TimeDelta::seconds(61));
    let bounces = t
        .gmail
        .list_messages(&token, &ListQuery::search("in:inbox from:mailer-daemon"))
        .await
        .unwrap();
    assert_eq!(bounces.messages.len(), 1);
    let bounce = t
        .gmail
        .get_message(&token, &bounces.messages[0].id, MessageFormat::Raw, &[])
        .await
        .unwrap();
    let text = String::from_utf8(bounce.raw_bytes().unwrap().unwrap()).unwrap();
    assert!(text.contains("You have reached a limit for sending mail."));
    assert!(!text.contains("m2@o.test"));

    // 24 hours after the first send its slot is free again.
    let now: DateTime<Utc> = t.sim.now();
    t.clock.advance(expected_retry - now);
    // A day later the old access token has long expired.
    let token = t.full_token(ADA);
    t.gmail.send(&token, &message("lead5@example.com", "Hi", "m5@o.test"), None).await.unwrap();
    assert_eq!(t.sim.deliveries(Some("lead5@example.com")).len(), 1);
}

#[tokio::test]
async fn per_minute_quota_is_a_rate_limit_with_googles_message() {
    let t = spawn_sim(|c| c.quota_per_minute = 300).await;
    let token = t.full_token(ADA);
    for n in 0..3 {
        t.gmail
            .send(&token, &message("a@example.com", "x", &format!("q{n}@o.test")), None)
            .await
            .unwrap();
    }
    let error = t.gmail.send(&token, &message("a@example.com", "x", "q3@o.test"), None).await;
    assert_eq!(error, Err(GmailError::RateLimited { retry_after: None }));
    // The minute slides.
    t.clock.advance(TimeDelta::seconds(60));
    assert!(t.gmail.send(&token, &message("a@example.com", "x", "q4@o.test"), None).await.is_ok());
}

#[tokio::test]
async fn too_many_concurrent_requests_for_one_user() {
    let t = spawn_sim(|c| c.max_concurrent_requests = 2).await;
    let token = t.full_token(ADA);
    t.sim.set_faults(Some(ADA), Faults { latency_ms: 300, ..Faults::default() }).unwrap();
    let (a, b, c, d) = tokio::join!(
        t.gmail.get_profile(&token),
        t.gmail.get_profile(&token),
        t.gmail.get_profile(&token),
        t.gmail.get_profile(&token),
    );
    let results = [a, b, c, d];
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let limited = results
        .iter()
        .filter(|r| **r == Err(GmailError::RateLimited { retry_after: None }))
        .count();
    assert_eq!((ok, limited), (2, 2));
    // Slots are released when requests finish.
    assert!(t.gmail.get_profile(&token).await.is_ok());
}

#[tokio::test]
async fn fail_after_commit_delivers_once_but_the_client_sees_an_ambiguous_error() {
    let t = spawn_sim(|_| {}).await;
    let token = t.full_token(ADA);
    t.sim
        .set_faults(Some(ADA), Faults { fail_after_commit_rate: 1.0, ..Faults::default() })
        .unwrap();
    let result =
        t.gmail.send(&token, &message("lead@example.com", "Hi", "amb-1@o.test"), None).await;
    assert!(matches!(result, Err(GmailError::Ambiguous { .. })), "{result:?}");
    assert_eq!(t.sim.deliveries(Some("lead@example.com")).len(), 1);

    // The exactly-once check finds it, so the engine would not send again.
    t.sim.clear_faults(ADA).unwrap();
    let found = t
        .gmail
        .list_messages(&token, &ListQuery::search("rfc822msgid:amb-1@o.test"))
        .await
        .unwrap();
    assert_eq!(found.messages.len(), 1);
    assert_eq!(t.sim.deliveries(Some("lead@example.com")).len(), 1);
}

#[tokio::test]
async fn rewritten_message_ids_are_found_by_recipient_and_outreach_id() {
    let t = spawn_sim(|_| {}).await;
    let token = t.full_token(ADA);
    t.sim.set_faults(Some(ADA), Faults { rewrite_message_id: true, ..Faults::default() }).unwrap();
    let attempt = t.sim.now().timestamp();
    let sent = t
        .gmail
        .send(&token, &message("lead@example.com", "Hi", "ours-1@o.test"), None)
        .await
        .unwrap();

    let by_id = t
        .gmail
        .list_messages(&token, &ListQuery::search("rfc822msgid:ours-1@o.test"))
        .await
        .unwrap();
    assert!(by_id.messages.is_empty(), "Gmail replaced our Message-ID");
    let delivered = &t.sim.deliveries(Some("lead@example.com"))[0];
    let gmails_id = delivered.message_id.clone().unwrap();
    assert!(gmails_id.ends_with("@mail.gmail.com"));

    let query = format!("in:sent to:lead@example.com after:{}", attempt - 60);
    let candidates = t.gmail.list_messages(&token, &ListQuery::search(query)).await.unwrap();
    assert_eq!(candidates.messages.len(), 1);
    let metadata = t
        .gmail
        .get_message(
            &token,
            &candidates.messages[0].id,
            MessageFormat::Metadata,
            &["X-Outreach-Id", "Message-ID"],
        )
        .await
        .unwrap();
    assert_eq!(metadata.id, sent.id);
    assert_eq!(metadata.header("X-Outreach-Id"), Some("ours-1@o.test"));
    assert_eq!(metadata.header("Message-ID"), Some(format!("<{gmails_id}>").as_str()));
}
