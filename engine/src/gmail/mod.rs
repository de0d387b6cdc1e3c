//! Everything Outreach needs to talk to Gmail: the REST client, its wire types, the
//! classification of Gmail's errors into what the engine should do, and Google OAuth.
//!
//! The same wire types are what the built-in simulator (`crate::sandbox`) serializes, so the
//! client and the simulator cannot drift apart on field names or number encodings.

pub mod base64url;
mod client;
mod error;
pub mod oauth;
mod quota;
pub mod types;

pub use client::{DEFAULT_API_ROOT, GmailClient, HistorySince, UPLOAD_THRESHOLD_BYTES};
pub use error::{ErrorBody, ErrorDetail, ErrorEnvelope, ErrorItem, GmailError, classify};
pub use quota::{GmailMethod, NoQuotaMeter, QuotaMeter, QuotaTally};
pub use types::*;

/// The address Gmail's own API understands as "the authenticated user".
pub const ME: &str = "me";
