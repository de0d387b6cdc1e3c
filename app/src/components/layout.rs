//! The frame around every signed-in page: navigation, the signed-in user and team, sign-out.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet, Redirect};

use crate::auth::{SessionInfo, SignOut, get_session_info};

/// The signed-in visitor, loaded once per shell and shared with the pages below it.
pub type SessionResource = Resource<Result<SessionInfo, crate::error::AppError>>;

const NAV: [(&str, &str, &str); 6] = [
    (
        "/",
        "Dashboard",
        "M3.75 3v11.25A2.25 2.25 0 0 0 6 16.5h2.25M3.75 3h-1.5m1.5 0h16.5m0 0h1.5m-1.5 0v11.25A2.25 2.25 0 0 1 18 16.5h-2.25m-7.5 0h7.5m-7.5 0-1 3m8.5-3 1 3m0 0 .5 1.5m-.5-1.5h-9.5m0 0-.5 1.5",
    ),
    (
        "/campaigns",
        "Campaigns",
        "M6 12 3.269 3.125A59.769 59.769 0 0 1 21.485 12 59.768 59.768 0 0 1 3.27 20.875L5.999 12Zm0 0h7.5",
    ),
    (
        "/outbox",
        "Outbox",
        "M2.25 13.5h3.86a2.25 2.25 0 0 1 2.012 1.244l.256.512a2.25 2.25 0 0 0 2.013 1.244h3.218a2.25 2.25 0 0 0 2.013-1.244l.256-.512a2.25 2.25 0 0 1 2.013-1.244h3.859M2.25 13.5V18a2.25 2.25 0 0 0 2.25 2.25h15A2.25 2.25 0 0 0 21.75 18v-4.5M2.25 13.5l2.742-8.25A2.25 2.25 0 0 1 7.125 3.75h9.75a2.25 2.25 0 0 1 2.133 1.5l2.742 8.25",
    ),
    (
        "/senders",
        "Senders",
        "M21.75 6.75v10.5a2.25 2.25 0 0 1-2.25 2.25h-15a2.25 2.25 0 0 1-2.25-2.25V6.75m19.5 0A2.25 2.25 0 0 0 19.5 4.5h-15a2.25 2.25 0 0 0-2.25 2.25m19.5 0v.243a2.25 2.25 0 0 1-1.07 1.916l-7.5 4.615a2.25 2.25 0 0 1-2.36 0L3.32 8.91a2.25 2.25 0 0 1-1.07-1.916V6.75",
    ),
    (
        "/suppressions",
        "Suppressions",
        "M18.364 18.364A9 9 0 0 0 5.636 5.636m12.728 12.728A9 9 0 0 1 5.636 5.636m12.728 12.728L5.636 5.636",
    ),
    (
        "/settings",
        "Team & settings",
        "M9.594 3.94c.09-.542.56-.94 1.11-.94h2.593c.55 0 1.02.398 1.11.94l.213 1.281c.063.374.313.686.645.87.074.04.147.083.22.127.325.196.72.257 1.075.124l1.217-.456a1.125 1.125 0 0 1 1.37.49l1.296 2.247a1.125 1.125 0 0 1-.26 1.431l-1.003.827c-.293.241-.438.613-.43.992a7.723 7.723 0 0 1 0 .255c-.008.378.137.75.43.991l1.004.827c.424.35.534.955.26 1.43l-1.298 2.247a1.125 1.125 0 0 1-1.369.491l-1.217-.456c-.355-.133-.75-.072-1.076.124a6.47 6.47 0 0 1-.22.128c-.331.183-.581.495-.644.869l-.213 1.281c-.09.543-.56.94-1.11.94h-2.594c-.55 0-1.019-.398-1.11-.94l-.213-1.281c-.062-.374-.312-.686-.644-.87a6.52 6.52 0 0 1-.22-.127c-.325-.196-.72-.257-1.076-.124l-1.217.456a1.125 1.125 0 0 1-1.369-.49l-1.297-2.247a1.125 1.125 0 0 1 .26-1.431l1.004-.827c.292-.24.437-.613.43-.991a6.932 6.932 0 0 1 0-.255c.007-.38-.138-.751-.43-.992l-1.004-.827a1.125 1.125 0 0 1-.26-1.43l1.297-2.247a1.125 1.125 0 0 1 1.37-.491l1.216.456c.356.133.751.072 1.076-.124.072-.044.146-.086.22-.128.332-.183.582-.495.644-.869l.214-1.28Z M15 12a3 3 0 1 1-6 0 3 3 0 0 1 6 0Z",
    ),
];

