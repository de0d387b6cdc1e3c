//! The REST API skeleton: bearer tokens, the error format, `/me`, OpenAPI, health checks.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app};

#[tokio::test]
async fn api_requires_a_valid_bearer_token() {
    let app = spawn_app().await;
    app.setup_team().await;
    let client = reqwest::Client::new();

    let missing = client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthenticated");
    assert!(body["error"]["message"].as_str().unwrap().contains("Bearer"));

    let wrong = client.get(app.url("/api/v1/me")).bearer_auth("otr_nope").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.json::<Value>().await.unwrap()["error"]["code"], "invalid_token");

    // A browser session cookie does not authorize the API.
    let cookie_only = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(cookie_only.status(), StatusCode::UNAUTHORIZED);

    let token = app.api_token("admin@acme.test").await;
    let me = client.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let body: Value = me.json().await.unwrap();
    assert_eq!(body["user"]["email"], "admin@acme.test");
    assert_eq!(body["user"]["role"], "admin");
    assert_eq!(body["team"]["name"], "Acme");
}

#[tokio::test]
async fn tokens_are_stored_hashed_and_can_be_revoked() {
    let app = spawn_app().await;
    app.setup_team().await;
    let token = app.api_token("admin@acme.test").await;
    let plain: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_tokens WHERE position($1::bytea in token_hash) > 0",
    )
    .bind(token.as_bytes())
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(plain, 0);
    let admin = engine::auth::user_by_email(&app.db.pool, "admin@acme.test").await.unwrap();
    let tokens =
        engine::auth::list_api_tokens(&app.db.pool, admin.team_id, admin.id).await.unwrap();
    assert_eq!(tokens.len(), 1);
    assert!(token.starts_with(&tokens[0].token_prefix));
    // The settings page's list, as drawn again after a change: the prefix only, and a
    // "Revoke" form marked for the page's island.
    let listed = token_list_html(&app).await;
    assert!(listed.contains(&tokens[0].token_prefix) && !listed.contains(&token), "{listed}");
    assert!(listed.contains("data-revoke-token"), "{listed}");
    engine::auth::revoke_api_token(&app.db.pool, admin.team_id, admin.id, tokens[0].id)
        .await
        .unwrap();
    let after =
        reqwest::Client::new().get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    assert!(token_list_html(&app).await.contains("No API tokens yet."));
}

async fn token_list_html(app: &TestApp) -> String {
    let response = app.call::<app::pages::settings::ApiTokensHtml>(&app.client, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn unknown_endpoints_answer_in_the_error_format() {
    let app = spawn_app().await;
    let response = reqwest::get(app.url("/api/v1/nothing-here")).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn openapi_document_lists_the_endpoints() {
    let app = spawn_app().await;
    let doc: Value =
        reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/api/v1/me"]["get"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    assert_eq!(reqwest::get(app.url("/healthz")).await.unwrap().status(), StatusCode::OK);
    let ready = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    assert!(ready.headers().contains_key("x-request-id"));
    assert_eq!(ready.headers()["x-frame-options"], "DENY");
}
