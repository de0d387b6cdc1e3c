//! Parts of a page that only the server draws, kept up to date by an island: the island asks
//! a server function for the part's new HTML and puts it in place. The browser bundle then
//! holds no code to draw the part or to read its data, only to fetch a string. The part's
//! buttons are plain forms that post to a server function, marked with an attribute; the
//! island sends them with [`FormPost::on_marked_submit`](super::form_post::FormPost), so the
//! page stays.

use leptos::html::Div;
use leptos::prelude::*;

use crate::error::AppError;

/// A server-drawn part as the page first shows it: what `load` returns, drawn by `draw`, or
/// the error that kept it from loading. The island around it draws it again later with
/// [`follow_server_html`].
pub fn server_drawn<T, Fut>(
    load: impl Fn() -> Fut + Send + Sync + 'static,
    draw: impl Fn(T) -> AnyView + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    Fut: Future<Output = Result<T, AppError>> + Send + 'static,
{
    let data = Resource::new(|| (), move |_| load());
    view! {
        <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
            {move || data.get().map(|data| match data {
                Ok(data) => draw(data),
                Err(e) => view! { <p role="alert" class="text-sm text-rose-600">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// Renders a view to HTML on the server, for an island to put in place.
#[cfg(feature = "ssr")]
pub fn render_to_html(view: impl FnOnce() -> AnyView) -> String {
    Owner::new().with(|| view().to_html())
}

/// Each time `version` changes after hydration, calls `render` (a server function that
/// returns HTML) and replaces what `region` holds with its answer. An answer that arrives
/// after the answer to a newer call is dropped; a failed call leaves the part as it was
/// until the next change.
pub fn follow_server_html<Fut>(
    version: Signal<usize>,
    region: NodeRef<Div>,
    render: impl Fn() -> Fut + 'static,
) where
    Fut: Future<Output = Result<String, AppError>> + 'static,
{
    // The work is done by one function for every part; only this boxing is compiled per part.
    follow(version, region, Box::new(move || Box::pin(render())));
}

type Render = Box<dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = Result<String, AppError>>>>>;

fn follow(version: Signal<usize>, region: NodeRef<Div>, render: Render) {
    #[cfg(feature = "hydrate")]
    {
        use std::cell::Cell;
        use std::rc::Rc;

        let render = Rc::new(render);
        let newest = Rc::new(Cell::new(0_usize));
        Effect::new(move |previous: Option<usize>| {
            let current = version.get();
            if previous.is_some_and(|p| p != current) {
                newest.set(current);
                let (render, newest) = (Rc::clone(&render), Rc::clone(&newest));
                leptos::task::spawn_local(async move {
                    let answer = render().await;
                    if let (Ok(html), true) = (answer, newest.get() == current)
                        && let Some(region) = region.get_untracked()
                    {
                        region.set_inner_html(&html);
                    }
                });
            }
            current
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (version, region, render);
}
