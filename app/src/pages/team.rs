//! `/settings/team` (admins): the team's name and postal address, and its users — add,
//! remove, reset a password.

use engine::model::{Team, User};
use leptos::html::Div;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use server_fn::ServerFn;

use crate::components::form_post::FormPost;
use crate::components::forms::{FormError, TextArea, TextField, field_error};
use crate::components::server_html::follow_server_html;
#[cfg(feature = "ssr")]
use crate::components::server_html::render_to_html;
use crate::components::ui::{Badge, Card, ErrorPanel, PageHeader, Tone};
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamOverview {
    pub team: Team,
    pub users: Vec<User>,
    pub me: Uuid,
}

#[server(output = crate::codec::Json)]
pub async fn load_team_overview() -> Result<TeamOverview, AppError> {
    let (state, admin) = crate::auth::ssr::require_admin().await?;
    let team = engine::team::get_team(&state.pool, admin.team_id).await?;
    let users = engine::team::list_users(&state.pool, admin.team_id).await?;
    Ok(TeamOverview { team, users, me: admin.id })
}

/// The list of users drawn by the server, for the page to put in place after a change.
#[server(output = crate::codec::Json)]
pub async fn team_users_html() -> Result<String, AppError> {
    let TeamOverview { users, me, .. } = load_team_overview().await?;
    Ok(render_to_html(move || team_users(users, me)))
}

#[server(output = crate::codec::Json)]
pub async fn update_team_settings(
    team_name: String,
    postal_address: String,
) -> Result<(), AppError> {
    let (state, admin) = crate::auth::ssr::require_admin().await?;
    engine::team::update_team(
        &state.pool,
        admin.team_id,
        engine::team::NewTeam { team_name, postal_address },
    )
    .await?;
    Ok(())
}

#[server(output = crate::codec::Json)]
pub async fn add_team_member(
    name: String,
    email: String,
    role: String,
    password: String,
) -> Result<(), AppError> {
    let (state, admin) = crate::auth::ssr::require_admin().await?;
    let role = engine::model::Role::parse(&role).ok_or_else(|| AppError::Invalid {
        field: Some("role".into()),
        message: "choose admin or rep".into(),
    })?;
    let password = engine::auth::Password::parse(&password)?;
    let user = engine::team::add_user(
        &state.pool,
        admin.team_id,
        engine::team::NewUser { email, name, role, password },
    )
    .await?;
    tracing::info!(admin_id = %admin.id, user_id = %user.id, "team member added");
    Ok(())
}

#[server(output = crate::codec::Json)]
pub async fn remove_team_member(user_id: Uuid) -> Result<(), AppError> {
    let (state, admin) = crate::auth::ssr::require_admin().await?;
    engine::team::remove_user(&state.pool, admin.team_id, admin.id, user_id).await?;
    tracing::info!(admin_id = %admin.id, %user_id, "team member removed");
    Ok(())
}

#[server(output = crate::codec::Json)]
pub async fn reset_member_password(user_id: Uuid, password: String) -> Result<(), AppError> {
    let (state, admin) = crate::auth::ssr::require_admin().await?;
    let password = engine::auth::Password::parse(&password)?;
    engine::team::reset_password(&state.pool, admin.team_id, user_id, password).await?;
    tracing::info!(admin_id = %admin.id, %user_id, "password reset by an admin");
    Ok(())
}

#[component]
pub fn TeamPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| load_team_overview());
    view! {
        <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
            {move || overview.get().map(|result| match result {
                Err(AppError::Forbidden(_)) => {
                    forbidden();
                    view! {
                        <ErrorPanel code="403" title="Admins only".to_string()
                            message="Managing the team and its users is for team admins. Ask an admin of your team if you need a change.".to_string()/>
                    }.into_any()
                }
                Err(e) => view! { <p class="text-sm text-rose-600">{e.to_string()}</p> }.into_any(),
                Ok(TeamOverview { team, users, me }) => view! {
                    <TeamSettings team>{team_users(users, me)}</TeamSettings>
                }.into_any(),
            })}
        </Suspense>
    }
}

/// Sets the 403 status when the page is rendered on the server.
fn forbidden() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::FORBIDDEN);
    }
}

