//! The bad-input corpus: every case of `server/tests/corpus/corpus.toml` sent to the real
//! application. Each must be answered with the expected 4xx (never a 500) whose error names
//! the problem — the line, the field, the placeholder — and must leave the database exactly
//! as it was: no partial import, no half-saved campaign, no stray suppression.
//!
//! Big inputs (a 51 MB file, a million columns, a 3 MB line) are made here rather than
//! committed; the manifest names them with `generate`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::sender_helpers::ADA;

#[derive(Debug, Deserialize)]
struct Manifest {
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    endpoint: String,
    file: Option<String>,
    generate: Option<String>,
    text: Option<String>,
    content_type: Option<String>,
    multipart: Option<String>,
    before: Option<String>,
    status: u16,
    code: Option<String>,
    field: Option<String>,
    #[serde(default)]
    contains: Vec<String>,
    #[serde(default)]
    details_contain: Vec<String>,
    invalid_line: Option<u64>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn manifest() -> Manifest {
    let text = std::fs::read_to_string(corpus_dir().join("corpus.toml")).expect("corpus.toml");
    toml::from_str(&text).expect("corpus.toml is valid")
}

/// The big inputs, made on the fly.
fn generate(name: &str) -> Vec<u8> {
    const MB: usize = 1024 * 1024;
    match name {
        // Valid UTF-8 for well past the 64 KiB the encoding is decided from, then Latin-1.
        "utf8_then_invalid" => {
            let mut file = b"email,note\n".to_vec();
            let mut n = 0;
            while file.len() < 80 * 1024 {
                file.extend_from_slice(format!("lead{n}@example.com,ok\n").as_bytes());
                n += 1;
            }
            file.extend_from_slice(b"late@example.com,caf\xe9\n");
            file
        }
        // One 3 MB line without a line break: a single enormous header cell.
        "huge_line" => vec![b'x'; 3 * MB],
        // A header of 10^6 columns (the first one the email) and one row.
        "million_columns" => {
            let mut file = b"email".to_vec();
            for i in 1..1_000_000 {
                file.extend_from_slice(format!(",c{i}").as_bytes());
            }
            file.extend_from_slice(b"\nann@example.com\n");
            file
        }
        "over_50_mb" => repeated_rows(b"email\n", b"someone@example.com\n", 51 * MB),
        "over_10_mb" => repeated_rows(b"email\n", b"someone@example.com\n", 11 * MB),
        "json_over_2_mb" => {
            let name = "n".repeat(3 * MB);
            json!({ "name": name }).to_string().into_bytes()
        }
        other => panic!("no generator named {other}"),
    }
}

fn repeated_rows(header: &[u8], row: &[u8], size: usize) -> Vec<u8> {
    let mut file = Vec::with_capacity(size + row.len());
    file.extend_from_slice(header);
    while file.len() <= size {
        file.extend_from_slice(row);
    }
    file
}

/// What the corpus is sent against: team Acme with a connected sandbox sender and a draft
/// campaign holding one lead.
struct Target {
    app: TestApp,
    token: String,
    campaign: String,
    lead: String,
    sender: String,
}

async fn target() -> Target {
    let app = spawn_app().await;
    app.setup_team().await;
    let sender = app.connect_mailbox(ADA).await.to_string();
    let token = app.api_token("admin@acme.test").await;
    let (status, campaign) = app
        .api_json(
            Method::POST,
            "/api/v1/campaigns",
            &token,
            Some(json!({"name": "Corpus target", "steps": [
                {"subject": "Hi <<first_name|there>>", "body": "Hello", "delay_days": 0}
            ]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{campaign}");
    let campaign = campaign["id"].as_str().unwrap().to_string();
    let imported = app
        .api(Method::POST, &format!("/campaigns/{campaign}/leads"), &token)
        .header("content-type", "text/csv")
        .body("email,first_name\nlead@example.com,Lee\n")
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), StatusCode::OK);
    let lead: String =
        sqlx::query_scalar("SELECT id::text FROM leads WHERE email = 'lead@example.com'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    Target { app, token, campaign, lead, sender }
}

/// Every row of every table a request could write to, hashed: equal before and after means
/// nothing was written. (`api_tokens` is left out: using a token records when it was last
/// used.)
async fn fingerprint(app: &TestApp) -> Vec<(String, String)> {
    let tables = [
        "teams",
        "users",
        "sender_accounts",
        "sender_access",
        "suppressions",
        "campaigns",
        "campaign_steps",
        "campaign_senders",
        "leads",
        "outbox_messages",
        "lead_events",
        "oauth_states",
    ];
    let mut prints = Vec::new();
    for table in tables {
        let print: String = sqlx::query_scalar(&format!(
            "SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '')
             FROM {table} t"
        ))
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        prints.push((table.to_string(), print));
    }
    prints
}

/// `/api/save_steps1234…` for `save_steps`: server function paths end in a hash.
fn server_fn_path(name: &str) -> &'static str {
    server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .find(|path| path.trim_end_matches(|c: char| c.is_ascii_digit()) == format!("/api/{name}"))
        .unwrap_or_else(|| panic!("no server function {name}"))
}

impl Target {
    fn fill(&self, text: &str, created: Option<&str>) -> String {
        text.replace("{campaign}", &self.campaign)
            .replace("{lead}", &self.lead)
            .replace("{sender}", &self.sender)
            .replace("{created}", created.unwrap_or("{created}"))
    }

    async fn before(&self, case: &Case) -> Option<String> {
        let spec = case.before.as_deref()?;
        let file = spec.strip_prefix("create_campaign:").expect("before = create_campaign:<file>");
        let body: Value =
            serde_json::from_slice(&std::fs::read(corpus_dir().join(file)).unwrap()).unwrap();
        let (status, created) =
            self.app.api_json(Method::POST, "/api/v1/campaigns", &self.token, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{}: {created}", case.name);
        let id = created["id"].as_str().unwrap().to_string();
        let imported = self
            .app
            .api(Method::POST, &format!("/campaigns/{id}/leads"), &self.token)
            .header("content-type", "text/csv")
            .body("email,company\nkim@example.com,Kimco\n")
            .send()
            .await
            .unwrap();
        assert_eq!(imported.status(), StatusCode::OK);
        Some(id)
    }

    async fn send(&self, case: &Case, created: Option<&str>) -> (StatusCode, String) {
        let body = match (&case.file, &case.generate, &case.text) {
            (Some(file), None, None) => std::fs::read(corpus_dir().join(file))
                .unwrap_or_else(|e| panic!("{}: {file}: {e}", case.name)),
            (None, Some(name), None) => generate(name),
            (None, None, Some(text)) => self.fill(text, created).into_bytes(),
            (None, None, None) => Vec::new(),
            _ => panic!("{}: give one of file, generate, text", case.name),
        };
        let (method, path) = case.endpoint.split_once(' ').expect("METHOD /path");
        let request = if method == "SERVERFN" {
            self.app
                .client
                .post(self.app.url(server_fn_path(path)))
                .header("sec-fetch-site", "same-origin")
                .header("accept", "application/json")
        } else {
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            reqwest::Client::new()
                .request(method, self.app.url(&self.fill(path, created)))
                .bearer_auth(&self.token)
        };
        let request = match case.multipart.as_deref() {
            Some("file") => {
                let file = Part::bytes(body).file_name("upload.csv");
                request.multipart(Form::new().part("file", file))
            }
            Some("no_file") => request.multipart(Form::new().text("note", "no file here")),
            Some(other) => panic!("{}: multipart = {other}?", case.name),
            None => {
                let request = match &case.content_type {
                    Some(content_type) => request.header("content-type", content_type),
                    None => request,
                };
                request.body(body)
            }
        };
        let response = request.send().await.unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let status = response.status();
        (status, response.text().await.unwrap_or_default())
    }
}

/// The error's (code, field, message, details) from a REST error body or a server function's
/// `AppError`.
fn error_parts(body: &Value) -> (Option<String>, Option<String>, String, String) {
    let text = |v: &Value| v.as_str().map(str::to_string);
    if let Some(error) = body.get("error") {
        return (
            text(&error["code"]),
            text(&error["field"]),
            text(&error["message"]).unwrap_or_default(),
            error.get("details").map(Value::to_string).unwrap_or_default(),
        );
    }
    if let Some((variant, inner)) = body.as_object().and_then(|o| o.iter().next()) {
        return match inner {
            Value::String(message) => (Some(variant.clone()), None, message.clone(), String::new()),
            other => (
                Some(variant.clone()),
                text(&other["field"]),
                text(&other["message"]).unwrap_or_default(),
                String::new(),
            ),
        };
    }
    (None, None, String::new(), String::new())
}

/// Checks one case; returns what was wrong, if anything.
async fn check(target: &Target, case: &Case) -> Vec<String> {
    let created = target.before(case).await;
    let before = fingerprint(&target.app).await;
    let (status, text) = target.send(case, created.as_deref()).await;
    let after = fingerprint(&target.app).await;
    let mut wrong = Vec::new();
    let shown: String = text.chars().take(400).collect();
    if status.as_u16() != case.status {
        wrong.push(format!("status {status}, expected {}: {shown}", case.status));
    }
    if status.is_server_error() {
        wrong.push("a 5xx answer".into());
    }
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if body.is_null() {
        wrong.push(format!("the answer is not JSON: {shown}"));
    }
    if let Some(line) = case.invalid_line {
        let invalid = body["invalid"].as_array().cloned().unwrap_or_default();
        let listed = invalid.iter().find(|entry| entry["line"] == line);
        match listed {
            None => wrong.push(format!("line {line} is not listed as invalid: {shown}")),
            Some(entry) => {
                let reason = entry["reason"].as_str().unwrap_or_default().to_lowercase();
                for fragment in &case.contains {
                    if !reason.contains(&fragment.to_lowercase()) {
                        wrong.push(format!("the reason lacks {fragment:?}: {reason}"));
                    }
                }
            }
        }
        if body["imported"] != 0 {
            wrong.push(format!("imported {} leads from a bad line", body["imported"]));
        }
    } else {
        let (code, field, message, details) = error_parts(&body);
        if message.is_empty() {
            wrong.push(format!("no error message: {shown}"));
        }
        if let Some(expected) = &case.code
            && code.as_deref() != Some(expected)
        {
            wrong.push(format!("code {code:?}, expected {expected:?}"));
        }
        if let Some(expected) = &case.field
            && field.as_deref() != Some(expected)
        {
            wrong.push(format!("field {field:?}, expected {expected:?} ({message})"));
        }
        let lower = message.to_lowercase();
        for fragment in &case.contains {
            if !lower.contains(&fragment.to_lowercase()) {
                wrong.push(format!("the message lacks {fragment:?}: {message}"));
            }
        }
        for fragment in &case.details_contain {
            if !details.contains(fragment.as_str()) {
                wrong.push(format!("the details lack {fragment:?}: {details}"));
            }
        }
        if message.chars().count() > 2_000 {
            wrong.push(format!("a message of {} characters", message.chars().count()));
        }
    }
    for ((table, was), (_, is)) in before.iter().zip(&after) {
        if was != is {
            wrong.push(format!("table {table} changed"));
        }
    }
    wrong
}

#[test]
fn the_corpus_is_well_formed() {
    let manifest = manifest();
    let mut names = BTreeSet::new();
    for case in &manifest.case {
        assert!(names.insert(&case.name), "{} twice", case.name);
        if let Some(file) = &case.file {
            let path = corpus_dir().join(file);
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(u64::MAX);
            assert!(size <= 64 * 1024, "{file}: committed corpus files stay small");
        }
        assert!(
            (400..500).contains(&case.status)
                || (case.status == 200 && case.invalid_line.is_some()),
            "{}: a 4xx, or 200 with the invalid line",
            case.name
        );
    }
    let rejected = manifest.case.iter().filter(|c| c.status >= 400).count();
    assert!(rejected >= 40, "at least 40 inputs refused with a 4xx (now {rejected})");
}

#[tokio::test]
async fn every_malformed_input_gets_a_clear_4xx_and_changes_nothing() {
    let target = target().await;
    let mut failures = Vec::new();
    for case in manifest().case {
        let wrong = check(&target, &case).await;
        if !wrong.is_empty() {
            failures.push(format!("{}:\n    {}", case.name, wrong.join("\n    ")));
        }
    }
    assert!(failures.is_empty(), "{} cases failed:\n{}", failures.len(), failures.join("\n"));
}
