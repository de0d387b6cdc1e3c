//! `/sandbox…` (sandbox mode): what the built-in Gmail simulator holds — the sandbox mailboxes,
//! what each recipient received, and every message with its headers and body as plain text
//! (HTML parts are shown as source, never rendered), so a person trying Outreach sees the
//! emails exactly as sent.

use engine::sandbox_inbox::{
    RECIPIENT_PATTERNS, SandboxMailbox, SandboxMailboxView, SandboxMessage, SandboxOverview,
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::components::ui::{Badge, Card, PageHeader, Tone};
use crate::error::AppError;
use crate::format::{count, datetime};

#[cfg(feature = "ssr")]
fn sandbox(state: &crate::state::AppState) -> Result<&engine::sandbox::Simulator, AppError> {
    state.google.sandbox.as_ref().ok_or_else(|| {
        AppError::NotFound(
            "The sandbox (Outreach is connected to Google, not the simulator)".into(),
        )
    })
}

#[server(output = crate::codec::Json)]
pub async fn load_sandbox_overview() -> Result<SandboxOverview, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    let sim = sandbox(&state)?;
    Ok(engine::sandbox_inbox::overview(&state.pool, sim, user.team_id).await?)
}

#[server(output = crate::codec::Json)]
pub async fn load_sandbox_mailbox(address: String) -> Result<SandboxMailboxView, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    let sim = sandbox(&state)?;
    Ok(engine::sandbox_inbox::mailbox(&state.pool, sim, user.team_id, &address).await?)
}

#[server(output = crate::codec::Json)]
pub async fn load_sandbox_message(address: String, id: String) -> Result<SandboxMessage, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    let sim = sandbox(&state)?;
    Ok(engine::sandbox_inbox::mailbox_message(&state.pool, sim, user.team_id, &address, &id)
        .await?)
}

#[server(output = crate::codec::Json)]
pub async fn load_sandbox_delivery(seq: u64) -> Result<SandboxMessage, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    let sim = sandbox(&state)?;
    Ok(engine::sandbox_inbox::delivery(&state.pool, sim, user.team_id, seq).await?)
}

fn problem(error: AppError) -> AnyView {
    view! { <p class="text-sm text-rose-600" role="alert">{error.to_string()}</p> }.into_any()
}

/// A loaded resource inside `<Transition>`: "Loading…", its problem, or `render(value)`.
fn loaded<T>(
    resource: Resource<Result<T, AppError>>,
    render: impl Fn(T) -> AnyView + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
{
    view! {
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
            {move || resource.get().map(|result| match result {
                Err(e) => problem(e),
                Ok(value) => render(value),
            })}
        </Transition>
    }
}

fn mailbox_href(address: &str) -> String {
    format!("/sandbox/mailboxes/{address}")
}

/// `/sandbox`: mailboxes, deliveries, and how simulated recipients behave.
#[component]
pub fn SandboxPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| load_sandbox_overview());
    view! {
        <PageHeader title="Sandbox mail" subtitle="What the built-in Gmail simulator sent and received. No real email leaves this machine."/>
        {loaded(overview, |overview| view! { <Overview overview/> }.into_any())}
    }
}

