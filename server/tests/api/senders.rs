//! Connecting Gmail accounts (OAuth web flow against the built-in simulator), their tokens,
//! limits, quota and access — from the UI, the REST API and the engine functions later code
//! calls.

use chrono::{TimeDelta, Utc};
use engine::crypto::SecretKey;
use engine::gmail::ListQuery;
use engine::senders::{SendAllowance, TokenError};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, new_client, spawn_app};
use crate::sender_helpers::{ADA, Consent, GRACE, KATHERINE, managing_calls, send_only_scopes};

async fn admin_app() -> (TestApp, String) {
    let app = spawn_app().await;
    app.setup_team().await;
    let token = app.api_token("admin@acme.test").await;
    (app, token)
}

fn find<'a>(list: &'a Value, email: &str) -> &'a Value {
    list.as_array()
        .and_then(|items| items.iter().find(|s| s["email"] == email))
        .unwrap_or_else(|| panic!("{email} not in {list}"))
}

async fn team_id(app: &TestApp, email: &str) -> Uuid {
    engine::auth::user_by_email(&app.db.pool, email).await.unwrap().team_id
}

async fn access_token(app: &TestApp, team: Uuid, sender: Uuid) -> Result<String, TokenError> {
    let s = &app.state;
    engine::senders::access_token(&s.pool, &s.secret_key, &s.google.oauth, team, sender)
        .await
        .map(|t| t.expose_secret().to_owned())
}

/// The stored refresh token, decrypted with the app's key.
async fn stored_refresh_token(app: &TestApp, sender: Uuid) -> String {
    let sealed: Vec<u8> =
        sqlx::query_scalar("SELECT refresh_token_enc FROM sender_accounts WHERE id = $1")
            .bind(sender)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let context = format!("sender_accounts/{sender}/refresh_token");
    String::from_utf8(app.state.secret_key.decrypt(&sealed, context.as_bytes()).unwrap()).unwrap()
}

#[tokio::test]
async fn an_admin_connects_two_mailboxes_in_the_ui_and_sees_their_status_and_limits() {
    let (app, token) = admin_app().await;
    let ada = app.connect_mailbox(ADA).await;
    let page = app.get(&format!("/senders?connected={ADA}")).await.text().await.unwrap();
    assert!(page.contains(ADA) && page.contains("is connected"), "{page}");
    assert!(page.contains("Active") && page.contains("450"));

    let grace = app.connect_mailbox(GRACE).await;
    assert_ne!(ada, grace);
    let (status, list) = app.api_json(Method::GET, "/api/v1/senders", &token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 2);
    let a = find(&list, ADA);
    assert_eq!(a["id"], ada.to_string());
    assert_eq!(a["kind"], "gmail");
    assert_eq!(a["daily_cap"], 450);
    assert_eq!(a["sent_last_24h"], 0);
    assert_eq!(a["status"], "active");
    assert_eq!(a["paused_until"], Value::Null);
    assert_eq!(a["quota_units_today"], 0);
    assert_eq!(a["tracking"], true);
    let g = find(&list, GRACE);
    assert_eq!(g["kind"], "workspace");
    assert_eq!(g["daily_cap"], 1800);
    let page = app.get("/senders").await.text().await.unwrap();
    assert!(page.contains(GRACE) && page.contains("1,800"));

    // The list the page draws again after a change: each card's forms are marked for the
    // page's island, and the edit form has its places for problems.
    let redrawn = app.call::<app::pages::senders::SendersHtml>(&app.client, &[]).await;
    assert_eq!(redrawn.status(), StatusCode::OK);
    let html: String = redrawn.json().await.unwrap();
    assert!(html.contains(ADA) && html.contains(GRACE) && html.contains("1,800"), "{html}");
    for marker in ["data-sender-edit", "data-sender-disconnect", r#"data-problem="daily_cap""#] {
        assert_eq!(html.matches(marker).count(), 2, "{marker} in {html}");
    }
}

