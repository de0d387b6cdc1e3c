//! `/`: the dashboard — every running or paused campaign with its progress today and
//! overall, when it sends next and should finish, its replies and bounces, and the state of
//! its sender accounts; campaigns completed in the last week stay, with their final figures.
//! Live: the browser follows `/events` and reloads the figures on each change, without
//! reloading the page.

use chrono::{DateTime, Utc};
use engine::model::{CampaignProgress, CampaignStatus, Dashboard};
use engine::senders::{SenderAccount, SenderStatus};
use leptos::prelude::*;
use leptos_meta::Title;

use super::campaigns::{StatusReason, status_tone};
use super::senders::status_badge;
use crate::components::server_html::follow_server_html;
use crate::components::ui::{Badge, EmptyState, PageHeader};
use crate::error::AppError;
use crate::format::{count, datetime, relative};

#[server(output = crate::codec::Json)]
pub async fn load_dashboard() -> Result<Dashboard, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    Ok(engine::dashboard::load(&state.pool, user.team_id, chrono::Utc::now()).await?)
}

/// Whether the page hears of changes as they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Live {
    /// Before the browser has connected (and on the server).
    Connecting,
    On,
    /// The connection dropped; the browser retries by itself.
    Reconnecting,
}

/// The dashboard's figures, drawn by the server, for the live island to put in place.
#[server(output = crate::codec::Json)]
pub async fn dashboard_html() -> Result<String, AppError> {
    let figures = figures(Ok(load_dashboard().await?));
    Ok(crate::components::server_html::render_to_html(move || figures))
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let dashboard = Resource::new(|| (), |_| load_dashboard());
    view! {
        <Title text="Dashboard"/>
        <LiveDashboard>
            <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
                {move || dashboard.get().map(figures)}
            </Suspense>
        </LiveDashboard>
    }
}

fn figures(dashboard: Result<Dashboard, AppError>) -> AnyView {
    match dashboard {
        Err(e) => {
            view! { <p role="alert" class="text-sm text-rose-600">{e.to_string()}</p> }.into_any()
        }
        Ok(dashboard) => view! { <Campaigns dashboard/> }.into_any(),
    }
}

/// Follows the server's changes: the figures (`children`, drawn by the server) are drawn
/// again by the server on each change and put in place, the page stays.
#[island]
fn LiveDashboard(children: Children) -> impl IntoView {
    // Bumped on every change the server tells of.
    let changes = RwSignal::new(0_usize);
    let live = RwSignal::new(Live::Connecting);
    follow_changes(changes, live);
    let figures = NodeRef::new();
    follow_server_html(changes.into(), figures, dashboard_html);
    view! {
        <PageHeader title="Dashboard" subtitle="Your running campaigns, live; finished ones stay here for a week.">
            <LiveIndicator live/>
        </PageHeader>
        <div node_ref=figures>{children()}</div>
    }
}

/// Opens an `EventSource` on `/events` (in the browser only) and bumps `changes` on each
/// event — and once after a reconnection, for what happened while it was away. Browsers
/// reconnect an `EventSource` by themselves after a network drop.
///
/// A hidden tab lets go of its stream and opens a new one (and reloads the figures) when it
/// is shown again: over HTTP/1.1 a browser opens at most six connections to the app, so six
/// background dashboard tabs would otherwise stall every other page.
fn follow_changes(changes: RwSignal<usize>, live: RwSignal<Live>) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use std::cell::RefCell;
        use std::rc::Rc;

        use send_wrapper::SendWrapper;
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;

        let stream = Rc::new(RefCell::new(None::<ChangeStream>));
        let follow_visibility = {
            let stream = Rc::clone(&stream);
            move || {
                if document().hidden() {
                    stream.borrow_mut().take();
                } else if stream.borrow().is_none() {
                    *stream.borrow_mut() = ChangeStream::open(changes, live);
                    // Whatever changed while hidden.
                    changes.update(|n| *n += 1);
                }
            }
        };
        if !document().hidden() {
            *stream.borrow_mut() = ChangeStream::open(changes, live);
        }
        let on_visibility = Closure::<dyn FnMut()>::new(follow_visibility);
        let _ = document_target().add_event_listener_with_callback(
            "visibilitychange",
            on_visibility.as_ref().unchecked_ref(),
        );
        // Leaving the page closes the stream and stops listening.
        let held = SendWrapper::new((stream, on_visibility));
        on_cleanup(move || {
            let (stream, on_visibility) = held.take();
            let _ = document_target().remove_event_listener_with_callback(
                "visibilitychange",
                on_visibility.as_ref().unchecked_ref(),
            );
            stream.borrow_mut().take();
        });
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (changes, live);
}

