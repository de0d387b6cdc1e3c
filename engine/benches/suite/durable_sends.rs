//! Durable sends per second: the outbox worker with pacing off against the Gmail simulator.
//! Every send is the whole exactly-once path: claim with the cap reserved, `sending`
//! committed, the Gmail call, the result committed.
//!
//! 1. 100 sender accounts, a 10,000-lead campaign: sends per second until all are out.
//! 2. Per-send cost as the outbox grows: the first 1,000 sends of a 1,000-lead campaign and of
//!    a 100,000-lead campaign over 10 accounts (the figure must stay flat).

use chrono::TimeDelta;

use crate::common::{Row, SimBench, thousands};

fn leads(campaign: &str, count: usize) -> Vec<String> {
    (0..count).map(|n| format!("lead{n}@{campaign}.example")).collect()
}

fn figure(sends: i64, seconds: f64) -> String {
    format!("{:.0} sends/s ({} in {seconds:.1} s)", sends as f64 / seconds, thousands(sends as u64))
}

pub async fn run() -> Vec<Row> {
    // Nobody reacts to these sends within the benchmark.
    let bench = SimBench::new(100, TimeDelta::days(1)).await;
    let mut rows = Vec::new();

    let all = bench.sender_ids(100).await;
    let campaign = bench.campaign(all, &leads("all", 10_000)).await;
    let seconds = bench.send(campaign, 10_000).await;
    rows.push(Row::new("durable sends, 100 accounts, 10k leads", figure(10_000, seconds), "—"));

    for size in [1_000usize, 100_000] {
        let name = format!("first 1,000 sends over 10 accounts, {}k-lead campaign", size / 1000);
        let target = if size == 1_000 { "—" } else { "flat (≈ the 1k-lead figure)" };
        let campaign =
            bench.campaign(bench.sender_ids(10).await, &leads(&format!("c{size}"), size)).await;
        let seconds = bench.send(campaign, 1_000).await;
        rows.push(Row::new(name, figure(1_000, seconds), target));
        bench.cancel(campaign).await;
    }
    bench.finish().await;
    rows
}
