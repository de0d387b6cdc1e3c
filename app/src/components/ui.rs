//! Small presentational pieces: page headers, cards, empty states, badges, banners.

use leptos::prelude::*;

#[component]
pub fn PageHeader(
    title: &'static str,
    #[prop(optional)] subtitle: Option<&'static str>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="mb-6 flex flex-wrap items-end justify-between gap-4">
            <div>
                <h1 class="text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
                {subtitle.map(|s| view! { <p class="mt-1 text-sm text-slate-500">{s}</p> })}
            </div>
            <div class="flex items-center gap-2">{children.map(|c| c())}</div>
        </div>
    }
}

#[component]
pub fn Card(
    #[prop(optional)] title: Option<&'static str>,
    #[prop(optional)] description: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="rounded-xl border border-slate-200 bg-white shadow-sm">
            {title.map(|t| view! {
                <header class="border-b border-slate-100 px-5 py-4">
                    <h2 class="text-base font-semibold text-slate-900">{t}</h2>
                    {description.map(|d| view! { <p class="mt-0.5 text-sm text-slate-500">{d}</p> })}
                </header>
            })}
            <div class="px-5 py-4">{children()}</div>
        </section>
    }
}

/// What an empty page shows: what belongs here and what to do next. Never fake data.
#[component]
pub fn EmptyState(
    title: &'static str,
    message: &'static str,
    #[prop(optional)] action_href: Option<&'static str>,
    #[prop(optional)] action_label: Option<&'static str>,
) -> impl IntoView {
    view! {
        <div class="rounded-xl border-2 border-dashed border-slate-200 bg-white px-6 py-14 text-center">
            <svg class="mx-auto h-10 w-10 text-slate-300" fill="none" viewBox="0 0 24 24" stroke-width="1.5" stroke="currentColor" aria-hidden="true">
                <path stroke-linecap="round" stroke-linejoin="round" d="M21.75 6.75v10.5a2.25 2.25 0 0 1-2.25 2.25h-15a2.25 2.25 0 0 1-2.25-2.25V6.75m19.5 0A2.25 2.25 0 0 0 19.5 4.5h-15a2.25 2.25 0 0 0-2.25 2.25m19.5 0v.243a2.25 2.25 0 0 1-1.07 1.916l-7.5 4.615a2.25 2.25 0 0 1-2.36 0L3.32 8.91a2.25 2.25 0 0 1-1.07-1.916V6.75"/>
            </svg>
            <h3 class="mt-3 text-sm font-semibold text-slate-900">{title}</h3>
            <p class="mx-auto mt-1 max-w-md text-sm text-slate-500">{message}</p>
            {action_href.map(|href| view! {
                <a href=href class="mt-5 inline-flex items-center rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500">
                    {action_label.unwrap_or("Get started")}
                </a>
            })}
        </div>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Neutral,
    Good,
    Warning,
    Bad,
    Info,
}

impl Tone {
    fn classes(self) -> &'static str {
        match self {
            Tone::Neutral => "bg-slate-100 text-slate-700 ring-slate-200",
            Tone::Good => "bg-emerald-50 text-emerald-700 ring-emerald-200",
            Tone::Warning => "bg-amber-50 text-amber-800 ring-amber-200",
            Tone::Bad => "bg-rose-50 text-rose-700 ring-rose-200",
            Tone::Info => "bg-indigo-50 text-indigo-700 ring-indigo-200",
        }
    }
}

#[component]
pub fn Badge(tone: Tone, #[prop(into)] text: String) -> impl IntoView {
    view! {
        <span class=format!("inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset {}", tone.classes())>
            {text}
        </span>
    }
}

/// Shown on every page while the built-in Gmail simulator stands in for Google.
#[component]
pub fn SandboxBanner() -> impl IntoView {
    view! {
        <div role="status" class="bg-amber-100 px-4 py-2 text-center text-sm text-amber-900">
            <strong class="font-semibold">"Sandbox mode"</strong>
            " — no Google credentials are configured, so a built-in Gmail simulator answers instead of Google. \
             No real email leaves this machine. "
            <a href="/sandbox" class="font-semibold underline">"See what was delivered"</a>
        </div>
    }
}

/// A full-page message for errors (403, 404, failures).
#[component]
pub fn ErrorPanel(code: &'static str, title: String, message: String) -> impl IntoView {
    view! {
        <div class="mx-auto max-w-lg py-16 text-center">
            <p class="text-sm font-semibold text-indigo-600">{code}</p>
            <h1 class="mt-2 text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
            <p class="mt-3 text-sm text-slate-600">{message}</p>
            <a href="/" class="mt-6 inline-flex rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white hover:bg-indigo-500">
                "Back to the dashboard"
            </a>
        </div>
    }
}

/// The footer of a paged table: "120 leads · page 2 of 3" and Previous / Next links (shown
/// only where there is such a page).
#[component]
pub fn Pager(
    total: i64,
    noun: &'static str,
    current: i64,
    pages: i64,
    link: impl Fn(i64) -> String + 'static,
) -> impl IntoView {
    let previous = (current > 1).then(|| link(current - 1));
    let next = (current < pages).then(|| link(current + 1));
    view! {
        <nav aria-label="Pages" class="flex items-center justify-between border-t border-slate-100 px-4 py-3 text-sm text-slate-600">
            <span>{format!("{total} {noun} · page {current} of {pages}")}</span>
            <span class="flex gap-3">
                {previous.map(|href| view! { <a class="text-indigo-600 hover:underline" href=href>"Previous"</a> })}
                {next.map(|href| view! { <a class="text-indigo-600 hover:underline" href=href>"Next"</a> })}
            </span>
        </nav>
    }
}
