//! Integration tests of the Gmail client, Google OAuth and the simulator, through the real
//! HTTP stack: the simulator serves on a random local port and the client talks to it.

mod client_calls;
mod common;
mod control_api;
mod error_classes;
mod limits;
mod oauth_flow;
mod recipients;
