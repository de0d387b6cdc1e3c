//! `/settings`: the signed-in user's account and API tokens; admins also find the team's
//! settings and users (`/settings/team`).

use engine::model::{ApiTokenInfo, OtherCampaignLeads};
use leptos::html::Div;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::ServerFn;
use uuid::Uuid;

use crate::components::form_post::FormPost;
use crate::components::forms::{FormError, TextField, field_error};
use crate::components::layout::SessionResource;
#[cfg(feature = "ssr")]
use crate::components::server_html::render_to_html;
use crate::components::server_html::{follow_server_html, server_drawn};
use crate::components::ui::{Card, PageHeader};
use crate::error::AppError;
use crate::format::datetime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub info: ApiTokenInfo,
    /// Shown once; only its hash is stored.
    pub token: String,
}

#[server(output = crate::codec::Json)]
pub async fn list_api_tokens() -> Result<Vec<ApiTokenInfo>, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    Ok(engine::auth::list_api_tokens(&state.pool, user.team_id, user.id).await?)
}

#[server(output = crate::codec::Json)]
pub async fn create_api_token(name: String) -> Result<CreatedToken, AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    let (info, token) =
        engine::auth::create_api_token(&state.pool, user.team_id, user.id, &name).await?;
    tracing::info!(user_id = %user.id, token_id = %info.id, "API token created");
    Ok(CreatedToken { info, token })
}

#[server(output = crate::codec::Json)]
pub async fn revoke_api_token(id: Uuid) -> Result<(), AppError> {
    let (state, user) = crate::auth::ssr::require_user().await?;
    Ok(engine::auth::revoke_api_token(&state.pool, user.team_id, user.id, id).await?)
}

/// The team's choice for addresses already in another running campaign (admins only).
#[server(output = crate::codec::Json)]
pub async fn load_lead_policy() -> Result<OtherCampaignLeads, AppError> {
    let (state, admin) = crate::auth::ssr::require_admin().await?;
    Ok(engine::team::leads_in_other_campaigns(&state.pool, admin.team_id).await?)
}

#[server(output = crate::codec::Json)]
pub async fn set_lead_policy(policy: String) -> Result<OtherCampaignLeads, AppError> {
    let (state, admin) = crate::auth::ssr::require_admin().await?;
    let policy = OtherCampaignLeads::parse(&policy).ok_or_else(|| AppError::Invalid {
        field: Some("policy".into()),
        message: "choose skip or allow".into(),
    })?;
    Ok(engine::team::set_leads_in_other_campaigns(&state.pool, &admin, policy).await?)
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let session = expect_context::<SessionResource>();
    view! {
        <PageHeader title="Team & settings" subtitle="Your account, API tokens and your team."/>
        <div class="grid gap-6 lg:grid-cols-3">
            // A gap, not `space-y-*`: the islands' wrappers would take the margins.
            <div class="flex flex-col gap-6 lg:col-span-2">
                <ApiTokens><ApiTokenListPanel/></ApiTokens>
                <LeadPolicyCard/>
            </div>
            <div class="space-y-6">
                <Card title="Your account">
                    <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
                        {move || session.get().and_then(Result::ok).and_then(|info| info.user.map(|user| {
                            let admin = user.is_admin();
                            view! {
                                <dl class="space-y-2 text-sm">
                                    <div><dt class="text-slate-500">"Name"</dt><dd class="font-medium">{user.name}</dd></div>
                                    <div><dt class="text-slate-500">"Email"</dt><dd class="font-medium">{user.email}</dd></div>
                                    <div><dt class="text-slate-500">"Team"</dt><dd class="font-medium">{info.team_name}</dd></div>
                                    <div><dt class="text-slate-500">"Role"</dt><dd class="font-medium">{user.role.as_str()}</dd></div>
                                </dl>
                                {admin.then(|| view! {
                                    <a href="/settings/team" class="mt-4 inline-flex rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white hover:bg-indigo-500">
                                        "Manage team and users"
                                    </a>
                                })}
                            }
                        }))}
                    </Transition>
                </Card>
            </div>
        </div>
    }
}

/// The signed-in user's tokens drawn by the server, for [`ApiTokens`] to put in place after a
/// change.
#[server(output = crate::codec::Json)]
pub async fn api_tokens_html() -> Result<String, AppError> {
    let tokens = list_api_tokens().await?;
    Ok(render_to_html(move || token_list(tokens)))
}

/// The token list of the page (server-rendered).
#[component]
fn ApiTokenListPanel() -> impl IntoView {
    server_drawn(list_api_tokens, token_list)
}

