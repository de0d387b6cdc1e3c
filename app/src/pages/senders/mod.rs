//! `/senders`: the Gmail accounts the team sends from. Admins connect, edit, reconnect and
//! disconnect them and choose which reps may use each; reps see the accounts they may use.

#[cfg(feature = "ssr")]
pub mod connect;

use engine::senders::{SenderAccount, SenderKind, SenderStatus};
use leptos::html::Div;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use server_fn::ServerFn;
use uuid::Uuid;

use crate::components::form_post::FormPost;
use crate::components::forms::FormError;
use crate::components::layout::SessionResource;
#[cfg(feature = "ssr")]
use crate::components::server_html::render_to_html;
use crate::components::server_html::{follow_server_html, server_drawn};
use crate::components::ui::{Badge, EmptyState, PageHeader, Tone};
use crate::error::AppError;
use crate::format::{count, datetime};

/// A rep an admin can let use an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rep {
    pub id: Uuid,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendersView {
    pub accounts: Vec<SenderAccount>,
    pub is_admin: bool,
    /// Admins only: the team's reps, and per account the reps allowed to use it.
    pub reps: Vec<Rep>,
    pub access: Vec<(Uuid, Vec<Uuid>)>,
    pub sandbox: bool,
}

#[server(output = crate::codec::Json)]
pub async fn load_senders() -> Result<SendersView, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    let accounts =
        engine::senders::list(&state.pool, user.team_id, &user, chrono::Utc::now()).await?;
    let (reps, access) = if user.is_admin() {
        let reps = engine::team::list_users(&state.pool, user.team_id)
            .await?
            .into_iter()
            .filter(|u| !u.is_admin())
            .map(|u| Rep { id: u.id, name: u.name, email: u.email })
            .collect();
        let mut access = Vec::with_capacity(accounts.len());
        for account in &accounts {
            let allowed =
                engine::senders::allowed_users(&state.pool, user.team_id, account.id).await?;
            access.push((account.id, allowed));
        }
        (reps, access)
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(SendersView {
        accounts,
        is_admin: user.is_admin(),
        reps,
        access,
        sandbox: state.config.is_sandbox(),
    })
}

/// An admin's edit from the account's form. An empty cap returns to the default.
#[server(output = crate::codec::Json)]
pub async fn update_sender(
    sender_id: Uuid,
    kind: String,
    daily_cap: String,
    display_name: String,
) -> Result<(), AppError> {
    let (state, admin) = crate::auth::ssr::require_admin().await?;
    let daily_cap = match daily_cap.trim() {
        "" => None,
        text => Some(text.replace([',', '_', ' '], "").parse::<i64>().map_err(|_| {
            AppError::Invalid {
                field: Some("daily_cap".into()),
                message: format!("the daily cap must be a whole number, not {text:?}"),
            }
        })?),
    };
    let changes = engine::senders::SenderChanges {
        kind: Some(kind),
        daily_cap: Some(daily_cap),
        display_name: Some(display_name),
    };
    engine::senders::update(&state.pool, admin.team_id, sender_id, changes, chrono::Utc::now())
        .await?;
    tracing::info!(admin_id = %admin.id, %sender_id, "sender account edited");
    Ok(())
}

#[server(output = crate::codec::Json)]
pub async fn disconnect_sender(sender_id: Uuid) -> Result<(), AppError> {
    let (state, admin) = crate::auth::ssr::require_admin().await?;
    engine::senders::disconnect(
        &state.pool,
        &state.secret_key,
        &state.google.oauth,
        admin.team_id,
        sender_id,
    )
    .await?;
    Ok(())
}

#[server(output = crate::codec::Json)]
pub async fn set_sender_access(
    sender_id: Uuid,
    user_id: Uuid,
    allowed: bool,
) -> Result<(), AppError> {
    let (state, admin) = crate::auth::ssr::require_admin().await?;
    engine::senders::set_access(&state.pool, admin.team_id, sender_id, user_id, allowed, admin.id)
        .await?;
    Ok(())
}

/// The addresses of accounts the signed-in user may use that need reconnection.
#[server(output = crate::codec::Json)]
pub async fn load_sender_alerts() -> Result<Vec<String>, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    let accounts =
        engine::senders::list(&state.pool, user.team_id, &user, chrono::Utc::now()).await?;
    Ok(accounts
        .into_iter()
        .filter(|a| a.status == SenderStatus::NeedsReauth)
        .map(|a| a.email)
        .collect())
}

