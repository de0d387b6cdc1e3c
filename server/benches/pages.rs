//! The pages a rep looks at all day, rendered server-side by the whole application (release
//! build, signed in, over HTTP on localhost) with 100,000 leads and 1,000,000 outbox messages
//! in one team (`engine::testing::big_team`): the dashboard (`/`), the campaign's pipeline
//! board and its lead table. Prints p50, p95 and the maximum of 200 requests each.
//! Run with `RUSTFLAGS="--cfg erase_components" cargo bench -p server --bench pages`: the flag
//! builds the views type-erased, as the release build ships them (`always-erase-components`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use engine::config::Config;
use server::startup::Application;
use server_fn::ServerFn;

const RUNS: usize = 200;

#[tokio::main]
async fn main() {
    let db = engine::testing::test_db().await;
    let started = Instant::now();
    let big = engine::testing::big_team(&db.pool).await;
    println!("seeded 101,000 leads and 1,001,000 outbox messages in {:.0?}", started.elapsed());

    let address = serve(&db.url).await;
    let client = reqwest::Client::builder().cookie_store(true).build().expect("HTTP client");
    let signed_in = client
        .post(format!("{address}{}", app::auth::SignIn::PATH))
        .header("sec-fetch-site", "same-origin")
        .form(&[("email", "bench@example.com"), ("password", "benchmark password")])
        .send()
        .await
        .expect("sign in");
    assert!(signed_in.status().is_success(), "sign in: {}", signed_in.status());

    let campaign = format!("/campaigns/{}", big.big);
    for (what, path) in [
        ("dashboard (/)", "/".to_string()),
        ("pipeline board", format!("{campaign}?tab=leads&view=board")),
        ("lead table, first page", format!("{campaign}?tab=leads")),
        ("lead table, sorted by name", format!("{campaign}?tab=leads&sort=name")),
    ] {
        let url = format!("{address}{path}");
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let at = Instant::now();
            let page = client.get(&url).send().await.expect("GET");
            assert!(page.status().is_success(), "{path}: {}", page.status());
            let html = page.text().await.expect("body");
            times.push(at.elapsed());
            assert!(html.contains("Big"), "{path} shows the campaign");
        }
        report(&format!("{what}: GET {path}"), &mut times);
    }
}

/// Starts the application on a random port against `database_url` and returns its address.
async fn serve(database_url: &str) -> String {
    let data_dir = std::env::temp_dir().join(format!("outreach-bench-{}", uuid::Uuid::new_v4()));
    let vars: HashMap<&str, String> = HashMap::from([
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0".to_string()),
        ("DATABASE_URL", database_url.to_string()),
        ("OUTREACH_DATA_DIR", data_dir.display().to_string()),
        ("OUTREACH_SECRET_KEY", engine::crypto::SecretKey::generate().to_hex()),
    ]);
    let config = Config::from_lookup(|name| vars.get(name).cloned()).expect("configuration");
    let app = Application::build(config).await.expect("build the application");
    let address = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    address
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "{what}: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        at(0.5).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3
    );
}
