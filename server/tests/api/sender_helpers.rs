//! What a person does to connect Gmail accounts, as `TestApp` methods: the "Connect Gmail"
//! form, the (simulated) consent page, Google's redirect back, and the senders REST API.

use engine::gmail::oauth::{REQUESTED_SCOPES, SCOPE_GMAIL_MODIFY};
use engine::sandbox::Simulator;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{PASSWORD, TestApp, location, new_client};

pub const ADA: &str = "ada@sandbox.outreach.test";
pub const GRACE: &str = "grace@workspace.sandbox.outreach.test";
pub const KATHERINE: &str = "katherine@trial.sandbox.outreach.test";

/// The scopes with `gmail.modify` unticked.
pub fn send_only_scopes() -> Vec<&'static str> {
    REQUESTED_SCOPES.iter().copied().filter(|s| *s != SCOPE_GMAIL_MODIFY).collect()
}

/// What the person on the consent page does.
pub struct Consent<'a> {
    pub mailbox: &'a str,
    pub scopes: Vec<&'a str>,
    pub allow: bool,
}

impl<'a> Consent<'a> {
    pub fn allow(mailbox: &'a str) -> Self {
        Self { mailbox, scopes: REQUESTED_SCOPES.to_vec(), allow: true }
    }
}

/// The REST calls that manage one account (admins only), with a harmless body.
pub fn managing_calls(sender: Uuid, user: Uuid) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::POST, format!("/api/v1/senders/{sender}/reconnect"), None),
        (Method::PATCH, format!("/api/v1/senders/{sender}"), Some(json!({"daily_cap": 10}))),
        (Method::POST, format!("/api/v1/senders/{sender}/disconnect"), None),
        (Method::GET, format!("/api/v1/senders/{sender}/access"), None),
        (Method::PUT, format!("/api/v1/senders/{sender}/access/{user}"), None),
        (Method::DELETE, format!("/api/v1/senders/{sender}/access/{user}"), None),
    ]
}

impl TestApp {
    /// The Senders page's server functions on `sender` from `client`'s browser: edit,
    /// disconnect, grant `user`; returns their answers.
    pub async fn manage_in_ui(
        &self,
        client: &reqwest::Client,
        sender: Uuid,
        user: Uuid,
    ) -> Vec<String> {
        let (sender, user) = (sender.to_string(), user.to_string());
        let answers = [
            self.call::<app::pages::senders::UpdateSender>(
                client,
                &[
                    ("sender_id", &sender),
                    ("kind", "gmail"),
                    ("daily_cap", "1"),
                    ("display_name", "x"),
                ],
            )
            .await,
            self.call::<app::pages::senders::DisconnectSender>(client, &[("sender_id", &sender)])
                .await,
            self.call::<app::pages::senders::SetSenderAccess>(
                client,
                &[("sender_id", &sender), ("user_id", &user), ("allowed", "true")],
            )
            .await,
        ];
        let mut texts = Vec::new();
        for answer in answers {
            texts.push(answer.text().await.unwrap_or_default());
        }
        texts
    }

    pub fn sandbox(&self) -> &Simulator {
        self.state.google.sandbox.as_ref().expect("the app runs in sandbox mode")
    }

    /// Presses "Connect Gmail" (or "Reconnect" for `reconnect`) in `client`'s browser; returns
    /// the consent page URL it is sent to.
    pub async fn start_connect(&self, client: &reqwest::Client, reconnect: Option<Uuid>) -> String {
        let mut form = Vec::new();
        if let Some(id) = reconnect {
            form.push(("sender_id", id.to_string()));
        }
        let response = client
            .post(self.url("/senders/connect"))
            .header("sec-fetch-site", "same-origin")
            .form(&form)
            .send()
            .await
            .expect("POST /senders/connect");
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{}",
            response.text().await.unwrap_or_default()
        );
        location(&response)
    }

    /// The consent page: shows it, then answers it; returns where Google sends the browser
    /// back (our callback URL with code and state, or with an error).
    pub async fn consent(&self, consent_url: &str, consent: &Consent<'_>) -> String {
        let browser = new_client();
        let page = browser.get(consent_url).send().await.expect("consent page");
        assert_eq!(page.status(), StatusCode::OK);
        let mut form = vec![
            ("mailbox", consent.mailbox.to_string()),
            ("decision", if consent.allow { "allow" } else { "deny" }.to_string()),
        ];
        form.extend(consent.scopes.iter().map(|s| ("scope", s.to_string())));
        let answer = browser.post(consent_url).form(&form).send().await.expect("consent answer");
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        let callback = location(&answer);
        assert!(callback.contains("/senders/oauth/callback?"), "{callback}");
        callback
    }

    /// Google's redirect arriving in `client`'s browser.
    pub async fn follow_callback(&self, client: &reqwest::Client, callback_url: &str) -> Response {
        client.get(callback_url).send().await.expect("GET callback")
    }

    /// The whole UI flow for `client` (an admin's browser); returns the callback's response.
    pub async fn connect_in_ui(&self, client: &reqwest::Client, consent: &Consent<'_>) -> Response {
        let consent_url = self.start_connect(client, None).await;
        let callback = self.consent(&consent_url, consent).await;
        self.follow_callback(client, &callback).await
    }

    /// Connects `mailbox` with every scope from the admin's browser and checks it worked.
    pub async fn connect_mailbox(&self, mailbox: &str) -> Uuid {
        let response = self.connect_in_ui(&self.client, &Consent::allow(mailbox)).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            location(&response),
            format!("/senders?connected={}", mailbox.replace('@', "%40"))
        );
        self.sender_id(mailbox).await
    }

    pub async fn sender_id(&self, email: &str) -> Uuid {
        sqlx::query_scalar("SELECT id FROM sender_accounts WHERE email = $1")
            .bind(email)
            .fetch_one(&self.db.pool)
            .await
            .expect("the sender account exists")
    }

    pub async fn sender_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM sender_accounts")
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }

    /// A REST call with an API token; returns the status and the JSON body (Null if none).
    pub async fn api_json(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = reqwest::Client::new().request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("API call");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Another team with its own admin (`admin@<slug>.test`): a signed-in browser and a token.
    pub async fn other_team(&self, name: &str) -> (reqwest::Client, String) {
        let email = format!("admin@{}.test", name.to_lowercase());
        engine::team::create_user_in_team_named(
            &self.db.pool,
            name,
            engine::team::NewUser {
                email: email.clone(),
                name: format!("{name} Admin"),
                role: engine::model::Role::Admin,
                password: engine::auth::Password::parse(PASSWORD).unwrap(),
            },
        )
        .await
        .expect("create the other team");
        let client = new_client();
        assert!(self.sign_in(&client, &email, PASSWORD).await.status().is_success());
        let token = self.api_token(&email).await;
        (client, token)
    }
}
