//! The Steps tab: the sequence editor (each step checked as it is typed, by the server's
//! template parser) and, drawn by the server only, the preview per lead and the lint.

use engine::model::{LintReport, Preview, Severity, Step};
use leptos::html::{Div, Textarea};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::ServerFn;
use server_fn::codec::Json;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use super::detail::load_campaign;
use super::detail::{CampaignChanged, problem_text};
use crate::components::form_post::FormPost;
use crate::components::forms::FormError;
#[cfg(feature = "ssr")]
use crate::components::server_html::render_to_html;
use crate::components::server_html::{follow_server_html, server_drawn};
use crate::components::ui::Card;
use crate::error::AppError;

/// Replaces the whole sequence (`campaigns::update` with `steps`).
#[server(input = Json, output = crate::codec::Json)]
pub async fn save_steps(id: Uuid, steps: Vec<Step>) -> Result<(), AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    let patch = engine::model::CampaignPatch { steps: Some(steps), ..Default::default() };
    engine::campaigns::update(&state.pool, user.team_id, id, patch).await?;
    Ok(())
}

/// What the step editor starts from: the saved steps and the merge fields the campaign's
/// leads have (for the hints and the live check).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StepsDraft {
    pub steps: Vec<Step>,
    pub fields: Vec<String>,
}

#[server(output = crate::codec::Json)]
pub async fn load_steps_draft(id: Uuid) -> Result<StepsDraft, AppError> {
    let campaign = load_campaign(id).await?;
    let fields = campaign.merge_fields().into_iter().map(str::to_owned).collect();
    Ok(StepsDraft { steps: campaign.steps, fields })
}

/// Step `step` (from 1) for a lead (the first when none is given), exactly as it would be sent.
#[server(output = crate::codec::Json)]
pub async fn preview_step(id: Uuid, lead_id: Option<Uuid>, step: u32) -> Result<Preview, AppError> {
    use engine::campaigns::lint::{LinkSigner, preview};
    let (state, user) = crate::auth::ssr::require_user().await?;
    let links = LinkSigner { key: &state.secret_key, base_url: &state.config.base_url };
    Ok(preview(&state.pool, &links, user.team_id, id, lead_id, step).await?)
}

/// What is wrong with one step's templates as typed, part by part.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StepProblems {
    pub subject: Vec<String>,
    pub body: Vec<String>,
    pub html: Vec<String>,
}

/// The editor's live check of one step: syntax errors, or else merge fields the campaign's
/// leads do not have. It runs on the server so that the browser bundle carries neither the
/// template parser nor the Unicode tables that field names are folded with (about 70 KB of
/// the gzipped bundle).
#[server(output = crate::codec::Json)]
pub async fn check_step(
    id: Uuid,
    subject: String,
    body: String,
    html: String,
) -> Result<StepProblems, AppError> {
    use engine::template::source_problems;
    let (state, user) = crate::auth::ssr::require_user().await?;
    let campaign = engine::campaigns::get(&state.pool, user.team_id, id).await?;
    let known = campaign.merge_fields();
    Ok(StepProblems {
        subject: source_problems(&subject, &known),
        body: source_problems(&body, &known),
        html: source_problems(&html, &known),
    })
}

#[server(output = crate::codec::Json)]
pub async fn lint_campaign(id: Uuid) -> Result<LintReport, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    Ok(engine::campaigns::lint::lint(&state.pool, user.team_id, id).await?)
}

/// Removes one lead from a draft campaign (e.g. one the lint complains about).
#[server(output = crate::codec::Json)]
pub async fn remove_lead(id: Uuid, lead_id: Uuid) -> Result<u64, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    Ok(engine::campaigns::leads::remove(&state.pool, user.team_id, id, &[lead_id]).await?)
}

/// One step being edited.
#[derive(Clone, Copy)]
struct StepDraft {
    key: u32,
    subject: RwSignal<String>,
    body: RwSignal<String>,
    html: RwSignal<String>,
    delay: RwSignal<String>,
}

