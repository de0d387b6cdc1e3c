//! `/setup`: the first-run page that creates the team and its first admin.

use leptos::prelude::*;
use server_fn::ServerFn;

use crate::auth::FirstRunSetup;
use crate::components::form_post::FormPost;
use crate::components::forms::{
    FormError, SubmitButton, TextArea, TextField, field_error, hydration_marker,
};
use crate::pages::login::AuthFrame;

#[component]
pub fn SetupPage() -> impl IntoView {
    view! {
        <AuthFrame title="Welcome! Set up your team" subtitle="Create your team and the first admin account. You can invite your reps afterwards.">
            <SetupForm/>
        </AuthFrame>
    }
}

#[island]
fn SetupForm() -> impl IntoView {
    let setup = FormPost::new();
    let error = setup.error();
    let hydrated = hydration_marker();
    view! {
            <form method="post" action=FirstRunSetup::url() on:submit=setup.on_submit() class="space-y-5" data-testid="setup-form"
                data-hydrated=move || hydrated.get().to_string()>
                <FormError error/>
                <fieldset class="space-y-4">
                    <legend class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Team"</legend>
                    <TextField label="Team name" name="team_name" required=true autofocus=true placeholder="Acme Sales"
                        error=field_error(error, "team_name")/>
                    <TextArea label="Postal address" name="postal_address"
                        hint="Printed in the footer of every email, as anti-spam laws (CAN-SPAM) require."
                        error=field_error(error, "postal_address")/>
                </fieldset>
                <fieldset class="space-y-4">
                    <legend class="text-xs font-semibold uppercase tracking-wide text-slate-500">"Your admin account"</legend>
                    <TextField label="Your name" name="name" autocomplete="name" required=true error=field_error(error, "name")/>
                    <TextField label="Email" name="email" input_type="email" autocomplete="username" required=true
                        error=field_error(error, "email")/>
                    <TextField label="Password" name="password" input_type="password" autocomplete="new-password" required=true
                        hint="At least 10 characters." error=field_error(error, "password")/>
                    <TextField label="Repeat the password" name="password_confirmation" input_type="password"
                        autocomplete="new-password" required=true error=field_error(error, "password_confirmation")/>
                </fieldset>
                <SubmitButton label="Create team and sign in" pending=setup.pending()/>
            </form>
    }
}
