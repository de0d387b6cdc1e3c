//! Logging with `tracing`, filtered by `RUST_LOG` (default: info for our crates, warn for
//! the rest). What gets logged is chosen so that no secret, password, token or cookie ever
//! appears: request lines carry the path only (see `http::request_log`).

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("warn,outreach=info,server=info,app=info,engine=info,tower_http=warn")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
}
