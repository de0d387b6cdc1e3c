//! The guided set-up of a draft campaign: the stages from name to start as a stepper above
//! the tabs (what is done, what comes next), and the Review tab that sums everything up and
//! starts the campaign. Every stage saves to the draft as it goes, so leaving and coming back
//! keeps everything.

use engine::model::{Campaign, CampaignStatus, LintReport, Severity, Step};
use leptos::html::Div;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::detail::{CampaignChanged, ChangeCampaignStatus, problem_text};
use super::schedule::SenderChoice;
use crate::components::form_post::FormPost;
use crate::components::forms::FormError;
#[cfg(feature = "ssr")]
use crate::components::server_html::render_to_html;
use crate::components::server_html::{follow_server_html, server_drawn};
use crate::components::ui::Card;
use crate::error::AppError;
use crate::format::count;

/// One stage of the set-up: its tab, its name, and whether the draft already has it.
struct Stage {
    tab: &'static str,
    label: &'static str,
    done: bool,
}

/// The tab of the last stage, where the campaign is started.
const LAST_STAGE: &str = "review";

fn stages(campaign: &Campaign) -> [Stage; 4] {
    [
        Stage { tab: "leads", label: "Upload leads", done: campaign.stats.leads > 0 },
        Stage { tab: "steps", label: "Write the emails", done: !campaign.steps.is_empty() },
        Stage { tab: "schedule", label: "Set the schedule", done: !campaign.sender_ids.is_empty() },
        Stage { tab: LAST_STAGE, label: "Review & start", done: false },
    ]
}

/// The stepper shown above a draft's tabs: each stage with a tick once done, the current tab
/// marked, and a "Next" link to the first stage still to do (unless that is the page shown).
#[component]
pub fn SetupGuide(campaign: Campaign, tab: &'static str) -> impl IntoView {
    if campaign.status != CampaignStatus::Draft {
        return None;
    }
    let id = campaign.id;
    let stages = stages(&campaign);
    let next = stages.iter().find(|s| !s.done).map(|s| (s.tab, s.label));
    Some(view! {
        <nav aria-label="Campaign set-up" class="mt-6 rounded-xl border border-indigo-100 bg-indigo-50/60 p-4" data-testid="setup-guide">
            <div class="flex flex-wrap items-center justify-between gap-3">
                <ol class="flex flex-wrap items-center gap-x-2 gap-y-2 text-sm">
                    {stages.into_iter().enumerate().map(|(n, stage)| {
                        let current = move || tab == stage.tab;
                        view! {
                            <li class="flex items-center gap-2">
                                {(n > 0).then(|| view! { <span aria-hidden="true" class="text-slate-300">"→"</span> })}
                                <a href=format!("/campaigns/{id}?tab={}", stage.tab)
                                    aria-current=move || current().then_some("step")
                                    class=move || format!("flex items-center gap-2 rounded-full px-3 py-1 {}",
                                        if current() { "bg-white font-semibold text-indigo-800 shadow-sm ring-1 ring-indigo-200" } else { "text-slate-700 hover:bg-white" })>
                                    <span class=if stage.done {
                                        "flex h-5 w-5 items-center justify-center rounded-full bg-emerald-600 text-xs text-white"
                                    } else {
                                        "flex h-5 w-5 items-center justify-center rounded-full bg-slate-200 text-xs text-slate-700"
                                    }>
                                        {if stage.done { "✓".to_string() } else { (n + 1).to_string() }}
                                    </span>
                                    {stage.label}
                                    {stage.done.then(|| view! { <span class="sr-only">" (done)"</span> })}
                                </a>
                            </li>
                        }
                    }).collect_view()}
                </ol>
                // Only a way on: not to the page shown, and not from the last stage (Review),
                // which has the Start button and says what is missing.
                {
                    next.filter(|(next_tab, _)| tab != LAST_STAGE && tab != *next_tab).map(|(next_tab, label)| view! {
                        <a href=format!("/campaigns/{id}?tab={next_tab}") data-testid="setup-next"
                            class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500">
                            {format!("Next: {label}")}
                        </a>
                    })
                }
            </div>
        </nav>
    })
}

/// What the Review tab sums up.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReviewData {
    pub campaign: Campaign,
    /// The campaign's sender accounts, in their order.
    pub chosen: Vec<SenderChoice>,
    pub lint: LintReport,
    /// The schedule in plain language.
    pub plan: String,
}

#[server(output = crate::codec::Json)]
pub async fn load_review(id: Uuid) -> Result<ReviewData, AppError> {
    use super::detail::load_campaign;
    use super::schedule::{chosen_senders, plan_summary, sender_choices};
    use super::steps::lint_campaign;
    let campaign = load_campaign(id).await?;
    let senders = sender_choices().await?;
    let lint = lint_campaign(id).await?;
    let chosen = chosen_senders(&campaign.sender_ids, senders);
    let plan = plan_summary(&campaign, &campaign.schedule, &chosen);
    Ok(ReviewData { campaign, chosen, lint, plan })
}

/// The Review tab drawn by the server, for the tab to put in place after a change.
#[server(output = crate::codec::Json)]
pub async fn review_html(id: Uuid) -> Result<String, AppError> {
    let data = load_review(id).await?;
    Ok(render_to_html(move || review(data)))
}

/// The Review tab of the page (server-rendered).
#[component]
pub fn ReviewPanel(id: Uuid) -> impl IntoView {
    server_drawn(move || load_review(id), review)
}

