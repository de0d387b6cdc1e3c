//! `/suppressions`: addresses and domains the team never mails — search, add, remove
//! (admins), CSV import and export.

use engine::model::{Page, Suppression, SuppressionImportReport, SuppressionReason};
use leptos::html::Div;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use server_fn::ServerFn;
use server_fn::codec::{MultipartData, MultipartFormData};
use uuid::Uuid;
use wasm_bindgen::JsCast;
use web_sys::{FormData, HtmlFormElement};

use crate::components::form_post::FormPost;
use crate::components::forms::{FormError, TextField, field_error};
use crate::components::server_html::follow_server_html;
#[cfg(feature = "ssr")]
use crate::components::server_html::render_to_html;
use crate::components::ui::{Badge, Card, EmptyState, PageHeader, Pager, Tone};
use crate::error::AppError;
use crate::format::{datetime, urlencode};

#[cfg(feature = "ssr")]
const PER_PAGE: i64 = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuppressionList {
    pub page: Page<Suppression>,
    /// Admins may remove entries.
    pub can_remove: bool,
}

#[server(output = crate::codec::Json)]
pub async fn load_suppressions(q: Option<String>, page: i64) -> Result<SuppressionList, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    let page =
        engine::suppression::list(&state.pool, user.team_id, q.as_deref(), page, PER_PAGE).await?;
    Ok(SuppressionList { page, can_remove: user.is_admin() })
}

/// The list drawn by the server, for the page to put in place after a change.
#[server(output = crate::codec::Json)]
pub async fn suppression_list_html(q: String, page: i64) -> Result<String, AppError> {
    let list = load_suppressions(Some(q.clone()).filter(|q| !q.is_empty()), page).await?;
    Ok(render_to_html(move || suppression_list(q, Ok(list))))
}

#[server(output = crate::codec::Json)]
pub async fn add_suppression(
    target: String,
    reason: String,
    note: String,
) -> Result<bool, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    let target = engine::suppression::Target::parse(&target)
        .map_err(|message| AppError::Invalid { field: Some("target".into()), message })?;
    let reason = SuppressionReason::parse(&reason).ok_or_else(|| AppError::Invalid {
        field: Some("reason".into()),
        message: "choose a reason".into(),
    })?;
    let (_, created) =
        engine::suppression::add(&state.pool, user.team_id, &target, reason, &note, Some(user.id))
            .await?;
    Ok(created)
}

#[server(output = crate::codec::Json)]
pub async fn remove_suppression(id: Uuid) -> Result<(), AppError> {
    let (state, admin) = crate::auth::ssr::require_admin().await?;
    engine::suppression::remove(&state.pool, admin.team_id, id).await?;
    Ok(())
}

