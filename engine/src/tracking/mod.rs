//! Reply and bounce tracking: what an inbound message in a sender's mailbox means for the
//! lead it answers (classification), the per-account sync that fetches new messages, what
//! each one does to its lead, the `Outreach/…` Gmail labels, and the lead's timeline.

pub mod classify;
mod delivery_status;
pub(crate) mod effects;
mod inbound;
pub mod labels;
pub mod manual;
pub mod sync;
pub mod timeline;

pub use classify::{Inbound, InboundKind, classify};
pub use inbound::{BOUNCE_RATE_MIN_SENDS, bounce_rate_exceeded};
pub use sync::{SyncReport, Syncer};
