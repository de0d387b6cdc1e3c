//! The suppression list over the REST API, the download link and the page's list.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn addresses_and_domains_are_added_once_and_listed() {
    let app = spawn_app().await;
    app.setup_team().await;
    let token = app.api_token("admin@acme.test").await;

    let created = app
        .api(Method::POST, "/suppressions", &token)
        .json(&json!({"email": "Jane@Acme.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let entry: Value = created.json().await.unwrap();
    assert_eq!(entry["email"], "jane@acme.com");
    assert_eq!(entry["reason"], "manual");

    let again = app
        .api(Method::POST, "/suppressions", &token)
        .json(&json!({"email": "jane@acme.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], entry["id"]);

    let domain = app
        .api(Method::POST, "/suppressions", &token)
        .json(&json!({"domain": "@Competitor.io", "reason": "complained", "note": "asked us"}))
        .send()
        .await
        .unwrap();
    assert_eq!(domain.status(), StatusCode::CREATED);

    let list: Value =
        app.api(Method::GET, "/suppressions", &token).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 2);
    let search: Value = app
        .api(Method::GET, "/suppressions?q=competitor", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(search["total"], 1);
    assert_eq!(search["items"][0]["domain"], "competitor.io");
    assert_eq!(search["items"][0]["reason"], "complained");

    // The page's list, drawn by the server, searched the same way; an admin may remove.
    let html = app
        .call::<app::pages::suppressions::SuppressionListHtml>(
            &app.client,
            &[("q", "competitor"), ("page", "1")],
        )
        .await
        .json::<String>()
        .await
        .unwrap();
    assert!(html.contains("@competitor.io") && html.contains("asked us"), "{html}");
    assert!(!html.contains("jane@acme.com"), "{html}");
    assert!(html.contains("data-remove-suppression"), "{html}");
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field_named() {
    let app = spawn_app().await;
    app.setup_team().await;
    let token = app.api_token("admin@acme.test").await;
    let cases = [
        (json!({"email": "not an address"}), "email"),
        (json!({"domain": "localhost"}), "domain"),
        (json!({"email": "acme.com"}), "email"),
    ];
    for (body, field) in cases {
        let response =
            app.api(Method::POST, "/suppressions", &token).json(&body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.json::<Value>().await.unwrap()["error"]["field"], field);
    }
    let both = app
        .api(Method::POST, "/suppressions", &token)
        .json(&json!({"email": "a@b.com", "domain": "b.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), StatusCode::BAD_REQUEST);
    let unknown = app
        .api(Method::POST, "/suppressions", &token)
        .json(&json!({"email": "a@b.com", "reasn": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    let not_json =
        app.api(Method::POST, "/suppressions", &token).body("email=a@b.com").send().await.unwrap();
    assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM suppressions")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn only_admins_remove_and_only_within_their_team() {
    let app = spawn_app().await;
    app.setup_team().await;
    let admin = app.api_token("admin@acme.test").await;
    let rep = app.rep_token("rita@acme.test").await;
    let other = app.other_team_token().await;
    let entry: Value = app
        .api(Method::POST, "/suppressions", &rep)
        .json(&json!({"email": "x@y.com"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = format!("/suppressions/{}", entry["id"].as_str().unwrap());

    assert_eq!(
        app.api(Method::DELETE, &path, &rep).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let foreign = app.api(Method::DELETE, &path, &other).send().await.unwrap();
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    let other_list: Value =
        app.api(Method::GET, "/suppressions", &other).send().await.unwrap().json().await.unwrap();
    assert_eq!(other_list["total"], 0, "another team sees nothing");

    assert_eq!(
        app.api(Method::DELETE, &path, &admin).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.api(Method::DELETE, &path, &admin).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn csv_import_reports_lines_and_export_is_spreadsheet_safe() {
    let app = spawn_app().await;
    app.setup_team().await;
    let token = app.api_token("admin@acme.test").await;
    let csv = "email,reason,note\nok@x.com,bounced,\nbroken@,manual,\n=cmd@x.com,manual,=HYPERLINK(\"http://evil\")\nok@x.com,manual,\n";
    let report: Value = app
        .api(Method::POST, "/suppressions/import", &token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["added"], 2);
    assert_eq!(report["invalid"][0]["line"], 3);
    assert!(report["invalid"][0]["reason"].as_str().unwrap().contains("broken@"));

    let export = app.api(Method::GET, "/suppressions/export", &token).send().await.unwrap();
    assert_eq!(export.headers()["content-type"], "text/csv; charset=utf-8");
    let text = export.text().await.unwrap();
    assert!(text.starts_with("email,domain,reason,note,created_at"));
    assert!(text.contains("ok@x.com,,bounced"));
    assert!(text.contains("'=cmd@x.com") && text.contains("'=HYPERLINK"), "{text}");

    // The same file through the signed-in browser's download link.
    let download = app.get("/suppressions/export.csv").await;
    assert_eq!(download.status(), StatusCode::OK);
    assert!(download.text().await.unwrap().contains("ok@x.com"));
    let anonymous =
        crate::helpers::new_client().get(app.url("/suppressions/export.csv")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn oversized_imports_are_refused_whole() {
    let app = spawn_app().await;
    app.setup_team().await;
    let token = app.api_token("admin@acme.test").await;
    let big = "a@x.com\n".repeat(11 * 1024 * 1024 / 8 + 1);
    let response =
        app.api(Method::POST, "/suppressions/import", &token).body(big).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.json::<Value>().await.unwrap()["error"]["code"], "payload_too_large");
}