#[tokio::test]
async fn the_api_hands_out_a_consent_url_that_works_in_any_browser() {
    let (app, token) = admin_app().await;
    let (status, body) = app.api_json(Method::POST, "/api/v1/senders/connect", &token, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let url = url::Url::parse(body["authorization_url"].as_str().unwrap()).unwrap();
    let params: std::collections::HashMap<String, String> =
        url.query_pairs().into_owned().collect();
    assert!(url.path().ends_with("/sandbox/google/o/oauth2/v2/auth"), "{url}");
    assert_eq!(params["access_type"], "offline");
    assert_eq!(params["prompt"], "consent");
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["redirect_uri"], app.url("/senders/oauth/callback"));
    for scope in engine::gmail::oauth::REQUESTED_SCOPES {
        assert!(params["scope"].split(' ').any(|s| s == scope), "{scope} requested");
    }
    // Only a hash of the state is stored.
    let stored: Vec<u8> = sqlx::query_scalar("SELECT state_hash FROM oauth_states")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, engine::crypto::sha256(params["state"].as_bytes()).to_vec());

    let callback = app.consent(url.as_str(), &Consent::allow(KATHERINE)).await;
    let response = app.follow_callback(&new_client(), &callback).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains(&format!("{KATHERINE} is connected")));
    let (_, list) = app.api_json(Method::GET, "/api/v1/senders", &token, None).await;
    let k = find(&list, KATHERINE);
    assert_eq!(k["kind"], "workspace_trial");
    assert_eq!(k["daily_cap"], 450);
    assert_eq!(k["status"], "active");
}

#[tokio::test]
async fn denied_consent_connects_nothing() {
    let (app, _) = admin_app().await;
    let consent = Consent { allow: false, ..Consent::allow(ADA) };
    let response = app.connect_in_ui(&app.client, &consent).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("did not grant access"));
    assert_eq!(app.sender_count().await, 0);
}

#[tokio::test]
async fn a_missing_or_forged_state_is_refused() {
    let (app, _) = admin_app().await;
    let forged = app.get("/senders/oauth/callback?code=4%2Fx&state=forged").await;
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    assert!(forged.text().await.unwrap().contains("not one Outreach handed out"));
    let missing = app.get("/senders/oauth/callback?code=4%2Fx").await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.sender_count().await, 0);
}

#[tokio::test]
async fn neither_a_state_nor_a_code_can_be_used_twice() {
    let (app, _) = admin_app().await;
    let consent_url = app.start_connect(&app.client, None).await;
    let callback = app.consent(&consent_url, &Consent::allow(ADA)).await;
    assert_eq!(app.follow_callback(&app.client, &callback).await.status(), StatusCode::SEE_OTHER);
    let tokens_before: Vec<u8> =
        sqlx::query_scalar("SELECT refresh_token_enc FROM sender_accounts")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();

    let replayed = app.follow_callback(&app.client, &callback).await;
    assert_eq!(replayed.status(), StatusCode::BAD_REQUEST);
    assert!(replayed.text().await.unwrap().contains("already used"));

    // The old code with a fresh state: Google refuses a code twice.
    let fresh = app.start_connect(&app.client, None).await;
    let fresh_state = url::Url::parse(&fresh)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let old_code = url::Url::parse(&callback)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let mut forged = url::Url::parse(&app.url("/senders/oauth/callback")).unwrap();
    forged.query_pairs_mut().append_pair("code", &old_code).append_pair("state", &fresh_state);
    let reused = app.follow_callback(&app.client, forged.as_str()).await;
    assert_eq!(reused.status(), StatusCode::BAD_REQUEST);
    assert!(reused.text().await.unwrap().contains("refused the authorization code"));
    assert_eq!(app.sender_count().await, 1);
    let tokens_after: Vec<u8> = sqlx::query_scalar("SELECT refresh_token_enc FROM sender_accounts")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(tokens_before, tokens_after, "a failed callback stores nothing");
}

