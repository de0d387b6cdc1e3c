//! The pipeline: the campaign's leads by stage as a board (one column per stage, with its
//! count and first leads), the one-click "Mark as replied" and "Suppress" buttons the board and
//! the lead table share, and the toast that offers "Undo" after them.

use engine::model::{Lead, LeadDetail, LeadStatus, Pipeline, PipelineStage, Stage};
use leptos::prelude::*;
use serde::Deserialize;
use server_fn::ServerFn;
use uuid::Uuid;

use super::lead::ChangeLead;
use super::leads::lead_tone;
use crate::components::form_post::FormPost;
use crate::components::ui::{Badge, EmptyState};
use crate::error::AppError;
use crate::format::count;

/// How long the toast offering "Undo" stays.
const TOAST_SECONDS: u64 = 15;

#[server(output = crate::codec::Json)]
pub async fn load_pipeline(id: Uuid) -> Result<Pipeline, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    Ok(engine::campaigns::activity::pipeline(&state.pool, user.team_id, id).await?)
}

/// Takes back the lead's latest "Mark as replied" or "Suppress", while that is safe.
#[server(output = crate::codec::Json)]
pub async fn undo_lead_change(lead_id: Uuid) -> Result<LeadDetail, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    Ok(engine::tracking::manual::undo(&state.pool, user.team_id, lead_id).await?)
}

/// The two actions on leads, shared by the board, the table and the toast.
#[derive(Clone, Copy)]
pub(crate) struct LeadActions {
    pub change: FormPost,
    pub undo: FormPost,
}

impl LeadActions {
    /// Creates the actions and provides them to the buttons below.
    pub(crate) fn provide() -> Self {
        let actions = LeadActions { change: FormPost::new(), undo: FormPost::new() };
        provide_context(actions);
        actions
    }

    /// Changes whenever a lead was changed or a change undone (lists then load again).
    pub(crate) fn version(self) -> usize {
        self.change.version().get() + self.undo.version().get()
    }

    /// For `on:submit` around server-drawn [`LeadChangeForm`]s: sends a button's change
    /// through [`Self::change`] instead of posting the form, so the page stays.
    pub(crate) fn send_changes(self) -> impl Fn(leptos::ev::SubmitEvent) + 'static {
        self.change.on_marked_submit("data-lead-change")
    }
}

/// A form that changes a lead's status (`replied` or `suppressed`). Drawn by the server: it
/// posts to the server function as it is, and an island that has the lead actions sends it
/// through them ([`LeadActions::send_changes`]).
#[component]
pub(crate) fn LeadChangeForm(
    lead_id: Uuid,
    status: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <form method="post" action=ChangeLead::url() data-lead-change="">
            <input type="hidden" name="lead_id" value=lead_id.to_string()/>
            <input type="hidden" name="status" value=status/>
            {children()}
        </form>
    }
}

fn can_mark_replied(status: LeadStatus) -> bool {
    matches!(
        status,
        LeadStatus::Pending
            | LeadStatus::InSequence
            | LeadStatus::AutoReplied
            | LeadStatus::Completed
    )
}

fn can_suppress(status: LeadStatus) -> bool {
    can_mark_replied(status) || status == LeadStatus::Replied
}

/// "Mark as replied" and "Suppress" for one lead (only those that would change something).
/// Plain forms: they work before the page is interactive too.
#[component]
pub(crate) fn LeadButtons(lead: Lead) -> impl IntoView {
    let Lead { id, email, status, .. } = lead;
    let buttons = [
        ("replied", "Mark as replied", can_mark_replied(status)),
        ("suppressed", "Suppress", can_suppress(status)),
    ];
    view! {
        <div class="flex flex-wrap gap-1.5">
            {buttons.into_iter().filter(|(.., shown)| *shown).map(|(status, label, _)| {
                let email = email.clone();
                view! {
                <LeadChangeForm lead_id=id status>
                    <button type="submit"
                        class="whitespace-nowrap rounded-md bg-white px-2 py-1 text-xs font-semibold text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600">
                        {label}<span class="sr-only">{format!(" ({})", email)}</span>
                    </button>
                </LeadChangeForm>
            }.into_any()}).collect_view()}
        </div>
    }
}

