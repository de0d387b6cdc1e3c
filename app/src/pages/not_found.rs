//! The friendly 404 page (with a real 404 status when rendered on the server).

use leptos::prelude::*;

use crate::components::ui::ErrorPanel;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <ErrorPanel code="404" title="Page not found".to_string()
            message="The page you asked for does not exist, or it belongs to another team.".to_string()/>
    }
}
