//! `/senders`: the Gmail accounts the team sends from.

use leptos::prelude::*;

use crate::components::ui::{EmptyState, PageHeader};

#[component]
pub fn SendersPage() -> impl IntoView {
    view! {
        <PageHeader title="Sender accounts" subtitle="The Gmail and Google Workspace accounts your team sends from."/>
        <EmptyState
            title="No sender accounts connected"
            message="An admin connects Gmail accounts here; each one sends within Gmail's daily limit."
        />
    }
}
