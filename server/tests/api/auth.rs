//! First-run setup, sign-in and its rate limit, roles, sessions and CSRF — as a browser sees them.

use reqwest::StatusCode;

use crate::helpers::{PASSWORD, location, new_client, spawn_app};

#[tokio::test]
async fn before_setup_every_page_leads_to_setup() {
    let app = spawn_app().await;
    for path in ["/", "/campaigns", "/login", "/settings/team"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), "/setup", "{path}");
    }
    let setup = app.get("/setup").await;
    assert_eq!(setup.status(), StatusCode::OK);
    assert!(setup.text().await.unwrap().contains("Set up your team"));
}

#[tokio::test]
async fn setup_creates_team_and_admin_and_signs_in_once_only() {
    let app = spawn_app().await;
    let response = app.setup_team().await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(location(&response), "/");

    let dashboard = app.get("/").await;
    assert_eq!(dashboard.status(), StatusCode::OK);
    let html = dashboard.text().await.unwrap();
    assert!(html.contains("Dashboard"));
    assert!(html.contains("Ada Admin"), "the shell shows the signed-in user");
    assert!(html.contains("Sandbox mode"), "the sandbox banner is on every page");

    assert_eq!(location(&app.get("/setup").await), "/", "setup is over once an admin exists");

    let again = app.setup_team().await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again.text().await.unwrap().contains("already done"));
    let teams: i64 =
        sqlx::query_scalar("SELECT count(*) FROM teams").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(teams, 1);
}