#[component]
pub fn AppShell() -> impl IntoView {
    let session: SessionResource = Resource::new(|| (), |_| get_session_info());
    provide_context(session);
    view! {
        <div class="lg:flex lg:min-h-screen">
            // The dark column runs the page's full height; its content stays in view.
            <aside class="hidden bg-slate-900 lg:block lg:w-64 lg:flex-none">
                <div class="lg:sticky lg:top-0 lg:flex lg:h-screen lg:flex-col">
                    <Logo/>
                    <nav aria-label="Main" class="flex-1 space-y-1 px-3 py-4">
                        <NavLinks/>
                        <SandboxNavLink session/>
                    </nav>
                    <UserBox session/>
                </div>
            </aside>
            <div class="min-w-0 flex-1">
                <MobileHeader session/>
                <main class="mx-auto max-w-7xl px-4 py-8 sm:px-6 lg:px-8">
                    <Transition fallback=|| ()>
                        {move || session.get().map(|result| match result {
                            Ok(SessionInfo { user: None, .. }) | Err(crate::error::AppError::Unauthenticated) => {
                                view! { <Redirect path="/login"/> }.into_any()
                            }
                            _ => ().into_any(),
                        })}
                    </Transition>
                    <crate::pages::senders::SenderAlerts/>
                    <Outlet/>
                </main>
            </div>
        </div>
    }
}

#[component]
fn Logo() -> impl IntoView {
    view! {
        <a href="/" class="flex items-center gap-2 px-5 py-5 text-white">
            <span class="grid h-8 w-8 place-items-center rounded-lg bg-indigo-500 font-bold">"O"</span>
            <span class="text-lg font-semibold tracking-tight">"Outreach"</span>
        </a>
    }
}

#[component]
fn NavLinks() -> impl IntoView {
    NAV.iter()
        .map(|(href, label, icon)| {
            view! {
                <A
                    href=*href
                    exact=*href == "/"
                    attr:class="group flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium text-slate-300 \
                                hover:bg-slate-800 hover:text-white aria-[current=page]:bg-slate-800 \
                                aria-[current=page]:text-white"
                >
                    <svg class="h-5 w-5 flex-none" fill="none" viewBox="0 0 24 24" stroke-width="1.5" stroke="currentColor" aria-hidden="true">
                        <path stroke-linecap="round" stroke-linejoin="round" d=*icon/>
                    </svg>
                    {*label}
                </A>
            }
        })
        .collect_view()
}

/// In sandbox mode: the simulator's mailboxes and what recipients received.
#[component]
fn SandboxNavLink(session: SessionResource) -> impl IntoView {
    view! {
        <Transition fallback=|| ()>
            {move || session.get().and_then(Result::ok).filter(|info| info.sandbox).map(|_| view! {
                <A
                    href="/sandbox"
                    attr:class="group flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium text-amber-200 \
                                hover:bg-slate-800 hover:text-white aria-[current=page]:bg-slate-800 \
                                aria-[current=page]:text-white"
                >
                    <svg class="h-5 w-5 flex-none" fill="none" viewBox="0 0 24 24" stroke-width="1.5" stroke="currentColor" aria-hidden="true">
                        <path stroke-linecap="round" stroke-linejoin="round" d="M2.25 13.5h3.86a2.25 2.25 0 0 1 2.012 1.244l.256.512a2.25 2.25 0 0 0 2.013 1.244h3.218a2.25 2.25 0 0 0 2.013-1.244l.256-.512a2.25 2.25 0 0 1 2.013-1.244h3.859M2.25 13.5V18a2.25 2.25 0 0 0 2.25 2.25h15A2.25 2.25 0 0 0 21.75 18v-4.5M2.25 13.5 4.5 4.5h15l2.25 9"/>
                    </svg>
                    "Sandbox mail"
                </A>
            })}
        </Transition>
    }
}

#[component]
fn UserBox(session: SessionResource) -> impl IntoView {
    use server_fn::ServerFn;
    view! {
        <div class="border-t border-slate-800 px-4 py-4">
            <Transition fallback=|| ()>
                {move || session.get().and_then(Result::ok).and_then(|info| info.user.map(|user| {
                    view! {
                        <div class="mb-3 min-w-0">
                            <p class="truncate text-sm font-medium text-white" data-testid="signed-in-user">{user.name.clone()}</p>
                            <p class="truncate text-xs text-slate-400">{user.email.clone()}</p>
                            <p class="truncate text-xs text-slate-400">
                                {info.team_name.clone()} " · " {user.role.as_str()}
                            </p>
                        </div>
                    }
                }))}
            </Transition>
            // A plain form: the server function signs out and sends the browser to /login.
            <form method="post" action=SignOut::url()>
                <button type="submit" class="w-full rounded-md bg-slate-800 px-3 py-1.5 text-sm text-slate-200 hover:bg-slate-700">
                    "Sign out"
                </button>
            </form>
        </div>
    }
}

/// Small screens: a bar with a menu that opens without JavaScript (`<details>`).
#[component]
fn MobileHeader(session: SessionResource) -> impl IntoView {
    view! {
        <details class="group border-b border-slate-200 bg-slate-900 lg:hidden">
            <summary class="flex cursor-pointer list-none items-center justify-between pr-4">
                <Logo/>
                <span class="rounded-md px-2 py-1 text-sm text-slate-300 ring-1 ring-slate-700">"Menu"</span>
            </summary>
            <nav aria-label="Main (mobile)" class="space-y-1 px-3 pb-3">
                <NavLinks/>
                <SandboxNavLink session/>
            </nav>
            <UserBox session/>
        </details>
    }
}
