//! A bar chart per day drawn as SVG by the app itself (no charting library, no script): one
//! bar per series and day, grouped side by side; y axis with round ticks, x axis with dates,
//! a legend, and a `<title>` on every bar (and every day) that browsers show as a tooltip.
//! The same markup renders on the server and in the browser.

use chrono::NaiveDate;
use leptos::prelude::*;

use crate::format::count;

/// One series of bars: a name for the legend and tooltips, a colour, one value per day.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSeries {
    /// Singular for the tooltips ("312 sent", "4 replies" — see `noun`).
    pub label: &'static str,
    /// What one unit is called in tooltips: ("reply", "replies").
    pub noun: (&'static str, &'static str),
    /// A CSS colour readable on white, with enough contrast between the series.
    pub color: &'static str,
    pub values: Vec<i64>,
}

/// Colours of the series, the same in every chart.
pub const SENT_COLOR: &str = "#4f46e5"; // indigo-600
pub const REPLIED_COLOR: &str = "#059669"; // emerald-600
pub const AUTO_REPLIED_COLOR: &str = "#d97706"; // amber-600
pub const BOUNCED_COLOR: &str = "#e11d48"; // rose-600

/// Drawing sizes (SVG units; the SVG scales to its container's width).
struct Frame {
    width: f64,
    height: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Frame {
    fn plot_width(&self) -> f64 {
        self.width - self.left - self.right
    }

    fn plot_height(&self) -> f64 {
        self.height - self.top - self.bottom
    }
}

/// The top of the y axis and the step of its ticks: 1, 2 or 5 times a power of ten, with
/// at most five steps; at least 1 so an all-zero chart still has an axis.
pub fn axis_scale(max: i64) -> (i64, i64) {
    let max = max.max(1);
    let mut magnitude = 1_i64;
    loop {
        for factor in [1, 2, 5] {
            let step = factor * magnitude;
            let steps = (max + step - 1) / step;
            if steps <= 5 {
                return (steps * step, step);
            }
        }
        magnitude = magnitude.saturating_mul(10);
    }
}

/// "Nov 23".
fn short_date(day: NaiveDate) -> String {
    day.format("%b %-d").to_string()
}

fn long_date(day: NaiveDate) -> String {
    day.format("%a %b %-d, %Y").to_string()
}

fn amount(n: i64, noun: (&str, &str)) -> String {
    format!("{} {}", count(n.max(0) as u64), if n == 1 { noun.0 } else { noun.1 })
}

/// A grouped bar chart of `series` over `days`. `title` names it for screen readers (with the
/// totals); `compact` draws a small one (fewer labels).
#[component]
pub fn BarChart(
    title: String,
    days: Vec<NaiveDate>,
    series: Vec<ChartSeries>,
    #[prop(optional)] compact: bool,
    #[prop(optional, into)] test_id: String,
) -> impl IntoView {
    // View boxes about the size the cards show them at, so the labels keep a readable size.
    let frame = if compact {
        Frame { width: 300.0, height: 140.0, left: 30.0, right: 16.0, top: 8.0, bottom: 22.0 }
    } else {
        Frame { width: 880.0, height: 210.0, left: 40.0, right: 20.0, top: 10.0, bottom: 26.0 }
    };
    let max = series.iter().flat_map(|s| s.values.iter().copied()).max().unwrap_or(0);
    let (top, step) = axis_scale(max);
    let n = days.len().max(1);
    let band = frame.plot_width() / n as f64;
    let group = band * if compact { 0.8 } else { 0.72 };
    let bar = group / series.len().max(1) as f64;
    let y = |v: i64| frame.top + frame.plot_height() * (1.0 - v as f64 / top as f64);
    let font = if compact { "11" } else { "12" };

    let totals: Vec<String> =
        series.iter().map(|s| amount(s.values.iter().sum(), s.noun)).collect();
    let range = match (days.first(), days.last()) {
        (Some(first), Some(last)) => format!("{} to {}", short_date(*first), short_date(*last)),
        _ => String::new(),
    };
    let label = format!("{title}, {range}: {}", totals.join(", "));
    let aria_label = label.clone();

    let ticks: Vec<_> = (0..=top / step)
        .map(|i| {
            let value = i * step;
            let at = y(value);
            view! {
                <g>
                    <line x1=frame.left x2=frame.width - frame.right y1=at y2=at
                        stroke=if value == 0 { "#94a3b8" } else { "#e2e8f0" } stroke-width="1"/>
                    <text x=frame.left - 6.0 y=at + 4.0 text-anchor="end" font-size=font fill="#475569">
                        {count(value as u64)}
                    </text>
                </g>
            }
        })
        .collect();
    // About six date labels however many days there are.
    let every = n.div_ceil(if compact { 4 } else { 8 }).max(1);
    let x_labels: Vec<_> = days
        .iter()
        .enumerate()
        .filter(|(i, _)| (n - 1 - i).is_multiple_of(every))
        .map(|(i, day)| {
            let center = frame.left + band * (i as f64 + 0.5);
            view! {
                <text x=center y=frame.height - 6.0 text-anchor="middle" font-size=font fill="#475569">
                    {short_date(*day)}
                </text>
            }
        })
        .collect();
    let columns: Vec<_> = days
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let start = frame.left + band * i as f64;
            let summary = series
                .iter()
                .map(|s| amount(s.values.get(i).copied().unwrap_or(0), s.noun))
                .collect::<Vec<_>>()
                .join(", ");
            let bars: Vec<_> = series
                .iter()
                .enumerate()
                .filter_map(|(k, s)| {
                    let value = s.values.get(i).copied().unwrap_or(0);
                    (value > 0).then(|| {
                        let x = start + (band - group) / 2.0 + bar * k as f64;
                        let top_y = y(value);
                        view! {
                            <rect x=x y=top_y width=(bar - 1.0).max(1.0)
                                height=(frame.top + frame.plot_height() - top_y).max(1.0)
                                fill=s.color rx="1" data-series=s.label data-value=value
                                data-day=day.to_string()>
                                <title>{format!("{}: {}", long_date(*day), amount(value, s.noun))}</title>
                            </rect>
                        }
                    })
                })
                .collect();
            view! {
                <g>
                    // The whole day's column answers hovering too, with every figure of the day.
                    <rect x=start y=frame.top width=band height=frame.plot_height() fill="transparent">
                        <title>{format!("{}: {summary}", long_date(*day))}</title>
                    </rect>
                    {bars}
                </g>
            }
        })
        .collect();
    let legend: Vec<_> = series
        .iter()
        .zip(&totals)
        .map(|(s, total)| {
            view! {
                <li class="flex items-center gap-1.5">
                    <span class="inline-block h-2.5 w-2.5 rounded-sm" style=format!("background-color: {}", s.color) aria-hidden="true"></span>
                    <span>{s.label}</span>
                    <span class="tabular-nums text-slate-500">{format!("({total})")}</span>
                </li>
            }
        })
        .collect();
    view! {
        <figure class="space-y-2">
            <svg viewBox=format!("0 0 {} {}", frame.width, frame.height) class="h-auto w-full"
                role="img" aria-label=aria_label data-testid=test_id
                xmlns="http://www.w3.org/2000/svg">
                <title>{label}</title>
                {ticks}
                {columns}
                {x_labels}
            </svg>
            <figcaption>
                <ul class="flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-700">{legend}</ul>
            </figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::axis_scale;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(axis_scale(0), (1, 1));
        assert_eq!(axis_scale(3), (3, 1));
        assert_eq!(axis_scale(7), (8, 2));
        assert_eq!(axis_scale(12), (15, 5));
        assert_eq!(axis_scale(312), (400, 100));
        assert_eq!(axis_scale(450), (500, 100));
        assert_eq!(axis_scale(1_801), (2_000, 500));
    }
}
