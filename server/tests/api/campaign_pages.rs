//! The campaign pages' server functions as the browser calls them: create, check a file and
//! import it with a chosen column mapping, save steps, check them as typed, preview, the plan and
//! the review, other teams kept out, and the team setting for leads already in another campaign.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use server_fn::ServerFn;

use crate::helpers::{PASSWORD, TestApp, new_client, spawn_app};

async fn create_campaign(app: &TestApp, client: &reqwest::Client, name: &str) -> String {
    let response =
        app.call::<app::pages::campaigns::CreateCampaign>(client, &[("name", name)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<String>().await.expect("the new campaign's id")
}

/// Posts a multipart upload (as the Leads tab does) to a server function.
async fn upload<F: ServerFn>(
    app: &TestApp,
    client: &reqwest::Client,
    campaign: &str,
    mapping: Option<Value>,
    csv: &str,
) -> (StatusCode, Value) {
    let mut form = Form::new().text("campaign_id", campaign.to_string());
    if let Some(mapping) = mapping {
        form = form.text("mapping", mapping.to_string());
    }
    let file = Part::bytes(csv.as_bytes().to_vec()).file_name("leads.csv").mime_str("text/csv");
    form = form.part("file", file.expect("mime type"));
    let response = client
        .post(app.url(F::PATH))
        .header("sec-fetch-site", "same-origin")
        .header("accept", "application/json")
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = response.status();
    (status, response.json().await.expect("JSON answer"))
}

async fn call_json<F: ServerFn>(
    app: &TestApp,
    client: &reqwest::Client,
    body: Value,
) -> (StatusCode, Value) {
    let response = client
        .post(app.url(F::PATH))
        .header("sec-fetch-site", "same-origin")
        .header("accept", "application/json")
        .json(&body)
        .send()
        .await
        .expect("server function call");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

const MESSY: &str = "Mail;Vorname;Firma;Stadt\n\
                     ann@example.com;Ann;Acme;Berlin\n\
                     ANN@example.com;Ann again;Acme;Berlin\n\
                     not-an-address;Bob;Bobco;Paris\n\
                     cy@example.com;;Cyco;Rome\n";

#[tokio::test]
async fn a_campaign_is_created_and_leads_imported_with_a_chosen_mapping() {
    let app = spawn_app().await;
    app.setup_team().await;
    let id = create_campaign(&app, &app.client, "Q4 agencies").await;
    let side = app
        .call::<app::pages::campaigns::StepsSideHtml>(
            &app.client,
            &[("id", &id), ("step", "1"), ("position", "0")],
        )
        .await
        .json::<String>()
        .await
        .unwrap();
    assert!(side.contains("Write the first email and save it to see it here."), "{side}");

    let (status, checked) =
        upload::<app::pages::campaigns::CheckLeadsFile>(&app, &app.client, &id, None, MESSY).await;
    assert_eq!(status, StatusCode::OK, "{checked}");
    assert_eq!(checked["delimiter"], "semicolon");
    assert_eq!(checked["columns"][0]["original"], "Mail");
    assert_eq!(checked["rows"].as_array().unwrap().len(), 4);

    let mapping = json!([
        {"role": "email"},
        {"role": "first_name"},
        {"role": "company"},
        {"role": "ignore"}
    ]);
    let (status, report) =
        upload::<app::pages::campaigns::ImportLeads>(&app, &app.client, &id, Some(mapping), MESSY)
            .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["imported"], 2);
    assert_eq!(report["duplicates_in_file"], 1);
    assert_eq!(report["invalid"][0]["line"], 4);
    assert_eq!(report["fields"], json!([]), "the ignored column is no merge field");

    let leads = app
        .call::<app::pages::campaigns::LoadLeads>(&app.client, &[("id", &id), ("page", "1")])
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(leads["total"], 2);
    assert_eq!(leads["items"][0]["first_name"], "Ann");
    assert_eq!(leads["items"][0]["company"], "Acme");

    let steps = json!({"id": id, "steps": [
        {"subject": "{Hi|Hello} <<first_name|there>>", "body": "Hi <<first_name|there>> at <<company>>", "delay_days": 0},
        {"subject": "", "body": "Following up", "delay_days": 2}
    ]});
    let (status, body) =
        call_json::<app::pages::campaigns::SaveSteps>(&app, &app.client, steps).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let bad =
        json!({"id": id, "steps": [{"subject": "Hi", "body": "Hi <<first_name", "delay_days": 0}]});
    let (status, body) =
        call_json::<app::pages::campaigns::SaveSteps>(&app, &app.client, bad).await;
    assert!(!status.is_success());
    assert_eq!(body["Invalid"]["field"], "steps[0].body", "{body}");

    // The editor starts from the saved steps and the campaign's merge fields.
    let draft = app
        .call::<app::pages::campaigns::LoadStepsDraft>(&app.client, &[("id", &id)])
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(draft["steps"][1]["body"], "Following up", "{draft}");
    assert_eq!(draft["fields"], json!(engine::model::STANDARD_FIELDS), "{draft}");

    // The editor's live check knows the campaign's fields (here only the standard ones).
    let checked = app
        .call::<app::pages::campaigns::CheckStep>(
            &app.client,
            &[
                ("id", &id),
                ("subject", "Hi <<first_name"),
                ("body", "Hi <<frist_name>> from <<stadt>>"),
                ("html", "<p><<company>></p>"),
            ],
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert!(checked["subject"][0].as_str().unwrap().contains("<< is not closed"), "{checked}");
    assert_eq!(
        checked["body"],
        json!([
            "unknown field <<frist_name>>: did you mean first_name?",
            "unknown field <<stadt>>: the leads have no such column"
        ])
    );
    assert_eq!(checked["html"], json!([]));

    let preview = app
        .call::<app::pages::campaigns::PreviewStep>(&app.client, &[("id", &id), ("step", "1")])
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert!(preview["body"].as_str().unwrap().starts_with("Hi Ann at Acme"), "{preview}");

    // The Steps tab's preview and lint, drawn by the server: a step past the last is the
    // last, and the second lead has no first name.
    let side = app
        .call::<app::pages::campaigns::StepsSideHtml>(
            &app.client,
            &[("id", &id), ("step", "5"), ("position", "1")],
        )
        .await
        .json::<String>()
        .await
        .unwrap();
    assert!(side.contains("Lead 2 of 2: cy@example.com"), "{side}");
    assert!(side.contains(r#"<option value="2" selected"#), "{side}");
    assert!(side.contains(r#"data-preview-position="0""#), "{side}");
    assert!(side.contains(r#"disabled data-preview-position="2""#), "{side}");
    assert!(side.contains(">Next lead</button>"), "{side}");
    assert!(side.contains("Following up"), "{side}");
    assert!(side.contains(r#"data-testid="lint""#), "{side}");

    // The plan in plain words, as saved and as typed; the Review tab, drawn by the server.
    let (status, plan) = call_json::<app::pages::campaigns::ScheduleSummary>(
        &app,
        &app.client,
        json!({"id": id, "sender_ids": []}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert!(plan.as_str().unwrap().starts_with("Choose at least one sender account"), "{plan}");
    let form = app
        .call::<app::pages::campaigns::LoadScheduleForm>(&app.client, &[("id", &id)])
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(form["sender_ids"], json!([]), "{form}");
    assert_eq!(form["plan"], plan, "the saved schedule's plan");
    assert!(form["schedule"]["timezone"].is_string(), "{form}");
    let review = app
        .call::<app::pages::campaigns::ReviewHtml>(&app.client, &[("id", &id)])
        .await
        .json::<String>()
        .await
        .unwrap();
    assert!(review.contains("2 leads, 2 not mailed yet."), "{review}");
    assert!(review.contains("Re: {Hi|Hello} &lt;&lt;first_name|there&gt;&gt;"), "{review}");
    assert!(review.contains("data-start-campaign"), "{review}");

    // The header, drawn again by the server after a change: a draft's counts, its Start and
    // Cancel forms marked for the page's island, and the set-up guide on the tab asked for.
    let header = app
        .call::<app::pages::campaigns::CampaignHeaderHtml>(
            &app.client,
            &[("id", &id), ("tab", "schedule")],
        )
        .await
        .json::<String>()
        .await
        .unwrap();
    assert!(header.contains(r#"data-testid="campaign-stats""#), "{header}");
    assert_eq!(header.matches("data-campaign-change").count(), 2, "{header}");
    assert!(header.contains(r#"value="start""#) && header.contains(r#"value="cancel""#));
    assert!(header.contains(r#"data-testid="setup-guide""#), "{header}");
    assert!(header.contains(r#"aria-current="step""#), "{header}");
}

#[tokio::test]
async fn a_refused_file_imports_nothing_and_says_why() {
    let app = spawn_app().await;
    app.setup_team().await;
    let id = create_campaign(&app, &app.client, "No email").await;
    let (status, body) = upload::<app::pages::campaigns::ImportLeads>(
        &app,
        &app.client,
        &id,
        None,
        "name,company\nAnn,Acme\n",
    )
    .await;
    assert!(!status.is_success());
    assert_eq!(body["Invalid"]["field"], "file", "{body}");
    assert!(body["Invalid"]["message"].as_str().unwrap().contains("no email column"));
}

#[tokio::test]
async fn another_team_cannot_see_or_change_the_campaign() {
    let app = spawn_app().await;
    app.setup_team().await;
    let id = create_campaign(&app, &app.client, "Secret").await;
    app.other_team_token().await;
    let other = new_client();
    assert!(app.sign_in(&other, "boss@other.test", PASSWORD).await.status().is_success());

    let response = app.call::<app::pages::campaigns::LoadCampaign>(&other, &[("id", &id)]).await;
    assert!(!response.status().is_success());
    assert!(response.text().await.unwrap().contains("NotFound"));
    let (status, body) =
        upload::<app::pages::campaigns::ImportLeads>(&app, &other, &id, None, "email\na@b.com\n")
            .await;
    assert!(!status.is_success());
    assert!(body.get("NotFound").is_some(), "{body}");
    let response = app
        .call::<app::pages::campaigns::ChangeCampaignStatus>(
            &other,
            &[("id", &id), ("change", "cancel")],
        )
        .await;
    assert!(!response.status().is_success());
    let list = app
        .call::<app::pages::campaigns::ListCampaigns>(&other, &[])
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
    let mine = app.call::<app::pages::campaigns::LoadCampaign>(&app.client, &[("id", &id)]).await;
    assert_eq!(mine.json::<Value>().await.unwrap()["status"], "draft");
}

#[tokio::test]
async fn only_admins_choose_what_happens_to_leads_in_other_campaigns() {
    let app = spawn_app().await;
    app.setup_team().await;
    let load = app.call::<app::pages::settings::LoadLeadPolicy>(&app.client, &[]).await;
    assert_eq!(load.json::<Value>().await.unwrap(), "skip");
    let set =
        app.call::<app::pages::settings::SetLeadPolicy>(&app.client, &[("policy", "allow")]).await;
    assert_eq!(set.status(), StatusCode::OK);
    let load = app.call::<app::pages::settings::LoadLeadPolicy>(&app.client, &[]).await;
    assert_eq!(load.json::<Value>().await.unwrap(), "allow");
    let id = create_campaign(&app, &app.client, "Allowed").await;
    let (_, report) = upload::<app::pages::campaigns::ImportLeads>(
        &app,
        &app.client,
        &id,
        None,
        "email\na@b.com\n",
    )
    .await;
    assert_eq!(report["skipped_in_other_campaigns"], false, "{report}");
    let bad =
        app.call::<app::pages::settings::SetLeadPolicy>(&app.client, &[("policy", "maybe")]).await;
    assert!(bad.text().await.unwrap().contains("\"field\":\"policy\""));

    let rep = app.add_rep("rita@acme.test").await;
    let refused =
        app.call::<app::pages::settings::SetLeadPolicy>(&rep, &[("policy", "skip")]).await;
    assert!(refused.text().await.unwrap().contains("Only team admins"));
    let refused = app.call::<app::pages::settings::LoadLeadPolicy>(&rep, &[]).await;
    assert!(!refused.status().is_success());
    let stored: String = sqlx::query_scalar("SELECT leads_in_other_campaigns FROM teams")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, "allow");
}
