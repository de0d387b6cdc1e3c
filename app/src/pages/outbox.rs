//! `/outbox`: every planned email with its state, next try and last error (like the Nylas
//! Outbox), filtered by campaign and status.

use engine::model::{CampaignSummary, OutboxMessage, OutboxStatus, Page};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::components::ui::{Badge, EmptyState, PageHeader, Pager, Tone};
use crate::error::AppError;
use crate::format::datetime;

#[cfg(feature = "ssr")]
const PER_PAGE: i64 = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxView {
    pub page: Page<OutboxMessage>,
    pub campaigns: Vec<CampaignSummary>,
}

#[server(output = crate::codec::Json)]
pub async fn load_outbox(
    campaign_id: Option<Uuid>,
    status: Option<String>,
    page: i64,
) -> Result<OutboxView, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    let status = status.as_deref().and_then(OutboxStatus::parse);
    let filter = engine::outbox::OutboxFilter { campaign_id, status, lead_id: None };
    let page = engine::outbox::list(&state.pool, user.team_id, &filter, page, PER_PAGE).await?;
    let campaigns = engine::campaigns::list(&state.pool, user.team_id).await?;
    Ok(OutboxView { page, campaigns })
}

#[component]
pub fn OutboxPage() -> impl IntoView {
    let query = use_query_map();
    let campaign = move || query.read().get("campaign_id").unwrap_or_default();
    let status = move || query.read().get("status").unwrap_or_default();
    let page = move || query.read().get("page").and_then(|p| p.parse::<i64>().ok()).unwrap_or(1);
    let outbox = Resource::new(
        move || (campaign(), status(), page()),
        |(campaign, status, page)| {
            load_outbox(campaign.parse().ok(), Some(status).filter(|s| !s.is_empty()), page)
        },
    );
    view! {
        <PageHeader title="Outbox" subtitle="Every planned email: when it goes, how many attempts it took, and what Gmail said."/>
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
            {move || outbox.get().map(|result| match result {
                Err(e) => view! { <p class="text-sm text-rose-600">{e.to_string()}</p> }.into_any(),
                Ok(view) => view! { <OutboxFilters campaigns=view.campaigns.clone() campaign=campaign() status=status()/> <OutboxTable page=view.page campaign=campaign() status=status()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn OutboxFilters(
    campaigns: Vec<CampaignSummary>,
    campaign: String,
    status: String,
) -> impl IntoView {
    view! {
        <form method="get" action="" class="mb-4 flex flex-wrap items-end gap-3">
            <div>
                <label for="outbox-campaign" class="block text-xs font-medium text-slate-600">"Campaign"</label>
                <select id="outbox-campaign" name="campaign_id" class="mt-1 rounded-md border border-slate-300 bg-white px-3 py-2 text-sm">
                    <option value="" selected=campaign.is_empty()>"All campaigns"</option>
                    {campaigns.into_iter().map(|c| {
                        let id = c.id.to_string();
                        let selected = id == campaign;
                        view! { <option value=id selected=selected>{c.name}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="outbox-status" class="block text-xs font-medium text-slate-600">"Status"</label>
                <select id="outbox-status" name="status" class="mt-1 rounded-md border border-slate-300 bg-white px-3 py-2 text-sm">
                    <option value="" selected=status.is_empty()>"Any status"</option>
                    {OutboxStatus::ALL.iter().map(|s| {
                        let selected = s.as_str() == status;
                        view! { <option value=s.as_str() selected=selected>{s.as_str()}</option> }
                    }).collect_view()}
                </select>
            </div>
            <button type="submit" class="rounded-md bg-slate-800 px-3 py-2 text-sm font-semibold text-white hover:bg-slate-700">"Filter"</button>
        </form>
    }
}

#[component]
fn OutboxTable(page: Page<OutboxMessage>, campaign: String, status: String) -> impl IntoView {
    if page.items.is_empty() {
        return view! {
            <EmptyState title="Nothing in the outbox"
                message="Start a campaign: its first emails appear here right away, follow-ups when the step before them is sent."/>
        }
        .into_any();
    }
    let pages = page.pages();
    let current = page.page;
    let link = move |to: i64| format!("/outbox?campaign_id={campaign}&status={status}&page={to}");
    view! {
        <div class="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="outbox-table">
                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                    <tr>
                        <th scope="col" class="px-4 py-3">"Recipient"</th>
                        <th scope="col" class="px-4 py-3">"Step"</th>
                        <th scope="col" class="px-4 py-3">"Status"</th>
                        <th scope="col" class="px-4 py-3">"Sent / next try"</th>
                        <th scope="col" class="px-4 py-3">"Attempts"</th>
                        <th scope="col" class="px-4 py-3">"Details"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {page.items.into_iter().map(|m| {
                        let when = m.sent_at.unwrap_or(m.send_at);
                        view! {
                            <tr>
                                <td class="px-4 py-3">
                                    <span class="font-medium text-slate-900">{m.lead_email.clone()}</span>
                                    {m.subject.clone().map(|s| view! { <p class="text-xs text-slate-500">{s}</p> })}
                                </td>
                                <td class="px-4 py-3">{m.step}</td>
                                <td class="px-4 py-3"><Badge tone=status_tone(m.status) text=m.status.as_str()/></td>
                                <td class="px-4 py-3 text-slate-600">{datetime(when)}</td>
                                <td class="px-4 py-3">{m.attempts}</td>
                                <td class="px-4 py-3 text-xs text-slate-500">
                                    {m.last_error.clone().map(|e| view! { <p class="text-rose-700">{e}</p> })}
                                    {m.message_id.clone().map(|id| view! { <p>"Message-ID " {id}</p> })}
                                    {m.delivered_message_id.clone().map(|id| view! { <p data-testid="delivered-message-id">"Gmail replaced it: delivered as " {id}</p> })}
                                    {m.gmail_thread_id.clone().map(|id| view! { <p>"Gmail thread " {id}</p> })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <Pager total=page.total noun="messages" current pages link/>
        </div>
    }
    .into_any()
}

fn status_tone(status: OutboxStatus) -> Tone {
    match status {
        OutboxStatus::Sent => Tone::Good,
        OutboxStatus::Failed => Tone::Bad,
        OutboxStatus::Pending | OutboxStatus::Ambiguous => Tone::Warning,
        OutboxStatus::Sending => Tone::Info,
        OutboxStatus::Scheduled | OutboxStatus::Cancelled => Tone::Neutral,
    }
}
