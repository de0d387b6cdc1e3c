//! Which page a visitor may see before the page renders: everything leads to `/setup` until
//! the first admin exists, and to `/login` until one signs in. (Server functions check
//! authorization themselves; this only decides page navigation.)

use app::state::AppState;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

pub async fn page_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if !matches!(*request.method(), Method::GET | Method::HEAD) || path.starts_with("/api/") {
        return next.run(request).await;
    }
    let setup_needed = match state.setup_needed().await {
        Ok(needed) => needed,
        Err(error) => {
            tracing::error!(%error, "could not check whether setup is needed");
            return next.run(request).await;
        }
    };
    if setup_needed {
        return if path == "/setup" {
            next.run(request).await
        } else {
            Redirect::to("/setup").into_response()
        };
    }
    let signed_in = match request.extensions().get::<Session>() {
        Some(session) => {
            matches!(app::session::signed_in_user(&state.pool, session).await, Ok(Some(_)))
        }
        None => false,
    };
    match (path.as_str(), signed_in) {
        ("/setup" | "/login", true) => Redirect::to("/").into_response(),
        ("/setup", false) => Redirect::to("/login").into_response(),
        ("/login", false) => next.run(request).await,
        (_, false) => {
            let target = request.uri().path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
            let next_param: String = url_encode(target);
            Redirect::to(&format!("/login?next={next_param}")).into_response()
        }
        (_, true) => next.run(request).await,
    }
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