/// On every page: which sender accounts stopped working until someone reconnects them.
#[component]
pub fn SenderAlerts() -> impl IntoView {
    let alerts = Resource::new(|| (), |_| load_sender_alerts());
    view! {
        <Transition fallback=|| ()>
            {move || alerts.get().and_then(Result::ok).filter(|emails| !emails.is_empty()).map(|emails| view! {
                <div role="alert" data-testid="sender-alerts" class="mb-6 rounded-md border border-rose-200 bg-rose-50 px-4 py-3 text-sm text-rose-800">
                    <strong class="font-semibold">{emails.join(", ")}</strong>
                    {if emails.len() == 1 { " needs reconnection" } else { " need reconnection" }}
                    ": Google no longer accepts Outreach's access, so nothing is sent or tracked. "
                    <a href="/senders" class="font-semibold underline">"Reconnect on Sender accounts"</a>
                </div>
            })}
        </Transition>
    }
}

/// The sender list drawn by the server, for [`Senders`] to put in place after a change.
#[server(output = crate::codec::Json)]
pub async fn senders_html() -> Result<String, AppError> {
    let view = load_senders().await?;
    Ok(render_to_html(move || sender_list(view)))
}

#[component]
pub fn SendersPage() -> impl IntoView {
    let connected = use_query_map().read_untracked().get("connected").filter(|c| !c.is_empty());
    let session = expect_context::<SessionResource>();
    let is_admin = move || {
        session.get().and_then(Result::ok).and_then(|info| info.user).is_some_and(|u| u.is_admin())
    };
    view! {
        <PageHeader title="Sender accounts" subtitle="The Gmail and Google Workspace accounts your team sends from.">
            <Transition fallback=|| ()>
                {move || is_admin().then(|| view! { <ConnectButton/> })}
            </Transition>
        </PageHeader>
        {connected.map(|email| view! {
            <p role="status" data-testid="connected-banner" class="mb-4 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
                <strong class="font-semibold">{email}</strong>" is connected."
            </p>
        })}
        <Senders><SenderListPanel/></Senders>
    }
}

/// The list (`children`, drawn by the server) is drawn again after every change, without
/// reloading the page. Its forms are marked `data-sender-disconnect`, `data-sender-access`
/// and `data-sender-edit`; an edit shows its problems in the account's own form.
#[island]
fn Senders(children: Children) -> impl IntoView {
    let (disconnect, access, edit) = (FormPost::new(), FormPost::new(), FormPost::new());
    let list = NodeRef::<Div>::new();
    let refresh = Signal::derive(move || {
        disconnect.version().get() + access.version().get() + edit.version().get()
    });
    follow_server_html(refresh, list, senders_html);
    let sends = [
        disconnect.on_marked_submit("data-sender-disconnect"),
        access.on_marked_submit("data-sender-access"),
        edit.on_marked_submit("data-sender-edit"),
    ];
    view! {
        <div class="mb-4 space-y-2">
            <FormError error=disconnect.error()/>
            <FormError error=access.error()/>
        </div>
        <div node_ref=list on:submit=move |event| sends.iter().for_each(|send| send(event.clone()))>
            {children()}
        </div>
    }
}

/// The list of the page (server-rendered).
#[component]
fn SenderListPanel() -> impl IntoView {
    server_drawn(load_senders, sender_list)
}

/// A plain form (a full-page navigation to Google's consent page, not a server function).
#[component]
fn ConnectButton(#[prop(optional, into)] reconnect: Option<Uuid>) -> impl IntoView {
    let primary = reconnect.is_none();
    view! {
        <form method="post" action="/senders/connect">
            {reconnect.map(|id| view! { <input type="hidden" name="sender_id" value=id.to_string()/> })}
            <button type="submit" class=if primary {
                "rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500"
            } else {
                "rounded-md bg-white px-3 py-1.5 text-sm font-medium text-indigo-700 ring-1 ring-indigo-200 hover:bg-indigo-50"
            }>
                {if primary { "Connect Gmail" } else { "Reconnect" }}
            </button>
        </form>
    }
}

