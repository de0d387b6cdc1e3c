//! `/campaigns/:id/leads/:lead_id`: one lead — its fields, status and timeline (messages sent,
//! replies, bounces, opt-outs, with the raw evidence) and the one-click "Mark as replied" and
//! "Suppress" buttons (with "Undo" in a toast after them). The server draws the lead; the
//! island around it sends the buttons and draws nothing but the toast.

use engine::model::{LeadDetail, LeadEvent, LeadEventKind, LeadStatus};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use super::leads::lead_tone;
use super::pipeline::{LeadActions, LeadChangeForm, UndoToast};
use crate::components::forms::hydration_marker;
use crate::components::server_html::follow_server_html;
#[cfg(feature = "ssr")]
use crate::components::server_html::render_to_html;
use crate::components::ui::{Badge, ErrorPanel, Tone};
use crate::error::AppError;
use crate::format::datetime;

#[server(output = crate::codec::Json)]
pub async fn load_lead(lead_id: Uuid) -> Result<LeadDetail, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    Ok(engine::tracking::manual::detail(&state.pool, user.team_id, lead_id).await?)
}

/// `status` is `replied` (stops the follow-ups) or `suppressed` (also suppresses the address).
#[server(output = crate::codec::Json)]
pub async fn change_lead(lead_id: Uuid, status: String) -> Result<LeadDetail, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    let status = LeadStatus::parse(&status).ok_or_else(|| AppError::Invalid {
        field: Some("status".into()),
        message: format!("'{status}' is not a lead status"),
    })?;
    let change = engine::model::LeadPatch { status };
    let now = state.google.oauth.now();
    Ok(engine::tracking::manual::patch(
        &state.pool,
        user.team_id,
        lead_id,
        &change,
        Some(user.id),
        now,
    )
    .await?)
}

/// The lead's part of its page, drawn by the server, for the island to put in place after a
/// change.
#[server(output = crate::codec::Json)]
pub async fn lead_html(campaign_id: Uuid, lead_id: Uuid) -> Result<String, AppError> {
    let detail = load_lead(lead_id).await?;
    Ok(render_to_html(move || lead_view(Some((campaign_id, lead_id)), Ok(detail))))
}

#[component]
pub fn LeadPage() -> impl IntoView {
    let params = use_params_map().read_untracked().clone();
    let parse = |name: &str| params.get(name).and_then(|s| Uuid::parse_str(&s).ok());
    let ids = parse("id").zip(parse("lead_id"));
    let lead = Resource::new(
        move || ids,
        |ids| async move {
            match ids {
                Some((_, lead_id)) => load_lead(lead_id).await,
                None => Err(AppError::NotFound("Lead".into())),
            }
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || lead.get().and_then(Result::ok).map(|detail| view! { <Title text=detail.lead.email/> })}
        </Suspense>
        <LeadIsland ids>
            <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
                {move || lead.get().map(|detail| lead_view(ids, detail))}
            </Suspense>
        </LeadIsland>
    }
}

/// The lead, or why it cannot be shown. `ids`: the campaign's and the lead's from the address.
fn lead_view(ids: Option<(Uuid, Uuid)>, detail: Result<LeadDetail, AppError>) -> AnyView {
    match detail {
        Ok(detail) if ids.is_some_and(|(c, _)| c == detail.lead.campaign_id) => {
            view! { <LeadView detail/> }.into_any()
        }
        Ok(_) | Err(AppError::NotFound(_)) => view! {
            <ErrorPanel code="404" title="Lead not found".to_string()
                message="It does not exist, or it belongs to another team.".to_string()/>
        }
        .into_any(),
        Err(e) => {
            view! { <p role="alert" class="text-sm text-rose-600">{e.to_string()}</p> }.into_any()
        }
    }
}