#[component]
fn Overview(overview: SandboxOverview) -> impl IntoView {
    let SandboxOverview { mailboxes, deliveries, reply_delay_secs } = overview;
    view! {
        <div class="grid gap-6 lg:grid-cols-3">
            <div class="space-y-6 lg:col-span-2">
                <Card title="Delivered to recipients" description="Each message as its recipient received it, newest first.">
                    {if deliveries.is_empty() {
                        view! { <p class="text-sm text-slate-500" data-testid="no-deliveries">"Nothing sent from your team's sandbox mailboxes yet."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="divide-y divide-slate-100" data-testid="deliveries">
                                {deliveries.into_iter().map(|d| {
                                    let tone = match d.outcome.as_str() { "delivered" => Tone::Good, "bounced" => Tone::Bad, _ => Tone::Warning };
                                    let meta = format!("To {} · from {} · {}", d.recipient, d.sender, datetime(d.at));
                                    view! {
                                        <MessageRow href=format!("/sandbox/deliveries/{}", d.seq) subject=d.subject meta>
                                            <Badge tone text=d.outcome/>
                                        </MessageRow>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </Card>
            </div>
            <div class="space-y-6">
                <Card title="Sandbox mailboxes" description="Connect one under Sender accounts to send from it and read its mail here.">
                    <ul class="divide-y divide-slate-100" data-testid="sandbox-mailboxes">
                        {mailboxes.into_iter().map(|m| view! { <MailboxRow mailbox=m/> }).collect_view()}
                    </ul>
                </Card>
                <Card title="Simulated recipients" description="Any address receives mail; a tag in the address makes the recipient react.">
                    <p class="mb-2 break-words text-sm text-slate-600">
                        {format!("Reactions arrive about {reply_delay_secs} s after delivery (OUTREACH_SANDBOX_REPLY_DELAY_SECS). For example ")}
                        <code class="rounded bg-slate-100 px-1 text-xs">"lead+reply@example.com"</code>" replies."
                    </p>
                    <dl class="space-y-2 text-sm" data-testid="recipient-patterns">
                        {RECIPIENT_PATTERNS.iter().map(|(tag, what)| view! {
                            <div>
                                <dt><code class="rounded bg-slate-100 px-1 text-xs font-semibold">{*tag}</code></dt>
                                <dd class="text-slate-600">{*what}</dd>
                            </div>
                        }).collect_view()}
                    </dl>
                </Card>
            </div>
        </div>
    }
}

#[component]
fn MailboxRow(mailbox: SandboxMailbox) -> impl IntoView {
    let summary = format!(
        "{} · {} messages · sent {} of {} in 24 h",
        mailbox.kind.label(),
        count(mailbox.messages),
        count(mailbox.sent_last_24h),
        count(mailbox.daily_cap)
    );
    view! {
        <li class="py-2 text-sm">
            {if mailbox.connected {
                view! { <a href=mailbox_href(&mailbox.address) class="break-all font-medium text-indigo-600 hover:underline">{mailbox.address.clone()}</a> }.into_any()
            } else {
                view! { <span class="break-all font-medium text-slate-700">{mailbox.address.clone()}</span> }.into_any()
            }}
            <p class="text-xs text-slate-500">{summary}</p>
            {(!mailbox.connected).then(|| view! { <p class="text-xs text-slate-400">"Not connected by your team"</p> })}
        </li>
    }
}

/// One line of a message list: subject, a tag on the right, who and when below.
#[component]
fn MessageRow(href: String, subject: String, meta: String, children: Children) -> impl IntoView {
    view! {
        <li class="py-3">
            <a href=href class="block hover:bg-slate-50">
                <div class="flex items-center justify-between gap-3">
                    <p class="truncate text-sm font-medium text-slate-900">{subject}</p>
                    {children()}
                </div>
                <p class="truncate text-xs text-slate-500">{meta}</p>
            </a>
        </li>
    }
}

/// `/sandbox/mailboxes/:address`: a connected mailbox's messages (sent, replies, bounces).
#[component]
pub fn SandboxMailboxPage() -> impl IntoView {
    let params = use_params_map();
    let mailbox = Resource::new(
        move || params.read().get("address").unwrap_or_default(),
        load_sandbox_mailbox,
    );
    view! {
        <p class="mb-2 text-sm"><a href="/sandbox" class="text-indigo-600 hover:underline">"← Sandbox mail"</a></p>
        {loaded(mailbox, |view: SandboxMailboxView| {
            let threads = view.threads();
            let mailbox = view.mailbox;
            let address = mailbox.address.clone();
            view! {
                <h1 class="mb-1 text-2xl font-semibold tracking-tight">{mailbox.address.clone()}</h1>
                <p class="mb-6 text-sm text-slate-500">{format!("{} mailbox · {} messages in {} threads", mailbox.kind.label(), count(mailbox.messages), count(threads.len() as u64))}</p>
                <Card>
                    {if threads.is_empty() {
                        view! { <p class="text-sm text-slate-500">"No messages yet."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="divide-y divide-slate-200" data-testid="mailbox-threads">
                                {threads.into_iter().map(|thread| {
                                    let size = thread.len();
                                    view! {
                                        <li class="py-2" data-testid="thread">
                                            <p class="text-xs font-medium uppercase tracking-wide text-slate-400" data-testid="thread-size">
                                                {if size == 1 { "1 message".to_string() } else { format!("{size} messages in this thread") }}
                                            </p>
                                            <ul class="divide-y divide-slate-100 pl-3" data-testid="mailbox-messages">
                                                {thread.into_iter().map(|m| {
                                                    let meta = format!("From {} · to {} · {}", m.from, m.to, datetime(m.at));
                                                    view! {
                                                        <MessageRow href=format!("{}/{}", mailbox_href(&address), m.id) subject=m.subject meta>
                                                            <span class="text-xs text-slate-500">{m.labels.join(" ")}</span>
                                                        </MessageRow>
                                                    }
                                                }).collect_view()}
                                            </ul>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </Card>
            }.into_any()
        })}
    }
}

/// `/sandbox/deliveries/:seq` and `/sandbox/mailboxes/:address/:id`: one message, as text.
#[component]
pub fn SandboxMessagePage() -> impl IntoView {
    let params = use_params_map();
    let message = Resource::new(
        move || {
            let params = params.read();
            (params.get("seq"), params.get("address"), params.get("id"))
        },
        |(seq, address, id)| async move {
            match (seq, address, id) {
                (Some(seq), _, _) => match seq.parse::<u64>() {
                    Ok(seq) => load_sandbox_delivery(seq).await,
                    Err(_) => Err(AppError::NotFound("Delivery".into())),
                },
                (None, Some(address), Some(id)) => load_sandbox_message(address, id).await,
                _ => Err(AppError::NotFound("Message".into())),
            }
        },
    );
    view! {
        <p class="mb-2 text-sm"><a href="/sandbox" class="text-indigo-600 hover:underline">"← Sandbox mail"</a></p>
        {loaded(message, |message| view! { <MessageText message/> }.into_any())}
    }
}

#[component]
fn MessageText(message: SandboxMessage) -> impl IntoView {
    let SandboxMessage { context, from, to, subject, date, headers, text_body, html_source, raw } =
        message;
    view! {
        <h1 class="mb-1 text-2xl font-semibold tracking-tight" data-testid="message-subject">{subject}</h1>
        <p class="mb-6 text-sm text-slate-500">{context}</p>
        <div class="space-y-6">
            <Card>
                <dl class="grid gap-2 text-sm sm:grid-cols-[6rem_1fr]">
                    <dt class="text-slate-500">"From"</dt><dd class="break-all">{from}</dd>
                    <dt class="text-slate-500">"To"</dt><dd class="break-all">{to}</dd>
                    <dt class="text-slate-500">"Date"</dt><dd>{date.unwrap_or_default()}</dd>
                </dl>
                <pre class="mt-4 whitespace-pre-wrap break-words rounded-md bg-slate-50 p-4 font-sans text-sm text-slate-900" data-testid="message-body">
                    {text_body.unwrap_or_else(|| "(no text body)".into())}
                </pre>
            </Card>
            {html_source.map(|html| view! {
                <Card title="HTML part (source, not rendered)">
                    <pre class="whitespace-pre-wrap break-all font-mono text-xs text-slate-800">{html}</pre>
                </Card>
            })}
            <Card title="Headers">
                <table class="w-full table-fixed text-left text-xs" data-testid="message-headers">
                    <tbody class="divide-y divide-slate-100">
                        {headers.into_iter().map(|(name, value)| view! {
                            <tr>
                                <th class="w-48 py-1 pr-3 align-top font-mono font-medium text-slate-600">{name}</th>
                                <td class="break-all py-1 font-mono text-slate-900">{value}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </Card>
            <details class="rounded-xl border border-slate-200 bg-white px-5 py-3">
                <summary class="cursor-pointer text-sm font-medium text-indigo-600">"Raw message"</summary>
                <pre class="mt-3 max-h-[32rem] overflow-auto whitespace-pre-wrap break-all font-mono text-xs text-slate-800">{raw}</pre>
            </details>
        </div>
    }
}
