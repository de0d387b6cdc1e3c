//! The Outreach web UI (Leptos: SSR + hydration) and, on the server, the REST API.
//!
//! Compiled twice: with `ssr` into the server binary (rendering, server functions, REST),
//! with `hydrate` into the WASM bundle that makes the rendered pages interactive.

// Deeply nested views (the campaign pages) need more than the default 128.
#![recursion_limit = "256"]

pub mod auth;
pub mod codec;
pub mod components;
pub mod error;
pub mod format;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod downloads;
#[cfg(feature = "ssr")]
pub mod live;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod unsubscribe;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::components::layout::AppShell;
use crate::components::ui::SandboxBanner;
use crate::pages::sandbox::{SandboxMailboxPage, SandboxMessagePage, SandboxPage};
use crate::pages::{
    campaigns::{CampaignPage, CampaignsPage, LeadPage},
    dashboard::DashboardPage,
    login::LoginPage,
    not_found::NotFoundPage,
    outbox::OutboxPage,
    senders::SendersPage,
    settings::SettingsPage,
    setup::SetupPage,
    suppressions::SuppressionsPage,
    team::TeamPage,
};

/// The HTML document around the app (server side only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en" class="h-full bg-slate-50">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body class="h-full text-slate-900 antialiased">
                <App/>
            </body>
        </html>
    }
}

/// Whether the built-in Gmail simulator is answering instead of Google.
#[server(output = crate::codec::Json)]
pub async fn sandbox_mode() -> Result<bool, error::AppError> {
    Ok(expect_context::<state::AppState>().config.is_sandbox())
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let sandbox = Resource::new(|| (), |_| sandbox_mode());
    view! {
        <Stylesheet id="leptos" href="/pkg/outreach.css"/>
        <Title formatter=|page: String| if page.is_empty() { "Outreach".to_string() } else { format!("{page} · Outreach") }/>
        <Transition fallback=|| ()>
            {move || sandbox.get().and_then(Result::ok).filter(|on| *on).map(|_| view! { <SandboxBanner/> })}
        </Transition>
        <Router>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/setup") view=SetupPage/>
                <Route path=path!("/login") view=LoginPage/>
                <ParentRoute path=path!("") view=AppShell>
                    <Route path=path!("") view=DashboardPage/>
                    <Route path=path!("campaigns") view=CampaignsPage/>
                    <Route path=path!("campaigns/:id") view=CampaignPage/>
                    <Route path=path!("campaigns/:id/leads/:lead_id") view=LeadPage/>
                    <Route path=path!("outbox") view=OutboxPage/>
                    <Route path=path!("senders") view=SendersPage/>
                    <Route path=path!("sandbox") view=SandboxPage/>
                    <Route path=path!("sandbox/mailboxes/:address") view=SandboxMailboxPage/>
                    <Route path=path!("sandbox/mailboxes/:address/:id") view=SandboxMessagePage/>
                    <Route path=path!("sandbox/deliveries/:seq") view=SandboxMessagePage/>
                    <Route path=path!("suppressions") view=SuppressionsPage/>
                    <Route path=path!("settings") view=SettingsPage/>
                    // Rendered whole before sending, so a rep gets a real 403 status.
                    <Route path=path!("settings/team") view=TeamPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