impl StepDraft {
    fn new(key: u32, step: &Step) -> Self {
        Self {
            key,
            subject: RwSignal::new(step.subject.clone()),
            body: RwSignal::new(step.body.clone()),
            html: RwSignal::new(step.html.clone().unwrap_or_default()),
            delay: RwSignal::new(step.delay_days.to_string()),
        }
    }

    fn to_step(self, index: usize) -> Step {
        let html = self.html.get_untracked();
        Step {
            subject: if index == 0 { self.subject.get_untracked() } else { String::new() },
            body: self.body.get_untracked(),
            html: Some(html).filter(|h| !h.trim().is_empty()),
            // Not a number: -1, which the server refuses with a message for this field.
            delay_days: if index == 0 {
                0
            } else {
                self.delay.get_untracked().trim().parse().unwrap_or(-1)
            },
        }
    }
}

/// The editor, and beside it the preview and lint (`children`, drawn by the server) that
/// the tab asks the server to draw again after a save, a removed lead or another choice of
/// step or lead.
#[component]
pub fn StepsTab(id: Uuid, children: Children) -> impl IntoView {
    let draft = Resource::new(move || id, load_steps_draft);
    let changed = expect_context::<CampaignChanged>();
    let save = FormPost::new();
    let remove = FormPost::new();
    Effect::new(move |previous: Option<usize>| {
        let version = save.version().get() + remove.version().get();
        if previous.is_some_and(|p| p != version) {
            changed.bump();
        }
        version
    });
    let choice = RwSignal::new((1_u32, 0_u32));
    let chosen = RwSignal::new(0_usize);
    let side = NodeRef::<Div>::new();
    let refresh =
        Signal::derive(move || save.version().get() + remove.version().get() + chosen.get());
    follow_server_html(refresh, side, move || {
        let (step, position) = choice.get_untracked();
        steps_side_html(id, step, position)
    });
    let choose = move |change: fn(&mut (u32, u32), u32), value: Option<String>| {
        if let Some(value) = value.and_then(|v| v.parse().ok()) {
            choice.update(|c| change(c, value));
            chosen.update(|n| *n += 1);
        }
    };
    let on_click = move |event: leptos::ev::MouseEvent| {
        let button = event_element(&event, "[data-preview-position]");
        choose(|c, p| c.1 = p, button.and_then(|b| b.get_attribute("data-preview-position")));
    };
    let on_change = move |event: leptos::ev::Event| {
        let select = event_element(&event, "[data-preview-step]");
        choose(|c, s| *c = (s, c.1), select.map(|_| event_target_value(&event)));
    };
    view! {
        <div class="grid gap-6 xl:grid-cols-5">
            <div class="space-y-4 xl:col-span-3" data-testid="step-editor">
                <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
                    {move || draft.get().map(|result| match result {
                        Ok(draft) => view! { <StepsWorkspace id draft save/> }.into_any(),
                        Err(e) => view! { <p role="alert" class="text-sm text-rose-600">{e.to_string()}</p> }.into_any(),
                    })}
                </Suspense>
            </div>
            <div class="space-y-6 xl:col-span-2">
                <FormError error=remove.error()/>
                // A gap, not `space-y-*`: the island's wrapper around the first drawing would take
                // the margins.
                <div node_ref=side class="flex flex-col gap-6" on:click=on_click on:change=on_change
                    on:submit=remove.on_marked_submit("data-remove-lead")>
                    {children()}
                </div>
            </div>
        </div>
    }
}

/// The element an event happened in (or an ancestor of it) that matches `selector`.
fn event_element(event: &leptos::ev::Event, selector: &str) -> Option<web_sys::Element> {
    use wasm_bindgen::JsCast;
    let target = event.target()?.dyn_into::<web_sys::Element>().ok()?;
    target.closest(selector).ok().flatten()
}

