//! Charts and pipeline: activity per day (days cut in the campaign's time zone, per sender
//! account, other teams kept out), the lead table's sorting and stage filter, the board's
//! counts, and "Mark as replied" / "Suppress" with their undo.

use chrono::{FixedOffset, NaiveDate, NaiveTime, TimeZone};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, spawn_app};
use crate::sender_helpers::ADA;
use crate::tracking_helpers::{CampaignSpec, Tracked, tracked_campaign};

/// A draft campaign (in `time_zone`, sending from `sender`) with the leads of `csv`.
async fn campaign_with_leads(
    app: &TestApp,
    token: &str,
    time_zone: &str,
    sender: Option<Uuid>,
    csv: &str,
) -> String {
    let (status, campaign) = app
        .api_json(
            Method::POST,
            "/api/v1/campaigns",
            token,
            Some(json!({
                "name": "Charts",
                "sender_ids": sender.into_iter().collect::<Vec<_>>(),
                "schedule": {"timezone": time_zone, "days": ["mon","tue","wed","thu","fri","sat","sun"],
                             "start_hour": 0, "end_hour": 24, "min_gap_seconds": 0, "max_gap_seconds": 0}
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{campaign}");
    let id = campaign["id"].as_str().unwrap().to_owned();
    let imported = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/campaigns/{id}/leads")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), StatusCode::OK);
    id
}

/// Records `step` as sent to the lead by `sender` at `at` (as the worker would: the lead keeps
/// the account).
async fn sent_at(
    app: &TestApp,
    lead: Uuid,
    step: i32,
    sender: Uuid,
    at: chrono::DateTime<chrono::Utc>,
) {
    sqlx::query("UPDATE leads SET sender_id = $2 WHERE id = $1")
        .bind(lead)
        .bind(sender)
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO outbox_messages (id, team_id, campaign_id, lead_id, step_number, sender_id, status,
                                      send_at, gmail_message_id, sent_at)
         SELECT gen_random_uuid(), team_id, campaign_id, id, $2, $3, 'sent', $4, 'g' || gen_random_uuid(), $4
         FROM leads WHERE id = $1",
    )
    .bind(lead)
    .bind(step)
    .bind(sender)
    .bind(at)
    .execute(&app.db.pool)
    .await
    .unwrap();
}

async fn event_at(app: &TestApp, lead: Uuid, kind: &str, at: chrono::DateTime<chrono::Utc>) {
    sqlx::query(
        "INSERT INTO lead_events (id, team_id, campaign_id, lead_id, kind, occurred_at, summary, sender_id)
         SELECT gen_random_uuid(), team_id, campaign_id, id, $2, $3, 'test', sender_id FROM leads WHERE id = $1",
    )
    .bind(lead)
    .bind(kind)
    .bind(at)
    .execute(&app.db.pool)
    .await
    .unwrap();
}

/// One day's figures of a series: (sent, replied, auto_replied, bounced).
fn day(series: &Value, date: NaiveDate) -> (i64, i64, i64, i64) {
    let found = series["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["day"] == date.to_string())
        .unwrap_or_else(|| panic!("{date} in {series}"));
    let n = |k: &str| found[k].as_i64().unwrap();
    (n("sent"), n("replied"), n("auto_replied"), n("bounced"))
}

#[tokio::test]
async fn daily_stats_cut_days_in_the_campaigns_time_zone_per_sender_and_team() {
    let app = spawn_app().await;
    app.setup_team().await;
    let token = app.api_token("admin@acme.test").await;
    let ada = app.connect_mailbox(ADA).await;
    let csv = "email\na@x.example\nb@x.example\nc@x.example\n";
    // India is UTC+05:30: a quarter-hour offset, so the send counts' slots must follow it.
    let id = campaign_with_leads(&app, &token, "Asia/Kolkata", Some(ada), csv).await;
    let path = format!("/api/v1/campaigns/{id}/stats/daily?days=7");
    let (status, empty) = app.api_json(Method::GET, &path, &token, None).await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!(empty["time_zone"], "Asia/Kolkata");
    assert_eq!(empty["days"].as_array().unwrap().len(), 7);
    assert_eq!(empty["sent"], 0);
    assert_eq!(empty["senders"].as_array().unwrap().len(), 1, "the campaign's account, idle");

    let today: NaiveDate = empty["to"].as_str().unwrap().parse().unwrap();
    let yesterday = today.pred_opt().unwrap();
    let kolkata = FixedOffset::east_opt(5 * 3600 + 30 * 60).unwrap();
    let local = |date: NaiveDate, h, m| {
        kolkata
            .from_local_datetime(&date.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap()))
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let (a, b, c) = (
        app.lead_id("a@x.example").await,
        app.lead_id("b@x.example").await,
        app.lead_id("c@x.example").await,
    );
    // 00:10 today in Kolkata is still yesterday in UTC; 23:50 yesterday is 18:20 UTC.
    sent_at(&app, a, 1, ada, local(today, 0, 10)).await;
    sent_at(&app, b, 1, ada, local(yesterday, 23, 50)).await;
    sent_at(&app, c, 1, ada, local(yesterday, 23, 59)).await;
    sent_at(&app, a, 2, ada, local(today, 0, 20)).await;
    // Long before the period: not counted.
    sent_at(&app, c, 2, ada, local(today - chrono::Days::new(30), 12, 0)).await;
    event_at(&app, b, "replied", local(today, 0, 5)).await;
    event_at(&app, c, "auto_replied", local(yesterday, 23, 55)).await;
    event_at(&app, c, "bounced", local(today, 9, 0)).await;
    // A delay notice is not a bounce.
    event_at(&app, a, "delayed", local(today, 9, 0)).await;
    // Marked replied by hand counts as a reply (now, i.e. today).
    let (status, _) = app
        .api_json(
            Method::PATCH,
            &format!("/api/v1/leads/{a}"),
            &token,
            Some(json!({"status": "replied"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (_, stats) = app.api_json(Method::GET, &path, &token, None).await;
    assert_eq!(day(&stats, today), (2, 2, 0, 1), "{stats}");
    assert_eq!(day(&stats, yesterday), (2, 0, 1, 0), "{stats}");
    assert_eq!(day(&stats, today - chrono::Days::new(2)), (0, 0, 0, 0));
    assert_eq!(stats["sent"], 4);
    assert_eq!(stats["leads_contacted"], 3);
    assert_eq!(stats["leads_replied"], 2);
    assert!((stats["reply_rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9, "{stats}");
    assert!((stats["bounce_rate"].as_f64().unwrap() - 0.25).abs() < 1e-9, "{stats}");
    let senders = stats["senders"].as_array().unwrap();
    assert_eq!(senders.len(), 1, "{stats}");
    assert_eq!(senders[0]["email"], ADA);
    assert_eq!(day(&senders[0], today), (2, 2, 0, 1));

    // A message Gmail bounced for the sending limit goes back to pending: no longer sent.
    sqlx::query(
        "UPDATE outbox_messages SET status = 'pending', sent_at = NULL, gmail_message_id = NULL
         WHERE lead_id = $1 AND step_number = 2",
    )
    .bind(a)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let (_, stats) = app.api_json(Method::GET, &path, &token, None).await;
    assert_eq!(day(&stats, today), (1, 2, 0, 1), "{stats}");

    let (status, _) = app
        .api_json(Method::GET, &format!("/api/v1/campaigns/{id}/stats/daily"), &token, None)
        .await;
    assert_eq!(status, StatusCode::OK, "30 days by default");
    let (status, error) = app
        .api_json(Method::GET, &format!("/api/v1/campaigns/{id}/stats/daily?days=0"), &token, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    let (_, other) = app.other_team("Globex").await;
    let (status, _) = app.api_json(Method::GET, &path, &other, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, openapi) = app.api_json(Method::GET, "/api/v1/openapi.json", &token, None).await;
    assert!(openapi["paths"]["/api/v1/campaigns/{id}/stats/daily"]["get"].is_object());

    // The Charts tab renders the chart on the server, with a tooltip per bar.
    let page = app.get(&format!("/campaigns/{id}?tab=charts&days=7")).await;
    let html = page.text().await.unwrap();
    assert!(html.contains("data-testid=\"chart-sent\""), "{html}");
    assert!(html.contains("role=\"img\""));
    assert!(html.contains(&format!("{}: 1 message sent", today.format("%a %b %-d, %Y"))), "{html}");
}

/// The emails of a page of leads, in order.
async fn emails(app: &TestApp, token: &str, campaign: &str, params: &str) -> Vec<String> {
    let (status, page) = app
        .api_json(Method::GET, &format!("/api/v1/campaigns/{campaign}/leads?{params}"), token, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{params}: {page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["email"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_lead_table_sorts_and_filters_by_stage_and_the_board_counts_every_stage() {
    let app = spawn_app().await;
    app.setup_team().await;
    let token = app.api_token("admin@acme.test").await;
    // "abe" and "alpha" are lower-case: names and companies sort ignoring case.
    let csv = "email,first_name,company\n\
               dora@x.example,Dora,Beta\n\
               abe@x.example,abe,Delta\n\
               cleo@x.example,Cleo,alpha\n\
               ben@x.example,Ben,Gamma\n\
               eve@x.example,Eve,Epsilon\n";
    let id = campaign_with_leads(&app, &token, "UTC", None, csv).await;
    for (email, status, hours_ago) in [
        ("dora@x.example", "replied", 1),
        ("abe@x.example", "unsubscribed", 5),
        ("cleo@x.example", "suppressed", 3),
        ("ben@x.example", "in_sequence", 2),
        ("eve@x.example", "pending", 4),
    ] {
        sqlx::query(
            "UPDATE leads SET status = $2, updated_at = now() - $3 * interval '1 hour' WHERE email = $1",
        )
        .bind(email)
        .bind(status)
        .bind(hours_ago)
        .execute(&app.db.pool)
        .await
        .unwrap();
    }
    let imported = emails(&app, &token, &id, "").await;
    assert_eq!(imported[0], "dora@x.example", "import order by default");
    assert_eq!(
        emails(&app, &token, &id, "sort=email").await[..2],
        ["abe@x.example", "ben@x.example"]
    );
    assert_eq!(emails(&app, &token, &id, "sort=-email").await[0], "eve@x.example");
    assert_eq!(emails(&app, &token, &id, "sort=name").await[0], "abe@x.example");
    assert_eq!(emails(&app, &token, &id, "sort=company").await[0], "cleo@x.example");
    assert_eq!(emails(&app, &token, &id, "sort=-company").await[0], "ben@x.example");
    assert_eq!(emails(&app, &token, &id, "sort=status").await[0], "ben@x.example");
    assert_eq!(
        emails(&app, &token, &id, "sort=-activity").await,
        ["dora@x.example", "ben@x.example", "cleo@x.example", "eve@x.example", "abe@x.example"]
    );
    assert_eq!(
        emails(&app, &token, &id, "sort=name&per_page=2&page=2").await,
        ["cleo@x.example", "dora@x.example"]
    );
    assert_eq!(
        emails(&app, &token, &id, "status=opted_out&sort=email").await,
        ["abe@x.example", "cleo@x.example"]
    );
    let (status, error) = app
        .api_json(Method::GET, &format!("/api/v1/campaigns/{id}/leads?sort=password"), &token, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");

    let (status, board) =
        app.api_json(Method::GET, &format!("/api/v1/campaigns/{id}/pipeline"), &token, None).await;
    assert_eq!(status, StatusCode::OK, "{board}");
    let stages: Vec<(String, i64)> = board["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["stage"].as_str().unwrap().to_owned(), s["count"].as_i64().unwrap()))
        .collect();
    let expected = [
        ("pending", 1),
        ("in_sequence", 1),
        ("replied", 1),
        ("auto_replied", 0),
        ("bounced", 0),
        ("opted_out", 2),
        ("failed", 0),
        ("completed", 0),
    ];
    assert_eq!(stages, expected.map(|(s, n)| (s.to_owned(), n)));
    assert_eq!(board["total"], 5);
    let opted_out = &board["stages"][5]["leads"];
    assert_eq!(opted_out.as_array().unwrap().len(), 2);
    assert_eq!(opted_out[0]["email"], "abe@x.example", "import order within the stage");

    // The page's server functions answer the same, and only to the team.
    let page = app
        .call::<app::pages::campaigns::LoadLeads>(
            &app.client,
            &[("id", &id), ("status", ""), ("q", ""), ("sort", "-name"), ("page", "1")],
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["email"], "eve@x.example", "{page}");
    let board = app
        .call::<app::pages::campaigns::LoadPipeline>(&app.client, &[("id", &id)])
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(board["total"], 5);
    let (browser, other) = app.other_team("Globex").await;
    let (status, _) =
        app.api_json(Method::GET, &format!("/api/v1/campaigns/{id}/pipeline"), &other, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let refused = app.call::<app::pages::campaigns::LoadPipeline>(&browser, &[("id", &id)]).await;
    assert!(refused.text().await.unwrap().contains("NotFound"));

    let html =
        app.get(&format!("/campaigns/{id}?tab=leads&view=board")).await.text().await.unwrap();
    assert!(
        html.contains("data-testid=\"pipeline-board\"") && html.contains("Opted out"),
        "{html}"
    );
}

const BOB: &str = "bob@acme.example";
const EVE: &str = "eve@acme.example";

fn step(n: i32, status: &str) -> (i32, String) {
    (n, status.to_owned())
}

async fn change(t: &Tracked, email: &str, status: &str) -> Value {
    let id = t.lead_id(email).await;
    let (code, lead) = t
        .app
        .api_json(
            Method::PATCH,
            &format!("/api/v1/leads/{id}"),
            &t.token,
            Some(json!({"status": status})),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{lead}");
    lead
}

async fn undo(t: &Tracked, email: &str) -> (StatusCode, Value) {
    let id = t.lead_id(email).await;
    t.app.api_json(Method::POST, &format!("/api/v1/leads/{id}/undo"), &t.token, None).await
}

async fn suppressed(t: &Tracked, email: &str) -> bool {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM suppressions WHERE email = $1)")
        .bind(email)
        .fetch_one(&t.app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn mark_as_replied_and_suppress_are_undone_while_nothing_else_happened() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[BOB, EVE])).await;
    t.send_due().await;
    assert_eq!(t.steps_of(BOB).await, vec![step(1, "sent"), step(2, "scheduled")]);

    assert_eq!(change(&t, BOB, "replied").await["status"], "replied");
    assert_eq!(t.steps_of(BOB).await, vec![step(1, "sent"), step(2, "cancelled")]);
    let (status, lead) = undo(&t, BOB).await;
    assert_eq!(status, StatusCode::OK, "{lead}");
    assert_eq!(lead["status"], "in_sequence");
    assert_eq!(t.steps_of(BOB).await, vec![step(1, "sent"), step(2, "scheduled")]);
    assert_eq!(t.timeline(BOB).await, vec!["sent"], "the change left the timeline");
    let (status, error) = undo(&t, BOB).await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing left to undo: {error}");

    change(&t, EVE, "suppressed").await;
    assert!(suppressed(&t, EVE).await);
    let (status, lead) = undo(&t, EVE).await;
    assert_eq!((status, lead["status"].clone()), (StatusCode::OK, json!("in_sequence")));
    assert!(!suppressed(&t, EVE).await, "the entry the change made is gone");
    assert_eq!(t.steps_of(EVE).await, vec![step(1, "sent"), step(2, "scheduled")]);

    // Two changes come back one after the other, the latest first.
    change(&t, EVE, "replied").await;
    change(&t, EVE, "suppressed").await;
    assert_eq!(undo(&t, EVE).await.1["status"], "replied");
    assert_eq!(undo(&t, EVE).await.1["status"], "in_sequence");
    assert_eq!(t.steps_of(EVE).await, vec![step(1, "sent"), step(2, "scheduled")]);

    // The follow-up goes out as planned after an undo.
    t.send_everything().await;
    assert_eq!(t.steps_of(BOB).await, vec![step(1, "sent"), step(2, "sent")]);

    // The page's buttons call the same, for the team only.
    let bob = t.lead_id(BOB).await.to_string();
    let done = t
        .app
        .call::<app::pages::campaigns::ChangeLead>(
            &t.app.client,
            &[("lead_id", &bob), ("status", "replied")],
        )
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    let (browser, other) = t.app.other_team("Globex").await;
    let refused =
        t.app.call::<app::pages::campaigns::UndoLeadChange>(&browser, &[("lead_id", &bob)]).await;
    assert!(refused.text().await.unwrap().contains("NotFound"));
    let (status, _) =
        t.app.api_json(Method::POST, &format!("/api/v1/leads/{bob}/undo"), &other, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let undone = t
        .app
        .call::<app::pages::campaigns::UndoLeadChange>(&t.app.client, &[("lead_id", &bob)])
        .await;
    assert_eq!(undone.status(), StatusCode::OK);
    assert_eq!(undone.json::<Value>().await.unwrap()["status"], "completed");
}

#[tokio::test]
async fn an_undo_is_refused_once_something_else_happened() {
    let t = tracked_campaign(CampaignSpec::two_steps(&[BOB, EVE])).await;
    t.send_due().await;

    // A real reply after the mark: undoing would hide it.
    change(&t, BOB, "replied").await;
    t.reply_in_thread(BOB, "Yes, let's talk.");
    t.sync().await;
    let (status, error) = undo(&t, BOB).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("replied"), "{error}");
    assert_eq!(t.lead(BOB).await["status"], "replied");

    // An address already on the list: the suppression is not this change's to lift.
    let (status, _) = t
        .app
        .api_json(Method::POST, "/api/v1/suppressions", &t.token, Some(json!({"email": EVE})))
        .await;
    assert!(status.is_success(), "{status}");
    change(&t, EVE, "suppressed").await;
    let (status, error) = undo(&t, EVE).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert!(suppressed(&t, EVE).await);
    assert_eq!(t.lead(EVE).await["status"], "suppressed");
}
