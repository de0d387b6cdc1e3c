//! Test support: every test gets its own freshly migrated database, cloned from a template
//! database (so creating one takes milliseconds and tests never see each other's rows).
//!
//! The server is, in order: `OUTREACH_TEST_DATABASE_URL` (a URL to any database on a server
//! where we may create databases), the local PostgreSQL on 127.0.0.1:5432, or — when none
//! answers — an embedded cluster under `target/`, started once and shared by all test
//! processes.

use std::path::PathBuf;
use std::time::Duration;

use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::db::embedded::EmbeddedPostgres;

const LOCAL_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database of one's own for one test.
pub struct TestDb {
    pub pool: PgPool,
    pub url: String,
    pub name: String,
}

/// URL of a maintenance database (`postgres`) on the server tests use.
static SERVER: OnceCell<String> = OnceCell::const_new();
/// Name of the migrated template for the current set of migrations.
static TEMPLATE: OnceCell<String> = OnceCell::const_new();

/// A fresh, migrated, empty database.
pub async fn test_db() -> TestDb {
    let server = server_url().await;
    let template = TEMPLATE.get_or_init(|| ensure_template(server)).await;
    let name = format!(
        "ot_{}_{}",
        chrono::Utc::now().timestamp(),
        uuid::Uuid::new_v4().simple().to_string().get(..12).unwrap_or_default()
    );
    let mut admin = PgConnection::connect(server).await.expect("connect to the test server");
    execute_retrying_while_in_use(
        &mut admin,
        &format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""),
    )
    .await
    .expect("create a test database from the template");
    let url = with_database(server, &name);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(30))
        .connect(&url)
        .await
        .expect("connect to the test database");
    TestDb { pool, url, name }
}

/// The server URL (maintenance database), starting an embedded cluster if needed.
pub async fn server_url() -> &'static String {
    SERVER
        .get_or_init(|| async {
            if let Ok(url) = std::env::var("OUTREACH_TEST_DATABASE_URL") {
                return with_database(&url, "postgres");
            }
            if reachable(LOCAL_SERVER).await {
                return LOCAL_SERVER.to_string();
            }
            start_embedded_server().await
        })
        .await
}

async fn reachable(url: &str) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(3), PgConnection::connect(url)).await,
        Ok(Ok(_))
    )
}

async fn start_embedded_server() -> String {
    let dir = target_dir().join("outreach-test-pg");
    std::fs::create_dir_all(&dir).expect("create the test cluster directory");
    // Test binaries run in parallel processes: one starts the cluster, the others wait.
    let _lock = FileLock::acquire(&dir.join("start.lock"));
    let cluster =
        EmbeddedPostgres::start(&dir).await.expect("start an embedded PostgreSQL for tests");
    cluster.database_url("postgres")
}

fn target_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    // Integration tests run with the package directory as working directory.
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(|root| root.join("target")).unwrap_or(manifest)
}

/// Creates (once per set of migrations) a migrated template database; concurrent test
/// processes agree through an advisory lock. Old test databases are dropped on the way.
async fn ensure_template(server: &str) -> String {
    let fingerprint: u64 = crate::db::MIGRATOR
        .iter()
        .flat_map(|m| m.checksum.iter().copied())
        .fold(0xcbf29ce484222325, |hash, byte| (hash ^ byte as u64).wrapping_mul(0x100000001b3));
    let template = format!("outreach_template_{fingerprint:016x}");
    let mut admin = PgConnection::connect(server).await.expect("connect to the test server");
    sqlx::query("SELECT pg_advisory_lock(726354)").execute(&mut admin).await.expect("lock");
    drop_stale_test_databases(&mut admin).await;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&template)
            .fetch_one(&mut admin)
            .await
            .expect("look up the template");
    if !exists {
        // Built under another name and renamed when complete, so a crash mid-way never
        // leaves a half-migrated template behind.
        let building = format!("{template}_building");
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{building}\""))
            .execute(&mut admin)
            .await;
        sqlx::query(&format!("CREATE DATABASE \"{building}\""))
            .execute(&mut admin)
            .await
            .expect("create template");
        let pool = PgPool::connect(&with_database(server, &building))
            .await
            .expect("connect to the template");
        crate::db::migrate(&pool).await.expect("migrate the template database");
        pool.close().await;
        execute_retrying_while_in_use(
            &mut admin,
            &format!("ALTER DATABASE \"{building}\" RENAME TO \"{template}\""),
        )
        .await
        .expect("publish the template");
    }
    sqlx::query("SELECT pg_advisory_unlock(726354)").execute(&mut admin).await.expect("unlock");
    template
}

/// Runs `statement` (copying or renaming a database), trying again a few times while the
/// database is "being accessed by other users" (SQLSTATE 55006): an autovacuum worker may be
/// connected to it for a moment, which fails the statement though nothing is wrong.
async fn execute_retrying_while_in_use(
    admin: &mut PgConnection,
    statement: &str,
) -> sqlx::Result<()> {
    const ATTEMPTS: u64 = 6;
    let mut attempt = 1;
    loop {
        match sqlx::query(statement).execute(&mut *admin).await {
            Err(error) if attempt < ATTEMPTS && in_use(&error) => {
                tokio::time::sleep(Duration::from_millis(250 * attempt)).await;
                attempt += 1;
            }
            result => return result.map(drop),
        }
    }
}