/// Sends the lead's buttons through the actions (the page stays, the toast offers Undo) and
/// puts the lead, drawn again by the server, in place after each change.
#[island]
fn LeadIsland(ids: Option<(Uuid, Uuid)>, children: Children) -> impl IntoView {
    let hydrated = hydration_marker();
    let actions = LeadActions::provide();
    let region = NodeRef::new();
    follow_server_html(Signal::derive(move || actions.version()), region, move || {
        let (campaign_id, lead_id) = ids.unwrap_or_default();
        lead_html(campaign_id, lead_id)
    });
    view! {
        <div data-hydrated=move || hydrated.get().to_string()>
            <div node_ref=region on:submit=actions.send_changes()>{children()}</div>
            <UndoToast/>
        </div>
    }
}

#[component]
fn LeadView(detail: LeadDetail) -> impl IntoView {
    let LeadDetail { lead, events } = detail;
    let stopped = !matches!(
        lead.status,
        LeadStatus::Pending
            | LeadStatus::InSequence
            | LeadStatus::AutoReplied
            | LeadStatus::Completed
    );
    let buttons = [("replied", "Mark as replied"), ("suppressed", "Suppress")];
    view! {
        <div class="mb-4 text-sm">
            <a href=format!("/campaigns/{}", lead.campaign_id) class="text-indigo-600 hover:underline">"← Campaign"</a>
        </div>
        <div class="flex flex-wrap items-start justify-between gap-4">
            <div class="min-w-0">
                <h1 class="flex flex-wrap items-center gap-3 text-2xl font-semibold tracking-tight text-slate-900">
                    <span class="break-all">{lead.email.clone()}</span>
                    <span data-testid="lead-status"><Badge tone=lead_tone(lead.status) text=lead.status.as_str().replace('_', " ")/></span>
                </h1>
                <p class="mt-1 text-sm text-slate-600">
                    {[lead.first_name.clone(), lead.company.clone()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · ")}
                </p>
            </div>
            <div class="flex flex-wrap gap-2">
                {buttons.into_iter().filter(|_| !stopped).map(|(status, label)| view! {
                    <LeadChangeForm lead_id=lead.id status>
                        <button type="submit"
                            class="rounded-md bg-white px-3 py-2 text-sm font-semibold text-slate-800 ring-1 ring-slate-300 hover:bg-slate-50">
                            {label}
                        </button>
                    </LeadChangeForm>
                }).collect_view()}
            </div>
        </div>
        <section class="mt-6" aria-labelledby="timeline-heading">
            <h2 id="timeline-heading" class="text-base font-semibold text-slate-900">"Timeline"</h2>
            {if events.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-500">"Nothing sent yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="mt-3 space-y-3" data-testid="lead-timeline">
                        {events.into_iter().map(|event| view! { <TimelineEntry event/> }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn TimelineEntry(event: LeadEvent) -> impl IntoView {
    let tone = match event.kind {
        LeadEventKind::Sent => Tone::Info,
        LeadEventKind::Replied | LeadEventKind::MarkedReplied => Tone::Good,
        LeadEventKind::Bounced => Tone::Bad,
        _ => Tone::Warning,
    };
    view! {
        <li class="rounded-lg border border-slate-200 bg-white p-3 text-sm" data-kind=event.kind.as_str()>
            <div class="flex flex-wrap items-center gap-2">
                <Badge tone text=event.kind.as_str().replace('_', " ")/>
                <time class="text-xs text-slate-500" datetime=event.occurred_at.to_rfc3339()>{datetime(event.occurred_at)}</time>
            </div>
            <p class="mt-1 break-words text-slate-800">{event.summary}</p>
            {event.evidence.map(|evidence| view! {
                <details class="mt-2">
                    <summary class="cursor-pointer text-xs text-slate-500">"Raw headers (evidence)"</summary>
                    <pre class="mt-1 max-h-64 overflow-auto whitespace-pre-wrap break-all rounded bg-slate-50 p-2 text-xs text-slate-700">{evidence}</pre>
                </details>
            })}
        </li>
    }
}
