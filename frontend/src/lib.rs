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
    // A form's server function that answers with a redirect (sign-in, set-up) loads the new
    // page through `FormPost`: there is no client-side router in islands mode.
    leptos::mount::hydrate_islands();
}
