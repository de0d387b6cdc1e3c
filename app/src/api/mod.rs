//! The REST API under `/api/v1`: JSON in and out, bearer-token auth, errors in one format,
//! and an OpenAPI document generated from the handlers themselves (`/api/v1/openapi.json`),
//! so every new endpoint appears in it by being registered here.

mod campaigns;
mod dashboard;
pub mod error;
pub mod extract;
mod leads;
mod me;
mod outbox;
mod senders;
mod suppressions;

use axum::Json;
use axum::routing::{any, get};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;
use error::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(title = "Outreach REST API", version = "1", description = "Everything the Outreach web UI does, for scripts and CRMs. \
        Authenticate with `Authorization: Bearer <API token>` (create tokens under Team & settings, or with `outreach token create`). \
        Errors are `{\"error\": {\"code\": \"snake_case\", \"message\": \"for a person\"}}`."),
    modifiers(&BearerAuth),
    components(schemas(error::ErrorBody, error::ErrorDetail))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("API token")
                    .build(),
            ),
        );
    }
}

/// Every `/api/v1/…` route, with the OpenAPI document at `/api/v1/openapi.json`.
pub fn router() -> axum::Router<AppState> {
    let v1 = OpenApiRouter::new()
        .routes(utoipa_axum::routes!(me::get_me))
        .routes(utoipa_axum::routes!(
            suppressions::list_suppressions,
            suppressions::add_suppression
        ))
        .routes(utoipa_axum::routes!(suppressions::delete_suppression))
        .routes(utoipa_axum::routes!(suppressions::import_suppressions))
        .routes(utoipa_axum::routes!(suppressions::export_suppressions))
        .merge(senders::router())
        .routes(utoipa_axum::routes!(outbox::list_outbox))
        .routes(utoipa_axum::routes!(outbox::get_outbox_message))
        .merge(campaigns::router())
        .merge(leads::router())
        .routes(utoipa_axum::routes!(dashboard::get_dashboard))
        .routes(utoipa_axum::routes!(dashboard::get_events));
    let (routes, openapi) =
        OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", v1).split_for_parts();
    let openapi = std::sync::Arc::new(openapi);
    routes
        .route("/api/v1/openapi.json", get(move || async move { Json(openapi.as_ref().clone()) }))
        .route("/api/v1/{*rest}", any(|| async { ApiError::not_found("no such API endpoint") }))
}
