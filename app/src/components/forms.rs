//! Form fields with their label, hint and inline error, wired for accessibility
//! (`aria-invalid`, `aria-describedby`), the box for errors that belong to no field, and the
//! marker that tells when a form is interactive.

use leptos::prelude::*;

use crate::error::AppError;

/// The message for one field out of a submission's error.
pub fn field_error(error: Signal<Option<AppError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|e| e.for_field(field)))
}

#[component]
pub fn TextField(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional, into)] value: Option<String>,
    #[prop(optional, into)] placeholder: Option<String>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] autofocus: bool,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let described_by = format!("{id}-help");
    view! {
        <div class="space-y-1">
            <label for=id.clone() class="block text-sm font-medium text-slate-700">{label}</label>
            <input
                id=id
                name=name
                type=input_type
                autocomplete=autocomplete
                value=value
                placeholder=placeholder
                required=required
                autofocus=autofocus
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=described_by.clone()
                class="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm \
                       placeholder:text-slate-400 focus:border-indigo-500 focus:outline-none focus:ring-2 \
                       focus:ring-indigo-500/30 aria-[invalid=true]:border-rose-500"
            />
            <p id=described_by class="text-xs">
                {move || match error.get() {
                    Some(message) => view! { <span class="text-rose-600" role="alert">{message}</span> }.into_any(),
                    None => view! { <span class="text-slate-500">{hint}</span> }.into_any(),
                }}
            </p>
        </div>
    }
}

#[component]
pub fn TextArea(
    label: &'static str,
    name: &'static str,
    #[prop(optional, into)] value: Option<String>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = 3)] rows: u32,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let described_by = format!("{id}-help");
    view! {
        <div class="space-y-1">
            <label for=id.clone() class="block text-sm font-medium text-slate-700">{label}</label>
            <textarea
                id=id
                name=name
                rows=rows
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=described_by.clone()
                class="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm \
                       focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30 \
                       aria-[invalid=true]:border-rose-500"
            >
                {value}
            </textarea>
            <p id=described_by class="text-xs">
                {move || match error.get() {
                    Some(message) => view! { <span class="text-rose-600" role="alert">{message}</span> }.into_any(),
                    None => view! { <span class="text-slate-500">{hint}</span> }.into_any(),
                }}
            </p>
        </div>
    }
}

/// Errors that belong to no single field (wrong password, rate limit, conflicts).
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().filter(AppError::is_general).map(|e| {
            view! {
                <div role="alert" class="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-700">
                    {e.to_string()}
                </div>
            }
        })
    }
}

#[component]
pub fn SubmitButton(label: &'static str, #[prop(into)] pending: Signal<bool>) -> impl IntoView {
    view! {
        <button
            type="submit"
            disabled=move || pending.get()
            class="inline-flex w-full items-center justify-center rounded-md bg-indigo-600 px-4 py-2 text-sm \
                   font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline-2 \
                   focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-60"
        >
            {move || if pending.get() { "Working…" } else { label }}
        </button>
    }
}

/// True once the page runs in the browser (effects never run on the server); rendered as
/// `data-hydrated` so the browser tests wait for interactivity instead of sleeping.
pub fn hydration_marker() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}

/// Loads another page (islands have no client-side router); does nothing on the server.
pub fn go_to(path: &str) {
    #[cfg(feature = "hydrate")]
    let _ = window().location().set_href(path);
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}
