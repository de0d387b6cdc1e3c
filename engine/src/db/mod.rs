//! PostgreSQL: connecting, migrating, and the embedded cluster used when no `DATABASE_URL`
//! is configured.

pub mod embedded;

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};

/// The schema migrations in `migrations/`, compiled into the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Opens a pool, retrying for a while so the app can start while PostgreSQL is still coming up.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = url
        .parse::<PgConnectOptions>()?
        .log_statements(tracing::log::LevelFilter::Trace)
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
    let mut delay = Duration::from_millis(100);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let attempt = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await;
        match attempt {
            Ok(pool) => return Ok(pool),
            Err(error) if tokio::time::Instant::now() < deadline && is_transient(&error) => {
                tracing::warn!(%error, "database not reachable yet, retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            Err(error) => return Err(error),
        }
    }
}

fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => true,
        // 57P03: the database system is starting up.
        sqlx::Error::Database(db) => db.code().as_deref() == Some("57P03"),
        _ => false,
    }
}

/// Applies pending migrations. Safe to run concurrently from several instances (sqlx takes
/// an advisory lock).
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// The most entries one page of a list holds.
pub const MAX_PER_PAGE: i64 = 200;
/// The highest page number asked for (far beyond any list; keeps the offset arithmetic safe).
const MAX_PAGE: i64 = 1_000_000_000;

/// A page of a list, checked: `page` from 1, `per_page` from 1 to [`MAX_PER_PAGE`]. Anything
/// else is refused naming the parameter (rather than quietly answering another page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

impl Paging {
    pub fn new(page: i64, per_page: i64) -> crate::Result<Self> {
        if !(1..=MAX_PAGE).contains(&page) {
            return Err(crate::Error::invalid(
                "page",
                format!("the page must be a number from 1 to {MAX_PAGE}, not {page}"),
            ));
        }
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            return Err(crate::Error::invalid(
                "per_page",
                format!("per_page must be 1 to {MAX_PER_PAGE}, not {per_page}"),
            ));
        }
        Ok(Self { page, per_page })
    }

    /// How many entries come before this page.
    pub fn offset(self) -> i64 {
        (self.page - 1) * self.per_page
    }
}

/// `text` with LIKE's wildcards escaped, to search for it literally.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

#[cfg(test)]
mod paging_tests {
    use super::*;

    #[test]
    fn pages_outside_the_bounds_are_refused_naming_the_parameter() {
        assert_eq!(Paging::new(3, 50).unwrap().offset(), 100);
        for (page, per_page, field) in [
            (0, 50, "page"),
            (-1, 50, "page"),
            (i64::MAX, 200, "page"),
            (1, 0, "per_page"),
            (1, -5, "per_page"),
            (1, 201, "per_page"),
        ] {
            match Paging::new(page, per_page) {
                Err(crate::Error::Invalid { field: Some(f), .. }) => assert_eq!(f, field),
                other => panic!("{page}/{per_page}: {other:?}"),
            }
        }
    }
}