#[server(input = MultipartFormData, output = crate::codec::Json)]
pub async fn import_suppressions(data: MultipartData) -> Result<SuppressionImportReport, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    let mut multipart =
        data.into_inner().ok_or_else(|| AppError::Transport("no form data".into()))?;
    let mut bytes = Vec::new();
    while let Ok(Some(mut field)) = multipart.next_field().await {
        if field.name() != Some("file") {
            continue;
        }
        while let Ok(Some(chunk)) = field.chunk().await {
            if bytes.len() + chunk.len() > engine::suppression::IMPORT_BYTE_LIMIT {
                return Err(AppError::Invalid {
                    field: Some("file".into()),
                    message: "the file is larger than 10 MB".into(),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
    }
    if bytes.is_empty() {
        return Err(AppError::Invalid {
            field: Some("file".into()),
            message: "choose a CSV file first".into(),
        });
    }
    Ok(engine::suppression::import_csv(&state.pool, user.team_id, &bytes, Some(user.id)).await?)
}

#[component]
pub fn SuppressionsPage() -> impl IntoView {
    let query = use_query_map().read_untracked().clone();
    let q = query.get("q").unwrap_or_default();
    let page = query.get("page").and_then(|p| p.parse::<i64>().ok()).unwrap_or(1);
    view! { <Suppressions q=q.clone() page><SuppressionListPanel q page/></Suppressions> }
}

/// The list (`children`, drawn by the server) follows additions, removals and imports without
/// reloading the page. `q` and `page`: the search and the page of the list shown
/// (`?q=…&page=…`).
#[island]
fn Suppressions(q: String, page: i64, children: Children) -> impl IntoView {
    let (add, remove) = (FormPost::new(), FormPost::new());
    let import = Action::new_local(|data: &FormData| import_suppressions(data.clone().into()));
    let list = NodeRef::<Div>::new();
    let refresh = Signal::derive(move || {
        add.version().get() + remove.version().get() + import.version().get()
    });
    follow_server_html(refresh, list, {
        let q = q.clone();
        move || suppression_list_html(q.clone(), page)
    });
    view! {
        <PageHeader title="Suppression list" subtitle="Addresses and domains your team never emails. Checked right before every send.">
            <a href="/suppressions/export.csv" rel="external" download="suppressions.csv"
                class="rounded-md bg-white px-3 py-2 text-sm font-semibold text-slate-700 shadow-sm ring-1 ring-slate-300 hover:bg-slate-50">
                "Export CSV"
            </a>
        </PageHeader>
        <div class="grid gap-6 lg:grid-cols-3">
            <div class="space-y-4 lg:col-span-2">
                <form method="get" action="" class="flex gap-2" role="search">
                    <label for="suppression-search" class="sr-only">"Search"</label>
                    <input id="suppression-search" type="search" name="q" value=q.clone() placeholder="Search addresses and domains"
                        class="min-w-0 flex-1 rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm"/>
                    <button type="submit" class="rounded-md bg-slate-800 px-3 py-2 text-sm font-semibold text-white hover:bg-slate-700">"Search"</button>
                </form>
                <FormError error=remove.error()/>
                <div node_ref=list on:submit=remove.on_marked_submit("data-remove-suppression")>{children()}</div>
            </div>
            <div class="space-y-6">
                <AddSuppressionForm add/>
                <ImportSuppressionsForm import/>
            </div>
        </div>
    }
}

/// The list of the page (server-rendered).
#[component]
pub fn SuppressionListPanel(q: String, page: i64) -> impl IntoView {
    let list = Resource::new(|| (), {
        let q = q.clone();
        move |_| load_suppressions(Some(q.clone()).filter(|q| !q.is_empty()), page)
    });
    view! {
        <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
            {move || list.get().map(|list| suppression_list(q.clone(), list))}
        </Suspense>
    }
}

fn suppression_list(q: String, list: Result<SuppressionList, AppError>) -> AnyView {
    match list {
        Err(e) => view! { <p class="text-sm text-rose-600">{e.to_string()}</p> }.into_any(),
        Ok(list) if list.page.items.is_empty() && q.is_empty() => view! {
            <EmptyState title="Nobody is suppressed yet"
                message="People who unsubscribe or bounce are added here automatically and are never emailed again by anyone on your team. You can also add addresses or whole domains by hand, or import a CSV."/>
        }.into_any(),
        Ok(list) => view! { <SuppressionTable list q/> }.into_any(),
    }
}

/// A row's "Remove" is a form marked `data-remove-suppression`, which the page's island
/// sends through its action.
#[component]
fn SuppressionTable(list: SuppressionList, q: String) -> impl IntoView {
    let SuppressionList { page, can_remove } = list;
    let pages = page.pages();
    let current = page.page;
    let link = move |to: i64| format!("/suppressions?q={}&page={to}", urlencode(&q));
    view! {
        <div class="overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="suppression-table">
                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                    <tr>
                        <th scope="col" class="px-4 py-3">"Address or domain"</th>
                        <th scope="col" class="px-4 py-3">"Reason"</th>
                        <th scope="col" class="hidden px-4 py-3 md:table-cell">"Added"</th>
                        <th scope="col" class="px-4 py-3"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {page.items.into_iter().map(|entry| {
                        let (label, whole_domain) = match (&entry.email, &entry.domain) {
                            (Some(email), _) => (email.clone(), false),
                            (None, Some(domain)) => (format!("@{domain}"), true),
                            (None, None) => (String::new(), false),
                        };
                        view! {
                            <tr>
                                <td class="px-4 py-3">
                                    <span class="font-medium text-slate-900">{label}</span>
                                    {whole_domain.then(|| view! { <span class="ml-2 text-xs text-slate-500">"whole domain"</span> })}
                                    {(!entry.note.is_empty()).then(|| view! { <p class="text-xs text-slate-500">{entry.note.clone()}</p> })}
                                </td>
                                <td class="px-4 py-3"><Badge tone=reason_tone(entry.reason) text=entry.reason.as_str()/></td>
                                <td class="hidden px-4 py-3 text-slate-500 md:table-cell">{datetime(entry.created_at)}</td>
                                <td class="px-4 py-3 text-right">
                                    {can_remove.then(|| view! {
                                        <form method="post" action=RemoveSuppression::url() data-remove-suppression="">
                                            <input type="hidden" name="id" value=entry.id.to_string()/>
                                            <button type="submit" class="text-xs text-rose-600 hover:underline">"Remove"</button>
                                        </form>
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <Pager total=page.total noun="entries" current pages link/>
        </div>
    }
}

fn reason_tone(reason: SuppressionReason) -> Tone {
    match reason {
        SuppressionReason::Bounced | SuppressionReason::Complained => Tone::Bad,
        SuppressionReason::Unsubscribed => Tone::Warning,
        SuppressionReason::Manual | SuppressionReason::Imported => Tone::Neutral,
    }
}

#[component]
fn AddSuppressionForm(add: FormPost) -> impl IntoView {
    let error = add.error();
    view! {
        <Card title="Add" description="An address, or a whole domain like acme.com.">
            <form method="post" action=AddSuppression::url() on:submit=add.on_submit() class="space-y-4" data-testid="add-suppression-form">
                <FormError error/>
                <TextField label="Address or domain" name="target" placeholder="jane@acme.com or acme.com" required=true
                    error=field_error(error, "target")/>
                <div class="space-y-1">
                    <label for="field-reason" class="block text-sm font-medium text-slate-700">"Reason"</label>
                    <select id="field-reason" name="reason" class="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm">
                        <option value="manual" selected>"Manual"</option>
                        <option value="unsubscribed">"Unsubscribed"</option>
                        <option value="complained">"Complained"</option>
                        <option value="bounced">"Bounced"</option>
                    </select>
                </div>
                <TextField label="Note (optional)" name="note" error=field_error(error, "note")/>
                <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">
                    "Suppress"
                </button>
                {move || add.answer::<bool>().map(|created| view! {
                    <p role="status" class="text-sm text-emerald-700">
                        {if created { "Added to the list." } else { "It was already on the list." }}
                    </p>
                })}
            </form>
        </Card>
    }
}

type ImportAction = Action<FormData, Result<SuppressionImportReport, AppError>>;

#[component]
fn ImportSuppressionsForm(import: ImportAction) -> impl IntoView {
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if let Some(form) = event.target().and_then(|t| t.dyn_into::<HtmlFormElement>().ok())
            && let Ok(data) = FormData::new_with_form(&form)
        {
            import.dispatch_local(data);
        }
    };
    let error = Signal::derive(move || import.value().get().and_then(Result::err));
    view! {
        <Card title="Import CSV" description="A column named email or domain (optionally reason and note), or one address or domain per line.">
            <form on:submit=on_submit class="space-y-3" data-testid="import-suppressions-form">
                <label for="suppression-file" class="sr-only">"CSV file"</label>
                <input id="suppression-file" type="file" name="file" accept=".csv,text/csv,text/plain"
                    class="block w-full text-sm text-slate-600 file:mr-3 file:rounded-md file:border-0 file:bg-slate-100 file:px-3 file:py-2 file:text-sm file:font-medium hover:file:bg-slate-200"/>
                <button type="submit" disabled=move || import.pending().get()
                    class="rounded-md bg-slate-800 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 disabled:opacity-60">
                    {move || if import.pending().get() { "Importing…" } else { "Import" }}
                </button>
                <FormError error/>
                {move || error.get().and_then(|e| e.for_field("file")).map(|m| view! { <p role="alert" class="text-sm text-rose-600">{m}</p> })}
                {move || import.value().get().and_then(Result::ok).map(|report| view! {
                    <div role="status" class="rounded-md bg-slate-50 p-3 text-sm" data-testid="suppression-import-report">
                        <p>{format!("{} added, {} already on the list.", report.added, report.already_suppressed)}</p>
                        {(!report.invalid.is_empty()).then(|| view! {
                            <p class="mt-2 font-medium text-rose-700">{format!("{} lines skipped:", report.invalid.len())}</p>
                            <ul class="mt-1 list-inside list-disc text-rose-700">
                                {report.invalid.iter().take(20).map(|i| view! { <li>{format!("line {}: {}", i.line, i.reason)}</li> }).collect_view()}
                            </ul>
                        })}
                    </div>
                })}
            </form>
        </Card>
    }
}