#[component]
fn StepsWorkspace(id: Uuid, draft: StepsDraft, save: FormPost) -> impl IntoView {
    let StepsDraft { steps: mut initial, fields } = draft;
    if initial.is_empty() {
        initial.push(Step {
            subject: String::new(),
            body: String::new(),
            html: None,
            delay_days: 0,
        });
    }
    let next_key = StoredValue::new(initial.len() as u32);
    let drafts = RwSignal::new(
        initial.iter().enumerate().map(|(i, s)| StepDraft::new(i as u32, s)).collect::<Vec<_>>(),
    );
    let fields = StoredValue::new(fields);
    let save_error = save.error();
    let add_step = move |_| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        let step = Step { subject: String::new(), body: String::new(), html: None, delay_days: 3 };
        drafts.update(|d| d.push(StepDraft::new(key, &step)));
    };
    let on_save = move |_| {
        let steps = drafts.get_untracked().iter().enumerate().map(|(i, d)| d.to_step(i)).collect();
        save.send_json(SaveSteps::url(), &SaveSteps { id, steps });
    };
    let saved_ok = move || save.succeeded().get() && !save.pending().get();
    let first_subject = Signal::derive(move || {
        drafts.with(|d| d.first().map(|s| s.subject.get()).unwrap_or_default())
    });
    view! {
        <For each=move || drafts.get() key=|d| d.key let:draft>
            <StepEditor id draft drafts fields save_error first_subject/>
        </For>
        <div class="flex flex-wrap items-center gap-3">
            <button type="button" on:click=add_step
                class="rounded-md bg-white px-3 py-2 text-sm font-semibold text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50">
                "Add follow-up"
            </button>
            <button type="button" on:click=on_save disabled=move || save.pending().get()
                class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-60">
                {move || if save.pending().get() { "Saving…" } else { "Save steps" }}
            </button>
            {move || saved_ok().then(|| view! { <span role="status" class="text-sm text-emerald-700">"Steps saved."</span> })}
        </div>
        <FormError error=save_error/>
        {move || save_error.get().and_then(|e| e.for_field("steps")).map(|m| view! {
            <p role="alert" class="text-sm text-rose-600">{m}</p>
        })}
    }
}

/// The byte offset in `text` of a position counted in UTF-16 units (what the browser reports).
fn byte_offset(text: &str, utf16_units: usize) -> usize {
    let mut units = 0;
    for (offset, ch) in text.char_indices() {
        if units >= utf16_units {
            return offset;
        }
        units += ch.len_utf16();
    }
    text.len()
}