/// What the toast says.
#[derive(Clone)]
struct Toast {
    /// Tells a newer toast from an older one (each hides only itself).
    serial: usize,
    message: String,
    /// The lead whose change can be undone from here.
    undo_lead: Option<Uuid>,
    error: bool,
}

/// The part of a server function's [`LeadDetail`] answer (the lead's fields, flattened, and
/// its events) the toast reads; the browser skips the rest.
#[derive(Deserialize)]
struct ChangedLead {
    id: Uuid,
    email: String,
    status: LeadStatus,
}

fn done_message(detail: &ChangedLead) -> String {
    match detail.status {
        LeadStatus::Replied => {
            format!("{} marked as replied: its follow-ups stop.", detail.email)
        }
        LeadStatus::Suppressed => {
            format!("{} suppressed: the address is never mailed again.", detail.email)
        }
        other => format!("{} is {}.", detail.email, other.as_str().replace('_', " ")),
    }
}

/// The toast at the bottom of the screen after a change or an undo, with "Undo" after a
/// change. It is a live region, so screen readers announce it.
#[component]
pub(crate) fn UndoToast() -> impl IntoView {
    let actions = expect_context::<LeadActions>();
    let toast = RwSignal::new(None::<Toast>);
    let serial = StoredValue::new(0_usize);
    let show = move |message: String, undo_lead: Option<Uuid>, error: bool| {
        serial.update_value(|n| *n += 1);
        let current = serial.get_value();
        toast.set(Some(Toast { serial: current, message, undo_lead, error }));
        set_timeout(
            move || {
                if toast.get_untracked().is_some_and(|t| t.serial == current) {
                    toast.set(None);
                }
            },
            std::time::Duration::from_secs(TOAST_SECONDS),
        );
    };
    Effect::new(move |_| match actions.change.result::<ChangedLead>() {
        Some(Ok(detail)) => show(done_message(&detail), Some(detail.id), false),
        Some(Err(e)) => show(e.to_string(), None, true),
        None => {}
    });
    Effect::new(move |_| match actions.undo.result::<ChangedLead>() {
        Some(Ok(detail)) => show(
            format!(
                "Undone: {} is {} again.",
                detail.email,
                detail.status.as_str().replace('_', " ")
            ),
            None,
            false,
        ),
        Some(Err(e)) => show(format!("Could not undo: {e}"), None, true),
        None => {}
    });
    view! {
        <div role="status" aria-live="polite" class="pointer-events-none fixed inset-x-0 bottom-4 z-50 flex justify-center px-4">
            {move || toast.get().map(|t| view! {
                <div data-testid="toast"
                    class=if t.error {
                        "pointer-events-auto flex max-w-xl items-center gap-4 rounded-lg bg-rose-700 px-4 py-3 text-sm text-white shadow-lg"
                    } else {
                        "pointer-events-auto flex max-w-xl items-center gap-4 rounded-lg bg-slate-900 px-4 py-3 text-sm text-white shadow-lg"
                    }>
                    <p class="break-words">{t.message}</p>
                    {t.undo_lead.map(|lead_id| view! {
                        <form method="post" action=UndoLeadChange::url() on:submit=actions.undo.on_submit()>
                            <input type="hidden" name="lead_id" value=lead_id.to_string()/>
                            <button type="submit" disabled=move || actions.undo.pending().get()
                                class="rounded-md px-2 py-1 font-semibold text-indigo-200 ring-1 ring-indigo-300/60 hover:bg-white/10 focus-visible:outline focus-visible:outline-2 focus-visible:outline-white disabled:opacity-60">
                                "Undo"
                            </button>
                        </form>
                    })}
                    <button type="button" on:click=move |_| toast.set(None) aria-label="Dismiss"
                        class="rounded px-1 text-slate-300 hover:text-white">"×"</button>
                </div>
            })}
        </div>
    }
    .into_any()
}

