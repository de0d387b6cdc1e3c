//! Google OAuth through `GoogleOAuth` against the simulator's consent and token endpoints.

use std::sync::Arc;

use engine::gmail::oauth::{
    GoogleOAuth, GoogleOAuthConfig, OAuthError, PkceCodeChallenge, PkceCodeVerifier,
    REQUESTED_SCOPES, SCOPE_GMAIL_MODIFY, SCOPE_GMAIL_SEND,
};
use engine::gmail::{GmailError, ListQuery};
use engine::sandbox::{OAuthClient, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET};
use secrecy::SecretString;

use crate::common::{ADA, TestSim, message, spawn_sim};

const CALLBACK: &str = "http://127.0.0.1:3000/senders/oauth/callback";

fn oauth(t: &TestSim, client_id: &str, secret: &str) -> GoogleOAuth {
    GoogleOAuth::new(&GoogleOAuthConfig {
        client_id: client_id.into(),
        client_secret: SecretString::from(secret),
        auth_url: format!("{}/o/oauth2/v2/auth", t.base_url),
        token_url: format!("{}/token", t.base_url),
        revoke_url: format!("{}/revoke", t.base_url),
        userinfo_url: format!("{}/oauth2/v2/userinfo", t.base_url),
        redirect_url: CALLBACK.into(),
    })
    .unwrap()
    .with_clock(Arc::new(t.clock.clone()))
}

fn sandbox_oauth(t: &TestSim) -> GoogleOAuth {
    oauth(t, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)
}

/// What a person does on the consent page: pick a mailbox, keep some scopes, press a button.
async fn consent(url: &url::Url, form: &[(&str, &str)]) -> reqwest::Response {
    let http =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = http.get(url.clone()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(ADA) && html.contains(SCOPE_GMAIL_MODIFY),
        "the page lists mailboxes and scopes"
    );
    http.post(url.clone()).form(form).send().await.unwrap()
}

/// The callback's query string.
fn callback_query(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(CALLBACK), "{location}");
    location.split_once('?').unwrap().1.to_owned()
}

fn all_scopes() -> Vec<(&'static str, &'static str)> {
    let mut form = vec![("mailbox", ADA), ("decision", "allow")];
    form.extend(REQUESTED_SCOPES.iter().map(|s| ("scope", *s)));
    form
}

async fn connect(
    t: &TestSim,
    form: &[(&str, &str)],
) -> (engine::gmail::oauth::TokenSet, PkceCodeVerifier) {
    let oauth = sandbox_oauth(t);
    let (challenge, verifier) = GoogleOAuth::new_pkce();
    let url = oauth.authorize_url("state-1", challenge, None);
    let query = callback_query(&consent(&url, form).await);
    let callback = GoogleOAuth::parse_redirect(&query).unwrap();
    assert_eq!(callback.state, "state-1");
    let tokens = oauth.exchange_code(&callback.code, verifier).await.unwrap();
    (tokens, PkceCodeVerifier::new("unused".into()))
}

#[tokio::test]
async fn the_whole_connection_flow() {
    let t = spawn_sim(|_| {}).await;
    let oauth = sandbox_oauth(&t);
    let (tokens, _) = connect(&t, &all_scopes()).await;
    assert!(tokens.refresh_token.is_some());
    assert_eq!(tokens.granted_scopes, REQUESTED_SCOPES.map(str::to_owned));
    assert!(tokens.can_send() && tokens.can_track());
    assert_eq!(tokens.expires_at, t.sim.now() + chrono::TimeDelta::seconds(3599));

    assert_eq!(oauth.userinfo(&tokens.access_token).await.unwrap(), ADA);
    t.gmail
        .send(&tokens.access_token, &message("lead@example.com", "Hi", "o1@o.test"), None)
        .await
        .unwrap();

    let refreshed = oauth.refresh(tokens.refresh_token.as_ref().unwrap()).await.unwrap();
    assert!(refreshed.refresh_token.is_none());
    assert!(t.gmail.get_profile(&refreshed.access_token).await.is_ok());

    oauth.revoke(tokens.refresh_token.as_ref().unwrap()).await.unwrap();
    assert_eq!(
        oauth.refresh(tokens.refresh_token.as_ref().unwrap()).await.unwrap_err(),
        OAuthError::NeedsReauth
    );
    assert_eq!(t.gmail.get_profile(&refreshed.access_token).await, Err(GmailError::Unauthorized));
}

#[tokio::test]
async fn denying_access_redirects_with_access_denied_and_the_state() {
    let t = spawn_sim(|_| {}).await;
    let (challenge, _) = GoogleOAuth::new_pkce();
    let url = sandbox_oauth(&t).authorize_url("state-9", challenge, Some(ADA));
    let query = callback_query(&consent(&url, &[("mailbox", ADA), ("decision", "deny")]).await);
    assert!(query.contains("state=state-9"));
    assert_eq!(
        GoogleOAuth::parse_redirect(&query),
        Err(OAuthError::AccessDenied { error: "access_denied".into() })
    );
}

