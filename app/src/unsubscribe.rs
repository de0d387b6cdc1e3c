//! `/u/{token}`: the one-click unsubscribe URL every message carries (RFC 8058). Mail
//! providers POST `List-Unsubscribe=One-Click` to it without cookies; people who click the
//! link get a confirmation page whose button posts the same. A GET never changes anything, so
//! link scanners are harmless; the signed token is the only authority (no session, no CSRF
//! token: the request comes from outside the app).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use engine::template::push_html_escaped;

use crate::state::AppState;

/// The RFC 8058 body, also what the confirmation page's button posts.
const ONE_CLICK: (&str, &str) = ("List-Unsubscribe", "One-Click");

pub fn routes() -> Router<AppState> {
    Router::new().route("/u/{token}", get(confirmation_page).post(unsubscribe))
}

/// Shows whom the link is for and a button; changes nothing.
async fn confirmation_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match engine::unsubscribe::recipient(&state.pool, &state.secret_key, &token).await {
        Ok(Some(recipient)) if recipient.suppressed => {
            page(StatusCode::OK, "You are unsubscribed", &done_text(&recipient.email), None)
        }
        Ok(Some(recipient)) => {
            let mut text = String::from("Stop all further emails to ");
            push_html_escaped(&mut text, &recipient.email);
            text.push_str(" from this sender?");
            page(StatusCode::OK, "Unsubscribe", &text, Some("Unsubscribe"))
        }
        Ok(None) => invalid_link(),
        Err(error) => failed(error),
    }
}

/// One-click (or the page's button): suppresses the address at once. Idempotent.
async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_one_click(&headers, &body) {
        return page(
            StatusCode::BAD_REQUEST,
            "Nothing was changed",
            "This request did not ask to unsubscribe (it lacks <code>List-Unsubscribe=One-Click</code>). \
             Open the link in your browser and press the button.",
            None,
        );
    }
    let now = state.google.oauth.now();
    match engine::unsubscribe::confirm(&state.pool, &state.secret_key, &token, now).await {
        Ok(Some(recipient)) => {
            page(StatusCode::OK, "You are unsubscribed", &done_text(&recipient.email), None)
        }
        Ok(None) => invalid_link(),
        Err(error) => failed(error),
    }
}

/// `List-Unsubscribe=One-Click`, form-encoded (Google's example) or as a multipart field.
fn is_one_click(headers: &HeaderMap, body: &[u8]) -> bool {
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if content_type.to_ascii_lowercase().starts_with("multipart/form-data") {
        let text = String::from_utf8_lossy(body);
        return text.contains(&format!("name=\"{}\"", ONE_CLICK.0)) && text.contains(ONE_CLICK.1);
    }
    url::form_urlencoded::parse(body)
        .any(|(name, value)| name == ONE_CLICK.0 && value == ONE_CLICK.1)
}

fn done_text(email: &str) -> String {
    let mut text = String::new();
    push_html_escaped(&mut text, email);
    text.push_str(" will not receive any more emails from this sender.");
    text
}

fn invalid_link() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "This unsubscribe link is not valid",
        "The link may be incomplete or damaged. Nothing was changed. \
         To stop these emails, reply to one of them with \"unsubscribe\".",
        None,
    )
}

fn failed(error: engine::Error) -> Response {
    tracing::error!(%error, "unsubscribe failed");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Your request could not be handled right now. Please try again in a few minutes.",
        None,
    )
}

/// A small standalone page. `text_html` must already be escaped; `button` adds the form that
/// posts the one-click body to the same URL.
fn page(status: StatusCode, title: &str, text_html: &str, button: Option<&str>) -> Response {
    let form = button
        .map(|label| {
            format!(
                r#"<form method="post"><input type="hidden" name="{}" value="{}"><button type="submit">{label}</button></form>"#,
                ONE_CLICK.0, ONE_CLICK.1
            )
        })
        .unwrap_or_default();
    let html = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#0f172a}}button{{background:#0f172a;color:#fff;border:0;border-radius:.375rem;padding:.6rem 1.2rem;font-size:1rem;cursor:pointer}}</style></head>
<body><h1>{title}</h1><p>{text_html}</p>{form}</body></html>"#
    );
    (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn only_the_one_click_body_unsubscribes() {
        let form = HeaderMap::new();
        assert!(is_one_click(&form, b"List-Unsubscribe=One-Click"));
        assert!(is_one_click(&form, b"a=b&List-Unsubscribe=One-Click"));
        assert!(!is_one_click(&form, b""));
        assert!(!is_one_click(&form, b"List-Unsubscribe=Other"));
        let mut multipart = HeaderMap::new();
        multipart.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("multipart/form-data; boundary=x"),
        );
        let body = b"--x\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--x--\r\n";
        assert!(is_one_click(&multipart, body));
    }
}
