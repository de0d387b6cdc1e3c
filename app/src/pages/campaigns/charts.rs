//! The Charts tab: messages sent, replies, auto-replies and bounces per day (in the campaign's
//! time zone) for the whole campaign and for each sender account, with reply and bounce rates.

use engine::model::{ActivitySeries, DailyStats};
use leptos::prelude::*;
use uuid::Uuid;

use crate::components::chart::{
    AUTO_REPLIED_COLOR, BOUNCED_COLOR, BarChart, ChartSeries, REPLIED_COLOR, SENT_COLOR,
};
use crate::components::ui::{Card, EmptyState};
use crate::error::AppError;
use crate::format::count;

/// The periods offered, in days.
const PERIODS: [u32; 3] = [7, 30, 90];

#[server(output = crate::codec::Json)]
pub async fn load_daily_stats(id: Uuid, days: u32) -> Result<DailyStats, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    let now = state.google.oauth.now();
    Ok(engine::campaigns::activity::daily(&state.pool, user.team_id, id, days, now).await?)
}

fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

fn sent_series(series: &ActivitySeries) -> Vec<ChartSeries> {
    vec![ChartSeries {
        label: "Sent",
        noun: ("message sent", "messages sent"),
        color: SENT_COLOR,
        values: series.days.iter().map(|d| d.sent).collect(),
    }]
}

fn outcome_series(series: &ActivitySeries) -> Vec<ChartSeries> {
    vec![
        ChartSeries {
            label: "Replies",
            noun: ("reply", "replies"),
            color: REPLIED_COLOR,
            values: series.days.iter().map(|d| d.replied).collect(),
        },
        ChartSeries {
            label: "Auto-replies",
            noun: ("auto-reply", "auto-replies"),
            color: AUTO_REPLIED_COLOR,
            values: series.days.iter().map(|d| d.auto_replied).collect(),
        },
        ChartSeries {
            label: "Bounces",
            noun: ("bounce", "bounces"),
            color: BOUNCED_COLOR,
            values: series.days.iter().map(|d| d.bounced).collect(),
        },
    ]
}

/// The period asked for by `?days=`: one of [`PERIODS`], 30 days otherwise.
pub(crate) fn chart_days(asked: Option<String>) -> u32 {
    asked.and_then(|d| d.parse::<u32>().ok()).filter(|d| PERIODS.contains(d)).unwrap_or(30)
}

