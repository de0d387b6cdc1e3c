//! The Leads tab: CSV import (check the file and its columns first, then import with the
//! chosen mapping) and the campaign's leads: a table with status filter, search, sorting and
//! paging, or the pipeline board. The server draws the list; the tab's island draws the
//! import and puts the list, drawn again, in place after each change.

use engine::model::{Lead, LeadImportReport, LeadStatus, Page, Pipeline, Stage};
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use serde::{Deserialize, Serialize};
use server_fn::codec::{MultipartData, MultipartFormData};
use uuid::Uuid;
use web_sys::{File, FormData, HtmlInputElement};

use super::detail::CampaignChanged;
use super::pipeline::{LeadActions, LeadButtons, PipelineBoard, UndoToast};
use crate::components::forms::FormError;
use crate::components::server_html::follow_server_html;
#[cfg(feature = "ssr")]
use crate::components::server_html::render_to_html;
use crate::components::ui::{Badge, Card, EmptyState, Pager, Tone};
use crate::error::AppError;
use crate::format::{datetime, urlencode};

/// Rows shown when checking a file.
#[cfg(feature = "ssr")]
const CHECK_ROWS: usize = 5;
/// Invalid lines listed in the import report.
const INVALID_SHOWN: usize = 50;

/// What "Check file" found: how the file reads, its columns with the detected role, and
/// the first rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CsvCheck {
    pub encoding: String,
    pub delimiter: String,
    pub columns: Vec<CheckedColumn>,
    pub rows: Vec<(u64, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckedColumn {
    /// As written in the header.
    pub original: String,
    /// The merge-field name it gets as a custom field.
    pub name: String,
    /// `email`, `first_name`, `company`, `custom` or `ignore`.
    pub role: String,
}

/// The role choices of the mapping table: (value, label).
const ROLES: [(&str, &str); 5] = [
    ("email", "Email"),
    ("first_name", "First name"),
    ("company", "Company"),
    ("custom", "Custom field"),
    ("ignore", "Ignore"),
];

#[cfg(feature = "ssr")]
mod upload {
    use std::collections::HashMap;

    use server_fn::codec::MultipartData;

    use crate::error::AppError;

    /// The text fields and the `file` of a multipart upload, within the import size limit.
    pub async fn read(data: MultipartData) -> Result<(HashMap<String, String>, Vec<u8>), AppError> {
        let limit = usize::try_from(engine::csv_import::DEFAULT_BYTE_LIMIT).unwrap_or(usize::MAX);
        let mut multipart =
            data.into_inner().ok_or_else(|| AppError::Transport("no form data".into()))?;
        let mut fields = HashMap::new();
        let mut file = Vec::new();
        while let Ok(Some(mut field)) = multipart.next_field().await {
            let name = field.name().unwrap_or_default().to_string();
            let mut bytes = Vec::new();
            while let Ok(Some(chunk)) = field.chunk().await {
                if bytes.len() + chunk.len() > limit {
                    return Err(AppError::Invalid {
                        field: Some("file".into()),
                        message: "the file is larger than the limit of 50 MB".into(),
                    });
                }
                bytes.extend_from_slice(&chunk);
            }
            if name == "file" {
                file = bytes;
            } else {
                fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
        if file.is_empty() {
            return Err(AppError::Invalid {
                field: Some("file".into()),
                message: "choose a CSV file first".into(),
            });
        }
        Ok((fields, file))
    }

    pub fn campaign_id(fields: &HashMap<String, String>) -> Result<uuid::Uuid, AppError> {
        fields
            .get("campaign_id")
            .and_then(|id| uuid::Uuid::parse_str(id.trim()).ok())
            .ok_or_else(|| AppError::NotFound("Campaign".into()))
    }
}

/// Reads the header and first rows of a file without importing anything.
#[server(input = MultipartFormData, output = crate::codec::Json)]
pub async fn check_leads_file(data: MultipartData) -> Result<CsvCheck, AppError> {
    use engine::csv_import::{ColumnRole, ImportOptions, preview};
    let (state, user) = crate::auth::ssr::require_user().await?;
    let (fields, file) = upload::read(data).await?;
    // The campaign must be the caller's, even though nothing is written.
    engine::campaigns::get(&state.pool, user.team_id, upload::campaign_id(&fields)?).await?;
    let preview = preview(&file[..], CHECK_ROWS, &ImportOptions::default())
        .map_err(|e| AppError::Invalid { field: Some("file".into()), message: e.to_string() })?;
    let columns = preview
        .columns
        .into_iter()
        .zip(preview.mapping)
        .map(|(column, role)| CheckedColumn {
            original: column.original,
            name: column.name,
            role: match role {
                ColumnRole::Email => "email",
                ColumnRole::FirstName => "first_name",
                ColumnRole::Company => "company",
                ColumnRole::Custom(_) => "custom",
                ColumnRole::Ignore => "ignore",
            }
            .to_string(),
        })
        .collect();
    let delimiter = match preview.delimiter {
        ',' => "comma".to_string(),
        ';' => "semicolon".to_string(),
        '\t' => "tab".to_string(),
        '|' => "vertical bar".to_string(),
        other => format!("'{other}'"),
    };
    Ok(CsvCheck {
        encoding: preview.encoding.label().to_string(),
        delimiter,
        columns,
        rows: preview.rows.into_iter().map(|row| (row.line, row.values)).collect(),
    })
}

/// Imports the file into the campaign. The form carries `campaign_id`, `file` and optionally
/// `mapping`: a JSON array with one role per column, e.g. `[{"role":"email"},{"role":"ignore"}]`.
#[server(input = MultipartFormData, output = crate::codec::Json)]
pub async fn import_leads(data: MultipartData) -> Result<LeadImportReport, AppError> {
    use engine::csv_import::{ColumnRole, ImportOptions};
    let (state, user) = crate::auth::ssr::require_user().await?;
    let (fields, file) = upload::read(data).await?;
    let campaign_id = upload::campaign_id(&fields)?;
    let mut options = ImportOptions::default();
    if let Some(mapping) = fields.get("mapping").filter(|m| !m.trim().is_empty()) {
        let roles: Vec<ColumnRole> =
            serde_json::from_str(mapping).map_err(|e| AppError::Invalid {
                field: Some("mapping".into()),
                message: format!("the column mapping is not valid: {e}"),
            })?;
        options.mapping = roles.into_iter().enumerate().collect();
    }
    Ok(engine::campaigns::leads::import_csv(&state.pool, user.team_id, campaign_id, file, options)
        .await?)
}

/// A page of leads: `status` a lead status or a board stage (`opted_out`), `sort` e.g.
/// `email` or `-activity`; `after`/`before` a lead id for keyset paging (`page` is then the
/// number shown).
#[server(output = crate::codec::Json)]
pub async fn load_leads(
    id: Uuid,
    status: Option<String>,
    q: Option<String>,
    #[server(default)] sort: Option<String>,
    page: i64,
    #[server(default)] after: Option<Uuid>,
    #[server(default)] before: Option<Uuid>,
) -> Result<Page<Lead>, AppError> {
    use engine::campaigns::leads::LeadFilter;
    let (state, user) = crate::auth::ssr::require_user().await?;
    let mut filter = LeadFilter::from_params(status.as_deref(), q.as_deref(), sort.as_deref())?;
    filter.after = after;
    filter.before = before;
    Ok(engine::campaigns::leads::list(&state.pool, user.team_id, id, &filter, page, 50).await?)
}

pub(crate) fn lead_tone(status: LeadStatus) -> Tone {
    match status {
        LeadStatus::Pending => Tone::Neutral,
        LeadStatus::InSequence => Tone::Info,
        LeadStatus::Replied | LeadStatus::Completed => Tone::Good,
        LeadStatus::AutoReplied | LeadStatus::Unsubscribed | LeadStatus::Suppressed => {
            Tone::Warning
        }
        LeadStatus::Bounced | LeadStatus::Failed => Tone::Bad,
    }
}

type UploadAction<T> = Action<FormData, Result<T, AppError>>;

/// What the lead list shows, from the page's query (`?view=board&status=…&q=…&sort=…&page=…`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LeadQuery {
    pub board: bool,
    pub status: String,
    pub q: String,
    pub sort: String,
    pub page: i64,
    pub after: Option<Uuid>,
    pub before: Option<Uuid>,
}

impl LeadQuery {
    pub fn from_query(query: &leptos_router::params::ParamsMap) -> Self {
        let cursor = |name: &str| query.get(name).and_then(|c| Uuid::parse_str(&c).ok());
        Self {
            board: query.get("view").is_some_and(|v| v == "board"),
            status: query.get("status").unwrap_or_default(),
            q: query.get("q").unwrap_or_default(),
            sort: query.get("sort").unwrap_or_default(),
            page: query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
            after: cursor("after"),
            before: cursor("before"),
        }
    }
}

/// The import, and the lead list drawn by the server (`children`): the list is drawn again
/// after an import or a change to a lead, and its buttons go through the lead actions.
#[component]
pub fn LeadsTab(id: Uuid, query: LeadQuery, children: Children) -> impl IntoView {
    let import: UploadAction<LeadImportReport> =
        Action::new_local(|data: &FormData| import_leads(data.clone().into()));
    let actions = LeadActions::provide();
    let changed = expect_context::<CampaignChanged>();
    // The header's counts follow the changes made here.
    Effect::new(move |previous: Option<usize>| {
        let version = actions.version();
        if previous.is_some_and(|p| p != version) {
            changed.bump();
        }
        version
    });
    let list = NodeRef::new();
    let refresh = Signal::derive(move || import.version().get() + actions.version());
    follow_server_html(refresh, list, move || lead_list_html(id, query.clone()));
    view! {
        <div class="space-y-6">
            <ImportLeads id import/>
            <div node_ref=list on:submit=actions.send_changes()>{children()}</div>
        </div>
        <UndoToast/>
    }
}

#[component]
fn ImportLeads(id: Uuid, import: UploadAction<LeadImportReport>) -> impl IntoView {
    let changed = expect_context::<CampaignChanged>();
    // A `File` is a browser object that may only be dropped on the thread that made it. The
    // wrapper sits inside the `Option`: on the server the value is always `None`, so a page
    // finished on another worker thread never drops a wrapper there.
    let file = RwSignal::new(None::<SendWrapper<File>>);
    let roles = RwSignal::new(Vec::<String>::new());
    let dragging = RwSignal::new(false);
    let check: UploadAction<CsvCheck> =
        Action::new_local(|data: &FormData| check_leads_file(data.clone().into()));
    Effect::new(move |_| {
        if let Some(Ok(checked)) = check.value().get() {
            roles.set(checked.columns.iter().map(|c| c.role.clone()).collect());
        }
    });
    Effect::new(move |previous: Option<usize>| {
        let version = import.version().get();
        if previous.is_some_and(|p| p != version)
            && matches!(import.value().get_untracked(), Some(Ok(_)))
        {
            changed.bump();
        }
        version
    });
    let choose = move |chosen: Option<File>| {
        check.value().set(None);
        import.value().set(None);
        roles.set(Vec::new());
        file.set(chosen.map(SendWrapper::new));
    };
    let form_data = move |with_mapping: bool| -> Option<FormData> {
        let chosen = file.get_untracked()?;
        let data = FormData::new().ok()?;
        data.append_with_str("campaign_id", &id.to_string()).ok()?;
        if with_mapping {
            let columns = check.value().get_untracked().and_then(Result::ok)?.columns;
            let mapping: Vec<serde_json::Value> = columns
                .iter()
                .zip(roles.get_untracked())
                .map(|(column, role)| match role.as_str() {
                    "custom" => serde_json::json!({ "role": "custom", "name": column.name }),
                    other => serde_json::json!({ "role": other }),
                })
                .collect();
            data.append_with_str("mapping", &serde_json::Value::Array(mapping).to_string()).ok()?;
        }
        data.append_with_blob_and_filename("file", &chosen, &chosen.name()).ok()?;
        Some(data)
    };
    let on_check = move |_| {
        if let Some(data) = form_data(false) {
            import.value().set(None);
            check.dispatch_local(data);
        }
    };
    let on_import = move |_| {
        if let Some(data) = form_data(true) {
            import.dispatch_local(data);
        }
    };
    let check_error = Signal::derive(move || check.value().get().and_then(Result::err));
    let import_error = Signal::derive(move || import.value().get().and_then(Result::err));
    let file_problem = move || {
        import_error
            .get()
            .and_then(|e| e.for_field("file").or_else(|| e.for_field("mapping")))
            .or_else(|| check_error.get().and_then(|e| e.for_field("file")))
    };
    view! {
        <Card title="Import leads" description="A CSV file with a header line. Any separator (comma, semicolon, tab) and encoding (UTF-8, UTF-16, Windows-1252) works; one column must hold the email address. Other columns become merge fields.">
            <div class="space-y-4" data-testid="lead-import">
                <div
                    class=move || format!("rounded-lg border-2 border-dashed px-4 py-8 text-center text-sm {}",
                        if dragging.get() { "border-indigo-400 bg-indigo-50" } else { "border-slate-300 bg-slate-50" })
                    data-testid="drop-zone"
                    on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
                    on:dragleave=move |_| dragging.set(false)
                    on:drop=move |ev: leptos::ev::DragEvent| {
                        ev.prevent_default();
                        dragging.set(false);
                        choose(ev.data_transfer().and_then(|d| d.files()).and_then(|files| files.get(0)));
                    }
                >
                    <p class="text-slate-600">"Drop a CSV file here, or"</p>
                    <label for="lead-file" class="mt-2 inline-block cursor-pointer rounded-md bg-white px-3 py-2 font-semibold text-indigo-700 ring-1 ring-slate-300 hover:bg-slate-50">
                        "Choose a CSV file"
                    </label>
                    <input id="lead-file" type="file" accept=".csv,.tsv,.txt,text/csv,text/plain" class="sr-only"
                        on:change=move |ev| {
                            let input: HtmlInputElement = event_target(&ev);
                            choose(input.files().and_then(|files| files.get(0)));
                        }/>
                    <p class="mt-2 text-slate-700" data-testid="chosen-file">
                        {move || file.with(|f| f.as_ref().map(|f| format!("Chosen: {} ({} KB)", f.name(), (f.size() / 1024.0).ceil())))}
                    </p>
                </div>
                <div class="flex flex-wrap gap-2">
                    <button type="button" on:click=on_check disabled=move || file.with(Option::is_none) || check.pending().get()
                        class="rounded-md bg-slate-800 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 disabled:opacity-50">
                        {move || if check.pending().get() { "Checking…" } else { "Check file" }}
                    </button>
                </div>
                {move || file_problem().map(|m| view! {
                    <div role="alert" class="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-700" data-testid="import-error">
                        <span class="font-semibold">"The file was not imported: "</span>{m}
                    </div>
                })}
                <FormError error=Signal::derive(move || import_error.get().or_else(|| check_error.get()))/>
                {move || check.value().get().and_then(Result::ok).map(|checked| view! {
                    <MappingTable checked roles/>
                    <button type="button" on:click=on_import disabled=move || import.pending().get()
                        class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-60">
                        {move || if import.pending().get() { "Importing…" } else { "Import" }}
                    </button>
                })}
                {move || import.value().get().and_then(Result::ok).map(|report| view! { <ImportReport report/> })}
            </div>
        </Card>
    }
}

#[component]
fn MappingTable(checked: CsvCheck, roles: RwSignal<Vec<String>>) -> impl IntoView {
    let CsvCheck { encoding, delimiter, columns, rows } = checked;
    view! {
        <p class="text-sm text-slate-600">{format!("Read as {encoding}, separated by {delimiter}. Check what each column is:")}</p>
        <div class="overflow-x-auto rounded-lg border border-slate-200">
            <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="mapping-table">
                <thead class="bg-slate-50 text-left text-xs text-slate-600">
                    <tr>
                        <th scope="col" class="px-3 py-2">"Line"</th>
                        {columns.iter().enumerate().map(|(index, column)| {
                            let select_id = format!("column-role-{index}");
                            view! {
                                <th scope="col" class="px-3 py-2 align-top">
                                    <label for=select_id.clone() class="block font-semibold text-slate-800">{column.original.clone()}</label>
                                    <select id=select_id class="mt-1 rounded-md border border-slate-300 bg-white px-2 py-1 text-xs"
                                        on:change=move |ev| {
                                            let value = event_target_value(&ev);
                                            roles.update(|r| if let Some(slot) = r.get_mut(index) { *slot = value; });
                                        }>
                                        {ROLES.iter().map(|(value, label)| {
                                            let label = if *value == "custom" { format!("{label} ({})", column.name) } else { (*label).to_string() };
                                            view! {
                                                <option value=*value selected=move || roles.read().get(index).is_some_and(|r| r == value)>{label}</option>
                                            }
                                        }).collect_view()}
                                    </select>
                                </th>
                            }
                        }).collect_view()}
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {rows.into_iter().map(|(line, values)| view! {
                        <tr>
                            <td class="px-3 py-2 text-slate-400 tabular-nums">{line}</td>
                            {values.into_iter().map(|v| view! { <td class="max-w-48 truncate px-3 py-2" title=v.clone()>{v.clone()}</td> }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {move || (!roles.read().iter().any(|r| r == "email")).then(|| view! {
            <p role="alert" class="text-sm text-rose-600">"Choose which column holds the email address."</p>
        })}
    }
}

#[component]
fn ImportReport(report: LeadImportReport) -> impl IntoView {
    let other = if report.skipped_in_other_campaigns {
        "in another running campaign (skipped)"
    } else {
        "in another running campaign (imported anyway)"
    };
    let lines = [
        (report.imported, "imported"),
        (report.duplicates_in_file, "duplicates in the file"),
        (report.already_in_campaign, "already in this campaign"),
        (report.in_other_campaigns, other),
        (report.suppressed, "on the suppression list (skipped)"),
        (report.invalid.len() as u64, "invalid lines"),
    ];
    let hidden = report.invalid.len().saturating_sub(INVALID_SHOWN);
    view! {
        <div role="status" class="rounded-lg bg-slate-50 p-4 text-sm" data-testid="lead-import-report">
            <p class="font-semibold text-slate-900">"Import finished"</p>
            <ul class="mt-2 grid gap-1 sm:grid-cols-2">
                {lines.into_iter().map(|(n, label)| view! {
                    <li><span class="font-semibold tabular-nums">{n}</span>" "{label}</li>
                }).collect_view()}
            </ul>
            {(!report.invalid.is_empty()).then(|| view! {
                <ul class="mt-3 list-inside list-disc text-rose-700" data-testid="invalid-lines">
                    {report.invalid.iter().take(INVALID_SHOWN).map(|i| view! { <li>{format!("line {}: {}", i.line, i.reason)}</li> }).collect_view()}
                </ul>
                {(hidden > 0).then(|| view! { <p class="mt-1 text-rose-700">{format!("… and {hidden} more.")}</p> })}
            })}
        </div>
    }
}

/// What the lead list shows: a page of the table, or the board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LeadListData {
    Table(Page<Lead>),
    Board(Pipeline),
}

#[server(output = crate::codec::Json)]
pub async fn load_lead_list(id: Uuid, query: LeadQuery) -> Result<LeadListData, AppError> {
    if query.board {
        return Ok(LeadListData::Board(super::pipeline::load_pipeline(id).await?));
    }
    let LeadQuery { status, q, sort, page, after, before, .. } = query;
    let page = load_leads(id, Some(status), Some(q), Some(sort), page, after, before).await?;
    Ok(LeadListData::Table(page))
}

/// The lead list drawn by the server, for the Leads tab to put in place after a change.
#[server(output = crate::codec::Json)]
pub async fn lead_list_html(id: Uuid, query: LeadQuery) -> Result<String, AppError> {
    let data = load_lead_list(id, query.clone()).await?;
    Ok(render_to_html(move || lead_list(id, query, Ok(data))))
}

/// The lead list of the page (server-rendered).
#[component]
pub fn LeadList(id: Uuid, query: LeadQuery) -> impl IntoView {
    let data = Resource::new(|| (), {
        let query = query.clone();
        move |_| load_lead_list(id, query.clone())
    });
    view! {
        <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
            {move || data.get().map(|data| lead_list(id, query.clone(), data))}
        </Suspense>
    }
}

/// The campaign's leads as a table (filter, search, sort, pages) or as the pipeline board,
/// chosen by `?view=` so the back button switches back.
fn lead_list(id: Uuid, query: LeadQuery, data: Result<LeadListData, AppError>) -> AnyView {
    let LeadQuery { board, status, q, sort, .. } = query;
    let view_link = |name: &'static str| {
        if name == "board" {
            format!("/campaigns/{id}?tab=leads&view=board")
        } else {
            format!("/campaigns/{id}?tab=leads")
        }
    };
    let filtered = !status.is_empty() || !q.is_empty();
    let shown = match data {
        Err(e) => view! { <p role="alert" class="text-sm text-rose-600">{e.to_string()}</p> }.into_any(),
        Ok(LeadListData::Board(pipeline)) => view! { <PipelineBoard id pipeline/> }.into_any(),
        Ok(LeadListData::Table(page)) if page.items.is_empty() && !filtered => view! {
            <EmptyState title="No leads yet"
                message="Import a CSV file above: one row per person, with at least an email column."/>
        }.into_any(),
        Ok(LeadListData::Table(page)) => {
            view! { <LeadTable id page status=status.clone() q=q.clone() sort=sort.clone()/> }.into_any()
        }
    };
    view! {
        <section class="space-y-4" aria-labelledby="leads-heading">
            <div class="flex flex-wrap items-center justify-between gap-3">
                <h2 id="leads-heading" class="text-base font-semibold text-slate-900">"Leads"</h2>
                <nav aria-label="Show leads as" class="inline-flex rounded-md text-sm ring-1 ring-slate-300" data-testid="lead-view-toggle">
                    {[("table", "Table"), ("board", "Board")].into_iter().map(|(name, label)| {
                        let active = board == (name == "board");
                        view! {
                            <a href=view_link(name) aria-current=active.then_some("page")
                                class=if active {
                                    "bg-slate-800 px-3 py-1.5 font-semibold text-white first:rounded-l-md last:rounded-r-md"
                                } else {
                                    "px-3 py-1.5 text-slate-700 hover:bg-slate-50 first:rounded-l-md last:rounded-r-md"
                                }>
                                {label}
                            </a>
                        }
                    }).collect_view()}
                </nav>
            </div>
            {(!board).then(|| view! {
                <form method="get" action="" class="flex flex-wrap gap-2" role="search">
                    <input type="hidden" name="tab" value="leads"/>
                    <input type="hidden" name="sort" value=sort/>
                    <label for="lead-status" class="sr-only">"Status"</label>
                    <select id="lead-status" name="status" class="rounded-md border border-slate-300 bg-white px-2 py-2 text-sm">
                        <option value="" selected=status.is_empty()>"All statuses"</option>
                        {LeadStatus::ALL.iter().map(|s| view! {
                            <option value=s.as_str() selected=status == s.as_str()>{s.as_str().replace('_', " ")}</option>
                        }).collect_view()}
                        <option value=Stage::OptedOut.as_str() selected=status == Stage::OptedOut.as_str()>
                            "opted out (unsubscribed or suppressed)"
                        </option>
                    </select>
                    <label for="lead-search" class="sr-only">"Search leads"</label>
                    <input id="lead-search" type="search" name="q" value=q placeholder="Address, name or company"
                        class="min-w-0 flex-1 rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm"/>
                    <button type="submit" class="rounded-md bg-slate-800 px-3 py-2 text-sm font-semibold text-white hover:bg-slate-700">"Filter"</button>
                </form>
            })}
            {shown}
        </section>
    }
    .into_any()
}

#[component]
fn LeadTable(id: Uuid, page: Page<Lead>, status: String, q: String, sort: String) -> impl IntoView {
    let pages = page.pages();
    let current = page.page;
    let href = {
        let (status, q) = (status.clone(), q.clone());
        move |sort: &str, to: i64| {
            format!(
                "/campaigns/{id}?tab=leads&status={}&q={}&sort={}&page={to}",
                urlencode(&status),
                urlencode(&q),
                urlencode(sort)
            )
        }
    };
    // Next and Previous continue from the page's last or first lead (keyset paging: as fast
    // on page 2,000 as on page 1); page 1 needs no cursor.
    let (first, last) = (page.items.first().map(|l| l.id), page.items.last().map(|l| l.id));
    let link = {
        let (href, sort) = (href.clone(), sort.clone());
        move |to: i64| {
            let base = href(&sort, to);
            match (to > current, first, last) {
                (true, _, Some(last)) => format!("{base}&after={last}"),
                (false, Some(first), _) if to > 1 => format!("{base}&before={first}"),
                _ => base,
            }
        }
    };
    let heading = |key: &'static str, label: &'static str| {
        // A click sorts by the column, a second one reverses it.
        let (aria, next, arrow) = if sort == key {
            ("ascending", format!("-{key}"), " ↑")
        } else if sort.strip_prefix('-') == Some(key) {
            ("descending", key.to_string(), " ↓")
        } else {
            ("none", key.to_string(), "")
        };
        let hidden = if key == "activity" { "hidden px-4 py-3 lg:table-cell" } else { "px-4 py-3" };
        view! {
            <th scope="col" class=hidden aria-sort=aria>
                <a href=href(&next, 1) class="inline-flex items-center gap-1 hover:text-slate-800" data-sort=key>
                    {label}<span aria-hidden="true">{arrow}</span>
                </a>
            </th>
        }
        .into_any()
    };
    view! {
        <div class="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="lead-table">
                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                    <tr>
                        {heading("email", "Email")}
                        {heading("name", "First name")}
                        {heading("company", "Company")}
                        <th scope="col" class="hidden px-4 py-3 2xl:table-cell">"Other fields"</th>
                        {heading("status", "Status")}
                        {heading("activity", "Last activity")}
                        <th scope="col" class="px-4 py-3"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {page.items.into_iter().map(|lead| view! {
                        <tr>
                            <td class="px-4 py-2 font-medium wrap-anywhere">
                                <a href=format!("/campaigns/{id}/leads/{}", lead.id) class="text-indigo-700 hover:underline">{lead.email.clone()}</a>
                            </td>
                            <td class="px-4 py-2">{lead.first_name.clone()}</td>
                            <td class="px-4 py-2">{lead.company.clone()}</td>
                            <td class="hidden px-4 py-2 text-xs text-slate-600 2xl:table-cell">
                                {lead.fields.clone().into_iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| view! {
                                    <span class="mr-3 inline-block"><span class="text-slate-400">{k}": "</span>{v}</span>
                                }).collect_view()}
                            </td>
                            <td class="whitespace-nowrap px-4 py-2"><Badge tone=lead_tone(lead.status) text=lead.status.as_str().replace('_', " ")/></td>
                            <td class="hidden px-4 py-2 text-xs text-slate-500 lg:table-cell">
                                <time datetime=lead.updated_at.to_rfc3339()>{datetime(lead.updated_at)}</time>
                            </td>
                            <td class="px-4 py-2"><LeadButtons lead=lead.clone()/></td>
                        </tr>
                    }.into_any()).collect_view()}
                </tbody>
            </table>
            <Pager total=page.total noun="leads" current pages link/>
        </div>
    }
}