#[tokio::test]
async fn setup_reports_bad_fields_and_stores_nothing() {
    let app = spawn_app().await;
    let response = app
        .call::<app::auth::FirstRunSetup>(
            &app.client,
            &[
                ("team_name", "Acme"),
                ("postal_address", ""),
                ("name", "Ada"),
                ("email", "not-an-address"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await;
    let body = response.text().await.unwrap();
    assert!(body.contains("\"field\":\"email\""), "{body}");
    let short = app
        .call::<app::auth::FirstRunSetup>(
            &app.client,
            &[
                ("team_name", "Acme"),
                ("postal_address", ""),
                ("name", "Ada"),
                ("email", "ada@acme.test"),
                ("password", "short"),
                ("password_confirmation", "short"),
            ],
        )
        .await;
    assert!(short.text().await.unwrap().contains("at least 10 characters"));
    let users: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(users, 0);
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_login_with_their_destination() {
    let app = spawn_app().await;
    app.setup_team().await;
    let visitor = new_client();
    let response = visitor.get(app.url("/campaigns?status=running")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?next=/campaigns%3Fstatus%3Drunning");
    let login = visitor.get(app.url("/login")).send().await.unwrap();
    assert_eq!(login.status(), StatusCode::OK);
}

#[tokio::test]
async fn wrong_password_is_refused_without_saying_whether_the_account_exists() {
    let app = spawn_app().await;
    app.setup_team().await;
    let visitor = new_client();
    let wrong =
        app.sign_in(&visitor, "admin@acme.test", "not the password").await.text().await.unwrap();
    let unknown =
        app.sign_in(&visitor, "nobody@acme.test", "not the password").await.text().await.unwrap();
    assert!(wrong.contains("wrong email or password"));
    assert_eq!(wrong, unknown);
    assert_eq!(location(&visitor.get(app.url("/")).send().await.unwrap()), "/login?next=/");
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_account() {
    let app = spawn_app().await;
    app.setup_team().await;
    let visitor = new_client();
    for _ in 0..engine::auth::ACCOUNT_FAILURE_LIMIT {
        let body = app
            .sign_in(&visitor, "admin@acme.test", "not the password")
            .await
            .text()
            .await
            .unwrap();
        assert!(body.contains("wrong email or password"));
    }
    // Even the right password is refused while the account is locked.
    let locked = app.sign_in(&visitor, "admin@acme.test", PASSWORD).await;
    let body = locked.text().await.unwrap();
    assert!(body.contains("Too many failed sign-ins for this account"), "{body}");
    assert!(body.contains("minutes"));
}

#[tokio::test]
async fn sign_in_starts_a_new_session_id_and_sign_out_ends_it() {
    let app = spawn_app().await;
    app.setup_team().await;
    let visitor = new_client();
    // A session that exists before sign-in (what an attacker could plant) ...
    let before = app.get("/login").await;
    assert_eq!(before.status(), StatusCode::SEE_OTHER, "the admin client is already signed in");
    let response = app.sign_in(&visitor, "admin@acme.test", PASSWORD).await;
    let cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http in tests: no Secure flag");
    assert_eq!(visitor.get(app.url("/")).send().await.unwrap().status(), StatusCode::OK);

    let other_session = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(other_session.status(), StatusCode::OK);

    app.call::<app::auth::SignOut>(&visitor, &[]).await;
    assert_eq!(location(&visitor.get(app.url("/")).send().await.unwrap()), "/login?next=/");
    assert_eq!(app.get("/").await.status(), StatusCode::OK, "other sessions stay signed in");
}

#[tokio::test]
async fn sessions_are_stored_by_hash_only() {
    let app = spawn_app().await;
    let response = app.setup_team().await;
    let cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap();
    let id = cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_string();
    let found: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM web_sessions WHERE encode(id_hash, 'escape') LIKE '%' || $1 || '%'",
    )
    .bind(&id)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(found, 0);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM web_sessions")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn reps_cannot_reach_admin_pages_or_operations() {
    let app = spawn_app().await;
    app.setup_team().await;
    let rep = app.add_rep("rita@acme.test").await;

    let page = rep.get(app.url("/settings/team")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(page.text().await.unwrap().contains("Admins only"));

    let add = app
        .call::<app::pages::team::AddTeamMember>(
            &rep,
            &[
                ("name", "Eve"),
                ("email", "eve@acme.test"),
                ("role", "admin"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(add.text().await.unwrap().contains("Only team admins"));
    let users: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(users, 2);

    assert_eq!(rep.get(app.url("/settings")).send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn admins_manage_users_and_a_password_reset_signs_the_user_out() {
    let app = spawn_app().await;
    app.setup_team().await;
    let rep = app.add_rep("rita@acme.test").await;
    let rita = engine::auth::user_by_email(&app.db.pool, "rita@acme.test").await.unwrap();

    let reset = app
        .call::<app::pages::team::ResetMemberPassword>(
            &app.client,
            &[("user_id", &rita.id.to_string()), ("password", "a brand new password")],
        )
        .await;
    assert_eq!(reset.status(), StatusCode::OK);
    assert_eq!(location(&rep.get(app.url("/")).send().await.unwrap()), "/login?next=/");
    assert!(
        app.sign_in(&new_client(), "rita@acme.test", "a brand new password")
            .await
            .status()
            .is_success()
    );

    let removed = app
        .call::<app::pages::team::RemoveTeamMember>(
            &app.client,
            &[("user_id", &rita.id.to_string())],
        )
        .await;
    assert_eq!(removed.status(), StatusCode::OK);
    assert!(engine::auth::user_by_email(&app.db.pool, "rita@acme.test").await.is_err());

    let admin = engine::auth::user_by_email(&app.db.pool, "admin@acme.test").await.unwrap();
    let self_removal = app
        .call::<app::pages::team::RemoveTeamMember>(
            &app.client,
            &[("user_id", &admin.id.to_string())],
        )
        .await;
    assert!(self_removal.text().await.unwrap().contains("cannot remove yourself"));
}

#[tokio::test]
async fn cross_site_writes_are_refused() {
    let app = spawn_app().await;
    app.setup_team().await;
    let path = <app::pages::team::AddTeamMember as server_fn::ServerFn>::PATH;
    let form = [
        ("name", "Mallory"),
        ("email", "mallory@evil.test"),
        ("role", "admin"),
        ("password", PASSWORD),
    ];
    let forged = app
        .client
        .post(app.url(path))
        .header("origin", "https://evil.test")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let fetch_metadata = app
        .client
        .post(app.url(path))
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(fetch_metadata.status(), StatusCode::FORBIDDEN);
    let users: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(users, 1);
    let host = app.address.trim_start_matches("http://");
    let same_origin = app
        .client
        .post(app.url(path))
        .header("origin", format!("http://{host}"))
        .form(&[
            ("name", "Rita"),
            ("email", "rita@acme.test"),
            ("role", "rep"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_pages_get_a_friendly_404() {
    let app = spawn_app().await;
    app.setup_team().await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.text().await.unwrap().contains("Page not found"));
}
