//! The dashboard's query set (`engine::dashboard::load`) and a campaign's page data
//! (`engine::campaigns::get`) with 100,000 leads and 1,000,000 outbox messages in one team:
//! a running 10-step campaign nine steps in (900,000 sent, one every 9.6 s: 9,000 in the
//! last 24 hours, across 5 accounts) and a paused one. The figures are p50, p95 and the
//! maximum of 200 loads each.

use std::time::Instant;

use crate::common::{Row, drop_db, percentiles};

const RUNS: usize = 200;

pub async fn run() -> Vec<Row> {
    let db = engine::testing::test_db().await;
    let pool = &db.pool;
    let started = Instant::now();
    let engine::testing::BigTeam { team, big, .. } = engine::testing::big_team(pool).await;
    let seconds = started.elapsed().as_secs_f64();
    println!("dashboard: seeded 101,000 leads and 1,001,000 outbox messages in {seconds:.0} s");

    let dashboard = engine::dashboard::load(pool, team.id, chrono::Utc::now()).await.expect("load");
    let figures = dashboard.campaigns.iter().find(|c| c.name == "Big").expect("the campaign");
    assert_eq!(figures.stats.sent, 900_000, "the dashboard shows the seeded messages");

    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let at = Instant::now();
        engine::dashboard::load(pool, team.id, chrono::Utc::now()).await.expect("load");
        times.push(at.elapsed());
    }
    let dashboard = percentiles(&mut times);
    times.clear();
    for _ in 0..RUNS {
        let at = Instant::now();
        engine::campaigns::get(pool, team.id, big).await.expect("campaign");
        times.push(at.elapsed());
    }
    let campaign = percentiles(&mut times);
    drop_db(db).await;
    vec![
        Row::new("dashboard::load, 100k leads + 1M messages", dashboard, "—"),
        Row::new("campaigns::get (campaign page data), same data", campaign, "—"),
    ]
}
