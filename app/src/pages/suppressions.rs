//! `/suppressions`: addresses and domains the team never mails.

use leptos::prelude::*;

use crate::components::ui::{EmptyState, PageHeader};

#[component]
pub fn SuppressionsPage() -> impl IntoView {
    view! {
        <PageHeader title="Suppression list" subtitle="Addresses and domains your team never emails."/>
        <EmptyState
            title="Nobody is suppressed yet"
            message="People who unsubscribe or bounce are added here automatically, and are never emailed again by anyone on the team."
        />
    }
}
