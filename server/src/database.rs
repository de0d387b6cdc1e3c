//! Where the data lives: `DATABASE_URL` when set, otherwise the embedded cluster in the data
//! directory. Migrations run before anything else touches the database.

use anyhow::Context;
use engine::config::Config;
use engine::db::embedded::EmbeddedPostgres;
use secrecy::ExposeSecret;
use sqlx::PgPool;

const EMBEDDED_DATABASE: &str = "outreach";

pub struct Database {
    pub pool: PgPool,
    /// Present when we run the embedded cluster (stopped on shutdown).
    pub embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Connects (starting the embedded cluster if configured so) and migrates.
    pub async fn open(config: &Config, max_connections: u32) -> anyhow::Result<Self> {
        let (url, embedded) = match &config.database_url {
            Some(url) => (url.expose_secret().to_string(), None),
            None => {
                let cluster = EmbeddedPostgres::start(&config.data_dir).await?;
                cluster
                    .ensure_database(EMBEDDED_DATABASE)
                    .await
                    .context("creating the database in the embedded PostgreSQL")?;
                (cluster.database_url(EMBEDDED_DATABASE), Some(cluster))
            }
        };
        let pool = engine::db::connect(&url, max_connections)
            .await
            .context("connecting to PostgreSQL (check DATABASE_URL, or unset it to use the embedded database)")?;
        engine::db::migrate(&pool).await.context("applying database migrations")?;
        Ok(Self { pool, embedded })
    }

    /// Closes the pool, then stops the embedded cluster if there is one — always for the
    /// server (it owns the cluster, even one left running by a crashed run), and for short
    /// commands only when they started it (a running server may be using it).
    pub async fn close(self, owner: bool) {
        self.pool.close().await;
        if let Some(cluster) = self.embedded.filter(|c| owner || c.started_here()) {
            match cluster.stop().await {
                Ok(()) => tracing::info!("embedded PostgreSQL stopped"),
                Err(error) => tracing::warn!(%error, "could not stop the embedded PostgreSQL"),
            }
        }
    }
}
