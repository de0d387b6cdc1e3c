//! `/login`: email and password, with the rate-limit and wrong-password messages inline.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use server_fn::ServerFn;

use crate::auth::SignIn;
use crate::components::form_post::FormPost;
use crate::components::forms::{FormError, SubmitButton, TextField, field_error};

#[component]
pub fn LoginPage() -> impl IntoView {
    let next = use_query_map().read_untracked().get("next").unwrap_or_default();
    view! {
        <AuthFrame title="Sign in to Outreach" subtitle="Personal outreach from your team's Gmail accounts.">
            <LoginForm next/>
        </AuthFrame>
    }
}

/// `next`: where to go once signed in.
#[island]
fn LoginForm(next: String) -> impl IntoView {
    let sign_in = FormPost::new();
    let error = sign_in.error();
    view! {
            <form method="post" action=SignIn::url() on:submit=sign_in.on_submit() class="space-y-5" data-testid="login-form">
                <input type="hidden" name="next" value=next/>
                <FormError error/>
                <TextField label="Email" name="email" input_type="email" autocomplete="username" required=true autofocus=true
                    error=field_error(error, "email")/>
                <TextField label="Password" name="password" input_type="password" autocomplete="current-password" required=true
                    error=field_error(error, "password")/>
                <SubmitButton label="Sign in" pending=sign_in.pending()/>
            </form>
    }
}

/// The centered card used by sign-in and first-run setup.
#[component]
pub fn AuthFrame(title: &'static str, subtitle: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="flex min-h-[80vh] flex-col items-center justify-center px-4 py-12">
            <div class="mb-8 flex items-center gap-2">
                <span class="grid h-10 w-10 place-items-center rounded-xl bg-indigo-600 text-lg font-bold text-white">"O"</span>
                <span class="text-2xl font-semibold tracking-tight text-slate-900">"Outreach"</span>
            </div>
            <div class="w-full max-w-md rounded-2xl border border-slate-200 bg-white p-8 shadow-sm">
                <h1 class="text-xl font-semibold text-slate-900">{title}</h1>
                <p class="mb-6 mt-1 text-sm text-slate-500">{subtitle}</p>
                {children()}
            </div>
        </div>
    }
}
