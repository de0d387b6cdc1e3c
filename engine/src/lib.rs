//! Outreach's domain logic, shared by the web UI's server functions (`app`), the REST API and
//! the `outreach` binary (`server`).
//!
//! Without the `server` feature only the WASM-safe core is compiled (what the browser needs
//! for live previews); everything that talks to PostgreSQL, Gmail or the network is behind it.

#[cfg(feature = "server")]
pub mod clock;
#[cfg(feature = "server")]
pub mod gmail;
#[cfg(feature = "server")]
pub mod sandbox;
