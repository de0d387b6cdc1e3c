//! Integration tests: the real application on a random port, a fresh database per test.

mod helpers;
mod sender_helpers;
mod tracking_helpers;

mod auth;
mod campaign_pages;
mod campaigns;
mod crash;
mod dashboard;
mod outbox;
mod rest;
mod sandbox;
mod senders;
mod suppressions;
mod tracking;