#[cfg(feature = "hydrate")]
fn document_target() -> web_sys::EventTarget {
    document().into()
}

/// One open `EventSource` on `/events` with its callbacks; dropping it closes the stream.
#[cfg(feature = "hydrate")]
struct ChangeStream {
    source: web_sys::EventSource,
    // Kept for as long as the source may call them.
    _on_open: wasm_bindgen::closure::Closure<dyn FnMut()>,
    _on_message: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: wasm_bindgen::closure::Closure<dyn FnMut()>,
}

#[cfg(feature = "hydrate")]
impl ChangeStream {
    fn open(changes: RwSignal<usize>, live: RwSignal<Live>) -> Option<Self> {
        use std::cell::Cell;

        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        use web_sys::{EventSource, MessageEvent};

        let Ok(source) = EventSource::new("/events") else {
            live.set(Live::Reconnecting);
            return None;
        };
        live.set(Live::Connecting);
        let opened = Cell::new(false);
        let on_open = Closure::<dyn FnMut()>::new(move || {
            if opened.replace(true) {
                changes.update(|n| *n += 1);
            }
            live.set(Live::On);
        });
        let on_message =
            Closure::<dyn FnMut(MessageEvent)>::new(move |_| changes.update(|n| *n += 1));
        let on_error = Closure::<dyn FnMut()>::new(move || live.set(Live::Reconnecting));
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Some(Self { source, _on_open: on_open, _on_message: on_message, _on_error: on_error })
    }
}

#[cfg(feature = "hydrate")]
impl Drop for ChangeStream {
    fn drop(&mut self) {
        self.source.close();
    }
}

#[component]
fn LiveIndicator(live: RwSignal<Live>) -> impl IntoView {
    let text = move || match live.get() {
        Live::Connecting => "Connecting…",
        Live::On => "Live",
        Live::Reconnecting => "Reconnecting…",
    };
    let dot = move || match live.get() {
        Live::Connecting => "bg-slate-300",
        Live::On => "bg-emerald-500",
        Live::Reconnecting => "bg-amber-500 animate-pulse",
    };
    view! {
        <span role="status" data-testid="live-status" class="inline-flex items-center gap-2 rounded-full bg-white px-3 py-1 text-xs font-medium text-slate-600 ring-1 ring-slate-200"
            title="Figures update by themselves as messages go out and answers come in.">
            <span class=move || format!("h-2 w-2 rounded-full {}", dot()) aria-hidden="true"></span>
            {text}
        </span>
    }
}

#[component]
fn Campaigns(dashboard: Dashboard) -> impl IntoView {
    let Dashboard { campaigns, senders, drafts, generated_at } = dashboard;
    if campaigns.is_empty() {
        return empty_state(&senders, drafts).into_any();
    }
    view! {
        <div class="grid gap-6 xl:grid-cols-2" data-testid="dashboard-campaigns">
            {campaigns.into_iter().map(|campaign| {
                let accounts: Vec<SenderAccount> = campaign.sender_ids.iter()
                    .filter_map(|id| senders.iter().find(|s| s.id == *id).cloned())
                    .collect();
                view! { <CampaignCard campaign accounts now=generated_at/> }
            }).collect_view()}
        </div>
    }
    .into_any()
}

