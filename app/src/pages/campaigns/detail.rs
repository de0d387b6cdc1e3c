//! `/campaigns/:id`: the header (status, progress, start/pause/resume/cancel) and the tabs,
//! chosen by `?tab=` so the back button walks through them.

use engine::model::{Campaign, LintReport, Severity};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

use super::charts::{ChartsTab, chart_days};
#[cfg(feature = "ssr")]
use super::guide::SetupGuide;
use super::guide::{ReviewPanel, ReviewTab};
use super::leads::{LeadList, LeadQuery, LeadsTab};
use super::schedule::ScheduleTab;
use super::steps::{StepsSidePanels, StepsTab};
use crate::components::form_post::FormPost;
use crate::components::forms::{FormError, hydration_marker};
use crate::components::ui::ErrorPanel;
use crate::error::AppError;

#[server(output = crate::codec::Json)]
pub async fn load_campaign(id: Uuid) -> Result<Campaign, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    Ok(engine::campaigns::get(&state.pool, user.team_id, id).await?)
}

/// Start, pause, resume or cancel. A refused start returns the lint report that refused it.
#[server(output = crate::codec::Json)]
pub async fn change_campaign_status(
    id: Uuid,
    change: String,
) -> Result<Option<LintReport>, AppError> {
    use engine::campaigns::{self, StartOutcome};
    let (state, user) = crate::auth::ssr::require_user().await?;
    let (pool, team) = (&state.pool, user.team_id);
    match change.as_str() {
        "start" => match campaigns::start(pool, team, id).await? {
            StartOutcome::Started(_) => Ok(None),
            StartOutcome::Refused(report) => Ok(Some(report)),
        },
        "pause" => campaigns::pause(pool, team, id).await.map(|_| None).map_err(Into::into),
        "resume" => campaigns::resume(pool, team, id).await.map(|_| None).map_err(Into::into),
        "cancel" => campaigns::cancel(pool, team, id).await.map(|_| None).map_err(Into::into),
        _ => Err(AppError::Invalid {
            field: Some("change".into()),
            message: "choose start, pause, resume or cancel".into(),
        }),
    }
}

/// Bumped by the tabs after they change the campaign, so the header's counts follow.
#[derive(Clone, Copy)]
pub(crate) struct CampaignChanged(pub RwSignal<u32>);

impl CampaignChanged {
    pub(crate) fn bump(self) {
        self.0.update(|n| *n += 1);
    }
}

#[component]
pub fn CampaignPage() -> impl IntoView {
    let id = use_params_map().read_untracked().get("id").and_then(|s| Uuid::parse_str(&s).ok());
    let query = use_query_map().read_untracked().clone();
    let Some(id) = id else {
        return view! {
            <ErrorPanel code="404" title="Campaign not found".to_string()
                message="It does not exist, or it belongs to another team.".to_string()/>
        }
        .into_any();
    };
    let tab = query.get("tab").unwrap_or_default();
    let content = match tab.as_str() {
        "steps" => view! { <StepsIsland id><StepsSidePanels id/></StepsIsland> }.into_any(),
        "schedule" => view! { <ScheduleIsland id/> }.into_any(),
        "review" => view! { <ReviewIsland id><ReviewPanel id/></ReviewIsland> }.into_any(),
        "charts" => {
            let days = chart_days(query.get("days"));
            view! { <ChartsIsland id><ChartsTab id days/></ChartsIsland> }.into_any()
        }
        _ => {
            let query = LeadQuery::from_query(&query);
            view! { <LeadsIsland id query=query.clone()><LeadList id query/></LeadsIsland> }
                .into_any()
        }
    };
    view! { <CampaignTitle id/>{content} }.into_any()
}

/// The page title: the campaign's name.
#[component]
fn CampaignTitle(id: Uuid) -> impl IntoView {
    let campaign = Resource::new(move || id, load_campaign);
    view! {
        <Suspense fallback=|| ()>
            {move || campaign.get().and_then(Result::ok).map(|campaign| view! { <Title text=campaign.name/> })}
        </Suspense>
    }
}

// One island per tab, so a page loads only its own tab's code.

/// `children`: the lead list, drawn by the server.
#[island]
fn LeadsIsland(id: Uuid, query: LeadQuery, children: Children) -> impl IntoView {
    view! { <CampaignFrame id tab="leads"><LeadsTab id query>{children()}</LeadsTab></CampaignFrame> }
}

