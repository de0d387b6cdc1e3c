//! Builds the whole application — configuration checks, secret key, database, router,
//! background tasks — and serves it until a shutdown signal.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use app::state::AppState;
use axum::Router;
use axum::serve::ListenerExt;
use engine::config::Config;
use engine::google::Google;
use engine::outbox::worker::{Worker, WorkerSettings};
use engine::tracking::Syncer;
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::database::Database;
use crate::http;

/// How often Gmail quota units recorded in memory are written to PostgreSQL.
const QUOTA_FLUSH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);
/// How long shutdown waits for in-flight sends to be recorded.
const WORKER_STOP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

pub struct Application {
    listener: TcpListener,
    router: Router,
    database: Database,
    state: AppState,
}

impl Application {
    /// Everything up to (not including) serving: fails fast with a clear message.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let (secret_key, generated) = engine::crypto::resolve_secret_key(
            config
                .secret_key_hex
                .as_ref()
                .map(|s| secrecy::ExposeSecret::expose_secret(s).to_string())
                .as_deref(),
            &config.data_dir,
        )
        .context("loading the secret key")?;
        if generated {
            tracing::warn!(
                path = %config.data_dir.join("secret.key").display(),
                "no OUTREACH_SECRET_KEY set: generated a new secret key into the data directory. Back it up — \
                 connected Gmail accounts cannot be used without it"
            );
        }
        if config.is_sandbox() {
            tracing::info!(
                "no Google credentials configured: sandbox mode, the built-in Gmail simulator answers"
            );
        }
        let database = Database::open(&config, 20).await?;
        let listener = TcpListener::bind(config.site_addr)
            .await
            .with_context(|| format!("listening on {} (LEPTOS_SITE_ADDR)", config.site_addr))?;
        let local_addr = listener.local_addr()?;
        let mut config = config;
        // A port of 0 (tests) becomes the real one, so links and the simulator URL work.
        if config.site_addr.port() == 0 {
            config.site_addr = local_addr;
            if config.base_url.port() == Some(0) {
                let _ = config.base_url.set_port(Some(local_addr.port()));
            }
        }
        let google = Google::from_config(&config, &secret_key, database.pool.clone())
            .map_err(|problem| anyhow::anyhow!(problem))?;
        google.quota.spawn_flusher(QUOTA_FLUSH_INTERVAL);
        let state = AppState::new(
            database.pool.clone(),
            Arc::new(config),
            Arc::new(secret_key),
            leptos_options(local_addr),
            google,
        );
        let router = router(state.clone()).await?;
        Ok(Self { listener, router, database, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then closes the database (and stops the embedded
    /// cluster).
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self { listener, router, database, state } = self;
        let (stop_worker, worker_stopped) = tokio::sync::watch::channel(false);
        // Every instance listens for live changes (its open dashboards hear of sends made by
        // any instance) and folds the campaigns' running counts.
        let listener_task = tokio::spawn(state.events.clone().listen(state.pool.clone()));
        let folder = tokio::spawn(engine::campaigns::counts::keep_folded(
            state.pool.clone(),
            worker_stopped.clone(),
        ));
        let worker = state.config.outbox.enabled.then(|| {
            let worker = Worker::new(
                state.pool.clone(),
                state.secret_key.clone(),
                state.google.clone(),
                state.config.base_url.clone(),
                WorkerSettings::from_config(&state.config.outbox),
            );
            tokio::spawn(worker.run(worker_stopped.clone()))
        });
        // Replies and bounces are read by the instances that send (same switch).
        let syncer = state.config.outbox.enabled.then(|| {
            let syncer =
                Syncer::new(state.pool.clone(), state.secret_key.clone(), state.google.clone());
            tokio::spawn(syncer.run(state.config.sync_interval, worker_stopped))
        });
        tracing::info!(address = %state.config.base_url, "Outreach is ready");
        let events = state.events.clone();
        let shutdown = async move {
            shutdown.await;
            // Open event streams end, or the graceful shutdown would wait for them forever.
            events.stop();
        };
        // Without TCP_NODELAY a streamed page's small last chunk waits for the browser's
        // delayed ACK (Nagle): about 40 ms added to most server-rendered pages.
        let listener = listener.tap_io(|stream| {
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(%error, "could not set TCP_NODELAY on a connection");
            }
        });
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await
            .context("serving HTTP")?;
        tracing::info!("shutting down");
        let _ = stop_worker.send(true);
        if let Some(worker) = worker
            && tokio::time::timeout(WORKER_STOP_TIMEOUT, worker).await.is_err()
        {
            tracing::warn!(
                "the outbox worker did not stop in time; its attempts will be checked at the next start"
            );
        }
        if let Some(syncer) = syncer
            && tokio::time::timeout(WORKER_STOP_TIMEOUT, syncer).await.is_err()
        {
            tracing::warn!("the reply sync did not stop in time");
        }
        let _ = listener_task.await;
        let _ = folder.await;
        if let Err(error) = state.google.quota.flush().await {
            tracing::warn!(%error, "could not record the last Gmail quota units");
        }
        if let Some(sandbox) = &state.google.sandbox
            && let Err(error) = sandbox.flush()
        {
            tracing::warn!(%error, "could not save the sandbox's state");
        }
        database.close(true).await;
        Ok(())
    }
}

/// The Leptos settings: cargo-leptos passes them as `LEPTOS_*` variables; a binary started
/// on its own uses the same defaults as `Cargo.toml`'s metadata.
fn leptos_options(site_addr: SocketAddr) -> LeptosOptions {
    let var =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_string());
    let env = if var("LEPTOS_ENV", "PROD").eq_ignore_ascii_case("DEV") {
        leptos::config::Env::DEV
    } else {
        leptos::config::Env::PROD
    };
    LeptosOptions::builder()
        .output_name(var("LEPTOS_OUTPUT_NAME", "outreach"))
        .site_root(var("LEPTOS_SITE_ROOT", "target/site"))
        .site_pkg_dir(var("LEPTOS_SITE_PKG_DIR", "pkg"))
        .site_addr(site_addr)
        .env(env)
        .build()
}

async fn router(state: AppState) -> anyhow::Result<Router> {
    let store = http::session_store::PgSessionStore::new(state.pool.clone());
    let sessions = SessionManagerLayer::new(store.clone())
        .with_name(http::SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(tower_sessions::cookie::SameSite::Lax)
        .with_secure(state.config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(time::Duration::days(14)));
    tokio::spawn(store.delete_expired_every(std::time::Duration::from_secs(3600)));
    Ok(http::with_common_layers(http::router(state).layer(sessions)))
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