/// What to do next when nothing runs: connect an account, start a draft, or create one.
fn empty_state(senders: &[SenderAccount], drafts: i64) -> impl IntoView + use<> {
    let connected = senders.iter().any(|s| s.status != SenderStatus::Disconnected);
    if !connected {
        view! {
            <EmptyState title="Connect a Gmail account to start"
                message="Outreach sends from your team's own Gmail or Google Workspace accounts. Connect one on Senders, then create a campaign from a CSV of leads: its progress shows up here as it sends."
                action_href="/senders" action_label="Connect a sender account"/>
        }
        .into_any()
    } else if drafts > 0 {
        view! {
            <EmptyState title="No campaign is running"
                message="You have drafts waiting. Open one, check its leads, steps and schedule, and press Start: its progress shows up here, live."
                action_href="/campaigns" action_label="Go to your campaigns"/>
        }
        .into_any()
    } else {
        view! {
            <EmptyState title="No running campaigns"
                message="Create a campaign, upload its leads as a CSV file, write the emails and start it. Its progress shows up here as it sends."
                action_href="/campaigns" action_label="Create a campaign"/>
        }
        .into_any()
    }
}

#[component]
fn CampaignCard(
    campaign: CampaignProgress,
    accounts: Vec<SenderAccount>,
    now: DateTime<Utc>,
) -> impl IntoView {
    let left = campaign.messages_left();
    let CampaignProgress {
        id,
        name,
        status,
        status_reason,
        stats,
        steps,
        leads_mailed,
        messages_planned,
        today_planned,
        eta,
        next_send_at,
        completed_at,
        ..
    } = campaign;
    let today = format!("{} of {} today", count(n(stats.sent_today)), count(n(today_planned)));
    let overall = format!("{} of {} messages", count(n(stats.sent)), count(n(messages_planned)));
    let leads = format!(
        "{} of {} leads mailed · {} {}",
        count(n(leads_mailed)),
        count(n(stats.leads)),
        steps,
        if steps == 1 { "step" } else { "steps" }
    );
    let next = match (status, next_send_at) {
        (CampaignStatus::Running, Some(at)) => Moment::At(at),
        (CampaignStatus::Running, None) if left > 0 => Moment::Text("Waiting for a sender account"),
        (CampaignStatus::Paused, _) => Moment::Text("Paused"),
        _ => Moment::Text("Nothing left to send"),
    };
    // A completed campaign says when it finished; the others when they should.
    let (finish_label, finish, approximate) = match (status, eta, completed_at) {
        (CampaignStatus::Completed, _, Some(at)) => ("Finished", Moment::At(at), false),
        (CampaignStatus::Paused, _, _) => ("Finishes", Moment::Text("When resumed"), true),
        (_, Some(at), _) => ("Finishes", Moment::At(at), true),
        (_, None, _) if left == 0 => ("Finishes", Moment::Text("Done"), true),
        _ => ("Finishes", Moment::Text("Unknown: no account can send"), true),
    };
    view! {
        <article data-testid="campaign-card" data-campaign-id=id.to_string()
            aria-labelledby=format!("campaign-{id}")
            class="flex flex-col gap-4 rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
            <header class="flex items-start justify-between gap-3">
                <div class="min-w-0">
                    <h2 id=format!("campaign-{id}") class="break-words text-base font-semibold text-slate-900">
                        <a href=format!("/campaigns/{id}") class="hover:text-indigo-700 hover:underline">{name}</a>
                    </h2>
                    <StatusReason status reason=status_reason/>
                </div>
                <Badge tone=status_tone(status) text=status.as_str()/>
            </header>
            <ProgressBar label="Today" value=stats.sent_today max=today_planned text=today testid="progress-today"
                hint="Sent in the last 24 hours — the window Gmail's daily limit counts — and what the accounts may still send in it."/>
            <ProgressBar label="Overall" value=stats.sent max=messages_planned text=overall testid="progress-overall"
                hint="Messages sent of all planned; follow-ups to leads who replied, bounced or opted out are no longer planned."/>
            <p class="-mt-2 text-xs text-slate-500" data-testid="leads-mailed">{leads}</p>
            <dl class="grid grid-cols-2 gap-x-4 gap-y-3 text-sm sm:grid-cols-4">
                <Figure label="Next send" testid="next-send"><MomentView moment=next now/></Figure>
                <Figure label=finish_label testid="eta"><MomentView moment=finish now approximate/></Figure>
                <Figure label="Replies" testid="replies">
                    {count(n(stats.replied))}
                    <span class="text-slate-500">{format!(" · {} auto", count(n(stats.auto_replied)))}</span>
                </Figure>
                <Figure label="Bounces" testid="bounces">
                    {count(n(stats.bounced))}
                    {(stats.unsubscribed > 0).then(|| view! {
                        <span class="text-slate-500">{format!(" · {} opted out", count(n(stats.unsubscribed)))}</span>
                    })}
                </Figure>
            </dl>
            <Senders accounts/>
        </article>
    }
}

