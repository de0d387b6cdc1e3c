//! The dashboard's query set (`engine::dashboard::load`) and a campaign's page data
//! (`engine::campaigns::get`) with 100,000 leads and 1,000,000 outbox messages in one team:
//! a running 10-step campaign nine steps in (900,000 sent, one every 9.6 s: 9,000 in the
//! last 24 hours, across 5 accounts) and a paused one. The figures are p50, p95 and the
//! maximum of 200 loads each.

use std::time::Instant;

use sqlx::PgPool;
use uuid::Uuid;

use crate::common::{Row, drop_db, percentiles};

const RUNS: usize = 200;

const SEED: [&str; 9] = [
    "INSERT INTO sender_accounts (id, team_id, email, kind)
     SELECT gen_random_uuid(), $1, 'sender' || g || '@bench.example', 'workspace' FROM generate_series(1, 5) g",
    "INSERT INTO campaigns (id, team_id, name, status, started_at, lead_count)
     VALUES ($2, $1, 'Big', 'running', now() - interval '30 days', 100000),
            ($3, $1, 'Small', 'paused', now() - interval '3 days', 1000)",
    "INSERT INTO campaign_senders (campaign_id, team_id, sender_account_id, position)
     SELECT c, $1, s.id, row_number() OVER (PARTITION BY c ORDER BY s.email)
     FROM sender_accounts s, unnest(ARRAY[$2, $3]::uuid[]) c WHERE s.team_id = $1",
    "INSERT INTO campaign_steps (campaign_id, team_id, step_number, subject, body, delay_days)
     SELECT $2, $1, g, 'Step', 'Body', 1 FROM generate_series(1, 10) g
     UNION ALL SELECT $3, $1, g, 'Step', 'Body', 1 FROM generate_series(1, 3) g",
    "INSERT INTO leads (id, team_id, campaign_id, email, status, sender_id)
     SELECT gen_random_uuid(), $1, $2, 'lead' || g || '@prospect.example',
            CASE WHEN g % 50 = 0 THEN 'replied' WHEN g % 97 = 0 THEN 'bounced'
                 WHEN g % 31 = 0 THEN 'auto_replied' ELSE 'in_sequence' END,
            (SELECT id FROM sender_accounts WHERE team_id = $1 ORDER BY email OFFSET g % 5 LIMIT 1)
     FROM generate_series(1, 100000) g",
    "INSERT INTO leads (id, team_id, campaign_id, email)
     SELECT gen_random_uuid(), $1, $3, 'other' || g || '@prospect.example' FROM generate_series(1, 1000) g",
    // Steps 1–9 sent one every 9.6 s back from now (9,000 in the last 24 hours), step 10
    // scheduled.
    "INSERT INTO outbox_messages (id, team_id, campaign_id, lead_id, step_number, sender_id, status,
                                  send_at, sent_at, gmail_message_id)
     SELECT gen_random_uuid(), l.team_id, l.campaign_id, l.id, s, l.sender_id,
            CASE WHEN s < 10 THEN 'sent' ELSE 'scheduled' END,
            now() + interval '1 hour',
            CASE WHEN s < 10 THEN now() - (row_number() OVER (ORDER BY s = 10, s DESC, l.id)) * interval '9600 milliseconds' END,
            CASE WHEN s < 10 THEN 'g' END
     FROM leads l, generate_series(1, 10) s WHERE l.campaign_id = $2",
    "INSERT INTO outbox_messages (id, team_id, campaign_id, lead_id, step_number, status, send_at)
     SELECT gen_random_uuid(), team_id, campaign_id, id, 1, 'scheduled', now() FROM leads WHERE campaign_id = $3",
    "INSERT INTO sends (team_id, sender_id, sent_at, outbox_message_id)
     SELECT team_id, sender_id, sent_at, id FROM outbox_messages
     WHERE campaign_id = $2 AND status = 'sent' AND sent_at > now() - interval '24 hours'",
];

pub async fn run() -> Vec<Row> {
    let db = engine::testing::test_db().await;
    let pool = &db.pool;
    let (team, _) = engine::testing::team_with_admin(pool, "Bench").await;
    let big = seed(pool, team.id).await;

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

/// Seeds the team; returns the big campaign's id.
async fn seed(pool: &PgPool, team: Uuid) -> Uuid {
    let (big, small) = (Uuid::now_v7(), Uuid::now_v7());
    let started = Instant::now();
    for statement in SEED {
        sqlx::query(statement).bind(team).bind(big).bind(small).execute(pool).await.expect("seed");
    }
    engine::campaigns::counts::fold(pool).await.expect("fold");
    sqlx::query("VACUUM ANALYZE").execute(pool).await.expect("vacuum");
    let seconds = started.elapsed().as_secs_f64();
    println!("dashboard: seeded 101,000 leads and 1,001,000 outbox messages in {seconds:.0} s");
    big
}
