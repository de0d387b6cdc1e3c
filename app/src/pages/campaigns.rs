//! `/campaigns`: the team's campaigns.

use leptos::prelude::*;

use crate::components::ui::{EmptyState, PageHeader};

#[component]
pub fn CampaignsPage() -> impl IntoView {
    view! {
        <PageHeader title="Campaigns" subtitle="Leads, steps and schedules."/>
        <EmptyState
            title="No campaigns yet"
            message="Campaigns are where you upload leads, write your emails and follow-ups, and choose when and from which accounts they go out."
        />
    }
}
