//! Sender accounts: the team's connected Gmail addresses, how they get connected (OAuth web
//! flow), their encrypted tokens, limits, quota and who may use them.
//!
//! What other parts of the engine call:
//! - `access_token(pool, key, oauth, team_id, sender_id)` — a usable access token, refreshed
//!   shortly before expiry, one refresh at a time per account across instances; after a 401,
//!   `access_token_after_rejection`. `TokenError::NeedsReauth` means an admin must reconnect.
//! - `QuotaMeters::client(&gmail, team_id, sender_id)` — a Gmail client whose calls are booked
//!   as quota units to the account (flushed to PostgreSQL in the background).
//! - `record_send` / `send_allowance` — the sends ledger behind the rolling 24-hour cap.
//! - `get_any`, `ensure_usable`, `mark_needs_reauth`, `pause_until` — lookups and the status
//!   changes the outbox and sync report.
//!
//! `engine::google::Google` holds the OAuth client, the Gmail client and the quota meters the
//! app was configured with (Google, a Google-compatible server, or the built-in sandbox).
//!
//! The types (`SenderAccount`, `SenderKind`, `SenderStatus`, `DailyCap`) are WASM-safe; the
//! rest needs the `server` feature.

mod model;

pub use model::*;

#[cfg(feature = "server")]
mod connect;
#[cfg(feature = "server")]
mod ledger;
#[cfg(feature = "server")]
mod quota;
#[cfg(feature = "server")]
mod store;
#[cfg(feature = "server")]
mod tokens;

#[cfg(feature = "server")]
pub use connect::{ConnectFailure, Connected, STATE_LIFETIME, begin_connect, complete_connect};
#[cfg(feature = "server")]
pub use ledger::{SendAllowance, record_send, release_send, send_allowance, sent_last_24h};
#[cfg(feature = "server")]
pub use quota::QuotaMeters;
#[cfg(feature = "server")]
pub use store::{
    SenderChanges, allowed_users, ensure_usable, get, get_any, list, list_all, mark_needs_reauth,
    pause_until, set_access, update,
};
#[cfg(feature = "server")]
pub use tokens::{
    REFRESH_MARGIN, TokenError, access_token, access_token_after_rejection, disconnect,
};
