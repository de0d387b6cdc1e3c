//! What every request handler and server function can reach: provided once by the server
//! (`leptos_routes_with_context`, axum state) and read with `expect_context::<AppState>()`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::FromRef;
use engine::config::Config;
use engine::crypto::SecretKey;
use engine::events::Events;
use engine::google::Google;
use leptos::config::LeptosOptions;
use sqlx::PgPool;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub secret_key: Arc<SecretKey>,
    pub leptos_options: LeptosOptions,
    /// Google's OAuth and Gmail clients, quota meters, and the sandbox simulator.
    pub google: Google,
    /// Live changes for the event streams (the server runs the listener that feeds it).
    pub events: Events,
    /// Once a first user exists it always will (the last admin cannot be removed), so the
    /// setup check stops querying the database after it first sees one.
    setup_done: Arc<AtomicBool>,
}

impl AppState {
    pub fn new(
        pool: PgPool,
        config: Arc<Config>,
        secret_key: Arc<SecretKey>,
        leptos_options: LeptosOptions,
        google: Google,
    ) -> Self {
        Self {
            pool,
            config,
            secret_key,
            leptos_options,
            google,
            events: Events::new(),
            setup_done: Arc::new(AtomicBool::new(false)),
        }
    }

    pub async fn setup_needed(&self) -> Result<bool, engine::Error> {
        if self.setup_done.load(Ordering::Relaxed) {
            return Ok(false);
        }
        let needed = engine::team::setup_needed(&self.pool).await?;
        if !needed {
            self.setup_done.store(true, Ordering::Relaxed);
        }
        Ok(needed)
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