#[component]
fn StepEditor(
    id: Uuid,
    draft: StepDraft,
    drafts: RwSignal<Vec<StepDraft>>,
    fields: StoredValue<Vec<String>>,
    save_error: Signal<Option<AppError>>,
    first_subject: Signal<String>,
) -> impl IntoView {
    let index =
        Memo::new(move |_| drafts.with(|d| d.iter().position(|s| s.key == draft.key).unwrap_or(0)));
    let number = move || index.get() + 1;
    let server_error = move |part: &'static str| {
        save_error.get().and_then(|e| e.for_field(&format!("steps[{}].{part}", index.get())))
    };
    // Checked again on every change; an answer to an older text is dropped.
    let checked = LocalResource::new(move || {
        check_step(id, draft.subject.get(), draft.body.get(), draft.html.get())
    });
    let problems = move |part: fn(StepProblems) -> Vec<String>| {
        checked.get().and_then(Result::ok).map(part).unwrap_or_default()
    };
    let show_html = RwSignal::new(!draft.html.get_untracked().is_empty());
    let textarea = NodeRef::<Textarea>::new();
    let insert = move |field: String| {
        let token = format!("<<{field}>>");
        let mut text = draft.body.get_untracked();
        let at = textarea
            .get_untracked()
            .and_then(|t| t.selection_start().ok().flatten())
            .map_or(text.len(), |units| byte_offset(&text, units as usize));
        text.insert_str(at, &token);
        draft.body.set(text);
        if let Some(t) = textarea.get_untracked() {
            let _ = t.focus();
        }
    };
    let remove = move |_| drafts.update(|d| d.retain(|s| s.key != draft.key));
    let ids = move |part: &str| format!("step-{}-{part}", draft.key);
    view! {
        <section class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm" data-testid="step">
            <header class="mb-4 flex items-center justify-between">
                <h3 class="text-base font-semibold text-slate-900">
                    {move || if index.get() == 0 { "Step 1 · first email".to_string() } else { format!("Step {} · follow-up", number()) }}
                </h3>
                {move || (index.get() > 0).then(|| view! {
                    <button type="button" on:click=remove class="text-sm text-rose-600 hover:underline">
                        {format!("Remove step {}", number())}
                    </button>
                })}
            </header>
            <div class="space-y-4">
                {move || if index.get() == 0 {
                    view! {
                        <div class="space-y-1">
                            <label for=ids("subject") class="block text-sm font-medium text-slate-700">"Subject"</label>
                            <input id=ids("subject") type="text" value=draft.subject.get_untracked() prop:value=move || draft.subject.get()
                                on:input=move |ev| draft.subject.set(event_target_value(&ev))
                                class="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm"/>
                            <FieldProblems problems=Signal::derive(move || server_error("subject").into_iter().chain(problems(|p| p.subject)).collect())/>
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <div class="grid gap-4 sm:grid-cols-2">
                            <p class="text-sm text-slate-600">"Subject: "<span class="font-medium">{move || format!("Re: {}", first_subject.get())}</span></p>
                            <div class="space-y-1">
                                <label for=ids("delay") class="block text-sm font-medium text-slate-700">"Wait (days after the previous step)"</label>
                                <input id=ids("delay") type="number" min="0" max="365" prop:value=move || draft.delay.get()
                                    on:input=move |ev| draft.delay.set(event_target_value(&ev))
                                    class="block w-32 rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm"/>
                                <FieldProblems problems=Signal::derive(move || server_error("delay_days").into_iter().collect())/>
                            </div>
                        </div>
                    }.into_any()
                }}
                <div class="space-y-1">
                    <label for=ids("body") class="block text-sm font-medium text-slate-700">{move || format!("Step {} body", number())}</label>
                    <textarea id=ids("body") rows="8" node_ref=textarea prop:value=move || draft.body.get()
                        on:input=move |ev| draft.body.set(event_target_value(&ev))
                        class="block w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-sm shadow-sm">
                        {draft.body.get_untracked()}
                    </textarea>
                    <div class="flex flex-wrap items-center gap-1 text-xs" role="group" aria-label="Insert a merge field">
                        <span class="text-slate-500">"Insert:"</span>
                        {move || fields.get_value().into_iter().map(|field| {
                            let label = format!("<<{field}>>");
                            view! {
                                <button type="button" on:click=move |_| insert(field.clone())
                                    class="rounded bg-slate-100 px-2 py-0.5 font-mono text-slate-700 hover:bg-indigo-100">
                                    {label}
                                </button>
                            }
                        }).collect_view()}
                    </div>
                    <FieldProblems problems=Signal::derive(move || server_error("body").into_iter().chain(problems(|p| p.body)).collect())/>
                </div>
                <details class="text-sm" prop:open=move || show_html.get() on:toggle=move |ev| {
                    use wasm_bindgen::JsCast;
                    if let Some(d) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlDetailsElement>().ok()) {
                        show_html.set(d.open());
                    }
                }>
                    <summary class="cursor-pointer text-slate-600">"HTML version (optional)"</summary>
                    <div class="mt-2 space-y-1">
                        <label for=ids("html") class="block text-sm font-medium text-slate-700">"HTML body"</label>
                        <textarea id=ids("html") rows="6" prop:value=move || draft.html.get()
                            on:input=move |ev| draft.html.set(event_target_value(&ev))
                            class="block w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-sm shadow-sm">
                            {draft.html.get_untracked()}
                        </textarea>
                        <FieldProblems problems=Signal::derive(move || server_error("html").into_iter().chain(problems(|p| p.html)).collect())/>
                    </div>
                </details>
            </div>
        </section>
    }
}