/// `children`: the preview and the lint, drawn by the server.
#[island]
fn StepsIsland(id: Uuid, children: Children) -> impl IntoView {
    view! { <CampaignFrame id tab="steps"><StepsTab id>{children()}</StepsTab></CampaignFrame> }
}

#[island]
fn ScheduleIsland(id: Uuid) -> impl IntoView {
    view! { <CampaignFrame id tab="schedule"><ScheduleTab id/></CampaignFrame> }
}

/// `children`: the summary, drawn by the server.
#[island]
fn ReviewIsland(id: Uuid, children: Children) -> impl IntoView {
    view! { <CampaignFrame id tab="review"><ReviewTab id>{children()}</ReviewTab></CampaignFrame> }
}

/// The charts are plain server-rendered SVG: only the header around them is interactive.
#[island]
fn ChartsIsland(id: Uuid, children: Children) -> impl IntoView {
    view! { <CampaignFrame id tab="charts">{children()}</CampaignFrame> }
}

/// The header and the set-up guide of a draft, drawn by the server for the tab `tab`.
#[server(output = crate::codec::Json)]
pub async fn campaign_header_html(id: Uuid, tab: String) -> Result<String, AppError> {
    let campaign = load_campaign(id).await?;
    let tab = TABS.iter().map(|(name, _)| *name).find(|name| *name == tab).unwrap_or("leads");
    Ok(crate::components::server_html::render_to_html(move || {
        view! { <header::CampaignHeader campaign=campaign.clone()/><SetupGuide campaign tab/> }
            .into_any()
    }))
}

/// The tabs: their name in `?tab=` and their label.
const TABS: [(&str, &str); 5] = [
    ("leads", "Leads"),
    ("steps", "Steps"),
    ("schedule", "Schedule & senders"),
    ("charts", "Charts"),
    ("review", "Review"),
];

/// The header (status, counts, start/pause/resume/cancel) and the set-up guide of a draft,
/// both drawn by the server and drawn again when a tab changed the campaign, and the tabs'
/// links around the tab shown. The header's buttons are forms marked
/// `data-campaign-change`.
#[component]
fn CampaignFrame(id: Uuid, tab: &'static str, children: Children) -> impl IntoView {
    let changed = CampaignChanged(RwSignal::new(0));
    let hydrated = hydration_marker();
    provide_context(changed);
    let change = FormPost::new();
    let header = Resource::new(
        move || (changed.0.get(), change.version().get()),
        move |_| campaign_header_html(id, tab.to_string()),
    );
    let refused = move || change.answer::<Option<LintReport>>().flatten();
    let link = move |name: &'static str| format!("/campaigns/{id}?tab={name}");
    let tab_class = move |name: &'static str| {
        if tab == name {
            "border-indigo-600 text-indigo-700"
        } else {
            "border-transparent text-slate-500 hover:border-slate-300 hover:text-slate-700"
        }
    };
    view! {
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
            {move || header.get().map(|result| match result {
                Err(AppError::NotFound(_)) => view! {
                    <ErrorPanel code="404" title="Campaign not found".to_string()
                        message="It does not exist, or it belongs to another team.".to_string()/>
                }.into_any(),
                Err(e) => view! { <p role="alert" class="text-sm text-rose-600">{e.to_string()}</p> }.into_any(),
                Ok(html) => view! {
                    <div inner_html=html on:submit=change.on_marked_submit("data-campaign-change")></div>
                }.into_any(),
            })}
        </Transition>
        <div class="mt-4 space-y-3">
            <FormError error=change.error()/>
            {move || refused().map(|report| view! {
                <div role="alert" class="rounded-md border border-rose-200 bg-rose-50 p-4 text-sm text-rose-800" data-testid="start-refused">
                    <p class="font-semibold">{format!("The campaign cannot start yet: {} errors to fix ({} leads affected).", report.errors, report.leads_with_problems)}</p>
                    <ul class="mt-2 list-inside list-disc space-y-1">
                        {report.problems.into_iter().filter(|p| p.severity == Severity::Error).take(20).map(|p| view! {
                            <li>{problem_text(&p)}</li>
                        }).collect_view()}
                    </ul>
                </div>
            })}
        </div>
        <nav aria-label="Campaign sections" data-hydrated=move || hydrated.get().to_string() class="mt-6 mb-6 flex gap-6 overflow-x-auto border-b border-slate-200 text-sm font-medium">
            {TABS.into_iter().map(|(name, label)| view! {
                <a href=link(name)
                    aria-current=(tab == name).then_some("page")
                    class=format!("whitespace-nowrap border-b-2 px-1 pb-3 {}", tab_class(name))>
                    {label}
                </a>
            }).collect_view()}
        </nav>
        {children()}
    }
}

