//! Forms that post to a server function without leaving the page.
//!
//! A form here is a plain `<form method="post" action=Fn::url()>`: before hydration (or
//! without WASM) the browser posts it and the server function sends the browser back. After
//! hydration, [`FormPost`] sends the same fields with `fetch` and keeps the answer. Unlike a
//! `ServerAction`, it never turns the fields into the function's typed input, so the browser
//! bundle holds one copy of this code for all forms instead of a copy per server function.

use leptos::prelude::*;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// The state of a form's submissions: whether one is on its way, how many succeeded, and the
/// last answer (the server function's output as JSON, or its error).
#[derive(Clone, Copy)]
pub struct FormPost {
    // Written only by a submission, which only the browser sends.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pending: RwSignal<bool>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    version: RwSignal<usize>,
    last: RwSignal<Option<Result<String, AppError>>>,
    // Made once here, not at each call: views read these inside closures that run again and
    // again, and a signal made in such a run belongs to it.
    pending_now: Signal<bool>,
    version_now: Signal<usize>,
    error_now: Signal<Option<AppError>>,
    succeeded_now: Signal<bool>,
}

impl Default for FormPost {
    fn default() -> Self {
        Self::new()
    }
}

impl FormPost {
    pub fn new() -> Self {
        let pending = RwSignal::new(false);
        let version = RwSignal::new(0);
        let last = RwSignal::new(None::<Result<String, AppError>>);
        // `try_`: a page whose stream the browser dropped may still draw a part after its
        // signals were disposed (leptos-rs/leptos#3595); then these read as nothing.
        Self {
            pending,
            version,
            last,
            pending_now: Signal::derive(move || pending.try_get().unwrap_or(false)),
            version_now: Signal::derive(move || version.try_get().unwrap_or(0)),
            error_now: Signal::derive(move || last.try_with(|l| l.clone()?.err()).flatten()),
            succeeded_now: Signal::derive(move || {
                last.try_with(|l| matches!(l, Some(Ok(_)))) == Some(true)
            }),
        }
    }

    /// True while a submission waits for its answer.
    pub fn pending(self) -> Signal<bool> {
        self.pending_now
    }

    /// The number of submissions that succeeded; follow it to load what they changed.
    pub fn version(self) -> Signal<usize> {
        self.version_now
    }

    /// The error of the last submission, if it failed.
    pub fn error(self) -> Signal<Option<AppError>> {
        self.error_now
    }

    /// True when the last submission succeeded.
    pub fn succeeded(self) -> Signal<bool> {
        self.succeeded_now
    }

    /// The output of the last submission, when it succeeded.
    pub fn answer<T: DeserializeOwned>(self) -> Option<T> {
        self.result().and_then(Result::ok)
    }

    /// The last submission's output read as `T` (which may name only the fields it needs),
    /// or its error; `None` before the first answer.
    pub fn result<T: DeserializeOwned>(self) -> Option<Result<T, AppError>> {
        self.last
            .try_with(|last| {
                last.as_ref().map(|answer| match answer {
                    Ok(json) => serde_json::from_str(json)
                        .map_err(|e| AppError::Transport(format!("Unexpected answer: {e}"))),
                    Err(e) => Err(e.clone()),
                })
            })
            .flatten()
    }

    /// For `on:submit`: sends the submitted form instead of letting the browser post it.
    pub fn on_submit(self) -> impl Fn(leptos::ev::SubmitEvent) + Copy + 'static {
        move |event| {
            if let Some(form) = submitted_form(&event) {
                event.prevent_default();
                self.send(form);
            }
        }
    }

    /// For `on:submit` around a server-drawn part: sends a form in it that carries the
    /// attribute `marker`; other forms are left alone.
    pub fn on_marked_submit(
        self,
        marker: &'static str,
    ) -> impl Fn(leptos::ev::SubmitEvent) + Copy + 'static {
        move |event| {
            if let Some(form) = submitted_form(&event).filter(|form| form.has_attribute(marker)) {
                event.prevent_default();
                self.send(form);
            }
        }
    }

    /// Posts `form`'s fields to its `action` and keeps the answer.
    pub fn send(self, form: web_sys::HtmlFormElement) {
        #[cfg(feature = "hydrate")]
        self.send_body(form.action(), Body::Fields(form));
        #[cfg(not(feature = "hydrate"))]
        let _ = form;
    }

    /// Posts `input` as JSON to the server function at `url` (one declared with
    /// `input = Json`), for forms whose fields the island assembles itself.
    pub fn send_json<T: serde::Serialize>(self, url: &str, input: &T) {
        #[cfg(feature = "hydrate")]
        match serde_json::to_string(input) {
            Ok(json) => self.send_body(url.to_string(), Body::Json(json)),
            Err(e) => self.last.set(Some(Err(AppError::Transport(e.to_string())))),
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (url, input);
    }

    #[cfg(feature = "hydrate")]
    fn send_body(self, url: String, body: Body) {
        self.pending.set(true);
        let form = match &body {
            Body::Fields(form) => Some(form.clone()),
            Body::Json(_) => None,
        };
        if let Some(form) = &form {
            set_busy(form, true);
        }
        leptos::task::spawn_local(async move {
            let answer = match post(&url, body).await {
                Ok(Answer::Output(json)) => Ok(json),
                Ok(Answer::Redirect(location)) => {
                    // The server function sends the browser on (signed in, set up): the form
                    // stays pending while the next page loads.
                    let _ = window().location().set_href(&location);
                    return;
                }
                Err(e) => Err(e),
            };
            let succeeded = answer.is_ok();
            if let Some(form) = form {
                set_busy(&form, false);
                show_problems(&form, answer.as_ref().err());
            }
            self.last.set(Some(answer));
            self.pending.set(false);
            if succeeded {
                self.version.update(|n| *n += 1);
            }
        });
    }
}