/// The board: one column per stage with its count, its first leads and a link to all of
/// them in the table.
#[component]
pub(crate) fn PipelineBoard(id: Uuid, pipeline: Pipeline) -> impl IntoView {
    if pipeline.total == 0 {
        return view! {
            <EmptyState title="No leads yet"
                message="Import a CSV file above: one row per person, with at least an email column. Each lead then moves across the board from Pending to where it ends."/>
        }
        .into_any();
    }
    view! {
        <div class="-mx-1 flex gap-3 overflow-x-auto px-1 pb-2" data-testid="pipeline-board">
            {pipeline.stages.into_iter().map(|stage| view! { <StageColumn id stage/> }).collect_view()}
        </div>
    }
    .into_any()
}

#[component]
fn StageColumn(id: Uuid, stage: PipelineStage) -> impl IntoView {
    let PipelineStage { stage, count: total, leads } = stage;
    let heading = format!("stage-{}-heading", stage.as_str());
    let labelled_by = heading.clone();
    let mixed = stage == Stage::OptedOut;
    let hidden = total - leads.len() as i64;
    view! {
        <section aria-labelledby=labelled_by data-testid=format!("stage-{}", stage.as_str())
            class="flex w-64 flex-none flex-col rounded-xl border border-slate-200 bg-slate-50">
            <header class="flex items-center justify-between gap-2 px-3 py-2">
                <h3 id=heading class="text-sm font-semibold text-slate-900">{stage.label()}</h3>
                <span class="rounded-full bg-white px-2 py-0.5 text-xs font-semibold tabular-nums text-slate-700 ring-1 ring-slate-200" data-testid="stage-count">
                    {count(total.max(0) as u64)}
                </span>
            </header>
            <ul class="flex-1 space-y-2 px-2 pb-2">
                {if leads.is_empty() {
                    view! { <li class="px-1 py-3 text-center text-xs text-slate-400">"No leads"</li> }.into_any()
                } else {
                    leads.into_iter().map(|lead| {
                        let detail = [lead.first_name.clone(), lead.company.clone()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · ");
                        view! {
                            <li class="rounded-lg border border-slate-200 bg-white p-2.5 shadow-sm" data-testid="lead-card">
                                <a href=format!("/campaigns/{id}/leads/{}", lead.id) class="block break-all text-sm font-medium text-indigo-700 hover:underline">{lead.email.clone()}</a>
                                {(!detail.is_empty()).then(|| view! { <p class="mt-0.5 truncate text-xs text-slate-500">{detail}</p> })}
                                {mixed.then(|| view! { <div class="mt-1"><Badge tone=lead_tone(lead.status) text=lead.status.as_str().replace('_', " ")/></div> })}
                                <div class="mt-2"><LeadButtons lead/></div>
                            </li>
                        }
                    }).collect_view().into_any()
                }}
            </ul>
            {(total > 0).then(|| view! {
                <a href=format!("/campaigns/{id}?tab=leads&status={}", stage.as_str())
                    class="border-t border-slate-200 px-3 py-2 text-xs font-semibold text-indigo-700 hover:bg-white">
                    {if hidden > 0 { format!("Show all {} →", count(total as u64)) } else { "Show in the table →".to_string() }}
                </a>
            })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_toast_reads_a_changed_lead_from_the_answer_as_the_server_sends_it() {
        let now = chrono::Utc::now();
        let lead = Lead {
            id: Uuid::new_v4(),
            campaign_id: Uuid::new_v4(),
            email: "pia@prospect.example".into(),
            first_name: "Pia".into(),
            company: "Prospect Co".into(),
            fields: Default::default(),
            status: LeadStatus::Replied,
            created_at: now,
            updated_at: now,
        };
        let answer = serde_json::to_string(&LeadDetail { lead: lead.clone(), events: Vec::new() });
        let changed: ChangedLead = serde_json::from_str(&answer.unwrap()).unwrap();
        assert_eq!((changed.id, changed.status), (lead.id, LeadStatus::Replied));
        assert_eq!(
            done_message(&changed),
            "pia@prospect.example marked as replied: its follow-ups stop."
        );
    }
}
