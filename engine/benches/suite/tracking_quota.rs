//! The Gmail quota a reply and bounce sync spends, as the Gmail simulator counts it (Google's
//! units per method), and how fast the sync classifies new mail. One account mails 100 leads
//! who reply (`+reply`) and 20 whose address bounces (`+bounce`); then:
//!
//! 1. a sync when nothing new arrived;
//! 2. a sync once the 100 replies and 20 bounces arrived (timed: messages classified per
//!    second, each fetched, classified, recorded and labelled).

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::TimeDelta;
use engine::gmail::GmailMethod;
use engine::tracking::{SyncReport, Syncer};

use crate::common::{Row, SimBench, thousands};

const REPLIES: usize = 100;
const BOUNCES: usize = 20;
/// Simulated recipients react this long after a send; the simulator's clock is moved past
/// it when the reactions should arrive.
const REACTION_DELAY: TimeDelta = TimeDelta::minutes(1);

pub async fn run() -> Vec<Row> {
    let bench = SimBench::new(1, REACTION_DELAY).await;
    let sender = bench.sender_ids(1).await;
    let sender_id = sender[0];
    let mut leads: Vec<String> =
        (0..REPLIES).map(|n| format!("lead{n}+reply@prospect.example")).collect();
    leads.extend((0..BOUNCES).map(|n| format!("gone{n}+bounce@prospect.example")));
    let campaign = bench.campaign(sender, &leads).await;
    bench.send(campaign, leads.len() as i64).await;

    let syncer = Syncer::new(bench.pool().clone(), bench.key.clone(), bench.google.clone());
    let team_id = bench.admin.team_id;
    let sync = || async { syncer.sync_account(team_id, sender_id).await.expect("a sync") };
    // The first sync after connecting finds the account's history position.
    sync().await;

    bench.sim.reset_counters();
    let quiet = sync().await;
    assert_eq!(quiet.inbound, 0, "{quiet:?}");
    let quiet_units = bench.sim.quota_units(&bench.mailboxes[0]);

    bench.sim.advance(REACTION_DELAY * 2);
    bench.sim.reset_counters();
    let started = Instant::now();
    let busy: SyncReport = sync().await;
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!((busy.inbound as usize, busy.more), (leads.len(), false), "{busy:?}");
    let busy_units = bench.sim.quota_units(&bench.mailboxes[0]);
    assert_eq!(
        lead_statuses(&bench).await,
        [("bounced".to_owned(), 20), ("replied".to_owned(), 100)]
    );
    bench.finish().await;

    let arrived = format!("sync after {REPLIES} replies + {BOUNCES} bounces arrived");
    let busy_target = format!("2 + 10 per message = {}", thousands(2 + 10 * leads.len() as u64));
    vec![
        Row::new("sync, nothing new", units(&quiet_units), "2 (one history.list)"),
        Row::new(arrived, units(&busy_units), &busy_target),
        Row::new(
            "sync: messages classified (fetched, classified, recorded, labelled)",
            format!(
                "{:.0} messages/s ({} in {seconds:.2} s)",
                busy.inbound as f64 / seconds,
                busy.inbound
            ),
            "—",
        ),
    ]
}

/// "1,202 units (history.list 2, messages.get 600, …)".
fn units(by_method: &BTreeMap<GmailMethod, u64>) -> String {
    let total: u64 = by_method.values().sum();
    let parts: Vec<String> =
        by_method.iter().map(|(method, units)| format!("{method} {}", thousands(*units))).collect();
    format!("{} units ({})", thousands(total), parts.join(", "))
}

async fn lead_statuses(bench: &SimBench) -> Vec<(String, i64)> {
    sqlx::query_as("SELECT status, count(*) FROM leads GROUP BY status ORDER BY status")
        .fetch_all(bench.pool())
        .await
        .expect("lead statuses")
}
