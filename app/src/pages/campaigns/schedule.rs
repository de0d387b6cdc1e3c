//! The Schedule & senders tab: sending window, pacing, bounce threshold and the sender
//! accounts that take turns.

#[cfg(feature = "ssr")]
use engine::model::Campaign;
use engine::model::{CampaignSettings, Schedule};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::ServerFn;
use server_fn::codec::Json;
use uuid::Uuid;

use super::detail::CampaignChanged;
#[cfg(feature = "ssr")]
use super::detail::load_campaign;
use crate::components::form_post::FormPost;
use crate::components::forms::FormError;
use crate::components::ui::Card;
use crate::error::AppError;

/// A sender account as the campaign form offers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SenderChoice {
    pub id: Uuid,
    pub email: String,
    pub status: String,
    pub daily_cap: u32,
}

#[server(output = crate::codec::Json)]
pub async fn sender_choices() -> Result<Vec<SenderChoice>, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    let accounts =
        engine::senders::list(&state.pool, user.team_id, &user, chrono::Utc::now()).await?;
    Ok(accounts
        .into_iter()
        .map(|a| SenderChoice {
            id: a.id,
            email: a.email,
            status: a.status.as_str().to_string(),
            daily_cap: a.daily_cap,
        })
        .collect())
}

/// The plan in plain language ("≈ 405 emails a day from 1 account, finishing in about 3
/// days") for a schedule and sender accounts as typed, or without them, as saved. Worked out
/// by the server, so the browser bundle does without the estimator.
#[server(input = Json, output = crate::codec::Json)]
pub async fn schedule_summary(
    id: Uuid,
    schedule: Option<Schedule>,
    sender_ids: Option<Vec<Uuid>>,
) -> Result<String, AppError> {
    let campaign = load_campaign(id).await?;
    let senders = sender_choices().await?;
    let schedule = schedule.as_ref().unwrap_or(&campaign.schedule);
    let sender_ids = sender_ids.as_deref().unwrap_or(&campaign.sender_ids);
    Ok(plan_summary(&campaign, schedule, &chosen_senders(sender_ids, senders)))
}

/// What the Schedule tab's form starts from: the campaign's saved choices, the accounts to
/// choose from, and the saved schedule's plan in plain language.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScheduleFormData {
    pub schedule: Schedule,
    pub settings: CampaignSettings,
    pub sender_ids: Vec<Uuid>,
    pub senders: Vec<SenderChoice>,
    pub plan: String,
}

#[server(output = crate::codec::Json)]
pub async fn load_schedule_form(id: Uuid) -> Result<ScheduleFormData, AppError> {
    let campaign = load_campaign(id).await?;
    let senders = sender_choices().await?;
    let chosen = chosen_senders(&campaign.sender_ids, senders.clone());
    let plan = plan_summary(&campaign, &campaign.schedule, &chosen);
    let Campaign { schedule, settings, sender_ids, .. } = campaign;
    Ok(ScheduleFormData { schedule, settings, sender_ids, senders, plan })
}

/// The accounts of `senders` that `sender_ids` name, in that order.
#[cfg(feature = "ssr")]
pub(crate) fn chosen_senders(sender_ids: &[Uuid], senders: Vec<SenderChoice>) -> Vec<SenderChoice> {
    sender_ids.iter().filter_map(|id| senders.iter().find(|s| s.id == *id).cloned()).collect()
}

/// The plan for `campaign`'s leads not mailed yet and its steps, sent on `schedule` from the
/// `chosen` accounts.
#[cfg(feature = "ssr")]
pub(crate) fn plan_summary(
    campaign: &Campaign,
    schedule: &Schedule,
    chosen: &[SenderChoice],
) -> String {
    use engine::send_estimate::{EstimateInput, estimate};
    let caps: Vec<u32> = chosen.iter().map(|s| s.daily_cap).collect();
    estimate(&EstimateInput {
        schedule,
        steps: &campaign.steps,
        leads: campaign.stats.pending.max(0) as u64,
        account_caps: &caps,
    })
    .summary()
}

