//! The `outreach` server: configuration, database, the HTTP application and its workers.
//! `main.rs` is only the command line; tests start the same application through
//! [`startup::Application`].

pub mod cli;
pub mod database;
pub mod http;
pub mod startup;
pub mod telemetry;