/// "Step 2 · jane@acme.test · first_name: …" — where a problem is, then what it is.
pub(crate) fn problem_text(problem: &engine::model::LintProblem) -> String {
    let mut parts = Vec::new();
    if let Some(step) = problem.step {
        parts.push(format!("Step {step}"));
    }
    if let Some(email) = &problem.lead_email {
        parts.push(email.clone());
    }
    if let Some(field) = &problem.field {
        parts.push(field.clone());
    }
    if parts.is_empty() {
        problem.message.clone()
    } else {
        format!("{}: {}", parts.join(" · "), problem.message)
    }
}

/// The header, drawn only by the server.
#[cfg(feature = "ssr")]
mod header {
    use engine::model::{Campaign, CampaignStats, CampaignStatus};
    use leptos::prelude::*;
    use server_fn::ServerFn;

    use super::super::{StatusReason, status_tone};
    use super::ChangeCampaignStatus;
    use crate::components::ui::Badge;
    use crate::format::{count, datetime};

    #[component]
    pub(super) fn CampaignHeader(campaign: Campaign) -> impl IntoView {
        let Campaign { id, name, status, status_reason, stats, completed_at, .. } = campaign;
        let allowed: &[(&str, &str)] = match status {
            CampaignStatus::Draft => &[("start", "Start"), ("cancel", "Cancel")],
            CampaignStatus::Running => &[("pause", "Pause"), ("cancel", "Cancel")],
            CampaignStatus::Paused => &[("resume", "Resume"), ("cancel", "Cancel")],
            CampaignStatus::Completed | CampaignStatus::Cancelled => &[],
        };
        view! {
            <div class="mb-4 text-sm"><a href="/campaigns" class="text-indigo-600 hover:underline">"← All campaigns"</a></div>
            <div class="flex flex-wrap items-start justify-between gap-4">
                <div class="min-w-0">
                    <h1 class="flex flex-wrap items-center gap-3 text-2xl font-semibold tracking-tight text-slate-900">
                        <span class="break-words">{name}</span>
                        <span data-testid="campaign-status"><Badge tone=status_tone(status) text=status.as_str()/></span>
                    </h1>
                    <StatusReason status reason=status_reason/>
                    {completed_at.map(|at| view! {
                        <p class="text-sm text-slate-500" data-testid="completed-at">"Finished " {datetime(at)}</p>
                    })}
                </div>
                <div class="flex flex-wrap gap-2">
                    {allowed.iter().map(|(value, label)| {
                        let danger = *value == "cancel";
                        view! {
                            <form method="post" action=ChangeCampaignStatus::url() data-campaign-change="">
                                <input type="hidden" name="id" value=id.to_string()/>
                                <input type="hidden" name="change" value=*value/>
                                <button type="submit"
                                    class=if danger {
                                        "rounded-md bg-white px-3 py-2 text-sm font-semibold text-rose-700 ring-1 ring-rose-200 hover:bg-rose-50"
                                    } else {
                                        "rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white hover:bg-indigo-500"
                                    }>
                                    {*label}
                                </button>
                            </form>
                        }
                    }).collect_view()}
                </div>
            </div>
            <StatsRow stats/>
        }
    }

    #[component]
    fn StatsRow(stats: CampaignStats) -> impl IntoView {
        let items = [
            ("Leads", stats.leads),
            ("Not yet mailed", stats.pending),
            ("Scheduled", stats.scheduled),
            ("Sent", stats.sent),
            ("Replied", stats.replied),
            ("Auto-replied", stats.auto_replied),
            ("Bounced", stats.bounced),
            ("Unsubscribed", stats.unsubscribed),
            ("Failed", stats.failed),
            ("Sent today", stats.sent_today),
        ];
        view! {
            <dl class="mt-4 grid grid-cols-2 gap-3 sm:grid-cols-5" data-testid="campaign-stats">
                {items.into_iter().map(|(label, n)| view! {
                    <div class="rounded-lg border border-slate-200 bg-white px-3 py-2">
                        <dt class="text-xs text-slate-500">{label}</dt>
                        <dd class="text-lg font-semibold tabular-nums text-slate-900">{count(n.max(0) as u64)}</dd>
                    </div>
                }).collect_view()}
            </dl>
        }
    }
}
