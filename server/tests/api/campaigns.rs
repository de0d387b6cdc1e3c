//! Campaigns over the REST API: create and change with validation, messy CSV imports with a
//! precise report (all-or-nothing), the leads list, preview, lint and the start rules.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::sender_helpers::ADA;

async fn team_with_sender() -> (TestApp, String, String) {
    let app = spawn_app().await;
    app.setup_team().await;
    let token = app.api_token("admin@acme.test").await;
    let sender = app.connect_mailbox(ADA).await;
    (app, token, sender.to_string())
}

fn two_steps() -> Value {
    json!([
        {"subject": "{Hi|Hello} <<first_name|there>>", "body": "Hi <<first_name|there>>, a note for <<company>> about <<job_title|your role>>.", "delay_days": 0},
        {"subject": "", "body": "Following up, <<first_name|there>>.", "html": "<p>Following up, <<first_name|there>>.</p>", "delay_days": 3}
    ])
}

async fn create(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.api_json(Method::POST, "/api/v1/campaigns", token, Some(body)).await
}

async fn lead_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM leads").fetch_one(&app.db.pool).await.unwrap()
}

#[tokio::test]
async fn a_campaign_is_created_changed_and_kept_to_its_team() {
    let (app, token, sender) = team_with_sender().await;
    let (status, campaign) = create(&app, &token, json!({
        "name": "  Q4 founders  ",
        "sender_ids": [sender],
        "steps": two_steps(),
        "schedule": {"timezone": "Europe/Berlin", "days": ["mon", "wed", "Friday"], "start_hour": 8,
                     "end_hour": 18, "min_gap_seconds": 90, "max_gap_seconds": 240},
        "settings": {"stop_on_auto_reply": true, "bounce_pause_threshold": 0.03}
    })).await;
    assert_eq!(status, StatusCode::CREATED, "{campaign}");
    assert_eq!(campaign["name"], "Q4 founders");
    assert_eq!(campaign["status"], "draft");
    assert_eq!(campaign["sender_ids"], json!([sender]));
    assert_eq!(campaign["steps"][1]["delay_days"], 3);
    assert_eq!(campaign["schedule"]["days"], json!(["mon", "wed", "fri"]));
    assert_eq!(campaign["settings"]["bounce_pause_threshold"], 0.03);
    let id = campaign["id"].as_str().unwrap().to_owned();

    let (status, changed) = app
        .api_json(Method::PATCH, &format!("/api/v1/campaigns/{id}"), &token,
            Some(json!({"name": "Q4 founders (EU)", "schedule": {"timezone": "UTC", "days": ["tue"], "start_hour": 9, "end_hour": 17, "min_gap_seconds": 60, "max_gap_seconds": 60}})))
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["name"], "Q4 founders (EU)");
    assert_eq!(changed["schedule"]["days"], json!(["tue"]));
    assert_eq!(changed["steps"], campaign["steps"], "steps not in the patch are kept");

    let (_, list) = app.api_json(Method::GET, "/api/v1/campaigns", &token, None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["steps"], 2);

    let (_, other) = app.other_team("Globex").await;
    for (method, path) in [
        (Method::GET, format!("/api/v1/campaigns/{id}")),
        (Method::PATCH, format!("/api/v1/campaigns/{id}")),
        (Method::GET, format!("/api/v1/campaigns/{id}/leads")),
        (Method::GET, format!("/api/v1/campaigns/{id}/lint")),
        (Method::GET, format!("/api/v1/campaigns/{id}/preview")),
        (Method::POST, format!("/api/v1/campaigns/{id}/start")),
        (Method::POST, format!("/api/v1/campaigns/{id}/cancel")),
    ] {
        let body = (method == Method::PATCH).then(|| json!({"name": "stolen"}));
        let (status, error) = app.api_json(method.clone(), &path, &other, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {error}");
    }
    let (status, _) = app.import(&other, &id, "email\nx@y.com\n").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, error) = create(&app, &other, json!({"name": "x", "sender_ids": [sender]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "another team's sender account is unknown");
    assert_eq!(error["error"]["field"], "sender_ids");
}

#[tokio::test]
async fn invalid_campaigns_are_refused_naming_the_field() {
    let (app, token, _) = team_with_sender().await;
    let cases = [
        (json!({"name": ""}), "name"),
        (
            json!({"name": "x", "steps": [{"subject": "Hi", "body": "Hi <<first_name"}]}),
            "steps[0].body",
        ),
        (json!({"name": "x", "steps": [{"subject": "", "body": "Hi"}]}), "steps[0].subject"),
        (
            json!({"name": "x", "steps": [{"subject": "Hi", "body": "Hi"}, {"body": "x", "delay_days": -1}]}),
            "steps[1].delay_days",
        ),
        (
            json!({"name": "x", "schedule": {"timezone": "Mars/Base", "days": ["mon"], "start_hour": 9, "end_hour": 17, "min_gap_seconds": 1, "max_gap_seconds": 2}}),
            "schedule.timezone",
        ),
        (
            json!({"name": "x", "schedule": {"timezone": "UTC", "days": ["mon"], "start_hour": 17, "end_hour": 9, "min_gap_seconds": 1, "max_gap_seconds": 2}}),
            "schedule.end_hour",
        ),
        (
            json!({"name": "x", "sender_ids": ["00000000-0000-0000-0000-000000000001"]}),
            "sender_ids",
        ),
    ];
    for (body, field) in cases {
        let (status, error) = create(&app, &token, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {error}");
        assert_eq!(error["error"]["field"], field, "{body}: {error}");
    }
    let (status, error) = create(&app, &token, json!({"name": "x", "colour": "red"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error["error"]["message"].as_str().unwrap().contains("colour"), "{error}");
    let (list_status, list) = app.api_json(Method::GET, "/api/v1/campaigns", &token, None).await;
    assert_eq!((list_status, list), (StatusCode::OK, json!([])), "nothing was half-created");
}

#[tokio::test]
async fn a_messy_csv_is_imported_with_a_precise_report() {
    let (app, token, sender) = team_with_sender().await;
    let (_, campaign) = create(
        &app,
        &token,
        json!({"name": "Messy", "sender_ids": [sender], "steps": two_steps()}),
    )
    .await;
    let id = campaign["id"].as_str().unwrap();
    app.api_json(
        Method::POST,
        "/api/v1/suppressions",
        &token,
        Some(json!({"email": "gone@acme.com"})),
    )
    .await;
    app.api_json(
        Method::POST,
        "/api/v1/suppressions",
        &token,
        Some(json!({"domain": "competitor.io"})),
    )
    .await;

    // BOM, semicolons, CRLF, header spelling variants, a quoted value with a line break and
    // quotes, a blank line, a duplicate in another case, a bad address, a missing address,
    // trailing empty columns and suppressed addresses.
    let csv = "\u{feff}E-Mail;First Name;Company;Job Title;;\r\n\
               jane@acme.com;Jane;Acme;CTO;;\r\n\
               \"bob@beta.io\";Bob;\"Beta \"\"Labs\"\"\";\"Head of\r\nSales\";;\r\n\
               \r\n\
               JANE@ACME.COM;Janet;Acme;;;\r\n\
               not-an-address;X;;;;\r\n\
               ;Nobody;;;;\r\n\
               gone@acme.com;Gone;;;;\r\n\
               ceo@competitor.io;Rival;;;;\r\n\
               zoe@zeta.de;Zoë;Zeta GmbH;;;\r\n";
    let (status, report) = app.import(&token, id, csv).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["imported"], 3, "{report}");
    assert_eq!(report["duplicates_in_file"], 1);
    assert_eq!(report["suppressed"], 2);
    assert_eq!(report["already_in_campaign"], 0);
    assert_eq!(report["delimiter"], ";");
    assert_eq!(report["fields"], json!(["job_title"]));
    let invalid = report["invalid"].as_array().unwrap();
    assert_eq!(invalid.len(), 2, "{report}");
    assert_eq!(invalid[0]["line"], 7);
    assert!(invalid[0]["reason"].as_str().unwrap().contains("not-an-address"), "{report}");
    assert_eq!(invalid[1]["line"], 8);
    assert_eq!(invalid[1]["reason"], "no email address");

    let (_, leads) =
        app.api_json(Method::GET, &format!("/api/v1/campaigns/{id}/leads"), &token, None).await;
    assert_eq!(leads["total"], 3);
    let bob = &leads["items"][1];
    assert_eq!(bob["email"], "bob@beta.io");
    assert_eq!(bob["company"], "Beta \"Labs\"");
    assert_eq!(bob["fields"]["job_title"], "Head of\nSales");
    assert_eq!(bob["status"], "pending");
    assert_eq!(leads["items"][2]["first_name"], "Zoë");

    // The same file again: everything is already there.
    let (_, again) = app.import(&token, id, csv).await;
    assert_eq!(again["imported"], 0);
    assert_eq!(again["already_in_campaign"], 3);
    let (_, campaign) =
        app.api_json(Method::GET, &format!("/api/v1/campaigns/{id}"), &token, None).await;
    assert_eq!(campaign["stats"]["leads"], 3);
    assert_eq!(campaign["lead_fields"], json!(["job_title"]));
}

#[tokio::test]
async fn windows_1252_tabs_and_multipart_uploads_are_read() {
    let (app, token, sender) = team_with_sender().await;
    let (_, campaign) =
        create(&app, &token, json!({"name": "Latin", "sender_ids": [sender]})).await;
    let id = campaign["id"].as_str().unwrap();
    // "Müller" and "Café" in Windows-1252, tab-separated.
    let mut latin = b"Email\tName\tCompany\nm@example.de\tM".to_vec();
    latin.push(0xfc);
    latin.extend_from_slice(b"ller\tCaf");
    latin.push(0xe9);
    latin.extend_from_slice(b"\n");
    let (status, report) = app.import(&token, id, latin).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["imported"], 1);
    assert_eq!(report["delimiter"], "\t");
    let (_, leads) =
        app.api_json(Method::GET, &format!("/api/v1/campaigns/{id}/leads"), &token, None).await;
    assert_eq!(leads["items"][0]["company"], "Café");
    assert_eq!(leads["items"][0]["fields"]["name"], "Müller");

    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"email,first_name\nann@example.org,Ann\n".to_vec())
            .file_name("leads.csv"),
    );
    let response = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/campaigns/{id}/leads")))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap()["imported"], 1);
}

