//! The benchmark suite: lead import, render + encode, durable sends, the dashboard and the
//! Gmail quota of reply tracking, in one run that ends with one table of figures and targets.
//!
//! `cargo bench -p engine --features testing --bench suite` runs everything;
//! `… --bench suite -- import render` runs only the named benchmarks. Each benchmark uses a
//! fresh database on the test server (`engine::testing`) and drops it when done. Figures and
//! the machine they were taken on: BENCHMARKS.md.

mod common;
mod dashboard;
mod durable_sends;
mod import;
mod render;
mod tracking_quota;

use common::Row;

/// In the order they run: the CPU-bound one first, while nothing else runs in the process.
const BENCHMARKS: [&str; 5] = ["render", "import", "durable_sends", "tracking_quota", "dashboard"];

#[tokio::main]
async fn main() {
    let chosen = chosen();
    let load_before = common::load_average();
    let mut rows: Vec<Row> = Vec::new();
    for name in chosen {
        println!("running {name} …");
        rows.extend(match name {
            "render" => render::run(),
            "import" => import::run().await,
            "durable_sends" => durable_sends::run().await,
            "tracking_quota" => tracking_quota::run().await,
            "dashboard" => dashboard::run().await,
            _ => unreachable!("names are checked in chosen()"),
        });
    }
    println!();
    println!("load average (1, 5, 15 min): {load_before} before, {} after", common::load_average());
    println!();
    common::print_table(&rows);
}

/// The benchmarks named on the command line (all without names). Cargo passes `--bench`
/// itself; other flags are ignored too.
fn chosen() -> Vec<&'static str> {
    let names: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    if let Some(unknown) = names.iter().find(|n| !BENCHMARKS.contains(&n.as_str())) {
        eprintln!("unknown benchmark {unknown:?}; choose from {}", BENCHMARKS.join(", "));
        std::process::exit(2);
    }
    BENCHMARKS.into_iter().filter(|b| names.is_empty() || names.iter().any(|n| n == b)).collect()
}
