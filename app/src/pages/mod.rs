//! One module per page (or group of pages), each with the server functions it calls.

pub mod campaigns;
pub mod dashboard;
pub mod login;
pub mod not_found;
pub mod outbox;
pub mod sandbox;
pub mod senders;
pub mod settings;
pub mod setup;
pub mod suppressions;
pub mod team;
