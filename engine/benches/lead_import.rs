//! Lead import throughput and memory: 100k and 1M-row CSV files imported into a fresh
//! campaign on a fresh database (the local PostgreSQL, or an embedded one), as the API does.
//! Prints rows per second and the process's peak RSS.
//!
//! Run with `cargo bench -p engine --features testing --bench lead_import`.

use std::time::Instant;

use engine::csv_import::ImportOptions;
use engine::model::NewCampaign;

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

/// Peak resident set size of this process, from /proc (Linux).
fn peak_rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

#[tokio::main]
async fn main() {
    let db = engine::testing::test_db().await;
    let (team, user) = engine::testing::team_with_admin(&db.pool, "Bench").await;
    println!("{:>10} {:>10} {:>14} {:>14}", "rows", "seconds", "rows/second", "peak RSS MB");
    for rows in [100_000usize, 1_000_000] {
        let campaign = engine::campaigns::create(
            &db.pool,
            team.id,
            Some(user.id),
            NewCampaign {
                name: format!("{rows} rows"),
                sender_ids: vec![],
                steps: vec![],
                schedule: None,
                settings: None,
            },
        )
        .await
        .expect("campaign");
        let file = csv(rows);
        let options = ImportOptions { byte_limit: 200 * 1024 * 1024, ..ImportOptions::default() };
        let started = Instant::now();
        let report =
            engine::campaigns::leads::import_csv(&db.pool, team.id, campaign.id, file, options)
                .await
                .expect("import");
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(report.imported, rows as u64);
        println!(
            "{rows:>10} {seconds:>10.2} {:>14.0} {:>14}",
            rows as f64 / seconds,
            peak_rss_mb().map_or("?".into(), |mb| mb.to_string())
        );
    }
}
