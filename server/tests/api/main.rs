//! Integration tests: the real application on a random port, a fresh database per test.

mod binary_helpers;
mod helpers;
mod sender_helpers;
mod tracking_helpers;

mod auth;
mod bad_input;
mod campaign_pages;
mod campaigns;
mod completion;
mod crash;
mod dashboard;
mod outbox;
mod pipeline;
mod rest;
mod sandbox;
mod security;
mod senders;
mod soak;
mod suppressions;
mod tracking;