/// Counts are never negative; the formatter takes unsigned numbers.
fn n(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// An accessible progress bar with its figures written out.
#[component]
fn ProgressBar(
    label: &'static str,
    value: i64,
    max: i64,
    text: String,
    testid: &'static str,
    hint: &'static str,
) -> impl IntoView {
    let percent = if max > 0 { value.clamp(0, max) * 100 / max } else { 0 };
    view! {
        <div title=hint>
            <div class="flex items-baseline justify-between gap-3 text-sm">
                <span class="font-medium text-slate-700">{label}</span>
                <span class="tabular-nums text-slate-600">{text.clone()}</span>
            </div>
            <div role="progressbar" aria-label=label data-testid=testid
                aria-valuemin="0" aria-valuemax=max.max(value).max(1).to_string() aria-valuenow=value.max(0).to_string()
                aria-valuetext=text
                class="mt-1.5 h-2.5 w-full overflow-hidden rounded-full bg-slate-100">
                <div class="h-full rounded-full bg-indigo-600 transition-[width] duration-500" style=format!("width: {percent}%")></div>
            </div>
        </div>
    }
}

#[component]
fn Figure(label: &'static str, testid: &'static str, children: Children) -> impl IntoView {
    view! {
        <div data-testid=testid>
            <dt class="text-xs text-slate-500">{label}</dt>
            <dd class="mt-0.5 font-medium tabular-nums text-slate-900">{children()}</dd>
        </div>
    }
}

/// A time, or why there is none.
enum Moment {
    At(DateTime<Utc>),
    Text(&'static str),
}

/// A time both ways: relative ("in 5 min") and absolute.
#[component]
fn MomentView(
    moment: Moment,
    now: DateTime<Utc>,
    #[prop(optional)] approximate: bool,
) -> impl IntoView {
    match moment {
        Moment::At(at) => view! {
            <time datetime=at.to_rfc3339() title=datetime(at)>
                {if approximate { format!("≈ {}", relative(at, now)) } else { relative(at, now) }}
            </time>
            <span class="block text-xs font-normal text-slate-500">{datetime(at)}</span>
        }
        .into_any(),
        Moment::Text(text) => {
            view! { <span class="font-normal text-slate-500">{text}</span> }.into_any()
        }
    }
}

#[component]
fn Senders(accounts: Vec<SenderAccount>) -> impl IntoView {
    if accounts.is_empty() {
        return view! {
            <p class="text-sm text-amber-800">"No sender account chosen: pick some on the campaign's Schedule & senders tab."</p>
        }
        .into_any();
    }
    view! {
        <ul class="divide-y divide-slate-100 border-t border-slate-100 text-sm" aria-label="Sender accounts" data-testid="campaign-senders">
            {accounts.into_iter().map(|account| {
                let (tone, text) = status_badge(&account);
                let email = account.email.clone();
                let usage = format!("{} of {} in 24 h", count(account.sent_last_24h), count(account.daily_cap));
                view! {
                    <li class="flex flex-wrap items-center justify-between gap-2 pt-2" data-testid="campaign-sender" data-email=email>
                        <span class="min-w-0 break-all text-slate-700">{account.email}</span>
                        <span class="flex items-center gap-2">
                            <span class="tabular-nums text-xs text-slate-500">{usage}</span>
                            <Badge tone=tone text=text/>
                        </span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}
