//! The two full-page steps of connecting a Gmail account from the browser, plain axum routes
//! because both are navigations rather than server-function calls:
//! - `POST /senders/connect` (the "Connect Gmail" and "Reconnect" forms): 303 to the consent
//!   page, the flow bound to the admin's session;
//! - `GET /senders/oauth/callback` (where Google sends the browser back): 303 to `/senders`
//!   for flows started here, a short page for flows started through the REST API, and a page
//!   saying what went wrong otherwise — nothing is stored then.

use axum::Router;
use axum::extract::{Form, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use engine::google::CALLBACK_PATH;
use engine::senders::{ConnectFailure, begin_connect, complete_connect};
use leptos::prelude::*;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/senders/connect", post(start)).route(CALLBACK_PATH, get(callback))
}

#[derive(Deserialize)]
struct StartForm {
    /// Set by "Reconnect".
    #[serde(default)]
    sender_id: Option<String>,
}

async fn start(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<StartForm>,
) -> Response {
    let user = match crate::session::signed_in_user(&state.pool, &session).await {
        Ok(Some(user)) => user,
        Ok(None) => return Redirect::to("/login?next=/senders").into_response(),
        Err(error) => return internal(&state, error),
    };
    if !user.is_admin() {
        return page(
            &state,
            StatusCode::FORBIDDEN,
            "Admins only",
            "Only team admins can connect sender accounts. Ask an admin of your team.".into(),
        );
    }
    let reconnect = match form.sender_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => match text.parse::<Uuid>() {
            Ok(id) => Some(id),
            Err(_) => {
                return page(
                    &state,
                    StatusCode::BAD_REQUEST,
                    "Not found",
                    "No such sender account.".into(),
                );
            }
        },
    };
    match begin_connect(&state.pool, &state.secret_key, &state.google.oauth, &user, reconnect, true)
        .await
    {
        Ok(url) => Redirect::to(url.as_str()).into_response(),
        Err(engine::Error::NotFound(_)) => {
            page(&state, StatusCode::NOT_FOUND, "Not found", "No such sender account.".into())
        }
        Err(error) => internal(&state, error),
    }
}

async fn callback(
    State(state): State<AppState>,
    session: Session,
    RawQuery(query): RawQuery,
) -> Response {
    let session_user = match crate::session::signed_in_user(&state.pool, &session).await {
        Ok(user) => user.map(|u| u.id),
        Err(error) => return internal(&state, error),
    };
    let google = state.google.clone();
    let guess_kind = move |email: &str| google.guess_kind(email);
    let outcome = complete_connect(
        &state.pool,
        &state.secret_key,
        &state.google.oauth,
        query.as_deref().unwrap_or_default(),
        session_user,
        &guess_kind,
    )
    .await;
    match outcome {
        Ok(connected) if connected.bound_to_session => {
            let email: String =
                url::form_urlencoded::byte_serialize(connected.email.as_bytes()).collect();
            Redirect::to(&format!("/senders?connected={email}")).into_response()
        }
        Ok(connected) => page(
            &state,
            StatusCode::OK,
            "Gmail account connected",
            format!(
                "{} is connected{}. You can close this tab.",
                connected.email,
                if connected.tracking {
                    ""
                } else {
                    " (sending only: reply tracking and labels are off)"
                }
            ),
        ),
        Err(failure) => {
            tracing::warn!(code = failure.code(), "connecting a Gmail account failed");
            if let ConnectFailure::Engine(error) = &failure {
                tracing::error!(%error, "connecting a Gmail account failed on our side");
            }
            page(&state, failure_status(&failure), failure.title(), failure.to_string())
        }
    }
}

fn failure_status(failure: &ConnectFailure) -> StatusCode {
    match failure {
        ConnectFailure::WrongSession | ConnectFailure::NotAdmin => StatusCode::FORBIDDEN,
        ConnectFailure::Google(_) => StatusCode::BAD_GATEWAY,
        ConnectFailure::Engine(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

fn internal(state: &AppState, error: engine::Error) -> Response {
    tracing::error!(%error, "connecting a Gmail account failed on our side");
    page(
        state,
        StatusCode::INTERNAL_SERVER_ERROR,
        "Could not connect",
        "Something went wrong on our side. Nothing was connected; try again.".into(),
    )
}

/// A small page of its own: the callback may be opened by someone not signed in to Outreach
/// (a consent URL from the REST API). Everything in it is escaped by the view.
fn page(state: &AppState, status: StatusCode, title: &'static str, message: String) -> Response {
    let options = &state.leptos_options;
    let stylesheet = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    let ok = status.is_success();
    let html = Owner::new().with(|| {
        view! {
            <html lang="en" class="h-full bg-slate-50">
                <head>
                    <meta charset="utf-8"/>
                    <meta name="viewport" content="width=device-width, initial-scale=1"/>
                    <title>{format!("{title} · Outreach")}</title>
                    <link rel="stylesheet" href=stylesheet/>
                </head>
                <body class="h-full text-slate-900 antialiased">
                    <main class="mx-auto max-w-lg px-6 py-16 text-center">
                        <p class=if ok { "text-sm font-semibold text-emerald-600" } else { "text-sm font-semibold text-rose-600" }>
                            {if ok { "Connected" } else { "Not connected" }}
                        </p>
                        <h1 class="mt-2 text-2xl font-semibold tracking-tight">{title}</h1>
                        <p class="mt-3 text-sm text-slate-600" data-testid="connect-result">{message}</p>
                        <a href="/senders" class="mt-6 inline-flex rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white hover:bg-indigo-500">
                            "Go to Sender accounts"
                        </a>
                    </main>
                </body>
            </html>
        }
        .to_html()
    });
    (status, Html(format!("<!DOCTYPE html>{html}"))).into_response()
}
