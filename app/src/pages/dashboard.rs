//! `/`: the dashboard of running campaigns.

use leptos::prelude::*;

use crate::components::ui::{EmptyState, PageHeader};

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <PageHeader title="Dashboard" subtitle="Your running campaigns, live."/>
        <EmptyState
            title="No running campaigns"
            message="Connect a Gmail sender account, then create a campaign from a CSV of leads. Its progress shows up here as it sends."
            action_href="/campaigns"
            action_label="Go to campaigns"
        />
    }
}