#[tokio::test]
async fn a_code_bound_to_another_pkce_challenge_is_refused() {
    let (app, _) = admin_app().await;
    let consent_url = app.start_connect(&app.client, None).await;
    let mut tampered = url::Url::parse(&consent_url).unwrap();
    let pairs: Vec<(String, String)> = tampered
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "code_challenge" { "A".repeat(43) } else { v.into_owned() };
            (k.into_owned(), v)
        })
        .collect();
    tampered.query_pairs_mut().clear().extend_pairs(pairs);
    let callback = app.consent(tampered.as_str(), &Consent::allow(ADA)).await;
    let response = app.follow_callback(&app.client, &callback).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("refused the authorization code"));
    assert_eq!(app.sender_count().await, 0);
}

#[tokio::test]
async fn an_expired_state_is_refused() {
    let (app, _) = admin_app().await;
    let consent_url = app.start_connect(&app.client, None).await;
    sqlx::query("UPDATE oauth_states SET expires_at = now() - interval '1 minute'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let callback = app.consent(&consent_url, &Consent::allow(ADA)).await;
    let response = app.follow_callback(&app.client, &callback).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("expired"));
    assert_eq!(app.sender_count().await, 0);
}

#[tokio::test]
async fn a_flow_started_in_the_ui_completes_only_in_that_admins_session() {
    let (app, _) = admin_app().await;
    let consent_url = app.start_connect(&app.client, None).await;
    let callback = app.consent(&consent_url, &Consent::allow(ADA)).await;
    let elsewhere = app.follow_callback(&new_client(), &callback).await;
    assert_eq!(elsewhere.status(), StatusCode::FORBIDDEN);
    assert!(elsewhere.text().await.unwrap().contains("another browser"));
    assert_eq!(app.sender_count().await, 0);
}