/// The team's details and the forms; `children` is the list of users, drawn by the server
/// and drawn again after a user is added or removed. Its "Remove" and
/// "Set password" are forms marked `data-member-remove` and `data-member-reset`, which go
/// through this island's actions.
#[island]
fn TeamSettings(team: Team, children: Children) -> impl IntoView {
    let (update, add, remove, reset) =
        (FormPost::new(), FormPost::new(), FormPost::new(), FormPost::new());
    let reset_error = reset.error();
    let users = NodeRef::<Div>::new();
    let refresh = Signal::derive(move || add.version().get() + remove.version().get());
    follow_server_html(refresh, users, team_users_html);
    let (send_removal, send_reset) = (
        remove.on_marked_submit("data-member-remove"),
        reset.on_marked_submit("data-member-reset"),
    );
    view! {
        <PageHeader title="Team" subtitle="Your team's details and who can use Outreach."/>
        <div class="grid gap-6 lg:grid-cols-3">
            <div class="space-y-6 lg:col-span-2">
                <Card title="Users" description="Reps run campaigns; admins also connect sender accounts and manage the team.">
                    <FormError error=remove.error()/>
                    <FormError error=reset_error/>
                    {move || field_error(reset_error, "password").get().map(|message| view! {
                        <p role="alert" class="mb-3 rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-700">
                            {format!("New password: {message}")}
                        </p>
                    })}
                    {move || reset.succeeded().get().then(|| view! {
                        <p role="status" class="mb-3 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
                            "Password changed. That user is signed out everywhere."
                        </p>
                    })}
                    <div node_ref=users on:submit=move |event| { send_removal(event.clone()); send_reset(event) }>{children()}</div>
                </Card>
                <Card title="Add a user">
                    <form method="post" action=AddTeamMember::url() on:submit=add.on_submit() class="grid gap-4 sm:grid-cols-2" data-testid="add-user-form">
                        <div class="sm:col-span-2"><FormError error=add.error()/></div>
                        <TextField label="Name" name="name" required=true error=field_error(add.error(), "name")/>
                        <TextField label="Email" name="email" input_type="email" required=true error=field_error(add.error(), "email")/>
                        <TextField label="Initial password" name="password" input_type="password" autocomplete="new-password"
                            required=true hint="At least 10 characters; share it with them privately." error=field_error(add.error(), "password")/>
                        <div class="space-y-1">
                            <label for="field-role" class="block text-sm font-medium text-slate-700">"Role"</label>
                            <select id="field-role" name="role" class="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm">
                                <option value="rep" selected>"Rep"</option>
                                <option value="admin">"Admin"</option>
                            </select>
                        </div>
                        <div class="sm:col-span-2">
                            <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">
                                "Add user"
                            </button>
                        </div>
                    </form>
                </Card>
            </div>
            <Card title="Team details">
                <form method="post" action=UpdateTeamSettings::url() on:submit=update.on_submit() class="space-y-4">
                    <FormError error=update.error()/>
                    <TextField label="Team name" name="team_name" value=team.name required=true error=field_error(update.error(), "team_name")/>
                    <TextArea label="Postal address" name="postal_address" value=team.postal_address rows=4
                        hint="Printed in the footer of every email (CAN-SPAM)." error=field_error(update.error(), "postal_address")/>
                    <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">
                        "Save"
                    </button>
                    {move || update.succeeded().get().then(|| view! {
                        <span role="status" class="ml-3 text-sm text-emerald-700">"Saved."</span>
                    })}
                </form>
            </Card>
        </div>
    }
}

/// The team's users, each with "Remove" (not oneself) and "Reset password".
fn team_users(users: Vec<User>, me: Uuid) -> AnyView {
    view! {
        <ul class="divide-y divide-slate-100" data-testid="team-users">
            {users.into_iter().map(|user| {
                let is_me = user.id == me;
                view! {
                    <li class="py-3">
                        <div class="flex flex-wrap items-center justify-between gap-3">
                            <div class="min-w-0">
                                <p class="text-sm font-medium text-slate-900">
                                    {user.name.clone()} {is_me.then_some(" (you)")}
                                </p>
                                <p class="text-xs text-slate-500">{user.email.clone()}</p>
                            </div>
                            <div class="flex items-center gap-2">
                                <Badge tone=if user.is_admin() { Tone::Info } else { Tone::Neutral } text=user.role.as_str()/>
                                {(!is_me).then(|| view! {
                                    <form method="post" action=RemoveTeamMember::url() data-member-remove="">
                                        <input type="hidden" name="user_id" value=user.id.to_string()/>
                                        <button type="submit" class="rounded-md px-2 py-1 text-xs text-rose-600 ring-1 ring-rose-200 hover:bg-rose-50">
                                            "Remove"
                                        </button>
                                    </form>
                                })}
                            </div>
                        </div>
                        <details class="mt-2">
                            <summary class="cursor-pointer text-xs text-indigo-600">"Reset password"</summary>
                            <form method="post" action=ResetMemberPassword::url() data-member-reset=""
                                class="mt-2 flex flex-wrap items-end gap-2">
                                <input type="hidden" name="user_id" value=user.id.to_string()/>
                                <label class="sr-only" for=format!("reset-{}", user.id)>"New password"</label>
                                <input id=format!("reset-{}", user.id) name="password" type="password" autocomplete="new-password"
                                    placeholder="New password (10+ characters)"
                                    class="min-w-56 flex-1 rounded-md border border-slate-300 px-3 py-1.5 text-sm"/>
                                <button type="submit" class="rounded-md bg-slate-800 px-3 py-1.5 text-xs font-semibold text-white hover:bg-slate-700">
                                    "Set password"
                                </button>
                            </form>
                        </details>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}