/// Server-rendered: nothing here runs in the browser (tooltips are SVG titles).
#[component]
pub fn ChartsTab(id: Uuid, days: u32) -> impl IntoView {
    let stats = Resource::new(move || days, move |days| load_daily_stats(id, days));
    view! {
        <section class="space-y-6" aria-labelledby="charts-heading" data-testid="charts">
            <div class="flex flex-wrap items-center justify-between gap-3">
                <h2 id="charts-heading" class="text-base font-semibold text-slate-900">"Activity per day"</h2>
                <nav aria-label="Period" class="flex gap-1 text-sm">
                    {PERIODS.into_iter().map(|period| view! {
                        <a href=format!("/campaigns/{id}?tab=charts&days={period}")
                            aria-current=(days == period).then_some("page")
                            class=if days == period {
                                "rounded-md bg-slate-800 px-3 py-1.5 font-semibold text-white"
                            } else {
                                "rounded-md px-3 py-1.5 text-slate-600 ring-1 ring-slate-300 hover:bg-slate-50"
                            }>
                            {format!("{period} days")}
                        </a>
                    }).collect_view()}
                </nav>
            </div>
            <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
                {move || stats.get().map(|result| match result {
                    Err(e) => view! { <p role="alert" class="text-sm text-rose-600">{e.to_string()}</p> }.into_any(),
                    Ok(stats) if stats.total.is_empty() && stats.senders.iter().all(|s| s.series.is_empty()) => view! {
                        <EmptyState title="Nothing sent in this period"
                            message="The charts fill in as the campaign sends: messages sent, replies, auto-replies and bounces per day. Add leads and steps, choose the sender accounts and start the campaign — or pick a longer period above."/>
                    }.into_any(),
                    Ok(stats) => view! { <Charts stats/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Charts(stats: DailyStats) -> impl IntoView {
    let DailyStats { time_zone, from, to, total, senders, .. } = stats;
    let dates: Vec<_> = total.days.iter().map(|d| d.day).collect();
    let (sent, outcomes) = (sent_series(&total), outcome_series(&total));
    let sender_dates = dates.clone();
    let outcome_dates = dates.clone();
    view! {
        <p class="text-sm text-slate-500">
            {format!("{} to {}, days in the campaign's time zone ({time_zone}). Hover over a bar for its exact figure.",
                from.format("%b %-d, %Y"), to.format("%b %-d, %Y"))}
        </p>
        <Rates series=total.clone()/>
        <div class="grid gap-6">
            <Card title="Messages sent">
                <BarChart title="Messages sent per day".to_string() days=dates
                    series=sent test_id="chart-sent"/>
            </Card>
            <Card title="Replies, auto-replies and bounces">
                <BarChart title="Replies, auto-replies and bounces per day".to_string() days=outcome_dates
                    series=outcomes test_id="chart-outcomes"/>
            </Card>
        </div>
        {(!senders.is_empty()).then(|| view! {
            <section aria-labelledby="per-sender-heading" class="space-y-3">
                <h3 id="per-sender-heading" class="text-sm font-semibold text-slate-900">"Per sender account"</h3>
                <div class="grid gap-4 md:grid-cols-2 xl:grid-cols-3" data-testid="sender-charts">
                    {senders.into_iter().map(|sender| {
                        let name = if sender.email.is_empty() {
                            if sender.sender_id.is_some() { "A removed account".to_string() } else { "Not mailed by an account yet".to_string() }
                        } else {
                            sender.email.clone()
                        };
                        let series = sender.series;
                        let mut all = sent_series(&series);
                        all.extend(outcome_series(&series));
                        view! {
                            <div class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
                                <p class="truncate text-sm font-semibold text-slate-900" title=name.clone()>{name.clone()}</p>
                                <p class="mb-2 text-xs text-slate-500">
                                    {format!("{} sent · reply rate {} · bounce rate {}",
                                        count(series.sent.max(0) as u64), percent(series.reply_rate), percent(series.bounce_rate))}
                                </p>
                                <BarChart title=format!("Activity of {name} per day") days=sender_dates.clone() series=all compact=true/>
                            </div>
                        }
                    }).collect_view()}
                </div>
            </section>
        })}
    }
}

/// The period's totals and rates as figures.
#[component]
fn Rates(series: ActivitySeries) -> impl IntoView {
    let figures = [
        (
            "Sent",
            count(series.sent.max(0) as u64),
            format!(
                "{} leads contacted for the first time",
                count(series.leads_contacted.max(0) as u64)
            ),
        ),
        (
            "Reply rate",
            percent(series.reply_rate),
            format!(
                "{} of {} leads contacted replied",
                count(series.leads_replied.max(0) as u64),
                count(series.leads_contacted.max(0) as u64)
            ),
        ),
        (
            "Bounce rate",
            percent(series.bounce_rate),
            format!(
                "{} of {} messages bounced",
                count(series.bounced.max(0) as u64),
                count(series.sent.max(0) as u64)
            ),
        ),
        (
            "Auto-replies",
            count(series.auto_replied.max(0) as u64),
            "out-of-office and other automatic answers".to_string(),
        ),
    ];
    view! {
        <dl class="grid grid-cols-2 gap-3 lg:grid-cols-4" data-testid="activity-rates">
            {figures.into_iter().map(|(label, value, detail)| view! {
                <div class="rounded-lg border border-slate-200 bg-white px-4 py-3">
                    <dt class="text-xs text-slate-500">{label}</dt>
                    <dd class="text-2xl font-semibold tabular-nums text-slate-900">{value}</dd>
                    <dd class="text-xs text-slate-500">{detail}</dd>
                </div>
            }).collect_view()}
        </dl>
    }
}