#[tokio::test]
async fn a_revoked_grant_needs_reconnection_and_reconnecting_clears_it() {
    let (app, token) = admin_app().await;
    let team = team_id(&app, "admin@acme.test").await;
    let ada = app.connect_mailbox(ADA).await;
    assert!(access_token(&app, team, ada).await.is_ok());

    // The owner removes Outreach's access in their Google account; the access token expires.
    app.sandbox().revoke_tokens(ADA).unwrap();
    sqlx::query("UPDATE sender_accounts SET access_token_expires_at = now()")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let refused = access_token(&app, team, ada).await;
    assert!(matches!(refused, Err(TokenError::NeedsReauth { .. })), "{refused:?}");
    let (_, list) = app.api_json(Method::GET, "/api/v1/senders", &token, None).await;
    assert_eq!(find(&list, ADA)["status"], "needs_reauth");
    assert!(find(&list, ADA)["status_reason"].as_str().unwrap().contains("reconnect"));
    let page = app.get("/senders").await.text().await.unwrap();
    assert!(page.contains("Needs reconnection"));
    let dashboard = app.get("/").await.text().await.unwrap();
    assert!(dashboard.contains("needs reconnection"), "every page says so");
    // It stays refused without asking Google again.
    assert!(matches!(access_token(&app, team, ada).await, Err(TokenError::NeedsReauth { .. })));

    // Reconnecting with another Google account changes nothing.
    let consent_url = app.start_connect(&app.client, Some(ada)).await;
    assert!(consent_url.contains("login_hint=ada%40sandbox.outreach.test"), "{consent_url}");
    let callback = app.consent(&consent_url, &Consent::allow(GRACE)).await;
    let wrong = app.follow_callback(&app.client, &callback).await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert!(wrong.text().await.unwrap().contains("but this reconnects"));
    assert_eq!(app.sender_count().await, 1);

    let consent_url = app.start_connect(&app.client, Some(ada)).await;
    let callback = app.consent(&consent_url, &Consent::allow(ADA)).await;
    assert_eq!(app.follow_callback(&app.client, &callback).await.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.api_json(Method::GET, "/api/v1/senders", &token, None).await;
    assert_eq!(find(&list, ADA)["status"], "active");
    assert_eq!(find(&list, ADA)["status_reason"], Value::Null);
    assert_eq!(find(&list, ADA)["id"], ada.to_string(), "the same account, reconnected");
    assert!(access_token(&app, team, ada).await.is_ok());
    assert!(!app.get("/").await.text().await.unwrap().contains("needs reconnection"));
}

#[tokio::test]
async fn without_gmail_modify_the_account_sends_but_tracking_is_off() {
    let (app, token) = admin_app().await;
    let consent = Consent { scopes: send_only_scopes(), ..Consent::allow(ADA) };
    assert_eq!(app.connect_in_ui(&app.client, &consent).await.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.api_json(Method::GET, "/api/v1/senders", &token, None).await;
    let ada = find(&list, ADA);
    assert_eq!(ada["tracking"], false);
    assert!(
        !ada["granted_scopes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().ends_with("gmail.modify"))
    );
    let page = app.get("/senders").await.text().await.unwrap();
    assert!(page.contains("Reply tracking and labels are off"), "{page}");

    // Without even gmail.send there is nothing to keep.
    let consent = Consent { scopes: vec!["openid", "email"], ..Consent::allow(GRACE) };
    let refused = app.connect_in_ui(&app.client, &consent).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("did not allow sending"));
    assert_eq!(app.sender_count().await, 1);
}

#[tokio::test]
async fn tokens_cannot_be_read_from_the_database_without_the_key() {
    let (app, _) = admin_app().await;
    let team = team_id(&app, "admin@acme.test").await;
    let ada = app.connect_mailbox(ADA).await;
    let access = access_token(&app, team, ada).await.unwrap();
    let refresh = stored_refresh_token(&app, ada).await;
    assert!(access.starts_with("ya29.") && refresh.starts_with("1//"));
    let (access_enc, refresh_enc): (Vec<u8>, Vec<u8>) = sqlx::query_as(
        "SELECT access_token_enc, refresh_token_enc FROM sender_accounts WHERE id = $1",
    )
    .bind(ada)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    for (sealed, plain) in [(&access_enc, &access), (&refresh_enc, &refresh)] {
        assert!(
            !sealed.windows(plain.len()).any(|w| w == plain.as_bytes()),
            "plaintext in the row"
        );
        assert!(
            !sealed.windows(12).any(|w| w == &plain.as_bytes()[..12]),
            "token prefix in the row"
        );
    }
    let context = format!("sender_accounts/{ada}/refresh_token");
    assert!(app.state.secret_key.decrypt(&refresh_enc, context.as_bytes()).is_ok());
    assert!(SecretKey::generate().decrypt(&refresh_enc, context.as_bytes()).is_err());
    let other_row = format!("sender_accounts/{}/refresh_token", Uuid::new_v4());
    assert!(app.state.secret_key.decrypt(&refresh_enc, other_row.as_bytes()).is_err());
    let as_access = format!("sender_accounts/{ada}/access_token");
    assert!(app.state.secret_key.decrypt(&refresh_enc, as_access.as_bytes()).is_err());
    // Nothing else holds the tokens in the clear either.
    let dump: String = sqlx::query_scalar(
        "SELECT string_agg(t::text, ' ') FROM (SELECT * FROM sender_accounts) t",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(!dump.contains(&access) && !dump.contains(&refresh));
}

#[tokio::test]
async fn access_tokens_are_refreshed_before_they_expire_once_for_all_callers() {
    let (app, _) = admin_app().await;
    let team = team_id(&app, "admin@acme.test").await;
    let ada = app.connect_mailbox(ADA).await;
    let first = access_token(&app, team, ada).await.unwrap();
    assert_eq!(access_token(&app, team, ada).await.unwrap(), first, "a fresh token is reused");

    // Two minutes left: inside the refresh margin.
    sqlx::query(
        "UPDATE sender_accounts SET access_token_expires_at = now() + interval '2 minutes'",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    let callers = (0..8).map(|_| access_token(&app, team, ada));
    let tokens: Vec<String> =
        futures::future::join_all(callers).await.into_iter().map(|t| t.unwrap()).collect();
    assert!(tokens.iter().all(|t| *t == tokens[0]), "one refresh for all: {tokens:?}");
    assert_ne!(tokens[0], first);
    let expires: chrono::DateTime<Utc> =
        sqlx::query_scalar("SELECT access_token_expires_at FROM sender_accounts WHERE id = $1")
            .bind(ada)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(expires > Utc::now() + TimeDelta::minutes(50));
    let lease: Option<chrono::DateTime<Utc>> =
        sqlx::query_scalar("SELECT token_refresh_lease_until FROM sender_accounts WHERE id = $1")
            .bind(ada)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(lease, None, "the lease is released");

    // The token works against Gmail; after a 401 a different token comes back.
    let gmail = &app.state.google.gmail;
    let profile = gmail.get_profile(&secrecy::SecretString::from(tokens[0].clone())).await.unwrap();
    assert_eq!(profile.email_address, ADA);
    let s = &app.state;
    let rejected = secrecy::SecretString::from(tokens[0].clone());
    let renewed = engine::senders::access_token_after_rejection(
        &s.pool,
        &s.secret_key,
        &s.google.oauth,
        team,
        ada,
        &rejected,
    )
    .await
    .unwrap();
    assert_ne!(renewed.expose_secret(), tokens[0]);
}

#[tokio::test]
async fn quota_units_are_booked_per_account_and_shown() {
    let (app, token) = admin_app().await;
    let team = team_id(&app, "admin@acme.test").await;
    let ada = app.connect_mailbox(ADA).await;
    app.connect_mailbox(GRACE).await;
    let google = &app.state.google;
    let gmail = google.quota.client(&google.gmail, team, ada);
    let access = secrecy::SecretString::from(access_token(&app, team, ada).await.unwrap());
    gmail.get_profile(&access).await.unwrap(); // 1 unit
    gmail.list_labels(&access).await.unwrap(); // 1 unit
    gmail.list_messages(&access, &ListQuery::default()).await.unwrap(); // 5 units
    google.quota.flush().await.unwrap();
    let (_, list) = app.api_json(Method::GET, "/api/v1/senders", &token, None).await;
    assert_eq!(find(&list, ADA)["quota_units_today"], 7);
    assert_eq!(find(&list, GRACE)["quota_units_today"], 0);
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT method, units, calls FROM sender_quota_usage WHERE sender_id = $1 ORDER BY method",
    )
    .bind(ada)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            ("getProfile".to_owned(), 1, 1),
            ("labels.list".to_owned(), 1, 1),
            ("messages.list".to_owned(), 5, 1)
        ]
    );
    // Later calls add up.
    gmail.get_profile(&access).await.unwrap();
    google.quota.flush().await.unwrap();
    let (_, list) = app.api_json(Method::GET, "/api/v1/senders", &token, None).await;
    assert_eq!(find(&list, ADA)["quota_units_today"], 8);
}

#[tokio::test]
async fn the_sends_ledger_gives_the_rolling_24_hour_count_and_the_allowance() {
    let (app, token) = admin_app().await;
    let team = team_id(&app, "admin@acme.test").await;
    let ada = app.connect_mailbox(ADA).await;
    let now = Utc::now();
    let pool = &app.db.pool;
    engine::senders::record_send(pool, team, ada, now - TimeDelta::hours(25), None).await.unwrap();
    engine::senders::record_send(pool, team, ada, now - TimeDelta::hours(3), None).await.unwrap();
    engine::senders::record_send(pool, team, ada, now - TimeDelta::minutes(1), None).await.unwrap();
    let (_, list) = app.api_json(Method::GET, "/api/v1/senders", &token, None).await;
    assert_eq!(find(&list, ADA)["sent_last_24h"], 2);

    let mut conn = pool.acquire().await.unwrap();
    let allowance = engine::senders::send_allowance(&mut conn, team, ada, now).await.unwrap();
    assert_eq!(allowance, SendAllowance::Available { remaining: 448 });
    let (status, _) = app
        .api_json(
            Method::PATCH,
            &format!("/api/v1/senders/{ada}"),
            &token,
            Some(json!({"daily_cap": 2})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let allowance = engine::senders::send_allowance(&mut conn, team, ada, now).await.unwrap();
    let SendAllowance::CapReached { until } = allowance else { panic!("{allowance:?}") };
    assert!((until - (now + TimeDelta::hours(21))).num_seconds().abs() <= 1, "{until}");

    engine::senders::pause_until(&mut conn, team, ada, now + TimeDelta::hours(2), "Gmail's limit")
        .await
        .unwrap();
    let allowance = engine::senders::send_allowance(&mut conn, team, ada, now).await.unwrap();
    assert!(matches!(allowance, SendAllowance::Paused { .. }));
    let (_, list) = app.api_json(Method::GET, "/api/v1/senders", &token, None).await;
    assert_eq!(find(&list, ADA)["status"], "paused_until");
    assert!(find(&list, ADA)["paused_until"].is_string());

    let stranger = engine::senders::record_send(pool, Uuid::new_v4(), ada, now, None).await;
    assert!(matches!(stranger, Err(engine::Error::NotFound(_))), "team-scoped");
}

#[tokio::test]
async fn admins_edit_kind_and_cap_and_errors_name_the_field() {
    let (app, token) = admin_app().await;
    let ada = app.connect_mailbox(ADA).await;
    let path = format!("/api/v1/senders/{ada}");
    for (body, field) in [
        (json!({"daily_cap": 0}), "daily_cap"),
        (json!({"daily_cap": 501}), "daily_cap"),
        (json!({"daily_cap": "many"}), "daily_cap"),
        (json!({"kind": "outlook"}), "kind"),
        (json!({"kind": 3}), "kind"),
    ] {
        let (status, error) = app.api_json(Method::PATCH, &path, &token, Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error["error"]["field"], field, "{body}: {error}");
        assert_eq!(error["error"]["code"], "validation_failed");
    }
    let (_, changed) =
        app.api_json(Method::PATCH, &path, &token, Some(json!({"kind": "workspace"}))).await;
    assert_eq!(changed["daily_cap"], 1800);
    assert_eq!(changed["daily_cap_is_default"], true);
    let (_, changed) =
        app.api_json(Method::PATCH, &path, &token, Some(json!({"daily_cap": 1000}))).await;
    assert_eq!(changed["daily_cap"], 1000);
    assert_eq!(changed["kind"], "workspace");
    let (status, error) =
        app.api_json(Method::PATCH, &path, &token, Some(json!({"kind": "gmail"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["field"], "daily_cap", "1000 is too much for gmail: {error}");
    let (_, changed) = app
        .api_json(Method::PATCH, &path, &token, Some(json!({"kind": "gmail", "daily_cap": 300})))
        .await;
    assert_eq!(
        (changed["kind"].clone(), changed["daily_cap"].clone()),
        (json!("gmail"), json!(300))
    );
    let (_, changed) =
        app.api_json(Method::PATCH, &path, &token, Some(json!({"daily_cap": null}))).await;
    assert_eq!(changed["daily_cap"], 450);

    // The UI's form: an empty cap is the default; a bad one names the field.
    let saved = app
        .call::<app::pages::senders::UpdateSender>(
            &app.client,
            &[
                ("sender_id", &ada.to_string()),
                ("kind", "workspace_trial"),
                ("daily_cap", "400"),
                ("display_name", "Ada L."),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::OK, "{}", saved.text().await.unwrap());
    let (_, one) = app.api_json(Method::GET, &path, &token, None).await;
    assert_eq!(
        (one["kind"].clone(), one["daily_cap"].clone()),
        (json!("workspace_trial"), json!(400))
    );
    assert_eq!(one["display_name"], "Ada L.");
    let bad = app
        .call::<app::pages::senders::UpdateSender>(
            &app.client,
            &[
                ("sender_id", &ada.to_string()),
                ("kind", "gmail"),
                ("daily_cap", "lots"),
                ("display_name", ""),
            ],
        )
        .await;
    assert!(bad.text().await.unwrap().contains("\"field\":\"daily_cap\""));
}

#[tokio::test]
async fn disconnecting_revokes_the_grant_at_google_and_deletes_the_tokens() {
    let (app, token) = admin_app().await;
    let team = team_id(&app, "admin@acme.test").await;
    let ada = app.connect_mailbox(ADA).await;
    let refresh = secrecy::SecretString::from(stored_refresh_token(&app, ada).await);
    let (status, account) = app
        .api_json(Method::POST, &format!("/api/v1/senders/{ada}/disconnect"), &token, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{account}");
    assert_eq!(account["status"], "disconnected");
    let (access, refresh_enc): (Option<Vec<u8>>, Option<Vec<u8>>) = sqlx::query_as(
        "SELECT access_token_enc, refresh_token_enc FROM sender_accounts WHERE id = $1",
    )
    .bind(ada)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(access.is_none() && refresh_enc.is_none());
    let at_google = app.state.google.oauth.refresh(&refresh).await;
    assert!(
        matches!(at_google, Err(engine::gmail::oauth::OAuthError::NeedsReauth)),
        "{at_google:?}"
    );
    assert!(matches!(access_token(&app, team, ada).await, Err(TokenError::Disconnected)));
    let page = app.get("/senders").await.text().await.unwrap();
    assert!(page.contains("Disconnected"));

    app.connect_mailbox(ADA).await;
    let (_, list) = app.api_json(Method::GET, "/api/v1/senders", &token, None).await;
    assert_eq!(find(&list, ADA)["status"], "active");
    assert!(access_token(&app, team, ada).await.is_ok());
}

#[tokio::test]
async fn reps_see_only_the_accounts_granted_to_them_and_manage_none() {
    let (app, admin_token) = admin_app().await;
    let ada = app.connect_mailbox(ADA).await;
    let grace = app.connect_mailbox(GRACE).await;
    let rep_browser = app.add_rep("rita@acme.test").await;
    let rep = engine::auth::user_by_email(&app.db.pool, "rita@acme.test").await.unwrap();
    let rep_token = app.api_token("rita@acme.test").await;

    let (status, list) = app.api_json(Method::GET, "/api/v1/senders", &rep_token, None).await;
    assert_eq!((status, list), (StatusCode::OK, json!([])));
    let mut refused = managing_calls(ada, rep.id);
    refused.push((Method::POST, "/api/v1/senders/connect".to_owned(), None));
    for (method, path, body) in refused {
        let (status, error) = app.api_json(method.clone(), &path, &rep_token, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {error}");
    }
    let ui = rep_browser
        .post(app.url("/senders/connect"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("x", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(ui.status(), StatusCode::FORBIDDEN);
    for answer in app.manage_in_ui(&rep_browser, ada, rep.id).await {
        assert!(answer.contains("Forbidden"), "{answer}");
    }

    let (status, _) = app
        .api_json(
            Method::PUT,
            &format!("/api/v1/senders/{ada}/access/{}", rep.id),
            &admin_token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, access) = app
        .api_json(Method::GET, &format!("/api/v1/senders/{ada}/access"), &admin_token, None)
        .await;
    assert_eq!(access["user_ids"], json!([rep.id]));
    let (_, list) = app.api_json(Method::GET, "/api/v1/senders", &rep_token, None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["email"], ADA);
    let (status, _) =
        app.api_json(Method::GET, &format!("/api/v1/senders/{grace}"), &rep_token, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let rep_page = rep_browser.get(app.url("/senders")).send().await.unwrap().text().await.unwrap();
    assert!(rep_page.contains(ADA) && !rep_page.contains(GRACE));
    assert!(!rep_page.contains("Disconnect"), "reps get no admin controls");

    let team = rep.team_id;
    assert!(engine::senders::ensure_usable(&app.db.pool, team, &rep, &[ada]).await.is_ok());
    let not_granted = engine::senders::ensure_usable(&app.db.pool, team, &rep, &[ada, grace]).await;
    assert!(
        matches!(not_granted, Err(engine::Error::Invalid { field: Some(ref f), .. }) if f == "sender_ids")
    );

    let (status, _) = app
        .api_json(
            Method::DELETE,
            &format!("/api/v1/senders/{ada}/access/{}", rep.id),
            &admin_token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = app.api_json(Method::GET, "/api/v1/senders", &rep_token, None).await;
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn other_teams_cannot_see_or_touch_a_teams_senders() {
    let (app, _) = admin_app().await;
    let ada = app.connect_mailbox(ADA).await;
    let (globex_browser, globex_token) = app.other_team("Globex").await;
    let globex = engine::auth::user_by_email(&app.db.pool, "admin@globex.test").await.unwrap();

    let (status, list) = app.api_json(Method::GET, "/api/v1/senders", &globex_token, None).await;
    assert_eq!((status, list), (StatusCode::OK, json!([])));
    let mut not_found = managing_calls(ada, globex.id);
    not_found.push((Method::GET, format!("/api/v1/senders/{ada}"), None));
    for (method, path, body) in not_found {
        let (status, error) = app.api_json(method.clone(), &path, &globex_token, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {error}");
        assert_eq!(error["error"]["code"], "not_found");
    }
    let mut answers = app.manage_in_ui(&globex_browser, ada, globex.id).await;
    let mailbox = app
        .call::<app::pages::sandbox::LoadSandboxMailbox>(&globex_browser, &[("address", ADA)])
        .await;
    answers.push(mailbox.text().await.unwrap());
    for answer in answers {
        assert!(answer.contains("NotFound"), "{answer}");
    }
    let reconnect = globex_browser
        .post(app.url("/senders/connect"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("sender_id", ada.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(reconnect.status(), StatusCode::NOT_FOUND);
    let s = &app.state;
    let token =
        engine::senders::access_token(&s.pool, &s.secret_key, &s.google.oauth, globex.team_id, ada)
            .await;
    assert!(matches!(token, Err(TokenError::NotFound)));
    assert!(
        !globex_browser
            .get(app.url("/senders"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains(ADA)
    );
    let listed = app.call::<app::pages::senders::LoadSenders>(&globex_browser, &[]).await;
    let listed: Value = listed.json().await.unwrap();
    assert_eq!(listed["accounts"], json!([]));

    // Nothing changed for Acme.
    let (_, list) = app
        .api_json(Method::GET, "/api/v1/senders", &app.api_token("admin@acme.test").await, None)
        .await;
    assert_eq!(find(&list, ADA)["status"], "active");
    assert_eq!(find(&list, ADA)["daily_cap"], 450);
}

#[tokio::test]
async fn the_senders_endpoints_are_in_the_openapi_document() {
    let app = spawn_app().await;
    let doc: Value =
        reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap().json().await.unwrap();
    for (path, method) in [
        ("/api/v1/senders", "get"),
        ("/api/v1/senders/connect", "post"),
        ("/api/v1/senders/{id}", "patch"),
        ("/api/v1/senders/{id}/disconnect", "post"),
        ("/api/v1/senders/{id}/access/{user_id}", "put"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
    let fields = &doc["components"]["schemas"]["SenderAccount"]["properties"];
    for field in [
        "id",
        "email",
        "kind",
        "daily_cap",
        "sent_last_24h",
        "status",
        "paused_until",
        "quota_units_today",
        "tracking",
    ] {
        assert!(fields[field].is_object(), "SenderAccount.{field}");
    }
}
