//! The HTTP surface: Leptos pages and server functions, the REST API, health checks, static
//! files — and the layers around them (request ids and logs, CSRF, security headers, compressed
//! assets).

// Applied in release builds only (see `router`).
#[cfg_attr(debug_assertions, allow(dead_code))]
mod assets;
mod csrf;
mod guard;
mod health;
mod request_log;
mod sandbox;
mod server_fn_status;
pub mod session_store;

use app::state::AppState;
use axum::Router;
use axum::middleware;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;

pub use request_log::redact_path;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "outreach_session";

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let context_state = state.clone();
    let shell_options = state.leptos_options.clone();
    let pages = Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            move || leptos::prelude::provide_context(context_state.clone()),
            move || app::shell(shell_options.clone()),
        )
        .route_layer(middleware::from_fn_with_state(state.clone(), guard::page_guard))
        // A page shows the moment it was rendered: the back button must fetch it again (a
        // cached copy would show a lead as it was before a click changed it), and a page of
        // private data stays in no cache.
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        ));
    let fallback_state = state.clone();
    let mut router = Router::new()
        .merge(pages)
        .merge(app::api::router())
        .merge(app::pages::senders::connect::routes())
        .merge(health::router())
        .merge(app::unsubscribe::routes())
        .route("/suppressions/export.csv", axum::routing::get(app::downloads::suppressions_csv))
        .route("/events", axum::routing::get(app::live::page_events));
    if let Some(sim) = &state.google.sandbox {
        router = router.nest_service(engine::config::SANDBOX_PREFIX, sandbox::routes(sim));
    }
    let router = router
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            move || leptos::prelude::provide_context(fallback_state.clone()),
            app::shell,
        ))
        .layer(middleware::from_fn(server_fn_status::fitting_status))
        .layer(middleware::from_fn(csrf::reject_cross_site_writes));
    // Release builds only: gzipping a debug build's 17 MB bundle on every load takes longer
    // than sending it to a browser on the same machine.
    #[cfg(not(debug_assertions))]
    let router = router.layer(assets::compression());
    router.with_state(state)
}

/// Layers around everything: a request id on every request and response, one log line per
/// request, and headers that keep pages out of frames and types from being sniffed.
pub fn with_common_layers(router: Router) -> Router {
    use axum::http::{HeaderName, HeaderValue, header};
    let x_request_id = HeaderName::from_static("x-request-id");
    router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(x_request_id.clone(), MakeRequestUuid))
            .layer(request_log::layer())
            .layer(PropagateRequestIdLayer::new(x_request_id))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static("DENY"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            )),
    )
}
