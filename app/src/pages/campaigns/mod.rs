//! `/campaigns` and `/campaigns/:id`: the team's campaigns, and one campaign with its leads
//! (table or pipeline board), steps (editor, preview, lint), schedule and charts;
//! `/campaigns/:id/leads/:lead_id`: one lead.

mod charts;
mod detail;
mod guide;
mod lead;
mod leads;
mod pipeline;
mod schedule;
mod steps;

use engine::model::{CampaignStatus, CampaignSummary};
use leptos::prelude::*;
use server_fn::ServerFn;
use uuid::Uuid;

pub use charts::*;
pub use detail::*;
pub use guide::*;
pub use lead::*;
pub use leads::*;
pub use pipeline::*;
pub use schedule::*;
pub use steps::*;

use crate::components::form_post::FormPost;
use crate::components::forms::{FormError, TextField, field_error, go_to, hydration_marker};
use crate::components::ui::{Badge, Card, EmptyState, PageHeader, Tone};
use crate::error::AppError;
use crate::format::{count, datetime};

#[server(output = crate::codec::Json)]
pub async fn list_campaigns() -> Result<Vec<CampaignSummary>, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    Ok(engine::campaigns::list(&state.pool, user.team_id).await?)
}

/// Creates a draft with only a name; returns its id (the page then opens it).
#[server(output = crate::codec::Json)]
pub async fn create_campaign(name: String) -> Result<Uuid, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    let new = engine::model::NewCampaign {
        name,
        sender_ids: Vec::new(),
        steps: Vec::new(),
        schedule: None,
        settings: None,
    };
    let campaign = engine::campaigns::create(&state.pool, user.team_id, Some(user.id), new).await?;
    Ok(campaign.id)
}

pub(crate) fn status_tone(status: CampaignStatus) -> Tone {
    match status {
        CampaignStatus::Draft => Tone::Neutral,
        CampaignStatus::Running => Tone::Good,
        CampaignStatus::Paused => Tone::Warning,
        CampaignStatus::Completed => Tone::Info,
        CampaignStatus::Cancelled => Tone::Bad,
    }
}

/// Why the campaign paused or completed by itself: a warning for a pause, news for the end.
#[component]
pub(crate) fn StatusReason(status: CampaignStatus, reason: Option<String>) -> impl IntoView {
    let color = match status {
        CampaignStatus::Completed => "text-slate-600",
        _ => "text-amber-800",
    };
    reason.map(|reason| {
        view! { <p class=format!("mt-1 text-sm {color}") data-testid="status-reason">{reason}</p> }
    })
}

#[component]
pub fn CampaignsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_campaigns());
    view! {
        <PageHeader title="Campaigns" subtitle="Leads, steps and schedules."/>
        <div class="grid gap-6 lg:grid-cols-3">
            <div class="lg:col-span-2">
                <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
                    {move || list.get().map(|result| match result {
                        Err(e) => view! { <p class="text-sm text-rose-600">{e.to_string()}</p> }.into_any(),
                        Ok(items) if items.is_empty() => view! {
                            <EmptyState title="No campaigns yet"
                                message="Give your first campaign a name with the form here. Then upload your leads as a CSV file, write the email and its follow-ups, choose the sending days and accounts, and start it."/>
                        }.into_any(),
                        Ok(items) => view! { <CampaignTable items/> }.into_any(),
                    })}
                </Suspense>
            </div>
            <Card title="New campaign" description="It starts as a draft: nothing is sent until you start it.">
                <NewCampaignForm/>
            </Card>
        </div>
    }
}

/// Creates the draft and opens it.
#[island]
fn NewCampaignForm() -> impl IntoView {
    let create = FormPost::new();
    Effect::new(move |_| {
        if let Some(id) = create.answer::<Uuid>() {
            go_to(&format!("/campaigns/{id}"));
        }
    });
    let hydrated = hydration_marker();
    let error = create.error();
    view! {
        <form method="post" action=CreateCampaign::url() on:submit=create.on_submit() class="space-y-4" data-testid="new-campaign-form" data-hydrated=move || hydrated.get().to_string()>
            <FormError error/>
            <TextField label="Campaign name" name="name" placeholder="Q4 outreach to agencies" required=true
                error=field_error(error, "name")/>
            <button type="submit" disabled=move || create.pending().get()
                class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-60">
                "Create campaign"
            </button>
        </form>
    }
}

#[component]
fn CampaignTable(items: Vec<CampaignSummary>) -> impl IntoView {
    view! {
        <div class="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="campaign-table">
                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                    <tr>
                        <th scope="col" class="px-4 py-3">"Campaign"</th>
                        <th scope="col" class="px-4 py-3">"Status"</th>
                        <th scope="col" class="px-4 py-3 text-right">"Leads"</th>
                        <th scope="col" class="px-4 py-3 text-right">"Steps"</th>
                        <th scope="col" class="hidden px-4 py-3 md:table-cell">"Created"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {items.into_iter().map(|c| view! {
                        <tr>
                            <td class="px-4 py-3">
                                <a href=format!("/campaigns/{}", c.id) class="font-medium text-indigo-700 hover:underline">{c.name}</a>
                                {c.status_reason.map(|r| view! { <p class="text-xs text-slate-500">{r}</p> })}
                            </td>
                            <td class="px-4 py-3"><Badge tone=status_tone(c.status) text=c.status.as_str()/></td>
                            <td class="px-4 py-3 text-right tabular-nums">{count(c.leads.max(0) as u64)}</td>
                            <td class="px-4 py-3 text-right tabular-nums">{c.steps}</td>
                            <td class="hidden px-4 py-3 text-slate-500 md:table-cell">{datetime(c.created_at)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
