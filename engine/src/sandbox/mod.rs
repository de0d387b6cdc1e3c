//! The built-in Gmail simulator ("sandbox mode"): Google's OAuth and the Gmail API as
//! documented in GMAIL_API.md, served by one axum router, so a person can run a whole campaign
//! on a laptop and every test runs against something that behaves like Google.
//!
//! # Serving it
//! `Simulator::router()` has every route relative to the simulator's root: the app nests it
//! (`Router::new().nest("/sandbox/google", sim.router())`) and points `GOOGLE_AUTH_URL`,
//! `GOOGLE_TOKEN_URL`, `GOOGLE_REVOKE_URL`, `GOOGLE_USERINFO_URL` and `GMAIL_API_URL` at it.
//! Tests call `Simulator::spawn(config)`, which serves it on `127.0.0.1:<random>` and returns
//! the base URL. Time comes from `SimConfig::clock` plus the simulator's own fast-forward
//! (`Simulator::advance`); nothing runs in the background except the optional snapshot saver:
//! due reactions are materialized at the start of every request and on `advance`.
//!
//! # Google's routes
//! | route | what |
//! | --- | --- |
//! | `GET /o/oauth2/v2/auth` | consent page: pick a sandbox mailbox (or create one), untick scopes, Allow or Deny. Validates `client_id`, `redirect_uri`, `response_type=code`, `scope`, `access_type`, `prompt`, PKCE (`code_challenge`, `S256`/`plain`) |
//! | `POST /o/oauth2/v2/auth` | the page's form (same query string): `mailbox` (or `__new` + `new_address` + `new_kind`), `scope` (repeated), `decision=allow|deny` → redirect with `code`, `scope`, `state` or `error=access_denied` |
//! | `POST /token` | `authorization_code` and `refresh_token` grants; client auth by form or HTTP Basic |
//! | `POST /revoke` | `token=…`: revokes the grant (refresh token and its access tokens) |
//! | `GET /oauth2/v2/userinfo` | `{id, email, verified_email}` |
//! | `GET /gmail/v1/users/{userId}/profile` | getProfile |
//! | `POST /gmail/v1/users/{userId}/messages/send` | JSON `{raw, threadId?}` |
//! | `POST /upload/gmail/v1/users/{userId}/messages/send` | `uploadType=media` or `multipart`, up to 35 MiB |
//! | `GET /gmail/v1/users/{userId}/messages` | list: `q`, `labelIds`, `maxResults`, `pageToken`, `includeSpamTrash` |
//! | `GET /gmail/v1/users/{userId}/messages/{id}` | get: `format=full|metadata|minimal|raw`, `metadataHeaders` |
//! | `POST /gmail/v1/users/{userId}/messages/{id}/modify` | `{addLabelIds, removeLabelIds}` |
//! | `GET`/`POST /gmail/v1/users/{userId}/labels` | labels.list / labels.create |
//! | `GET /gmail/v1/users/{userId}/history` | `startHistoryId`, `historyTypes`, `labelId`, `maxResults`, `pageToken` |
//! | `GET /gmail/v1/users/{userId}/threads`, `…/threads/{id}` | threads.list / threads.get |
//!
//! # Control API (not Google's; JSON)
//! | route | what |
//! | --- | --- |
//! | `GET`/`POST /__control/mailboxes` | list / create `{address, kind}` (`gmail`, `workspace`, `workspace_trial`) |
//! | `GET /__control/mailboxes/{address}/messages` | the mailbox's messages, oldest first |
//! | `POST /__control/mailboxes/{address}/messages` | inject inbound mail: `{raw}` or `{from, subject, body, in_reply_to?}` |
//! | `POST /__control/mailboxes/{address}/tokens` | `{scopes}` → tokens without consent |
//! | `DELETE /__control/mailboxes/{address}/tokens` | revoke all of the mailbox's tokens |
//! | `PUT`/`DELETE /__control/mailboxes/{address}/faults` | set / clear the mailbox's own faults (`Faults`) |
//! | `PUT /__control/faults` | set the global faults |
//! | `GET /__control/quota`, `GET /__control/mailboxes/{address}/quota` | units per mailbox and method |
//! | `POST /__control/quota/reset` | forget units and per-minute windows |
//! | `GET /__control/clock`, `POST /__control/clock/advance` | `{now}`; advance by `{seconds}` |
//! | `GET /__control/deliveries?recipient=` | what the outside world received, with outcome and raw text |
//!
//! The same operations are methods on `Simulator` for in-process tests.
//!
//! # Default mailboxes
//! `ada@sandbox.outreach.test` (gmail, 500/day), `grace@workspace.sandbox.outreach.test`
//! (workspace, 2,000/day), `katherine@trial.sandbox.outreach.test` (workspace_trial, 500/day).
//! The OAuth client is `SANDBOX_CLIENT_ID` / `SANDBOX_CLIENT_SECRET`, any http(s) redirect URI.
//!
//! # Simulated recipients
//! See `recipients` for the `+tag` patterns (`+reply`, `+replynew`, `+ooo`, `+bounce`,
//! `+softbounce`, `+unsubscribe`). Mail to a sandbox mailbox's address (plus-addressing
//! included) also lands in that mailbox's inbox.

mod api_error;
mod auth;
mod config;
mod consent_page;
mod control;
mod faults;
mod gmail_routes;
mod limits;
mod listing;
mod mailbox;
mod oauth_routes;
mod params;
mod query;
pub mod recipients;
mod render;
mod rfc822;
mod simulator;
mod snapshot;
pub(crate) mod synthetic_mail;
mod threading;
mod upload;
mod world;

pub use auth::TokenResponse;
pub use config::{
    DailyCaps, MailboxKind, OAuthClient, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SimConfig,
};
pub use faults::Faults;
pub use simulator::{Inbound, MailboxSummary, MessageView, Simulator};
pub use world::{Delivery, DeliveryOutcome, MailboxError};
