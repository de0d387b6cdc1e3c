//! Lead import throughput and memory: 100k and 1M-row CSV files imported into a fresh
//! campaign on a fresh database, as the API does. The figure is the import's wall time and
//! the process's peak RSS during it (the CSV file itself, held in memory, counts).

use std::time::Instant;

use engine::csv_import::ImportOptions;
use engine::model::NewCampaign;

use crate::common::{Row, drop_db, peak_rss_mb, reset_peak_rss, thousands};

/// Set (to anything) to leave the 1M-row import out: it takes about half a minute.
const SKIP_1M: &str = "OUTREACH_BENCH_SKIP_1M";

fn csv(rows: usize) -> Vec<u8> {
    let mut out = String::with_capacity(rows * 70);
    out.push_str("Email,First Name,Company,Job Title,City\n");
    for n in 0..rows {
        out.push_str(&format!(
            "person{n}@company{}.example,Person {n},Company {},Head of Sales,Berlin\n",
            n % 5000,
            n % 5000
        ));
    }
    out.into_bytes()
}

pub async fn run() -> Vec<Row> {
    let db = engine::testing::test_db().await;
    let (team, user) = engine::testing::team_with_admin(&db.pool, "Bench").await;
    let mut sizes = vec![(100_000usize, "≤ 3 s, ≤ 300 MB")];
    if std::env::var_os(SKIP_1M).is_none() {
        sizes.push((1_000_000, "≤ 30 s, ≤ 300 MB"));
    }
    let mut rows = Vec::new();
    for (size, target) in sizes {
        let campaign = engine::campaigns::create(
            &db.pool,
            team.id,
            Some(user.id),
            NewCampaign {
                name: format!("{size} rows"),
                sender_ids: vec![],
                steps: vec![],
                schedule: None,
                settings: None,
            },
        )
        .await
        .expect("campaign");
        reset_peak_rss();
        let file = csv(size);
        let options = ImportOptions { byte_limit: 200 * 1024 * 1024, ..ImportOptions::default() };
        let started = Instant::now();
        let report =
            engine::campaigns::leads::import_csv(&db.pool, team.id, campaign.id, file, options)
                .await
                .expect("import");
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(report.imported, size as u64);
        let figure = format!(
            "{seconds:.2} s ({} rows/s), peak RSS {} MB",
            thousands((size as f64 / seconds) as u64),
            peak_rss_mb().map_or("?".into(), |mb| mb.to_string())
        );
        rows.push(Row::new(
            format!("lead import, {} rows", thousands(size as u64)),
            figure,
            target,
        ));
    }
    drop_db(db).await;
    rows
}
