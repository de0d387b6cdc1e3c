//! `spawn_app()`: the whole Outreach application on a random port against a fresh, migrated
//! database, with a cookie-keeping HTTP client and one method per thing a user does.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use app::state::AppState;
use engine::config::Config;
pub use engine::testing::TestDb;
pub use engine::testing::google_env;
use engine::testing::test_db;
use reqwest::{Method, Response, StatusCode, redirect};
use serde_json::Value;
use server::startup::Application;
use server_fn::ServerFn;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub address: String,
    /// A browser-like client: keeps cookies, does not follow redirects (tests look at them).
    pub client: reqwest::Client,
    pub db: TestDb,
    /// The running app's state: its pool, secret key, Google clients and sandbox.
    pub state: AppState,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// The app with extra configuration (e.g. Google credentials and endpoints).
pub async fn spawn_app_with(extra: &[(&str, String)]) -> TestApp {
    spawn_app_on(test_db().await, extra).await
}

/// The app on a database of the caller's (e.g. on a PostgreSQL cluster the test restarts).
pub async fn spawn_app_on(db: TestDb, extra: &[(&str, String)]) -> TestApp {
    let data_dir = new_data_dir();
    let mut vars: HashMap<&str, String> = HashMap::from([
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0".to_string()),
        ("DATABASE_URL", db.url.clone()),
        ("OUTREACH_DATA_DIR", data_dir.display().to_string()),
        ("OUTREACH_SECRET_KEY", engine::crypto::SecretKey::generate().to_hex()),
    ]);
    vars.extend(extra.iter().cloned());
    let config =
        Config::from_lookup(|name| vars.get(name).cloned()).expect("valid test configuration");
    let app = Application::build(config).await.expect("build the application");
    let address = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    TestApp { address, client: new_client(), db, state }
}

/// A data directory for one app, inside the target directory (cargo's temporary directory for
/// integration tests), named by its creation time. It cannot go when its test ends — the app's
/// sandbox saves itself once more as the test's runtime shuts down — so those older than two
/// hours, which belong to finished runs, are removed here.
fn new_data_dir() -> PathBuf {
    let parent = Path::new(env!("CARGO_TARGET_TMPDIR")).join("app-data");
    let now = chrono::Utc::now().timestamp();
    for entry in std::fs::read_dir(&parent).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let created = name.to_str().and_then(|n| n.split('-').next()?.parse::<i64>().ok());
        if created.is_some_and(|t| t < now - 2 * 3600) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    parent.join(format!("{now}-{}", uuid::Uuid::new_v4()))
}

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .build()
        .expect("HTTP client")
}

impl TestApp {
    /// The id of the lead with this address (tests use each address in one campaign).
    pub async fn lead_id(&self, email: &str) -> uuid::Uuid {
        sqlx::query_scalar("SELECT id FROM leads WHERE email = $1")
            .bind(email)
            .fetch_one(&self.db.pool)
            .await
            .expect("the lead exists")
    }

    /// Imports `csv` into the campaign over the REST API (`text/csv`): the status and the report.
    pub async fn import(
        &self,
        token: &str,
        campaign: &str,
        csv: impl Into<reqwest::Body>,
    ) -> (StatusCode, Value) {
        let response = reqwest::Client::new()
            .post(self.url(&format!("/api/v1/campaigns/{campaign}/leads")))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await
            .expect("import");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Imports `csv` into the campaign over the REST API and starts it, as a script would.
    pub async fn import_and_start(&self, token: &str, campaign: &str, csv: String) {
        let (status, report) = self.import(token, campaign, csv).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        let (status, started) = self
            .api_json(Method::POST, &format!("/api/v1/campaigns/{campaign}/start"), token, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{started}");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// Calls a server function the way the hydrated page does (form-encoded POST).
    pub async fn call<F: ServerFn>(
        &self,
        client: &reqwest::Client,
        form: &[(&str, &str)],
    ) -> Response {
        client
            .post(self.url(F::PATH))
            .header("sec-fetch-site", "same-origin")
            .form(form)
            .send()
            .await
            .expect("server function call")
    }

    /// First-run setup with an admin `admin@acme.test`.
    pub async fn setup_team(&self) -> Response {
        self.call::<app::auth::FirstRunSetup>(
            &self.client,
            &[
                ("team_name", "Acme"),
                ("postal_address", "1 Main St, Springfield"),
                ("name", "Ada Admin"),
                ("email", "admin@acme.test"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await
    }

    pub async fn sign_in(&self, client: &reqwest::Client, email: &str, password: &str) -> Response {
        self.call::<app::auth::SignIn>(client, &[("email", email), ("password", password)]).await
    }

    /// Adds a rep (as the signed-in admin of `self.client`) and returns a client signed in as them.
    pub async fn add_rep(&self, email: &str) -> reqwest::Client {
        let added = self
            .call::<app::pages::team::AddTeamMember>(
                &self.client,
                &[("name", "Rita Rep"), ("email", email), ("role", "rep"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(added.status(), StatusCode::OK, "{}", added.text().await.unwrap_or_default());
        let rep = new_client();
        assert!(self.sign_in(&rep, email, PASSWORD).await.status().is_success());
        rep
    }

    /// An API token for an existing user, straight from the engine (as `outreach token create`).
    pub async fn api_token(&self, email: &str) -> String {
        let user = engine::auth::user_by_email(&self.db.pool, email).await.expect("user exists");
        engine::auth::create_api_token(&self.db.pool, user.team_id, user.id, "test")
            .await
            .expect("token")
            .1
    }
}

/// The `Location` header of a redirect.
pub fn location(response: &Response) -> String {
    response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

impl TestApp {
    /// A second team with its own admin, for isolation tests; returns that admin's API token.
    pub async fn other_team_token(&self) -> String {
        let password = engine::auth::Password::parse(PASSWORD).expect("valid password");
        engine::team::create_user_in_team_named(
            &self.db.pool,
            "Other Team",
            engine::team::NewUser {
                email: "boss@other.test".into(),
                name: "Other Boss".into(),
                role: engine::model::Role::Admin,
                password,
            },
        )
        .await
        .expect("second team");
        self.api_token("boss@other.test").await
    }

    /// A rep in the first team (after `setup_team`) and their API token.
    pub async fn rep_token(&self, email: &str) -> String {
        self.add_rep(email).await;
        self.api_token(email).await
    }

    pub fn api(&self, method: reqwest::Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .request(method, self.url(&format!("/api/v1{path}")))
            .bearer_auth(token)
    }
}