#[tokio::test]
async fn a_replayed_code_fails_and_revokes_what_it_issued() {
    let t = spawn_sim(|_| {}).await;
    let oauth = sandbox_oauth(&t);
    let (challenge, verifier) = GoogleOAuth::new_pkce();
    let verifier_text = verifier.secret().clone();
    let url = oauth.authorize_url("s", challenge, None);
    let code = GoogleOAuth::parse_redirect(&callback_query(&consent(&url, &all_scopes()).await))
        .unwrap()
        .code;
    let tokens = oauth.exchange_code(&code, verifier).await.unwrap();

    let replay = oauth.exchange_code(&code, PkceCodeVerifier::new(verifier_text)).await;
    assert_eq!(replay.unwrap_err(), OAuthError::InvalidGrant { description: "Bad Request".into() });
    assert_eq!(t.gmail.get_profile(&tokens.access_token).await, Err(GmailError::Unauthorized));
    assert_eq!(
        oauth.refresh(tokens.refresh_token.as_ref().unwrap()).await.unwrap_err(),
        OAuthError::NeedsReauth
    );
}

#[tokio::test]
async fn a_wrong_pkce_verifier_is_an_invalid_grant() {
    let t = spawn_sim(|_| {}).await;
    let oauth = sandbox_oauth(&t);
    let (challenge, _right) = GoogleOAuth::new_pkce();
    let url = oauth.authorize_url("s", challenge, None);
    let code = GoogleOAuth::parse_redirect(&callback_query(&consent(&url, &all_scopes()).await))
        .unwrap()
        .code;
    let wrong = PkceCodeVerifier::new("a".repeat(64));
    assert_eq!(
        oauth.exchange_code(&code, wrong).await.unwrap_err(),
        OAuthError::InvalidGrant { description: "Bad Request".into() }
    );
}

#[tokio::test]
async fn unknown_clients_and_wrong_secrets_are_refused() {
    let t = spawn_sim(|_| {}).await;
    let stranger = oauth(&t, "stranger.apps.googleusercontent.com", "x");
    let (challenge, verifier) = GoogleOAuth::new_pkce();
    let page = reqwest::get(stranger.authorize_url("s", challenge, None)).await.unwrap();
    assert_eq!(page.status(), 401);
    assert!(page.text().await.unwrap().contains("invalid_client"));
    assert!(matches!(
        stranger.exchange_code("4/whatever", verifier).await,
        Err(OAuthError::InvalidClient { .. })
    ));

    let wrong_secret = oauth(&t, SANDBOX_CLIENT_ID, "not-the-secret");
    assert!(matches!(
        wrong_secret.refresh(&SecretString::from("1//x")).await,
        Err(OAuthError::InvalidClient { .. })
    ));
}

#[tokio::test]
async fn registered_redirect_uris_are_enforced() {
    let t = spawn_sim(|c| {
        c.oauth_clients = vec![OAuthClient {
            redirect_uris: vec!["https://outreach.example/cb".into()],
            ..OAuthClient::new(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)
        }]
    })
    .await;
    let page = reqwest::get(sandbox_oauth(&t).authorize_url(
        "s",
        PkceCodeChallenge::new_random_sha256().0,
        None,
    ))
    .await
    .unwrap();
    assert_eq!(page.status(), 400);
    assert!(page.text().await.unwrap().contains("redirect_uri_mismatch"));
}

#[tokio::test]
async fn granular_consent_without_modify_can_send_but_not_track() {
    let t = spawn_sim(|_| {}).await;
    let form = [("mailbox", ADA), ("decision", "allow"), ("scope", SCOPE_GMAIL_SEND)];
    let (tokens, _) = connect(&t, &form).await;
    assert_eq!(tokens.granted_scopes, vec!["openid", "email", SCOPE_GMAIL_SEND]);
    assert!(tokens.can_send() && !tokens.can_track());
    t.gmail
        .send(&tokens.access_token, &message("lead@example.com", "Hi", "g1@o.test"), None)
        .await
        .unwrap();
    assert!(matches!(
        t.gmail.list_messages(&tokens.access_token, &ListQuery::default()).await,
        Err(GmailError::NeedsReauth { .. })
    ));
}

#[tokio::test]
async fn a_new_mailbox_can_be_created_on_the_consent_page() {
    let t = spawn_sim(|_| {}).await;
    let form = [
        ("mailbox", "__new"),
        ("new_address", "Hedy@Sandbox.Outreach.Test"),
        ("new_kind", "workspace"),
        ("decision", "allow"),
        ("scope", SCOPE_GMAIL_MODIFY),
    ];
    let (tokens, _) = connect(&t, &form).await;
    assert_eq!(
        sandbox_oauth(&t).userinfo(&tokens.access_token).await.unwrap(),
        "hedy@sandbox.outreach.test"
    );
    let created =
        t.sim.mailboxes().into_iter().find(|m| m.address == "hedy@sandbox.outreach.test").unwrap();
    assert_eq!(created.daily_cap, 2_000);
}

#[tokio::test]
async fn revoking_a_mailbox_from_the_control_side_forces_reauth() {
    let t = spawn_sim(|_| {}).await;
    let (tokens, _) = connect(&t, &all_scopes()).await;
    assert_eq!(t.sim.revoke_tokens(ADA).unwrap(), 1);
    assert_eq!(
        sandbox_oauth(&t).refresh(tokens.refresh_token.as_ref().unwrap()).await.unwrap_err(),
        OAuthError::NeedsReauth
    );
}

#[tokio::test]
async fn the_token_endpoint_accepts_http_basic_client_auth() {
    let t = spawn_sim(|_| {}).await;
    let refresh = t.sim.grant_tokens(ADA, &[SCOPE_GMAIL_SEND]).unwrap().refresh_token.unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/token", t.base_url))
        .basic_auth(SANDBOX_CLIENT_ID, Some(SANDBOX_CLIENT_SECRET))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], SCOPE_GMAIL_SEND);
    assert!(body.get("refresh_token").is_none());
}