#[component]
fn FieldProblems(problems: Signal<Vec<String>>) -> impl IntoView {
    move || {
        let problems = problems.get();
        (!problems.is_empty()).then(|| {
            view! {
                <ul role="alert" class="space-y-0.5 text-xs text-rose-600">
                    {problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}
                </ul>
            }
        })
    }
}

/// What the preview and the lint beside the editor show.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StepsSide {
    /// How many steps are saved.
    pub steps: u32,
    /// The step previewed (from 1) and the lead's place among `leads` (from 0).
    pub step: u32,
    pub position: u32,
    /// The first leads, that the preview steps through (id, address).
    pub leads: Vec<(Uuid, String)>,
    /// `None` while no step is saved.
    pub preview: Option<Result<Preview, String>>,
    pub lint: Result<LintReport, String>,
    /// Leads may be removed only from a draft.
    pub draft: bool,
}

/// The preview of step `step` for the lead at `position`, and the lint (both as saved).
#[server(output = crate::codec::Json)]
pub async fn load_steps_side(id: Uuid, step: u32, position: u32) -> Result<StepsSide, AppError> {
    use super::leads::load_leads;
    use engine::model::CampaignStatus;
    /// Leads the preview steps through.
    const PREVIEW_LEADS: usize = 50;
    let campaign = load_campaign(id).await?;
    let steps = campaign.steps.len().max(1) as u32;
    let step = step.clamp(1, steps);
    let first = load_leads(id, None, None, None, 1, None, None).await?;
    let leads: Vec<(Uuid, String)> =
        first.items.into_iter().take(PREVIEW_LEADS).map(|l| (l.id, l.email)).collect();
    let position = position.min(leads.len().saturating_sub(1) as u32);
    let lead = leads.get(position as usize).map(|(lead, _)| *lead);
    Ok(StepsSide {
        steps,
        step,
        position,
        leads,
        preview: if campaign.steps.is_empty() {
            None
        } else {
            Some(preview_step(id, lead, step).await.map_err(|e| e.to_string()))
        },
        lint: lint_campaign(id).await.map_err(|e| e.to_string()),
        draft: campaign.status == CampaignStatus::Draft,
    })
}

/// The preview and the lint drawn by the server, for the Steps tab to put in place.
#[server(output = crate::codec::Json)]
pub async fn steps_side_html(id: Uuid, step: u32, position: u32) -> Result<String, AppError> {
    let side = load_steps_side(id, step, position).await?;
    Ok(render_to_html(move || steps_side(id, side)))
}

/// The preview and the lint of the page, first step and first lead (server-rendered).
#[component]
pub fn StepsSidePanels(id: Uuid) -> impl IntoView {
    server_drawn(move || load_steps_side(id, 1, 0), move |side| steps_side(id, side))
}

fn steps_side(id: Uuid, side: StepsSide) -> AnyView {
    let StepsSide { steps, step, position, leads, preview, lint, draft } = side;
    view! {
        <PreviewCard steps step position leads preview/>
        <LintCard id lint draft/>
    }
    .into_any()
}