fn sender_list(view: SendersView) -> AnyView {
    if view.accounts.is_empty() {
        return if view.is_admin {
            view! {
                <EmptyState
                    title="No sender accounts connected"
                    message="Connect a Gmail or Google Workspace account with \"Connect Gmail\": Google asks its owner to let Outreach send mail and read replies. Each account sends within Gmail's daily limit."
                />
            }
            .into_any()
        } else {
            view! {
                <EmptyState
                    title="No sender accounts for you yet"
                    message="An admin of your team connects Gmail accounts and chooses which reps may send from them."
                />
            }
            .into_any()
        };
    }
    let SendersView { accounts, is_admin, reps, access, sandbox } = view;
    view! {
        {sandbox.then(|| view! {
            <p class="mb-4 text-sm text-slate-600">
                "These are sandbox mailboxes: see what they sent and what recipients received under "
                <a href="/sandbox" class="font-medium text-indigo-600 hover:underline">"Sandbox mail"</a>"."
            </p>
        })}
        <ul class="space-y-4" data-testid="sender-list">
            {accounts.into_iter().map(|account| {
                let allowed = access.iter().find(|(id, _)| *id == account.id).map(|(_, users)| users.clone()).unwrap_or_default();
                view! { <SenderCard account is_admin reps=reps.clone() allowed/> }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

pub(crate) fn status_badge(account: &SenderAccount) -> (Tone, String) {
    match account.status {
        SenderStatus::Active => (Tone::Good, "Active".into()),
        SenderStatus::PausedUntil => (
            Tone::Warning,
            match account.paused_until {
                Some(until) => format!("Paused until {}", datetime(until)),
                None => "Paused".into(),
            },
        ),
        SenderStatus::NeedsReauth => (Tone::Bad, "Needs reconnection".into()),
        SenderStatus::Disconnected => (Tone::Neutral, "Disconnected".into()),
    }
}

#[component]
fn SenderCard(
    account: SenderAccount,
    is_admin: bool,
    reps: Vec<Rep>,
    allowed: Vec<Uuid>,
) -> impl IntoView {
    let (tone, status) = status_badge(&account);
    let cap_note = if account.daily_cap_is_default {
        format!("default: 90% of Gmail's {}", count(account.gmail_limit))
    } else {
        format!("set by an admin; Gmail allows {}", count(account.gmail_limit))
    };
    let needs_action =
        matches!(account.status, SenderStatus::NeedsReauth | SenderStatus::Disconnected);
    let reason = account.status_reason.clone().filter(|_| account.status != SenderStatus::Active);
    let tracking_off = !account.tracking && !needs_action;
    let controls =
        is_admin.then(|| view! { <AdminControls account=account.clone() reps allowed/> });
    view! {
        <li class="rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="sender-card" data-email=account.email.clone()>
            <div class="flex flex-wrap items-start justify-between gap-3 border-b border-slate-100 px-5 py-4">
                <div class="min-w-0">
                    <p class="truncate text-base font-semibold text-slate-900" data-testid="sender-email">{account.email.clone()}</p>
                    <p class="text-xs text-slate-500">
                        {if account.display_name.is_empty() { "No From name: mail shows the address".to_string() } else { format!("From name: {}", account.display_name) }}
                    </p>
                </div>
                <div class="flex flex-wrap items-center gap-2">
                    <Badge tone=Tone::Info text=account.kind.label()/>
                    <span data-testid="sender-status"><Badge tone text=status/></span>
                    <Badge tone=if account.tracking { Tone::Good } else { Tone::Warning }
                        text=if account.tracking { "Reply tracking on" } else { "Reply tracking off" }/>
                </div>
            </div>
            <dl class="grid grid-cols-2 gap-4 px-5 py-4 text-sm sm:grid-cols-4">
                <div>
                    <dt class="text-slate-500">"Daily cap"</dt>
                    <dd class="font-medium text-slate-900" data-testid="sender-cap">{count(account.daily_cap)}" / 24 h"</dd>
                    <dd class="text-xs text-slate-500">{cap_note}</dd>
                </div>
                <div>
                    <dt class="text-slate-500">"Sent in the last 24 h"</dt>
                    <dd class="font-medium text-slate-900" data-testid="sender-sent">{count(account.sent_last_24h)}" of "{count(account.daily_cap)}</dd>
                </div>
                <div>
                    <dt class="text-slate-500">"Gmail quota units today"</dt>
                    <dd class="font-medium text-slate-900" data-testid="sender-quota">{account.quota_units_today.to_string()}</dd>
                </div>
                <div>
                    <dt class="text-slate-500">"Connected"</dt>
                    <dd class="font-medium text-slate-900">{datetime(account.connected_at)}</dd>
                </div>
            </dl>
            {reason.map(|reason| view! {
                <p class=format!("mx-5 mb-4 rounded-md px-3 py-2 text-sm {}", if needs_action { "bg-rose-50 text-rose-800" } else { "bg-amber-50 text-amber-900" })
                    data-testid="sender-reason">
                    {reason}
                </p>
            })}
            {(account.tracking && !needs_action).then(|| view! {
                <p class="mx-5 mb-4 text-xs text-slate-500" data-testid="sender-sync">
                    {match account.last_synced_at {
                        Some(at) => format!("Replies and bounces last checked {}", datetime(at)),
                        None => "Replies and bounces are checked once the account has sent mail".to_string(),
                    }}
                    {account.sync_error.clone().map(|error| view! {
                        <span class="block text-amber-800">{format!("The last check failed: {error}")}</span>
                    })}
                </p>
            })}
            {tracking_off.then(|| view! {
                <p class="mx-5 mb-4 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="tracking-off">
                    "Reply tracking and labels are off: Google did not grant Outreach permission to read and label mail (gmail.modify). \
                     The account can send, but replies and bounces are not noticed. Reconnect it and leave that permission ticked."
                </p>
            })}
            {controls}
        </li>
    }
}

#[component]
fn AdminControls(account: SenderAccount, reps: Vec<Rep>, allowed: Vec<Uuid>) -> impl IntoView {
    let id = account.id;
    let kind_field = format!("kind-{id}");
    let cap_field = format!("cap-{id}");
    let name_field = format!("name-{id}");
    let cap_value = (!account.daily_cap_is_default).then(|| account.daily_cap.to_string());
    let disconnected = account.status == SenderStatus::Disconnected;
    view! {
        <div class="flex flex-wrap items-center gap-2 border-t border-slate-100 px-5 py-3">
            <ConnectButton reconnect=id/>
            {(!disconnected).then(|| view! {
                <form method="post" action=DisconnectSender::url() data-sender-disconnect="">
                    <input type="hidden" name="sender_id" value=id.to_string()/>
                    <button type="submit" class="rounded-md px-3 py-1.5 text-sm text-rose-600 ring-1 ring-rose-200 hover:bg-rose-50">
                        "Disconnect"
                    </button>
                </form>
            })}
        </div>
        <details class="border-t border-slate-100 px-5 py-3">
            <summary class="cursor-pointer text-sm font-medium text-indigo-600">"Edit limits and From name"</summary>
            <form method="post" action=UpdateSender::url() data-sender-edit="" class="mt-3 grid gap-4 sm:grid-cols-3">
                <input type="hidden" name="sender_id" value=id.to_string()/>
                <div class="sm:col-span-3"><FormProblem/></div>
                <div class="space-y-1">
                    <label for=kind_field.clone() class="block text-sm font-medium text-slate-700">"Kind"</label>
                    <select id=kind_field name="kind" class="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm">
                        {SenderKind::ALL.into_iter().map(|kind| view! {
                            <option value=kind.as_str() selected=kind == account.kind>
                                {format!("{} ({} a day)", kind.label(), count(kind.gmail_limit()))}
                            </option>
                        }).collect_view()}
                    </select>
                    <FieldProblem field="kind"/>
                </div>
                <div class="space-y-1">
                    <label for=cap_field.clone() class="block text-sm font-medium text-slate-700">"Daily cap"</label>
                    <input id=cap_field name="daily_cap" type="number" min="1" value=cap_value
                        placeholder=format!("default {}", account.kind.default_cap())
                        class="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm"/>
                    <FieldProblem field="daily_cap"/>
                </div>
                <div class="space-y-1">
                    <label for=name_field.clone() class="block text-sm font-medium text-slate-700">"From name"</label>
                    <input id=name_field name="display_name" type="text" value=account.display_name.clone()
                        placeholder="e.g. Ada Lovelace"
                        class="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm"/>
                    <FieldProblem field="display_name"/>
                </div>
                <div class="sm:col-span-3">
                    <button type="submit" class="rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white hover:bg-indigo-500">
                        "Save"
                    </button>
                    <span class="ml-3 text-xs text-slate-500">"Leave the cap empty for 90% of Gmail's limit."</span>
                </div>
            </form>
        </details>
        <details class="border-t border-slate-100 px-5 py-3">
            <summary class="cursor-pointer text-sm font-medium text-indigo-600">
                {format!("Reps who may send from it ({} of {})", allowed.len(), reps.len())}
            </summary>
            {if reps.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-500">"Your team has no reps yet. Admins may use every account."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-2 divide-y divide-slate-100">
                        {reps.into_iter().map(|rep| {
                            let may = allowed.contains(&rep.id);
                            view! {
                                <li class="flex items-center justify-between gap-3 py-2 text-sm">
                                    <span>{rep.name}" "<span class="text-slate-500">{rep.email}</span></span>
                                    <form method="post" action=SetSenderAccess::url() data-sender-access="">
                                        <input type="hidden" name="sender_id" value=id.to_string()/>
                                        <input type="hidden" name="user_id" value=rep.id.to_string()/>
                                        <input type="hidden" name="allowed" value=(!may).to_string()/>
                                        <button type="submit" class="rounded-md px-2 py-1 text-xs ring-1 ring-slate-200 hover:bg-slate-50">
                                            {if may { "Remove access" } else { "Allow" }}
                                        </button>
                                    </form>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </details>
    }
}

/// Where the edit form shows a problem that belongs to no field (see `FormPost`).
#[component]
fn FormProblem() -> impl IntoView {
    view! {
        <p data-problem="" role="alert" hidden
            class="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-700"></p>
    }
}

/// Where the edit form shows the problem with `field`.
#[component]
fn FieldProblem(field: &'static str) -> impl IntoView {
    view! { <p data-problem=field role="alert" hidden class="text-xs text-rose-600"></p> }
}