#[server(input = Json, output = crate::codec::Json)]
pub async fn save_schedule(
    id: Uuid,
    sender_ids: Vec<Uuid>,
    schedule: Schedule,
    settings: CampaignSettings,
) -> Result<(), AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    let patch = engine::model::CampaignPatch {
        sender_ids: Some(sender_ids),
        schedule: Some(schedule),
        settings: Some(settings),
        ..Default::default()
    };
    engine::campaigns::update(&state.pool, user.team_id, id, patch).await?;
    Ok(())
}

const DAYS: [(&str, &str); 7] = [
    ("mon", "Mon"),
    ("tue", "Tue"),
    ("wed", "Wed"),
    ("thu", "Thu"),
    ("fri", "Fri"),
    ("sat", "Sat"),
    ("sun", "Sun"),
];

const ZONES: [&str; 24] = [
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Amsterdam",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Athens",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Sao_Paulo",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
];

#[component]
pub fn ScheduleTab(id: Uuid) -> impl IntoView {
    let form = Resource::new(move || id, load_schedule_form);
    view! {
        <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
            {move || form.get().map(|result| match result {
                Ok(data) => view! { <ScheduleForm id data/> }.into_any(),
                Err(e) => view! { <p role="alert" class="text-sm text-rose-600">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// `data.plan`: the saved schedule's plan in plain language, until the server answers for
/// the schedule as typed.
#[component]
fn ScheduleForm(id: Uuid, data: ScheduleFormData) -> impl IntoView {
    let ScheduleFormData { schedule: s, settings, sender_ids, senders, plan } = data;
    let changed = expect_context::<CampaignChanged>();
    let timezone = RwSignal::new(s.timezone);
    let days = RwSignal::new(s.days);
    let start_hour = RwSignal::new(s.start_hour.to_string());
    let end_hour = RwSignal::new(s.end_hour.to_string());
    let min_gap = RwSignal::new(s.min_gap_seconds.to_string());
    let max_gap = RwSignal::new(s.max_gap_seconds.to_string());
    let stop_on_auto_reply = RwSignal::new(settings.stop_on_auto_reply);
    let bounce_percent = RwSignal::new(format_percent(settings.bounce_pause_threshold));
    let chosen = RwSignal::new(sender_ids);
    let inputs = ScheduleInputs { timezone, days, start_hour, end_hour, min_gap, max_gap };
    // Worked out again as the rep types, from what the form holds now.
    let typed = LocalResource::new(move || {
        schedule_summary(id, Some(inputs.schedule_or_default()), Some(chosen.get()))
    });
    let summary = move || typed.get().and_then(Result::ok).unwrap_or_else(|| plan.clone());
    let save = FormPost::new();
    // Input the browser can tell is wrong before asking the server.
    let local_error = RwSignal::new(None::<AppError>);
    let error = Signal::derive(move || local_error.get().or_else(|| save.error().get()));
    Effect::new(move |previous: Option<usize>| {
        let version = save.version().get();
        if previous.is_some_and(|p| p != version) {
            changed.bump();
        }
        version
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let built = build_input(
            id,
            inputs,
            stop_on_auto_reply.get_untracked(),
            &bounce_percent.get_untracked(),
            chosen.get_untracked(),
        );
        match built {
            Ok(input) => {
                local_error.set(None);
                save.send_json(SaveSchedule::url(), &input);
            }
            Err(e) => local_error.set(Some(e)),
        }
    };
    let field_error = move |field: &'static str| {
        move || {
            error.get().and_then(|e| e.for_field(field)).map(|message| {
                // The engine speaks of a rate (0–1); this form asks for a percentage.
                let message = if field == "settings.bounce_pause_threshold" {
                    "enter a percentage above 0 and at most 100".to_string()
                } else {
                    message
                };
                view! { <p role="alert" class="text-xs text-rose-600">{message}</p> }
            })
        }
    };
    let number_input = move |label: &'static str,
                             field: &'static str,
                             value: RwSignal<String>,
                             min: &'static str,
                             max: &'static str| {
        view! {
            <div class="space-y-1">
                <label for=format!("field-{field}") class="block text-sm font-medium text-slate-700">{label}</label>
                <input id=format!("field-{field}") type="number" min=min max=max value=value.get_untracked() prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                    class="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm"/>
                {field_error(field)}
            </div>
        }
    };
    let saved_ok = move || save.succeeded().get() && local_error.with(Option::is_none);
    view! {
        <form on:submit=on_submit class="grid gap-6 lg:grid-cols-2" data-testid="schedule-form">
            <Card title="Sending window" description="Messages go out only on these days, between these hours, in this time zone.">
                <div class="space-y-4">
                    <div class="space-y-1">
                        <label for="field-timezone" class="block text-sm font-medium text-slate-700">"Time zone"</label>
                        <input id="field-timezone" type="text" list="timezones" value=timezone.get_untracked() prop:value=move || timezone.get()
                            on:input=move |ev| timezone.set(event_target_value(&ev))
                            class="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm"/>
                        <datalist id="timezones">
                            {ZONES.iter().map(|z| view! { <option value=*z></option> }).collect_view()}
                        </datalist>
                        {field_error("schedule.timezone")}
                    </div>
                    <fieldset>
                        <legend class="text-sm font-medium text-slate-700">"Days"</legend>
                        <div class="mt-2 flex flex-wrap gap-3">
                            {DAYS.iter().map(|(day, label)| {
                                let day = day.to_string();
                                let checked = { let day = day.clone(); move || days.read().contains(&day) };
                                view! {
                                    <label class="flex items-center gap-1 text-sm">
                                        <input type="checkbox" prop:checked=checked
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                days.update(|d| { d.retain(|x| x != &day); if on { d.push(day.clone()); } });
                                            }/>
                                        {*label}
                                    </label>
                                }
                            }).collect_view()}
                        </div>
                        {field_error("schedule.days")}
                    </fieldset>
                    <div class="grid grid-cols-2 gap-4">
                        {number_input("Start hour (0–23)", "schedule.start_hour", start_hour, "0", "23")}
                        {number_input("End hour (1–24)", "schedule.end_hour", end_hour, "1", "24")}
                    </div>
                </div>
            </Card>
            <Card title="Pacing and safety">
                <div class="space-y-4">
                    <div class="grid grid-cols-2 gap-4">
                        {number_input("Minimum gap (seconds)", "schedule.min_gap_seconds", min_gap, "0", "86400")}
                        {number_input("Maximum gap (seconds)", "schedule.max_gap_seconds", max_gap, "0", "86400")}
                    </div>
                    <label class="flex items-center gap-2 text-sm">
                        <input type="checkbox" prop:checked=move || stop_on_auto_reply.get()
                            on:change=move |ev| stop_on_auto_reply.set(event_target_checked(&ev))/>
                        "Stop the sequence when an out-of-office reply arrives"
                    </label>
                    <div class="space-y-1">
                        <label for="field-bounce" class="block text-sm font-medium text-slate-700">"Pause when the bounce rate passes (%)"</label>
                        <input id="field-bounce" type="text" inputmode="decimal" value=bounce_percent.get_untracked() prop:value=move || bounce_percent.get()
                            on:input=move |ev| bounce_percent.set(event_target_value(&ev))
                            class="block w-32 rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm"/>
                        <p class="text-xs text-slate-500">"Checked after 20 sends."</p>
                        {field_error("settings.bounce_pause_threshold")}
                    </div>
                </div>
            </Card>
            <Card title="Sender accounts" description="They take turns; each keeps its own daily cap across campaigns.">
                {if senders.is_empty() {
                    view! { <p class="text-sm text-slate-500">"No sender accounts yet. "<a href="/senders" class="text-indigo-600 hover:underline">"Connect a Gmail account"</a>" first."</p> }.into_any()
                } else {
                    view! {
                        <fieldset class="space-y-2">
                            <legend class="sr-only">"Sender accounts"</legend>
                            {senders.into_iter().map(|sender| {
                                let sid = sender.id;
                                view! {
                                    <label class="flex items-center gap-2 text-sm">
                                        <input type="checkbox" prop:checked=move || chosen.read().contains(&sid)
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                chosen.update(|c| { c.retain(|x| *x != sid); if on { c.push(sid); } });
                                            }/>
                                        <span>{sender.email}</span>
                                        <span class="text-xs text-slate-500">{sender.status}</span>
                                    </label>
                                }
                            }).collect_view()}
                        </fieldset>
                    }.into_any()
                }}
                {field_error("sender_ids")}
            </Card>
            <p class="rounded-md bg-indigo-50 px-4 py-3 text-sm text-indigo-900 lg:col-span-2" data-testid="schedule-summary" aria-live="polite">
                {summary}
            </p>
            <div class="flex items-center gap-3 lg:col-span-2">
                <button type="submit" disabled=move || save.pending().get()
                    class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-60">
                    {move || if save.pending().get() { "Saving…" } else { "Save schedule" }}
                </button>
                {move || saved_ok().then(|| view! { <span role="status" class="text-sm text-emerald-700">"Schedule saved."</span> })}
                <FormError error/>
            </div>
        </form>
    }
}

/// The text the schedule fields hold.
#[derive(Clone, Copy)]
struct ScheduleInputs {
    timezone: RwSignal<String>,
    days: RwSignal<Vec<String>>,
    start_hour: RwSignal<String>,
    end_hour: RwSignal<String>,
    min_gap: RwSignal<String>,
    max_gap: RwSignal<String>,
}

impl ScheduleInputs {
    /// The schedule as typed so far; a field that is not a number yet counts as 0.
    fn schedule_or_default(&self) -> Schedule {
        let number = |value: RwSignal<String>| value.read().trim().parse().unwrap_or(0);
        Schedule {
            timezone: self.timezone.get(),
            days: self.days.get(),
            start_hour: number(self.start_hour),
            end_hour: number(self.end_hour),
            min_gap_seconds: number(self.min_gap),
            max_gap_seconds: number(self.max_gap),
        }
    }
}

/// The save request, or the first field the browser can already tell is wrong.
fn build_input(
    id: Uuid,
    inputs: ScheduleInputs,
    stop_on_auto_reply: bool,
    bounce_percent: &str,
    sender_ids: Vec<Uuid>,
) -> Result<SaveSchedule, AppError> {
    let number = |signal: RwSignal<String>, field: &str| {
        signal.get_untracked().trim().parse::<i32>().map_err(|_| AppError::Invalid {
            field: Some(field.into()),
            message: "enter a whole number".into(),
        })
    };
    let percent = bounce_percent.trim().trim_end_matches('%').replace(',', ".");
    let percent =
        percent.parse::<f64>().ok().filter(|p| p.is_finite()).ok_or_else(|| AppError::Invalid {
            field: Some("settings.bounce_pause_threshold".into()),
            message: "enter a percentage, e.g. 5".into(),
        })?;
    let chosen_days = inputs.days.get_untracked();
    Ok(SaveSchedule {
        id,
        sender_ids,
        schedule: Schedule {
            timezone: inputs.timezone.get_untracked().trim().to_string(),
            days: DAYS
                .iter()
                .map(|(d, _)| d.to_string())
                .filter(|d| chosen_days.contains(d))
                .collect(),
            start_hour: number(inputs.start_hour, "schedule.start_hour")?,
            end_hour: number(inputs.end_hour, "schedule.end_hour")?,
            min_gap_seconds: number(inputs.min_gap, "schedule.min_gap_seconds")?,
            max_gap_seconds: number(inputs.max_gap, "schedule.max_gap_seconds")?,
        },
        settings: CampaignSettings { stop_on_auto_reply, bounce_pause_threshold: percent / 100.0 },
    })
}

/// 0.05 → "5", 0.025 → "2.5".
fn format_percent(rate: f64) -> String {
    let percent = (rate * 1000.0).round() / 10.0;
    if percent.fract() == 0.0 { format!("{percent:.0}") } else { format!("{percent}") }
}
