//! The security suite: what one team, a rep, another site or a hostile lead list can and
//! cannot do — against the real application.
//!
//! - Tenant isolation: every `/api/v1` operation (read from the OpenAPI document, so a new
//!   route is covered or the test fails), every server function (from the registry, same
//!   rule) and every page, called by team B with team A's ids: 404 or nothing of A's, and A's
//!   rows unchanged.
//! - Roles: every operation the OpenAPI document marks 403 and every admin-only server
//!   function refuses a rep, and changes nothing.
//! - CSRF: every server function and form route refuses a cookie-authorized write that a
//!   browser marks as cross-site, or that carries neither `Origin` nor `Sec-Fetch-Site`.
//! - Sessions: a planted session id is worthless after sign-in; sign-in is rate limited per
//!   client address whatever `X-Forwarded-For` says.
//! - Unsubscribe links: a token cannot be moved to another lead, and only stops its own team.
//! - Hostile lead data (HTML/script, CR/LF, RTL override, zero-width and homoglyph
//!   characters, very long values): escaped on every page that shows it, never a mail header.
//! - OAuth tokens: in no table in the clear.
//!
//! Covered elsewhere, and not repeated here: the OAuth `state` (missing, forged, reused,
//! expired, bound to the admin's session) and PKCE checks in `senders.rs`
//! (`a_missing_or_forged_state_is_refused`, `neither_a_state_nor_a_code_can_be_used_twice`,
//! `a_code_bound_to_another_pkce_challenge_is_refused`, `an_expired_state_is_refused`,
//! `a_flow_started_in_the_ui_completes_only_in_that_admins_session`); the token encryption
//! binding in `senders.rs` (`tokens_cannot_be_read_from_the_database_without_the_key`); the
//! per-account sign-in limit, session cookie flags and hashed session ids in `auth.rs`; the
//! unsubscribe token's signature in `engine/src/unsubscribe.rs` and forged links in
//! `tracking.rs` (`an_invalid_unsubscribe_link_is_refused_harmlessly`).

use std::collections::{BTreeMap, BTreeSet};

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{PASSWORD, TestApp, location, new_client, spawn_app_with};
use crate::outbox::worker;
use crate::sender_helpers::ADA;
use crate::tracking_helpers::one_click;

const CAMPAIGN_NAME: &str = "Acme secret plan";
const SCRIPT_NAME: &str = "<script>alert(\"xss-first-name\")</script>";
const IMG_COMPANY: &str = "\"><img src=x onerror=alert('xss-company')>";
/// A custom field: a header injection attempt (the subject uses it).
const CRLF_NOTE: &str = "hello\r\nBcc: injected@evil.example\r\nX-Injected: yes";
const RTL_NAME: &str = "Ann\u{202E}gnp.exe\u{200B}";
/// `Pаypal` with a Cyrillic `а`.
const HOMOGLYPH_COMPANY: &str = "P\u{0430}ypal";
const VICTIM: &str = "victim.lead@example.com";
const SPOOFED: &str = "spoof.lead@example.com";
const LONG: &str = "long.lead@example.com";
const SUPPRESSED: &str = "blocked.by.acme@example.com";
const REP: &str = "rita@acme.test";

/// Team A (Acme) with a running campaign whose messages went out to hostile leads, a rep, a
/// suppression and an API token; team B (Globex) with its admin's browser and token.
struct World {
    app: TestApp,
    a_token: String,
    a_team: Uuid,
    rep_browser: reqwest::Client,
    rep_token: String,
    rep_id: Uuid,
    campaign: Uuid,
    lead: Uuid,
    sender: Uuid,
    outbox: Uuid,
    suppression: Uuid,
    token_id: Uuid,
    sandbox_seq: u64,
    sandbox_message: String,
    b_browser: reqwest::Client,
    b_token: String,
}

