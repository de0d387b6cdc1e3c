//! Outreach's domain logic, shared by the web UI's server functions (`app`), the REST API and
//! the `outreach` binary (`server`).
//!
//! Without the `server` feature only the shapes and small helpers the browser needs are
//! compiled; everything that talks to PostgreSQL, Gmail or the network is behind it, and so
//! are templates and field names (the browser asks the server to check and render those, so
//! its bundle carries neither the parser nor the Unicode tables).

pub mod email_address;
pub mod model;
pub mod sandbox_inbox;
pub mod send_estimate;
pub mod senders;
pub mod single_line;

#[cfg(feature = "server")]
pub mod auth;
#[cfg(feature = "server")]
pub mod campaigns;
#[cfg(feature = "server")]
pub mod clock;
#[cfg(feature = "server")]
pub mod compose;
#[cfg(feature = "server")]
pub mod config;
#[cfg(feature = "server")]
pub mod crypto;
#[cfg(feature = "server")]
pub mod csv_import;
#[cfg(feature = "server")]
pub mod dashboard;
#[cfg(feature = "server")]
pub mod db;
#[cfg(feature = "server")]
pub mod error;
#[cfg(feature = "server")]
pub mod events;
#[cfg(feature = "server")]
pub mod field_name;
#[cfg(feature = "server")]
pub mod gmail;
#[cfg(feature = "server")]
pub mod google;
#[cfg(feature = "server")]
pub mod mime;
#[cfg(feature = "server")]
pub mod outbox;
#[cfg(feature = "server")]
pub mod sandbox;
#[cfg(feature = "server")]
pub mod scheduling;
#[cfg(feature = "server")]
pub mod suppression;
#[cfg(feature = "server")]
pub mod team;
#[cfg(feature = "server")]
pub mod template;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "server")]
pub mod tracking;
#[cfg(feature = "server")]
pub mod unsubscribe;
#[cfg(feature = "server")]
pub mod web_session;

#[cfg(feature = "server")]
pub use error::{Error, Result};