fn in_use(error: &sqlx::Error) -> bool {
    error.as_database_error().and_then(|e| e.code()).as_deref() == Some("55006")
}

/// Test databases are named `ot_<unix time>_<random>`; those older than two hours belong to
/// finished runs.
async fn drop_stale_test_databases(admin: &mut PgConnection) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'ot\\_%'")
            .fetch_all(&mut *admin)
            .await
            .unwrap_or_default();
    let cutoff = chrono::Utc::now().timestamp() - 2 * 3600;
    for name in names {
        let created = name.split('_').nth(1).and_then(|t| t.parse::<i64>().ok());
        if created.is_some_and(|t| t < cutoff) {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut *admin)
                .await;
        }
    }
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, database: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("a valid database URL");
    parsed.set_path(&format!("/{database}"));
    parsed.to_string()
}

/// An exclusive `flock` held until dropped.
struct FileLock(std::fs::File);

impl FileLock {
    fn acquire(path: &std::path::Path) -> Self {
        use std::os::fd::AsRawFd;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .expect("open lock file");
        // SAFETY: flock on a file descriptor we own; blocks until the lock is ours.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        assert_eq!(rc, 0, "flock {}", path.display());
        Self(file)
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        // SAFETY: unlocking a descriptor we own.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

/// The configuration that points Outreach at a Google-compatible server at `base` (a
/// simulator on its own port) with the OAuth client `client_id` / `client_secret`.
pub fn google_env(base: &str, client_id: &str, client_secret: &str) -> Vec<(&'static str, String)> {
    vec![
        ("GOOGLE_CLIENT_ID", client_id.to_owned()),
        ("GOOGLE_CLIENT_SECRET", client_secret.to_owned()),
        ("GOOGLE_AUTH_URL", format!("{base}/o/oauth2/v2/auth")),
        ("GOOGLE_TOKEN_URL", format!("{base}/token")),
        ("GOOGLE_REVOKE_URL", format!("{base}/revoke")),
        ("GOOGLE_USERINFO_URL", format!("{base}/oauth2/v2/userinfo")),
        ("GMAIL_API_URL", base.to_owned()),
    ]
}

/// A team named `name` with one admin (`bench@example.com`) and a postal address, as
/// benchmarks need it.
pub async fn team_with_admin(
    pool: &PgPool,
    name: &str,
) -> (crate::model::Team, crate::model::User) {
    let (team, admin) = crate::team::create_user_in_team_named(
        pool,
        name,
        crate::team::NewUser {
            email: "bench@example.com".into(),
            name: "Bench".into(),
            role: crate::model::Role::Admin,
            password: crate::auth::Password::parse("benchmark password").expect("a valid password"),
        },
    )
    .await
    .expect("create the team");
    sqlx::query("UPDATE teams SET postal_address = '1 Bench Street, Berlin' WHERE id = $1")
        .bind(team.id)
        .execute(pool)
        .await
        .expect("set the postal address");
    (team, admin)
}

/// What [`big_team`] made.
pub struct BigTeam {
    pub team: crate::model::Team,
    pub admin: crate::model::User,
    /// Running, 10 steps, 100,000 leads, 900,000 messages sent and 100,000 scheduled.
    pub big: Uuid,
    /// Paused, 3 steps, 1,000 leads with their first email scheduled.
    pub small: Uuid,
}

/// A team (made by [`team_with_admin`]) as big as the dashboard and pipeline benchmarks need:
/// 100,000 leads and 1,000,000 outbox messages in one campaign, a running 10-step campaign
/// nine steps in (900,000 sent, one every 9.6 s: 9,000 in the last 24 hours, across 5
/// accounts), and a small paused one. Its running counts are folded and the database
/// vacuumed, as a long-running instance would have it.
pub async fn big_team(pool: &PgPool) -> BigTeam {
    let (team, admin) = team_with_admin(pool, "Bench").await;
    let (big, small) = (Uuid::now_v7(), Uuid::now_v7());
    let seed = [
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
    for statement in seed {
        sqlx::query(statement)
            .bind(team.id)
            .bind(big)
            .bind(small)
            .execute(pool)
            .await
            .expect("seed");
    }
    crate::campaigns::counts::fold(pool).await.expect("fold");
    sqlx::query("VACUUM ANALYZE").execute(pool).await.expect("vacuum");
    BigTeam { team, admin, big, small }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_copy_is_tried_again_until_a_brief_connection_to_its_source_is_gone() {
        let source = test_db().await;
        let mut admin = PgConnection::connect(server_url().await).await.expect("connect");
        let copy = format!("{}_copy", source.name);
        let statement = format!("CREATE DATABASE \"{copy}\" TEMPLATE \"{}\"", source.name);
        let refused = sqlx::query(&statement).execute(&mut admin).await.expect_err("in use");
        assert!(in_use(&refused), "{refused}");
        // The pool's idle connection stands in for an autovacuum worker that leaves soon.
        let pool = source.pool.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            pool.close().await;
        });
        execute_retrying_while_in_use(&mut admin, &statement).await.expect("copied");
        sqlx::query(&format!("DROP DATABASE \"{copy}\""))
            .execute(&mut admin)
            .await
            .expect("drop the copy");
    }
}
