//! The WASM entry point: makes the islands of the server-rendered page interactive.
//!
//! Only the components marked `#[island]` in `app` are compiled in and hydrated; everything
//! else on a page is plain server-rendered HTML (links and forms that work without WASM).

// The release build lays out the islands' view types here; the step editor's nest deeper
// than the default limit of 128 ("queries overflow the depth limit").
#![recursion_limit = "256"]

// Links every island's hydration function (exported with `wasm_bindgen`) into the bundle.
#[allow(unused_imports)]
pub use app::*;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    // A server function that answers with a redirect (sign-in, sign-out, a new campaign) loads
    // the new page: there is no client-side router in islands mode.
    _ = leptos::server_fn::redirect::set_redirect_hook(|location: &str| {
        _ = leptos::prelude::window().location().set_href(location);
    });
}
