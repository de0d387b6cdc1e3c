//! Integration tests: the real application on a random port, a fresh database per test.

mod helpers;
mod sender_helpers;
mod tracking_helpers;

mod auth;
mod campaign_pages;
mod campaigns;
mod crash;
mod outbox;
mod pipeline;
mod rest;
mod sandbox;
mod senders;
mod suppressions;
mod tracking;