/// The Review tab: leads, emails, schedule in plain language, senders and the lint verdict
/// (`children`, drawn by the server, and drawn again when the campaign changes), with the
/// Start button, a form marked `data-start-campaign` that goes through this tab's action.
#[component]
pub fn ReviewTab(id: Uuid, children: Children) -> impl IntoView {
    let changed = expect_context::<CampaignChanged>();
    let start = FormPost::new();
    Effect::new(move |previous: Option<usize>| {
        let version = start.version().get();
        if previous.is_some_and(|p| p != version) {
            changed.bump();
        }
        version
    });
    let region = NodeRef::<Div>::new();
    follow_server_html(Signal::derive(move || changed.0.get() as usize), region, move || {
        review_html(id)
    });
    view! {
        <div class="mb-4"><FormError error=start.error()/></div>
        <div node_ref=region on:submit=start.on_marked_submit("data-start-campaign")>{children()}</div>
    }
}

fn review(data: ReviewData) -> AnyView {
    use server_fn::ServerFn;
    let ReviewData { campaign, chosen, lint, plan } = data;
    let id = campaign.id;
    let schedule = &campaign.schedule;
    let window = format!(
        "{}, {}:00–{}:00 ({})",
        schedule.days.join(", "),
        schedule.start_hour,
        schedule.end_hour,
        schedule.timezone
    );
    let errors: Vec<String> = lint
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .take(10)
        .map(problem_text)
        .collect();
    let warnings = lint.problems.iter().filter(|p| p.severity == Severity::Warning).count();
    let ready = errors.is_empty() && campaign.stats.leads > 0 && !chosen.is_empty();
    let is_draft = campaign.status == CampaignStatus::Draft;
    let link = move |tab: &str| format!("/campaigns/{id}?tab={tab}");
    view! {
        <div class="grid gap-6 lg:grid-cols-2" data-testid="review">
            <Card title="Leads">
                <p class="text-sm">{format!("{} leads, {} not mailed yet.", count(campaign.stats.leads.max(0) as u64), count(campaign.stats.pending.max(0) as u64))}</p>
                <a href=link("leads") class="mt-2 inline-block text-sm text-indigo-600 hover:underline">"Change leads"</a>
            </Card>
            <Card title="Emails">
                {if campaign.steps.is_empty() {
                    view! { <p class="text-sm text-rose-700">"No emails written yet."</p> }.into_any()
                } else {
                    view! {
                        <ol class="list-inside list-decimal space-y-1 text-sm">
                            {campaign.steps.iter().enumerate().map(|(n, step)| {
                                let when = if n == 0 { "first email".to_string() } else { format!("{} days later", step.delay_days) };
                                view! { <li><span class="font-medium">{sent_subject(&campaign.steps, n)}</span><span class="text-slate-500">{format!(" · {when}")}</span></li> }
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }}
                <a href=link("steps") class="mt-2 inline-block text-sm text-indigo-600 hover:underline">"Edit emails"</a>
            </Card>
            <Card title="Schedule & senders">
                <p class="text-sm">{window}</p>
                <ul class="mt-2 space-y-1 text-sm">
                    {chosen.iter().map(|s| view! { <li>{s.email.clone()}<span class="text-slate-500">{format!(" · {} · up to {} a day", s.status, s.daily_cap)}</span></li> }).collect_view()}
                </ul>
                <p class="mt-3 rounded-md bg-indigo-50 px-3 py-2 text-sm text-indigo-900" data-testid="review-summary">{plan}</p>
                <a href=link("schedule") class="mt-2 inline-block text-sm text-indigo-600 hover:underline">"Change schedule or senders"</a>
            </Card>
            <Card title="Checks">
                {if errors.is_empty() {
                    view! { <p class="text-sm text-emerald-700">{format!("No errors. {warnings} warnings.")}</p> }.into_any()
                } else {
                    view! {
                        <div>
                            <p class="text-sm font-semibold text-rose-700">{format!("{} errors to fix before starting:", lint.errors)}</p>
                            <ul class="mt-1 list-inside list-disc space-y-1 text-sm text-rose-800">
                                {errors.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}
                            </ul>
                        </div>
                    }.into_any()
                }}
            </Card>
            {is_draft.then(|| view! {
                <div class="flex flex-wrap items-center gap-3 lg:col-span-2">
                    <form method="post" action=ChangeCampaignStatus::url() data-start-campaign="">
                        <input type="hidden" name="id" value=id.to_string()/>
                        <input type="hidden" name="change" value="start"/>
                        <button type="submit" disabled=!ready data-testid="review-start"
                            class="rounded-md bg-emerald-600 px-4 py-2 text-sm font-semibold text-white hover:bg-emerald-500 disabled:opacity-50">
                            "Start campaign"
                        </button>
                    </form>
                    {(!ready).then(|| view! { <p class="text-sm text-slate-600">"Finish the stages above to start."</p> })}
                </div>
            })}
        </div>
    }
    .into_any()
}

/// The subject step `n` goes out with: follow-ups answer in the first email's thread, so they
/// carry `Re: <step 1's subject>` and their own `subject` is not used.
fn sent_subject(steps: &[Step], n: usize) -> String {
    let first = steps.first().map_or("", |s| s.subject.as_str());
    if n == 0 { first.to_string() } else { format!("Re: {first}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(subject: &str) -> Step {
        Step { subject: subject.into(), body: "Hi".into(), html: None, delay_days: 2 }
    }

    #[test]
    fn follow_ups_are_listed_with_the_first_subject_they_are_sent_with() {
        let steps = [step("Idea for <<company>>"), step(""), step("ignored")];
        let subjects: Vec<String> = (0..steps.len()).map(|n| sent_subject(&steps, n)).collect();
        assert_eq!(
            subjects,
            ["Idea for <<company>>", "Re: Idea for <<company>>", "Re: Idea for <<company>>"]
        );
    }
}