/// The step and lead are chosen with `data-preview-step` and `data-preview-position`, which the
/// Steps tab listens for.
#[component]
fn PreviewCard(
    steps: u32,
    step: u32,
    position: u32,
    leads: Vec<(Uuid, String)>,
    preview: Option<Result<Preview, String>>,
) -> impl IntoView {
    let total = leads.len() as u32;
    let lead = leads.get(position as usize).map_or_else(
        || "No leads yet: import some to preview.".to_string(),
        |(_, email)| format!("Lead {} of {total}: {email}", position + 1),
    );
    let nav_class = "rounded-md px-2 py-1 text-sm ring-1 ring-slate-300 disabled:opacity-40";
    view! {
        <Card title="Preview" description="Exactly what a lead receives, as saved (save the steps to see changes).">
            <div class="space-y-3" data-testid="preview">
                <div class="flex flex-wrap items-end gap-3">
                    <div>
                        <label for="preview-step" class="block text-xs font-medium text-slate-600">"Step"</label>
                        <select id="preview-step" data-preview-step="" class="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm">
                            {(1..=steps).map(|n| view! {
                                <option value=n.to_string() selected=n == step>{format!("Step {n}")}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="flex gap-2">
                        <button type="button" class=nav_class disabled=position == 0
                            data-preview-position=position.saturating_sub(1).to_string()>"Previous lead"</button>
                        <button type="button" class=nav_class disabled={ position + 1 >= total }
                            data-preview-position=(position + 1).to_string()>"Next lead"</button>
                    </div>
                </div>
                <p class="text-xs text-slate-500" data-testid="preview-lead">{lead}</p>
                {match preview {
                    None => view! { <p class="text-sm text-slate-500">"Write the first email and save it to see it here."</p> }.into_any(),
                    Some(Err(e)) => view! { <p role="alert" class="text-sm text-rose-600">{e}</p> }.into_any(),
                    Some(Ok(p)) => view! {
                        <div class="rounded-lg border border-slate-200">
                            <p class="border-b border-slate-100 px-3 py-2 text-sm"><span class="text-slate-500">"Subject: "</span>
                                <span class="font-medium" data-testid="preview-subject">{p.subject}</span></p>
                            <pre class="max-h-96 overflow-auto whitespace-pre-wrap px-3 py-2 font-sans text-sm" data-testid="preview-body">{p.body}</pre>
                            {p.html.map(|html| view! {
                                <details class="border-t border-slate-100 px-3 py-2 text-xs"><summary>"HTML source"</summary>
                                    <pre class="whitespace-pre-wrap">{html}</pre></details>
                            })}
                        </div>
                        {(!p.problems.is_empty()).then(|| view! {
                            <ul role="alert" class="list-inside list-disc text-sm text-rose-600">
                                {p.problems.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
                            </ul>
                        })}
                    }.into_any(),
                }}
            </div>
        </Card>
    }
}

/// A lead's "Remove lead" is a form marked `data-remove-lead`: it posts to the server function
/// as it is, and the Steps tab sends it through its action.
#[component]
fn LintCard(id: Uuid, lint: Result<LintReport, String>, draft: bool) -> impl IntoView {
    let shown = match lint {
        Err(e) => view! { <p role="alert" class="text-sm text-rose-600">{e}</p> }.into_any(),
        Ok(report) if report.problems.is_empty() => view! {
            <p class="text-sm text-emerald-700">"No problems found: every lead renders."</p>
        }.into_any(),
        Ok(report) => view! {
            <p class="mb-2 text-sm text-slate-700">{format!("{} errors, {} warnings, {} leads with problems.", report.errors, report.warnings, report.leads_with_problems)}</p>
            <ul class="space-y-2 text-sm">
                {report.problems.into_iter().map(|p| {
                    let error = p.severity == Severity::Error;
                    let lead = p.lead_id;
                    view! {
                        <li class=if error { "rounded-md bg-rose-50 px-3 py-2 text-rose-800" } else { "rounded-md bg-amber-50 px-3 py-2 text-amber-900" }>
                            <span class="mr-1 font-semibold">{if error { "Error" } else { "Warning" }}</span>
                            {problem_text(&p)}
                            {lead.filter(|_| draft).map(|lead| view! {
                                <form method="post" action=RemoveLead::url() data-remove-lead="" class="mt-1">
                                    <input type="hidden" name="id" value=id.to_string()/>
                                    <input type="hidden" name="lead_id" value=lead.to_string()/>
                                    <button type="submit" class="text-xs font-semibold text-rose-700 underline">"Remove lead"</button>
                                </form>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }.into_any(),
    };
    view! {
        <Card title="Lint" description="Errors block the start; warnings do not.">
            <div data-testid="lint">{shown}</div>
        </Card>
    }
}