#[cfg(feature = "hydrate")]
enum Body {
    /// A form's fields, URL-encoded as a browser posts them.
    Fields(web_sys::HtmlFormElement),
    Json(String),
}

#[cfg(feature = "hydrate")]
enum Answer {
    /// The server function's output, as JSON.
    Output(String),
    /// Where the server function sends the browser.
    Redirect(String),
}

/// While a form's submission is on its way, the form is `aria-busy` and its buttons are
/// disabled, so a second click sends nothing (forms drawn by the server have no signal to
/// follow).
#[cfg(feature = "hydrate")]
fn set_busy(form: &web_sys::HtmlFormElement, busy: bool) {
    use wasm_bindgen::JsCast;
    let _ = form.set_attribute("aria-busy", if busy { "true" } else { "false" });
    let Ok(buttons) = form.query_selector_all("button[type=submit]") else { return };
    for index in 0..buttons.length() {
        if let Some(button) =
            buttons.item(index).and_then(|node| node.dyn_into::<web_sys::Element>().ok())
        {
            let _ = match busy {
                true => button.set_attribute("disabled", ""),
                false => button.remove_attribute("disabled"),
            };
        }
    }
}

/// A form drawn by the server has its own places for problems, hidden until there is one: an
/// element with `data-problem=""` shows an error that belongs to no field, one with
/// `data-problem="name"` the error about the field `name`. Each answer replaces what they show.
#[cfg(feature = "hydrate")]
fn show_problems(form: &web_sys::HtmlFormElement, error: Option<&AppError>) {
    use wasm_bindgen::JsCast;
    let Ok(places) = form.query_selector_all("[data-problem]") else { return };
    for index in 0..places.length() {
        let Some(place) =
            places.item(index).and_then(|node| node.dyn_into::<web_sys::Element>().ok())
        else {
            continue;
        };
        let field = place.get_attribute("data-problem").unwrap_or_default();
        let message = error.and_then(|error| match field.as_str() {
            "" => error.is_general().then(|| error.to_string()),
            field => error.for_field(field),
        });
        place.set_text_content(message.as_deref());
        let _ = match message {
            Some(_) => place.remove_attribute("hidden"),
            None => place.set_attribute("hidden", ""),
        };
    }
}

fn submitted_form(event: &leptos::ev::SubmitEvent) -> Option<web_sys::HtmlFormElement> {
    let target = event.target()?;
    wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlFormElement>(target).ok()
}

/// Posts `body` to the server function at `url`, asking for JSON (a server function
/// redirects a request that asks for HTML back to the page it came from).
#[cfg(feature = "hydrate")]
async fn post(url: &str, body: Body) -> Result<Answer, AppError> {
    let unreachable =
        |detail: String| AppError::Transport(format!("Could not reach the server: {detail}"));
    let request = gloo_net::http::Request::post(url).header("accept", "application/json");
    let request = match body {
        Body::Fields(form) => {
            let fields = web_sys::FormData::new_with_form(&form)
                .and_then(|data| web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data))
                .map_err(|e| unreachable(format!("{e:?}")))?;
            request.body(fields)
        }
        Body::Json(json) => request.header("content-type", "application/json").body(json),
    };
    let response = request
        .map_err(|e| unreachable(e.to_string()))?
        .send()
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let redirect = response.headers().get(server_fn::redirect::REDIRECT_HEADER).is_some();
    if let (true, Some(location)) = (redirect, response.headers().get("location")) {
        return Ok(Answer::Redirect(location));
    }
    let text = response.text().await.map_err(|e| unreachable(e.to_string()))?;
    if response.ok() {
        Ok(Answer::Output(text))
    } else {
        Err(serde_json::from_str(&text).unwrap_or_else(|_| {
            AppError::Transport(format!("The server answered {}.", response.status()))
        }))
    }
}
