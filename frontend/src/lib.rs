//! The WASM entry point: takes over the server-rendered page so it becomes interactive.

// The release build lays out the whole app's view types here; the step editor's nest deeper
// than the default limit of 128 ("queries overflow the depth limit").
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