fn token_list(tokens: Vec<ApiTokenInfo>) -> AnyView {
    if tokens.is_empty() {
        return view! { <p class="text-sm text-slate-500">"No API tokens yet."</p> }.into_any();
    }
    view! {
        <ul class="divide-y divide-slate-100">
            {tokens.into_iter().map(|token| view! {
                <li class="flex items-center justify-between gap-4 py-3 text-sm">
                    <div class="min-w-0">
                        <p class="font-medium text-slate-900">{token.name}</p>
                        <p class="text-xs text-slate-500">
                            <code>{token.token_prefix}"…"</code>
                            " · created " {datetime(token.created_at)}
                            " · " {token.last_used_at.map(|t| format!("last used {}", datetime(t))).unwrap_or_else(|| "never used".into())}
                        </p>
                    </div>
                    <form method="post" action=RevokeApiToken::url() data-revoke-token="">
                        <input type="hidden" name="id" value=token.id.to_string()/>
                        <button type="submit" class="rounded-md px-2 py-1 text-sm text-rose-600 ring-1 ring-rose-200 hover:bg-rose-50">
                            "Revoke"
                        </button>
                    </form>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// The part of [`CreatedToken`] the page shows: the token itself, once.
#[derive(Deserialize)]
struct NewToken {
    token: String,
}

/// Creating and revoking tokens; `children` is the list, drawn by the server and drawn again
/// after each change. Its "Revoke" buttons are forms marked `data-revoke-token`.
#[island]
fn ApiTokens(children: Children) -> impl IntoView {
    let (create, revoke) = (FormPost::new(), FormPost::new());
    let list = NodeRef::<Div>::new();
    let refresh = Signal::derive(move || create.version().get() + revoke.version().get());
    follow_server_html(refresh, list, api_tokens_html);
    let error = create.error();
    view! {
        <Card title="API tokens" description="For scripts and CRMs calling the REST API (Authorization: Bearer <token>). A token acts as you.">
            <form method="post" action=CreateApiToken::url() on:submit=create.on_submit() class="flex flex-wrap items-end gap-3">
                <div class="min-w-60 flex-1">
                    <TextField label="New token name" name="name" placeholder="CRM sync" error=field_error(error, "name")/>
                </div>
                <button type="submit" class="mb-5 rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white hover:bg-indigo-500">
                    "Create token"
                </button>
            </form>
            <FormError error/>
            <FormError error=revoke.error()/>
            {move || create.answer::<NewToken>().map(|created| view! {
                <div class="mb-4 rounded-md border border-emerald-200 bg-emerald-50 p-3 text-sm" role="status">
                    <p class="font-medium text-emerald-900">"Copy your new token now — it will not be shown again."</p>
                    <code data-testid="new-api-token" class="mt-2 block select-all break-all rounded bg-white px-2 py-1 font-mono text-xs text-slate-900 ring-1 ring-emerald-200">
                        {created.token}
                    </code>
                </div>
            })}
            <div node_ref=list on:submit=revoke.on_marked_submit("data-revoke-token")>{children()}</div>
        </Card>
    }
}

/// The team's choice for admins; nothing for reps (the load is refused for them).
#[component]
fn LeadPolicyCard() -> impl IntoView {
    let policy = Resource::new(|| (), |_| load_lead_policy());
    view! {
        <Suspense fallback=|| ()>
            {move || policy.get().and_then(Result::ok).map(|current| view! { <LeadPolicy current/> })}
        </Suspense>
    }
}

/// `current`: the team's choice when the page was drawn.
#[island]
fn LeadPolicy(current: OtherCampaignLeads) -> impl IntoView {
    let set = FormPost::new();
    let error = set.error();
    view! {
        <Card title="Leads in other campaigns" description="When an imported address is already in another running or paused campaign of the team.">
            <form method="post" action=SetLeadPolicy::url() on:submit=set.on_submit() class="space-y-3" data-testid="lead-policy-form">
                <FormError error/>
                <fieldset class="space-y-2 text-sm">
                    <legend class="sr-only">"Addresses already in another running campaign"</legend>
                    <label class="flex items-center gap-2">
                        <input type="radio" name="policy" value="skip" checked=current == OtherCampaignLeads::Skip/>
                        "Skip them: nobody gets two sequences at once"
                    </label>
                    <label class="flex items-center gap-2">
                        <input type="radio" name="policy" value="allow" checked=current == OtherCampaignLeads::Allow/>
                        "Allow them: import anyway"
                    </label>
                </fieldset>
                <button type="submit" class="rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white hover:bg-indigo-500">
                    "Save"
                </button>
                {move || set.succeeded().get().then(|| view! {
                    <p role="status" class="text-sm text-emerald-700">"Saved."</p>
                })}
            </form>
        </Card>
    }
}