#[tokio::test]
async fn a_refused_file_imports_nothing_and_says_why() {
    let (app, token, sender) = team_with_sender().await;
    let (_, campaign) =
        create(&app, &token, json!({"name": "Refusals", "sender_ids": [sender]})).await;
    let id = campaign["id"].as_str().unwrap();

    let (status, error) = app.import(&token, id, "name,company\nJane,Acme\n").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["field"], "file");
    assert!(error["error"]["message"].as_str().unwrap().contains("no email column"), "{error}");

    // Thousands of good rows, then bytes that are not UTF-8 in a file that declared UTF-8 with
    // its byte-order mark: the whole file is refused, no row of it is kept.
    let mut broken = "\u{feff}email,first_name\n".as_bytes().to_vec();
    for n in 0..5000 {
        broken.extend_from_slice(format!("lead{n}@example.com,Lead {n}\n").as_bytes());
    }
    broken.extend_from_slice(b"bad@example.com,\xff\xfe\n");
    let (status, error) = app.import(&token, id, broken).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("not valid UTF-8"), "{error}");
    assert_eq!(lead_count(&app).await, 0);

    let response = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/campaigns/{id}/leads")))
        .bearer_auth(&token)
        .json(&json!({"email": "x@y.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(lead_count(&app).await, 0);
}

#[tokio::test]
async fn addresses_in_another_running_campaign_are_skipped_unless_the_team_allows_them() {
    let (app, token, sender) = team_with_sender().await;
    let steps = two_steps();
    let (_, first) =
        create(&app, &token, json!({"name": "First", "sender_ids": [sender], "steps": steps}))
            .await;
    let first = first["id"].as_str().unwrap();
    app.import(&token, first, "email,first_name,company,job_title\njane@acme.com,Jane,Acme,CTO\n")
        .await;
    let (status, started) =
        app.api_json(Method::POST, &format!("/api/v1/campaigns/{first}/start"), &token, None).await;
    assert_eq!(status, StatusCode::OK, "{started}");

    let (_, second) = create(&app, &token, json!({"name": "Second", "sender_ids": [sender]})).await;
    let second = second["id"].as_str().unwrap();
    let csv = "email\njane@acme.com\nnew@acme.com\n";
    let (_, report) = app.import(&token, second, csv).await;
    assert_eq!(
        (report["imported"].clone(), report["in_other_campaigns"].clone()),
        (json!(1), json!(1)),
        "{report}"
    );
    assert_eq!(report["skipped_in_other_campaigns"], true);

    sqlx::query("UPDATE teams SET leads_in_other_campaigns = 'allow'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (_, third) = create(&app, &token, json!({"name": "Third", "sender_ids": [sender]})).await;
    let (_, report) = app.import(&token, third["id"].as_str().unwrap(), csv).await;
    assert_eq!(report["imported"], 2, "{report}");
    assert_eq!(report["in_other_campaigns"], 1);
    assert_eq!(report["skipped_in_other_campaigns"], false);
}

#[tokio::test]
async fn leads_are_filtered_searched_and_paged() {
    let (app, token, sender) = team_with_sender().await;
    let (_, campaign) =
        create(&app, &token, json!({"name": "Paging", "sender_ids": [sender]})).await;
    let id = campaign["id"].as_str().unwrap();
    let mut csv = String::from("email,first_name,company\n");
    for n in 0..120 {
        csv.push_str(&format!(
            "person{n:03}@example.com,Person {n},{}\n",
            if n % 10 == 0 { "Initech" } else { "Hooli" }
        ));
    }
    app.import(&token, id, csv).await;
    sqlx::query("UPDATE leads SET status = 'replied' WHERE email LIKE 'person00%'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let get = |query: &'static str| {
        let path = format!("/api/v1/campaigns/{id}/leads?{query}");
        let app = &app;
        let token = &token;
        async move { app.api_json(Method::GET, &path, token, None).await.1 }
    };
    let page3 = get("page=3&per_page=50").await;
    assert_eq!(page3["total"], 120);
    assert_eq!(page3["items"].as_array().unwrap().len(), 20);
    assert_eq!(page3["items"][0]["email"], "person100@example.com");
    assert_eq!(get("q=PERSON11").await["total"], 10, "address prefix, any case");
    assert_eq!(get("q=initech").await["total"], 12, "company");
    assert_eq!(get("status=replied").await["total"], 10);
    assert_eq!(get("status=replied&q=initech").await["total"], 1);
    let (status, error) = app
        .api_json(Method::GET, &format!("/api/v1/campaigns/{id}/leads?status=happy"), &token, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["field"], "status");
}

#[tokio::test]
async fn lint_and_preview_agree_and_gate_the_start() {
    let (app, token, sender) = team_with_sender().await;
    let (_, campaign) = create(&app, &token, json!({"name": "Lint", "sender_ids": [sender], "steps": [
        {"subject": "{Hi|Hello} <<first_name>>", "body": "A note for <<company>> and <<compnay>>."},
        {"body": "Same text for everyone.", "delay_days": 2}
    ]})).await;
    let id = campaign["id"].as_str().unwrap();
    app.import(
        &token,
        id,
        "email,first_name,company\njane@acme.com,Jane,Acme\nanon@acme.com,,Acme\n",
    )
    .await;

    let (_, lint) =
        app.api_json(Method::GET, &format!("/api/v1/campaigns/{id}/lint"), &token, None).await;
    let messages: Vec<&str> = lint["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("<<compnay>>") && m.contains("did you mean company")),
        "{lint}"
    );
    assert!(messages.iter().any(|m| m.contains("step 2") && m.contains("same body")), "{lint}");
    let lead_problem = lint["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["lead_email"] == "anon@acme.com")
        .expect("anon's empty first name");
    assert_eq!(lead_problem["step"], 1);
    assert_eq!(lead_problem["field"], "subject");
    assert_eq!(lint["leads_with_problems"], 1);

    let (status, refused) =
        app.api_json(Method::POST, &format!("/api/v1/campaigns/{id}/start"), &token, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["code"], "lint_failed");
    assert!(!refused["error"]["details"]["problems"].as_array().unwrap().is_empty());

    // Fix the template (a fallback, the typo) and remove nobody: the start is allowed.
    let (status, fixed) = app
        .api_json(
            Method::PATCH,
            &format!("/api/v1/campaigns/{id}"),
            &token,
            Some(json!({"steps": [
                {"subject": "{Hi|Hello} <<first_name|there>>", "body": "A note for <<company>>."},
                {"body": "Same text for everyone.", "delay_days": 2}
            ]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{fixed}");
    let (_, preview) = app
        .api_json(Method::GET, &format!("/api/v1/campaigns/{id}/preview?step=1"), &token, None)
        .await;
    assert_eq!(preview["lead_email"], "jane@acme.com");
    let subject = preview["subject"].as_str().unwrap();
    assert!(subject == "Hi Jane" || subject == "Hello Jane", "{preview}");
    assert!(
        preview["body"]
            .as_str()
            .unwrap()
            .starts_with("A note for Acme.\n\n--\n1 Main St, Springfield\n"),
        "{preview}"
    );
    assert!(
        preview["body"].as_str().unwrap().contains("/u/"),
        "the footer carries the unsubscribe link"
    );
    let again = app
        .api_json(Method::GET, &format!("/api/v1/campaigns/{id}/preview?step=1"), &token, None)
        .await
        .1;
    assert_eq!(again, preview, "the preview is deterministic");
    let anon_id: String =
        sqlx::query_scalar("SELECT id::text FROM leads WHERE email = 'anon@acme.com'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let (_, follow_up) = app
        .api_json(
            Method::GET,
            &format!("/api/v1/campaigns/{id}/preview?step=2&lead_id={anon_id}"),
            &token,
            None,
        )
        .await;
    assert!(follow_up["subject"].as_str().unwrap().starts_with("Re: H"), "{follow_up}");
    assert!(follow_up["subject"].as_str().unwrap().ends_with(" there"), "{follow_up}");
    assert_eq!(follow_up["problems"], json!([]));
    let (status, _) = app
        .api_json(Method::GET, &format!("/api/v1/campaigns/{id}/preview?step=3"), &token, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (_, lint) =
        app.api_json(Method::GET, &format!("/api/v1/campaigns/{id}/lint"), &token, None).await;
    assert_eq!(lint["errors"], 0, "{lint}");
    assert_eq!(lint["warnings"], 1, "the identical follow-up is only a warning");
    let (status, started) =
        app.api_json(Method::POST, &format!("/api/v1/campaigns/{id}/start"), &token, None).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    assert_eq!(started["status"], "running");
    assert!(started["started_at"].is_string());

    let post = |action: &'static str| {
        let path = format!("/api/v1/campaigns/{id}/{action}");
        let app = &app;
        let token = &token;
        async move { app.api_json(Method::POST, &path, token, None).await }
    };
    assert_eq!(post("start").await.0, StatusCode::CONFLICT);
    assert_eq!(post("resume").await.0, StatusCode::CONFLICT);
    assert_eq!(post("pause").await.1["status"], "paused");
    assert_eq!(post("resume").await.1["status"], "running");
    assert_eq!(post("cancel").await.1["status"], "cancelled");
    let (status, error) = post("pause").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(error["error"]["message"].as_str().unwrap().contains("cancelled"), "{error}");
    let (status, _) = app.import(&token, id, "email\nlate@acme.com\n").await;
    assert_eq!(status, StatusCode::CONFLICT, "a cancelled campaign takes no new leads");
}

#[tokio::test]
async fn a_campaign_without_leads_steps_or_senders_cannot_start() {
    let (app, token, _) = team_with_sender().await;
    let (_, campaign) = create(&app, &token, json!({"name": "Empty"})).await;
    let id = campaign["id"].as_str().unwrap();
    let (status, refused) =
        app.api_json(Method::POST, &format!("/api/v1/campaigns/{id}/start"), &token, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = refused["error"]["details"]["problems"].to_string();
    for expected in ["at least one step", "import leads", "sender account"] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
}