fn csv_quote(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

async fn world() -> World {
    let app = spawn_app_with(&[("OUTREACH_OUTBOX_WORKER", "off".into())]).await;
    app.setup_team().await;
    let a_token = app.api_token("admin@acme.test").await;
    let rep_browser = app.add_rep(REP).await;
    let rep_token = app.api_token(REP).await;
    let rep_id = engine::auth::user_by_email(&app.db.pool, REP).await.unwrap().id;
    let a_team = engine::auth::user_by_email(&app.db.pool, REP).await.unwrap().team_id;
    let sender = app.connect_mailbox(ADA).await;
    let (status, campaign) = app
        .api_json(
            Method::POST,
            "/api/v1/campaigns",
            &a_token,
            Some(json!({
                "name": CAMPAIGN_NAME,
                "sender_ids": [sender],
                "steps": [{
                    "subject": "Hi <<first_name>> <<note|>>",
                    "body": "Hello <<first_name>> at <<company>>: <<note|>>",
                    "html": "<p>Hello <<first_name>> at <<company>>: <<note|>></p>",
                    "delay_days": 0
                }, {"body": "Following up, <<first_name>>.", "delay_days": 3}],
                "schedule": {"timezone": "UTC", "days": ["mon","tue","wed","thu","fri","sat","sun"],
                             "start_hour": 0, "end_hour": 24, "min_gap_seconds": 0, "max_gap_seconds": 0}
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{campaign}");
    let campaign: Uuid = campaign["id"].as_str().unwrap().parse().unwrap();
    let long_value = "L".repeat(5000);
    let csv = format!(
        "email,first_name,company,note\n{VICTIM},{},{},{}\n{SPOOFED},{},{},spoof\n{LONG},{},Longco,{}\n",
        csv_quote(SCRIPT_NAME),
        csv_quote(IMG_COMPANY),
        csv_quote(CRLF_NOTE),
        csv_quote(RTL_NAME),
        csv_quote(HOMOGLYPH_COMPANY),
        long_value,
        long_value,
    );
    let imported = app
        .api(Method::POST, &format!("/campaigns/{campaign}/leads"), &a_token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let report: Value = imported.json().await.unwrap();
    assert_eq!(report["imported"], 3, "{report}");
    let (status, started) = app
        .api_json(Method::POST, &format!("/api/v1/campaigns/{campaign}/start"), &a_token, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let worker = worker(&app);
    // Step 1 to every lead (pacing gaps skipped); the follow-up waits its three days.
    for _ in 0..10 {
        let report = worker.pass().await.unwrap();
        sqlx::query("UPDATE sender_leases SET next_send_at = NULL")
            .execute(&app.db.pool)
            .await
            .unwrap();
        if report.sent == 0 {
            break;
        }
    }
    let lead = app.lead_id(VICTIM).await;
    let outbox: Uuid = sqlx::query_scalar(
        "SELECT id FROM outbox_messages WHERE lead_id = $1 AND status = 'sent' AND step_number = 1",
    )
    .bind(lead)
    .fetch_one(&app.db.pool)
    .await
    .expect("step 1 went to the victim lead");
    let (status, suppression) = app
        .api_json(
            Method::POST,
            "/api/v1/suppressions",
            &a_token,
            Some(json!({"email": SUPPRESSED, "note": "Acme only"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{suppression}");
    let suppression = suppression["id"].as_str().unwrap().parse().unwrap();
    let token_id = sqlx::query_scalar("SELECT id FROM api_tokens ORDER BY created_at LIMIT 1")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let overview = app
        .call::<app::pages::sandbox::LoadSandboxOverview>(&app.client, &[])
        .await
        .json::<Value>()
        .await
        .unwrap();
    let sandbox_seq = overview["deliveries"][0]["seq"].as_u64().expect("a delivery");
    let mailbox = app
        .call::<app::pages::sandbox::LoadSandboxMailbox>(&app.client, &[("address", ADA)])
        .await
        .json::<Value>()
        .await
        .unwrap();
    let sandbox_message = mailbox["messages"][0]["id"].as_str().expect("a sent message").into();
    let (b_browser, b_token) = app.other_team("Globex").await;
    World {
        app,
        a_token,
        a_team,
        rep_browser,
        rep_token,
        rep_id,
        campaign,
        lead,
        sender,
        outbox,
        suppression,
        token_id,
        sandbox_seq,
        sandbox_message,
        b_browser,
        b_token,
    }
}

impl World {
    /// What team B must never see of team A.
    fn secrets(&self) -> Vec<String> {
        vec![
            CAMPAIGN_NAME.into(),
            VICTIM.into(),
            SPOOFED.into(),
            LONG.into(),
            SUPPRESSED.into(),
            REP.into(),
            "xss-first-name".into(),
            "Acme only".into(),
        ]
    }

    /// Every row of team A in every table with a `team_id`, hashed.
    async fn team_a_rows(&self) -> BTreeMap<String, String> {
        // Quota units of A's own earlier sends are written in the background: write them now
        // (and let a background write already under way land).
        self.app.state.google.quota.flush().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        self.app.state.google.quota.flush().await.unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND column_name = 'team_id'
               AND table_name NOT IN ('api_tokens', 'web_sessions', 'login_attempts', 'sender_leases')
             ORDER BY 1",
        )
        .fetch_all(&self.app.db.pool)
        .await
        .unwrap();
        let mut rows = BTreeMap::new();
        for table in tables {
            let print: String = sqlx::query_scalar(&format!(
                "SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '')
                 FROM {table} t WHERE team_id = $1"
            ))
            .bind(self.a_team)
            .fetch_one(&self.app.db.pool)
            .await
            .unwrap();
            rows.insert(table, print);
        }
        rows
    }

    /// `/campaigns/{id}/leads/{lead_id}` with team A's ids (the parameter's name and the path
    /// before it say which id).
    fn fill_path(&self, path: &str) -> String {
        let mut filled = String::new();
        let mut rest = path;
        while let Some(start) = rest.find('{') {
            let end = rest[start..].find('}').unwrap() + start;
            let before = &rest[..start];
            filled.push_str(before);
            let name = &rest[start + 1..end];
            let id = match name {
                "lead_id" => self.lead,
                "user_id" => self.rep_id,
                "id" if filled.ends_with("/campaigns/") => self.campaign,
                "id" if filled.ends_with("/leads/") => self.lead,
                "id" if filled.ends_with("/senders/") => self.sender,
                "id" if filled.ends_with("/outbox/") => self.outbox,
                "id" if filled.ends_with("/suppressions/") => self.suppression,
                _ => panic!("{path}: which of team A's ids goes into {{{name}}}? Add it here."),
            };
            filled.push_str(&id.to_string());
            rest = &rest[end + 1..];
        }
        filled.push_str(rest);
        filled
    }
}

/// A valid body for an operation, so the answer is about the id rather than the input.
fn body_for(method: &Method, path: &str, content_type: Option<&str>) -> Option<(String, Vec<u8>)> {
    let content_type = content_type?;
    if content_type.starts_with("text/csv") {
        return Some((content_type.into(), b"email\nnew.lead@globex.test\n".to_vec()));
    }
    let body = match (method.as_str(), path) {
        ("POST", "/api/v1/campaigns") => json!({"name": "Globex campaign"}),
        ("PATCH", "/api/v1/campaigns/{id}") => json!({"name": "Hijacked"}),
        ("PATCH", "/api/v1/leads/{id}") => json!({"status": "replied"}),
        ("PATCH", "/api/v1/senders/{id}") => json!({"daily_cap": 10}),
        ("POST", "/api/v1/suppressions") => json!({"email": "someone@globex.test"}),
        _ => json!({}),
    };
    Some(("application/json".into(), body.to_string().into_bytes()))
}

/// Every operation of the OpenAPI document: (method, path template, request content type,
/// documented statuses).
async fn operations(app: &TestApp) -> Vec<(Method, String, Option<String>, BTreeSet<String>)> {
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = Method::from_bytes(method.to_uppercase().as_bytes()) else {
                continue;
            };
            if !matches!(
                method,
                Method::GET | Method::POST | Method::PUT | Method::PATCH | Method::DELETE
            ) {
                continue;
            }
            let content_type = operation["requestBody"]["content"]
                .as_object()
                .and_then(|content| content.keys().next().cloned());
            let statuses = operation["responses"]
                .as_object()
                .map(|r| r.keys().cloned().collect())
                .unwrap_or_default();
            operations.push((method, path.clone(), content_type, statuses));
        }
    }
    assert!(operations.len() >= 30, "the OpenAPI document lists {} operations", operations.len());
    operations
}

async fn rest_call(
    app: &TestApp,
    token: &str,
    method: &Method,
    template: &str,
    url: &str,
    content_type: Option<&str>,
) -> (StatusCode, String) {
    let mut request =
        reqwest::Client::new().request(method.clone(), app.url(url)).bearer_auth(token);
    if let Some((content_type, body)) = body_for(method, template, content_type) {
        request = request.header("content-type", content_type).body(body);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.text().await.unwrap_or_default())
}

fn leaks<'a>(text: &str, secrets: &'a [String]) -> Vec<&'a str> {
    secrets.iter().filter(|s| text.contains(s.as_str())).map(String::as_str).collect()
}

#[tokio::test]
async fn another_team_reaches_none_of_a_teams_data_through_any_api_route() {
    let w = world().await;
    let before = w.team_a_rows().await;
    let secrets = w.secrets();
    let mut wrong = Vec::new();
    for (method, template, content_type, _) in operations(&w.app).await {
        // A stream that never ends (read whole, it would hang the sweep); dashboard.rs tests
        // that it carries only the caller's team's events.
        if template == "/api/v1/events" {
            continue;
        }
        let url = w.fill_path(&template);
        let (status, body) =
            rest_call(&w.app, &w.b_token, &method, &template, &url, content_type.as_deref()).await;
        let mut secrets_here = secrets.clone();
        if template.starts_with("/api/v1/senders") {
            secrets_here.push(ADA.into());
        }
        let leaked = leaks(&body, &secrets_here);
        if !leaked.is_empty() {
            wrong.push(format!("{method} {template}: reveals {leaked:?}"));
        }
        if template.contains('{') {
            if status != StatusCode::NOT_FOUND {
                wrong.push(format!("{method} {template}: {status}, expected 404: {body}"));
            }
        } else if status.is_server_error() {
            wrong.push(format!("{method} {template}: {status}"));
        }
    }
    // Team A's own list answers hold A's data: the check above would have caught it.
    let (_, mine) = w.app.api_json(Method::GET, "/api/v1/campaigns", &w.a_token, None).await;
    assert!(mine.to_string().contains(CAMPAIGN_NAME));
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(w.team_a_rows().await, before, "team A's rows changed");
}

/// How a server function is called in the sweep, and what team B must get.
enum Args {
    Form(Vec<(&'static str, String)>),
    Json(Value),
    Multipart(Vec<(&'static str, String)>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Team A's id: 404 `NotFound`.
    NotFound,
    /// No id of A's: the caller's own team's answer, nothing of A's in it.
    OwnTeam,
}

struct FnCase {
    name: &'static str,
    args: Args,
    expect: Expect,
    admin_only: bool,
}

fn form(pairs: &[(&'static str, &str)]) -> Args {
    Args::Form(pairs.iter().map(|(k, v)| (*k, v.to_string())).collect())
}

/// The arguments of the lead list's server functions: campaign `id`, the table or the board.
fn lead_list_query<'a>(campaign: &'a str, board: &'a str) -> [(&'static str, &'a str); 6] {
    [
        ("id", campaign),
        ("query[board]", board),
        ("query[status]", ""),
        ("query[q]", ""),
        ("query[sort]", ""),
        ("query[page]", "1"),
    ]
}

/// Every server function, called with team A's ids where it takes one.
fn server_fn_cases(w: &World) -> Vec<FnCase> {
    use Expect::{NotFound, OwnTeam};
    let (campaign, lead, sender) =
        (w.campaign.to_string(), w.lead.to_string(), w.sender.to_string());
    let (rep, suppression, token) =
        (w.rep_id.to_string(), w.suppression.to_string(), w.token_id.to_string());
    let schedule = json!({"timezone": "UTC", "days": ["mon"], "start_hour": 9, "end_hour": 17,
                          "min_gap_seconds": 60, "max_gap_seconds": 120});
    let settings = json!({"stop_on_auto_reply": false, "bounce_pause_threshold": 0.05});
    let case = |name, args, expect, admin_only| FnCase { name, args, expect, admin_only };
    vec![
        case("get_session_info", form(&[]), OwnTeam, false),
        case(
            "first_run_setup",
            form(&[
                ("team_name", "Evil"),
                ("postal_address", "x"),
                ("name", "Eve"),
                ("email", "eve@evil.test"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ]),
            OwnTeam,
            false,
        ),
        case(
            "sign_in",
            form(&[("email", "nobody@globex.test"), ("password", "wrong password")]),
            OwnTeam,
            false,
        ),
        case("sandbox_mode", form(&[]), OwnTeam, false),
        case("load_outbox", form(&[("campaign_id", &campaign), ("page", "1")]), OwnTeam, false),
        case("load_dashboard", form(&[]), OwnTeam, false),
        case("dashboard_html", form(&[]), OwnTeam, false),
        case("load_pipeline", form(&[("id", &campaign)]), NotFound, false),
        case("load_lead_list", form(&lead_list_query(&campaign, "true")), NotFound, false),
        case("load_lead_list", form(&lead_list_query(&campaign, "false")), NotFound, false),
        case("lead_list_html", form(&lead_list_query(&campaign, "false")), NotFound, false),
        case("load_daily_stats", form(&[("id", &campaign), ("days", "30")]), NotFound, false),
        case("undo_lead_change", form(&[("lead_id", &lead)]), NotFound, false),
        case("load_suppressions", form(&[("page", "1")]), OwnTeam, false),
        case("suppression_list_html", form(&[("q", ""), ("page", "1")]), OwnTeam, false),
        case(
            "add_suppression",
            form(&[("target", "new@globex.test"), ("reason", "manual"), ("note", "")]),
            OwnTeam,
            false,
        ),
        case("remove_suppression", form(&[("id", &suppression)]), NotFound, true),
        case(
            "import_suppressions",
            Args::Multipart(vec![("file", "email\nz@globex.test\n".into())]),
            OwnTeam,
            false,
        ),
        case("load_team_overview", form(&[]), OwnTeam, true),
        case("team_users_html", form(&[]), OwnTeam, true),
        case(
            "update_team_settings",
            form(&[("team_name", "Globex"), ("postal_address", "2 Side St")]),
            OwnTeam,
            true,
        ),
        case(
            "add_team_member",
            form(&[
                ("name", "Gil"),
                ("email", "gil@globex.test"),
                ("role", "rep"),
                ("password", PASSWORD),
            ]),
            OwnTeam,
            true,
        ),
        case("remove_team_member", form(&[("user_id", &rep)]), NotFound, true),
        case(
            "reset_member_password",
            form(&[("user_id", &rep), ("password", "a new password here")]),
            NotFound,
            true,
        ),
        case("load_sandbox_overview", form(&[]), OwnTeam, false),
        case("load_sandbox_mailbox", form(&[("address", ADA)]), OwnTeam, false),
        case(
            "load_sandbox_message",
            form(&[("address", ADA), ("id", &w.sandbox_message)]),
            NotFound,
            false,
        ),
        case(
            "load_sandbox_delivery",
            form(&[("seq", &w.sandbox_seq.to_string())]),
            NotFound,
            false,
        ),
        case("list_api_tokens", form(&[]), OwnTeam, false),
        case("api_tokens_html", form(&[]), OwnTeam, false),
        case("create_api_token", form(&[("name", "globex script")]), OwnTeam, false),
        case("revoke_api_token", form(&[("id", &token)]), NotFound, false),
        case("load_lead_policy", form(&[]), OwnTeam, true),
        case("set_lead_policy", form(&[("policy", "allow")]), OwnTeam, true),
        case("load_senders", form(&[]), OwnTeam, false),
        case("senders_html", form(&[]), OwnTeam, false),
        case(
            "update_sender",
            form(&[
                ("sender_id", &sender),
                ("kind", "gmail"),
                ("daily_cap", "1"),
                ("display_name", "x"),
            ]),
            NotFound,
            true,
        ),
        case("disconnect_sender", form(&[("sender_id", &sender)]), NotFound, true),
        case(
            "set_sender_access",
            form(&[("sender_id", &sender), ("user_id", &rep), ("allowed", "true")]),
            NotFound,
            true,
        ),
        case("load_sender_alerts", form(&[]), OwnTeam, false),
        case("load_lead", form(&[("lead_id", &lead)]), NotFound, false),
        case("lead_html", form(&[("campaign_id", &campaign), ("lead_id", &lead)]), NotFound, false),
        case("change_lead", form(&[("lead_id", &lead), ("status", "replied")]), NotFound, false),
        case("list_campaigns", form(&[]), OwnTeam, false),
        case("create_campaign", form(&[("name", "Globex outreach")]), OwnTeam, false),
        case(
            "save_steps",
            Args::Json(
                json!({"id": campaign, "steps": [{"subject": "Hi", "body": "Hi", "delay_days": 0}]}),
            ),
            NotFound,
            false,
        ),
        case("preview_step", form(&[("id", &campaign), ("step", "1")]), NotFound, false),
        case("lint_campaign", form(&[("id", &campaign)]), NotFound, false),
        case(
            "load_steps_side",
            form(&[("id", &campaign), ("step", "1"), ("position", "0")]),
            NotFound,
            false,
        ),
        case(
            "steps_side_html",
            form(&[("id", &campaign), ("step", "1"), ("position", "0")]),
            NotFound,
            false,
        ),
        case(
            "check_step",
            form(&[("id", &campaign), ("subject", ""), ("body", "Hi"), ("html", "")]),
            NotFound,
            false,
        ),
        case("remove_lead", form(&[("id", &campaign), ("lead_id", &lead)]), NotFound, false),
        case("load_campaign", form(&[("id", &campaign)]), NotFound, false),
        case(
            "change_campaign_status",
            form(&[("id", &campaign), ("change", "cancel")]),
            NotFound,
            false,
        ),
        case("sender_choices", form(&[]), OwnTeam, false),
        case(
            "schedule_summary",
            Args::Json(json!({"id": campaign, "schedule": schedule, "sender_ids": [w.sender]})),
            NotFound,
            false,
        ),
        case("load_review", form(&[("id", &campaign)]), NotFound, false),
        case("review_html", form(&[("id", &campaign)]), NotFound, false),
        case("load_steps_draft", form(&[("id", &campaign)]), NotFound, false),
        case("load_schedule_form", form(&[("id", &campaign)]), NotFound, false),
        case("campaign_header_html", form(&[("id", &campaign), ("tab", "leads")]), NotFound, false),
        case(
            "save_schedule",
            Args::Json(
                json!({"id": campaign, "sender_ids": [], "schedule": schedule, "settings": settings}),
            ),
            NotFound,
            false,
        ),
        case(
            "check_leads_file",
            Args::Multipart(vec![
                ("campaign_id", campaign.clone()),
                ("file", "email\nx@globex.test\n".into()),
            ]),
            NotFound,
            false,
        ),
        case(
            "import_leads",
            Args::Multipart(vec![
                ("campaign_id", campaign.clone()),
                ("file", "email\nx@globex.test\n".into()),
            ]),
            NotFound,
            false,
        ),
        case("load_leads", form(&[("id", &campaign), ("page", "1")]), NotFound, false),
        // Last: it ends the caller's session.
        case("sign_out", form(&[]), OwnTeam, false),
    ]
}

/// `/api/load_campaign1234…` for `load_campaign`.
fn server_fn_path(name: &str) -> &'static str {
    server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .find(|path| path.trim_end_matches(|c: char| c.is_ascii_digit()) == format!("/api/{name}"))
        .unwrap_or_else(|| panic!("no server function {name}"))
}

fn server_fn_name(path: &str) -> String {
    path.trim_start_matches("/api/").trim_end_matches(|c: char| c.is_ascii_digit()).to_string()
}

async fn call_fn(app: &TestApp, client: &reqwest::Client, case: &FnCase) -> (StatusCode, String) {
    let request = client
        .post(app.url(server_fn_path(case.name)))
        .header("sec-fetch-site", "same-origin")
        .header("accept", "application/json");
    let request = match &case.args {
        Args::Form(pairs) => request.form(pairs),
        Args::Json(body) => request.json(body),
        Args::Multipart(fields) => {
            let mut form = Form::new();
            for (name, value) in fields {
                form = if *name == "file" {
                    form.part("file", Part::bytes(value.clone().into_bytes()).file_name("f.csv"))
                } else {
                    form.text(*name, value.clone())
                };
            }
            request.multipart(form)
        }
    };
    let response = request.send().await.unwrap();
    (response.status(), response.text().await.unwrap_or_default())
}

#[tokio::test]
async fn another_team_reaches_none_of_a_teams_data_through_any_server_function_or_page() {
    let w = world().await;
    let cases = server_fn_cases(&w);
    let registered: BTreeSet<String> =
        server_fn::axum::server_fn_paths().map(|(path, _)| server_fn_name(path)).collect();
    let covered: BTreeSet<String> = cases.iter().map(|c| c.name.to_string()).collect();
    assert_eq!(
        registered, covered,
        "every server function needs a case in server_fn_cases (and only registered ones)"
    );
    let before = w.team_a_rows().await;
    let secrets = w.secrets();
    let mut wrong = Vec::new();

    // Pages first (the sweep ends by signing team B out).
    let c = w.campaign;
    let pages = [
        "/".to_string(),
        "/campaigns".into(),
        format!("/campaigns/{c}"),
        format!("/campaigns/{c}?tab=steps"),
        format!("/campaigns/{c}?tab=schedule"),
        format!("/campaigns/{c}/leads/{}", w.lead),
        format!("/outbox?campaign_id={c}"),
        "/outbox".into(),
        "/senders".into(),
        "/suppressions".into(),
        "/suppressions/export.csv".into(),
        "/settings".into(),
        "/settings/team".into(),
        "/sandbox".into(),
        format!("/sandbox/deliveries/{}", w.sandbox_seq),
        format!("/sandbox/mailboxes/{ADA}"),
        format!("/sandbox/mailboxes/{ADA}/{}", w.sandbox_message),
    ];
    for page in &pages {
        let response = w.b_browser.get(w.app.url(page)).send().await.unwrap();
        let status = response.status();
        let html = response.text().await.unwrap_or_default();
        if status.is_server_error() {
            wrong.push(format!("page {page}: {status}"));
        }
        let leaked = leaks(&html, &secrets);
        if !leaked.is_empty() {
            wrong.push(format!("page {page}: reveals {leaked:?}"));
        }
    }
    let reconnect = w
        .b_browser
        .post(w.app.url("/senders/connect"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("sender_id", w.sender.to_string())])
        .send()
        .await
        .unwrap();
    if reconnect.status() != StatusCode::NOT_FOUND {
        wrong.push(format!("POST /senders/connect with A's sender: {}", reconnect.status()));
    }

    for case in &cases {
        let (status, body) = call_fn(&w.app, &w.b_browser, case).await;
        let mut secrets_here = secrets.clone();
        if matches!(
            case.name,
            "load_senders" | "senders_html" | "sender_choices" | "load_sender_alerts"
        ) {
            secrets_here.push(ADA.into());
        }
        let leaked = leaks(&body, &secrets_here);
        if !leaked.is_empty() {
            wrong.push(format!("{}: reveals {leaked:?}", case.name));
        }
        match case.expect {
            Expect::NotFound if status != StatusCode::NOT_FOUND || !body.contains("NotFound") => {
                wrong.push(format!("{}: {status}, expected 404 NotFound: {body}", case.name));
            }
            _ if status.is_server_error() => wrong.push(format!("{}: {status}: {body}", case.name)),
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(w.team_a_rows().await, before, "team A's rows changed");
}

#[tokio::test]
async fn a_rep_reaches_no_admin_operation() {
    let w = world().await;
    let before = w.team_a_rows().await;
    let mut wrong = Vec::new();
    // The REST API: an operation is for admins exactly when its document lists a 403.
    let mut admin_only = BTreeSet::new();
    for (method, template, content_type, statuses) in operations(&w.app).await {
        if !statuses.contains("403") {
            continue;
        }
        admin_only.insert(format!("{method} {template}"));
        let url = w.fill_path(&template);
        let (status, body) =
            rest_call(&w.app, &w.rep_token, &method, &template, &url, content_type.as_deref())
                .await;
        if status != StatusCode::FORBIDDEN {
            wrong.push(format!("{method} {template}: {status} for a rep: {body}"));
        }
    }
    let expected: BTreeSet<String> = [
        "POST /api/v1/senders/connect",
        "POST /api/v1/senders/{id}/reconnect",
        "PATCH /api/v1/senders/{id}",
        "POST /api/v1/senders/{id}/disconnect",
        "GET /api/v1/senders/{id}/access",
        "PUT /api/v1/senders/{id}/access/{user_id}",
        "DELETE /api/v1/senders/{id}/access/{user_id}",
        "DELETE /api/v1/suppressions/{id}",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(admin_only, expected, "the admin-only operations, as PRODUCT.md and the README say");

    // The pages' server functions.
    for case in server_fn_cases(&w).iter().filter(|c| c.admin_only) {
        let (status, body) = call_fn(&w.app, &w.rep_browser, case).await;
        if status != StatusCode::FORBIDDEN || !body.contains("Forbidden") {
            wrong.push(format!("{}: {status} for a rep: {body}", case.name));
        }
    }
    let connect = w
        .rep_browser
        .post(w.app.url("/senders/connect"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("sender_id", w.sender.to_string())])
        .send()
        .await
        .unwrap();
    if connect.status() != StatusCode::FORBIDDEN {
        wrong.push(format!("POST /senders/connect: {} for a rep", connect.status()));
    }
    for page in ["/settings/team"] {
        let status = w.rep_browser.get(w.app.url(page)).send().await.unwrap().status();
        if status != StatusCode::FORBIDDEN {
            wrong.push(format!("page {page}: {status} for a rep"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(w.team_a_rows().await, before, "a rep changed team A's rows");
}

#[tokio::test]
async fn cookie_authorized_writes_from_another_site_or_without_origin_are_refused() {
    let w = world().await;
    let before = w.team_a_rows().await;
    let users = user_count(&w.app).await;
    let host = w.app.address.trim_start_matches("http://").to_string();
    let forged_headers: [&[(&str, &str)]; 5] = [
        &[("origin", "https://evil.example")],
        &[("origin", "null")],
        &[("sec-fetch-site", "cross-site")],
        &[("sec-fetch-site", "same-site"), ("origin", "https://sub.evil.example")],
        &[],
    ];
    let mut wrong = Vec::new();
    let mut targets: Vec<String> =
        server_fn::axum::server_fn_paths().map(|(path, _)| path.to_string()).collect();
    targets.extend(["/senders/connect".to_string()]);
    for path in &targets {
        for headers in forged_headers {
            let mut request = w.app.client.post(w.app.url(path)).form(&[("name", "Mallory")]);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let status = request.send().await.unwrap().status();
            if status != StatusCode::FORBIDDEN {
                wrong.push(format!("POST {path} with {headers:?}: {status}"));
            }
        }
    }
    // Login CSRF: another site cannot sign a browser in to an account of its choosing.
    let visitor = new_client();
    let login = visitor
        .post(w.app.url(server_fn_path("sign_in")))
        .header("origin", "https://evil.example")
        .form(&[("email", REP), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::FORBIDDEN);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(w.team_a_rows().await, before);
    assert_eq!(user_count(&w.app).await, users);

    // The same requests from the app's own pages go through.
    let created = w
        .app
        .client
        .post(w.app.url(server_fn_path("create_campaign")))
        .header("origin", format!("http://{host}"))
        .form(&[("name", "From our own page")])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::OK);
    // A script with an API token and no cookie needs neither header.
    let (status, _) = w
        .app
        .api_json(Method::POST, "/api/v1/campaigns", &w.a_token, Some(json!({"name": "Scripted"})))
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

async fn user_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&app.db.pool).await.unwrap()
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("outreach_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
}

#[tokio::test]
async fn a_session_id_planted_before_sign_in_is_worthless_after_it() {
    let app = spawn_app_with(&[]).await;
    app.setup_team().await;
    app.add_rep(REP).await;
    // The attacker's own signed-in session id, planted in the victim's browser.
    let attacker =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let signed_in = attacker
        .post(app.url(server_fn_path("sign_in")))
        .header("sec-fetch-site", "same-origin")
        .form(&[("email", REP), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let planted = session_cookie(&signed_in).expect("a session cookie");
    let victim_sign_in = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url(server_fn_path("sign_in")))
        .header("sec-fetch-site", "same-origin")
        .header("cookie", format!("outreach_session={planted}"))
        .form(&[("email", "admin@acme.test"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(victim_sign_in.status().is_success());
    let issued = session_cookie(&victim_sign_in).expect("sign-in sets a new session cookie");
    assert_ne!(issued, planted, "the session id changes at sign-in");
    // The planted id does not carry the admin's sign-in (nor, any more, the rep's).
    let with_planted = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/settings/team"))
        .header("cookie", format!("outreach_session={planted}"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&with_planted), "/login?next=/settings/team");
    // An id the attacker made up is not adopted either.
    let made_up = "AAAAAAAAAAAAAAAAAAAAAA";
    let response = reqwest::Client::new()
        .post(app.url(server_fn_path("sign_in")))
        .header("sec-fetch-site", "same-origin")
        .header("cookie", format!("outreach_session={made_up}"))
        .form(&[("email", "admin@acme.test"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_ne!(session_cookie(&response).as_deref(), Some(made_up));
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_client_address_whatever_it_claims() {
    let app = spawn_app_with(&[]).await;
    app.setup_team().await;
    let visitor = new_client();
    for n in 0..engine::auth::IP_FAILURE_LIMIT {
        let body = visitor
            .post(app.url(server_fn_path("sign_in")))
            .header("sec-fetch-site", "same-origin")
            .header("x-forwarded-for", format!("203.0.113.{n}"))
            .form(&[("email", format!("guess{n}@acme.test")), ("password", "not it".into())])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(body.contains("wrong email or password"), "attempt {n}: {body}");
    }
    let locked = visitor
        .post(app.url(server_fn_path("sign_in")))
        .header("sec-fetch-site", "same-origin")
        .header("x-forwarded-for", "198.51.100.7")
        .form(&[("email", "admin@acme.test"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.text().await.unwrap().contains("Too many"));
}

#[tokio::test]
async fn an_unsubscribe_token_works_only_for_its_own_lead_and_team() {
    let w = world().await;
    let spoofed = w.app.lead_id(SPOOFED).await;
    let raw: Vec<u8> = sqlx::query_scalar("SELECT raw FROM outbox_messages WHERE id = $1")
        .bind(w.outbox)
        .fetch_one(&w.app.db.pool)
        .await
        .unwrap();
    let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
    let header = message.header_raw("List-Unsubscribe").expect("List-Unsubscribe").to_string();
    let url = header.split(['<', '>']).find(|part| part.contains("/u/")).unwrap().to_string();
    let (base, token) = url.rsplit_once('/').unwrap();
    let (_, signature) = token.split_once('.').unwrap();
    let client = reqwest::Client::new();
    let unsubscribe = |url: String| one_click(&client, &url).send();

    // The victim's signature moved to another lead of the same team.
    let moved = format!("{base}/{}.{signature}", spoofed.simple());
    assert_eq!(unsubscribe(moved).await.unwrap().status(), StatusCode::NOT_FOUND);
    // Signed for another address (a lead of team B with the same id cannot exist; an
    // address change would invalidate it): the signature covers the address too.
    let other_key = engine::crypto::SecretKey::generate();
    let foreign = engine::unsubscribe::token(&other_key, w.lead, VICTIM);
    assert_eq!(
        unsubscribe(format!("{base}/{foreign}")).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let suppressed: i64 = sqlx::query_scalar("SELECT count(*) FROM suppressions WHERE email <> $1")
        .bind(SUPPRESSED)
        .fetch_one(&w.app.db.pool)
        .await
        .unwrap();
    assert_eq!(suppressed, 0, "nothing suppressed by a refused token");

    // Team B has a lead with the victim's address: the genuine link stops team A only.
    let (status, globex) = w
        .app
        .api_json(
            Method::POST,
            "/api/v1/campaigns",
            &w.b_token,
            Some(json!({"name": "Globex", "steps": [{"subject": "Hi", "body": "Hi", "delay_days": 0}]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let globex_campaign = globex["id"].as_str().unwrap();
    let imported = w
        .app
        .api(Method::POST, &format!("/campaigns/{globex_campaign}/leads"), &w.b_token)
        .header("content-type", "text/csv")
        .body(format!("email\n{VICTIM}\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), StatusCode::OK);
    assert_eq!(unsubscribe(url.clone()).await.unwrap().status(), StatusCode::OK);
    let statuses: Vec<(String, String)> = sqlx::query_as(
        "SELECT t.name, l.status FROM leads l JOIN teams t ON t.id = l.team_id
         WHERE l.email = $1 ORDER BY t.name",
    )
    .bind(VICTIM)
    .fetch_all(&w.app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        statuses,
        vec![("Acme".to_string(), "unsubscribed".to_string()), ("Globex".into(), "pending".into())]
    );
    let b_suppressed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM suppressions s JOIN teams t ON t.id = s.team_id WHERE t.name = 'Globex'",
    )
    .fetch_one(&w.app.db.pool)
    .await
    .unwrap();
    assert_eq!(b_suppressed, 0);
}

/// Hostile markup that must never reach a page with its `<` intact (as text it is shown
/// `&lt;…`, inside the page's hydration data `\u003c…`).
const RAW_MARKUP: [&str; 3] =
    ["<script>alert(\"xss-first-name\")", "<img src=x onerror", "\"><img"];

#[tokio::test]
async fn hostile_lead_data_is_escaped_on_every_page_that_shows_it() {
    let w = world().await;
    let c = w.campaign;
    let pages = [
        "/".to_string(),
        format!("/campaigns/{c}"),
        format!("/campaigns/{c}?tab=leads&q=victim"),
        format!("/campaigns/{c}?tab=steps"),
        format!("/campaigns/{c}/leads/{}", w.lead),
        "/outbox".to_string(),
        format!("/outbox?campaign_id={c}"),
        "/sandbox".into(),
        format!("/sandbox/deliveries/{}", w.sandbox_seq),
        format!("/sandbox/mailboxes/{ADA}"),
        format!("/sandbox/mailboxes/{ADA}/{}", w.sandbox_message),
    ];
    let mut shown = BTreeSet::new();
    let mut wrong = Vec::new();
    for page in &pages {
        let response = w.app.get(page).await;
        assert_eq!(response.status(), StatusCode::OK, "{page}");
        // Private data stays in no browser cache (and the back button fetches it anew).
        assert_eq!(response.headers()["cache-control"], "no-store", "{page}");
        let html = response.text().await.unwrap();
        for raw in RAW_MARKUP {
            if let Some(at) = html.find(raw) {
                let from = html[..at].char_indices().rev().nth(120).map_or(0, |(i, _)| i);
                let context: String = html[from..].chars().take(240).collect();
                wrong.push(format!("{page}: contains {raw:?} unescaped: …{context}…"));
            }
        }
        // The dangerous text is there, harmlessly (as HTML entities or JSON escapes).
        if html.contains("xss-first-name") {
            shown.insert(page.clone());
        }
        if html.contains('\u{202E}') {
            wrong.push(format!("{page}: shows a raw right-to-left override"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for must_show in [format!("/campaigns/{c}/leads/{}", w.lead), format!("/campaigns/{c}")] {
        assert!(shown.contains(&must_show), "{must_show} shows the lead (escaped)");
    }
}

#[tokio::test]
async fn hostile_lead_data_never_becomes_a_mail_header() {
    let w = world().await;
    let raws: Vec<(String, Vec<u8>)> = sqlx::query_as(
        "SELECT l.email, o.raw FROM outbox_messages o JOIN leads l ON l.id = o.lead_id
         WHERE o.status = 'sent' ORDER BY l.email",
    )
    .fetch_all(&w.app.db.pool)
    .await
    .unwrap();
    assert_eq!(raws.len(), 3, "step 1 went to each lead");
    for (email, raw) in raws {
        let message = mail_parser::MessageParser::default().parse(&raw).expect("parses");
        let names: Vec<String> =
            message.headers().iter().map(|h| h.name().to_ascii_lowercase()).collect();
        for forbidden in ["bcc", "cc", "x-injected"] {
            assert!(!names.iter().any(|n| n == forbidden), "{email}: a {forbidden} header");
        }
        for single in ["subject", "to", "from", "message-id", "list-unsubscribe"] {
            assert_eq!(names.iter().filter(|n| *n == single).count(), 1, "{email}: {single}");
        }
        let to = message.to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap();
        assert_eq!(to, email);
        let subject = message.subject().unwrap_or_default();
        assert!(!subject.contains('\n') && !subject.contains('\r'), "{email}: {subject:?}");
        let text = String::from_utf8_lossy(&raw);
        let head = text.split("\r\n\r\n").next().unwrap();
        assert!(!head.contains("\nBcc:") && !head.contains("\nX-Injected:"), "{email}: {head}");
        if email == VICTIM {
            assert!(subject.contains("injected@evil.example"), "kept as text: {subject}");
            let html = message.body_html(0).unwrap_or_default();
            assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"), "{html}");
        }
    }
}

#[tokio::test]
async fn oauth_tokens_are_in_no_table_in_the_clear() {
    let w = world().await;
    let s = &w.app.state;
    let access =
        engine::senders::access_token(&s.pool, &s.secret_key, &s.google.oauth, w.a_team, w.sender)
            .await
            .unwrap()
            .expose_secret()
            .to_owned();
    let sealed: Vec<u8> =
        sqlx::query_scalar("SELECT refresh_token_enc FROM sender_accounts WHERE id = $1")
            .bind(w.sender)
            .fetch_one(&s.pool)
            .await
            .unwrap();
    let refresh = String::from_utf8(
        s.secret_key
            .decrypt(&sealed, format!("sender_accounts/{}/refresh_token", w.sender).as_bytes())
            .unwrap(),
    )
    .unwrap();
    assert!(access.len() > 20 && refresh.len() > 20);
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_all(&s.pool)
    .await
    .unwrap();
    assert!(tables.len() >= 15);
    for table in tables {
        // Every column as text, bytea included (hex), and the raw bytes of bytea columns.
        let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT t::text FROM {table} t"))
            .fetch_all(&s.pool)
            .await
            .unwrap();
        for row in rows {
            for token in [&access, &refresh] {
                let hex: String = token.bytes().map(|b| format!("{b:02x}")).collect();
                assert!(
                    !row.contains(token.as_str()) && !row.contains(&hex),
                    "{table} holds a token"
                );
            }
        }
    }
}
