//! Reply and bounce tracking: what an inbound message in a sender's mailbox means for the
//! lead it answers (classification here; the sync that fetches messages lives beside it).

pub mod classify;
mod delivery_status;

pub use classify::{Inbound, InboundKind, classify};
