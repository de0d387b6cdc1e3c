//! Signing in and out, first-run setup, and the checks every server function starts with.

use engine::model::User;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// What every page needs to know about the visitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user: Option<User>,
    pub team_name: Option<String>,
    /// True when no Google credentials are configured: the built-in simulator answers.
    pub sandbox: bool,
}

#[server(output = crate::codec::Json)]
pub async fn get_session_info() -> Result<SessionInfo, AppError> {
    let state = expect_context::<crate::state::AppState>();
    let user = ssr::signed_in_user().await?;
    let team_name = match &user {
        Some(user) => Some(engine::team::get_team(&state.pool, user.team_id).await?.name),
        None => None,
    };
    Ok(SessionInfo { user, team_name, sandbox: state.config.is_sandbox() })
}

/// First-run setup: creates the team and its first admin, then signs them in.
#[server(output = crate::codec::Json)]
pub async fn first_run_setup(
    team_name: String,
    postal_address: String,
    name: String,
    email: String,
    password: String,
    password_confirmation: String,
) -> Result<(), AppError> {
    use engine::auth::Password;
    use engine::model::Role;
    use engine::team::{NewTeam, NewUser};

    let state = expect_context::<crate::state::AppState>();
    if password != password_confirmation {
        return Err(AppError::Invalid {
            field: Some("password_confirmation".into()),
            message: "the two passwords differ".into(),
        });
    }
    let password = Password::parse(&password)?;
    let (_, admin) = engine::team::first_run_setup(
        &state.pool,
        NewTeam { team_name, postal_address },
        NewUser { email, name, role: Role::Admin, password },
    )
    .await?;
    let session = ssr::session().await?;
    crate::session::start(&state.pool, &session, &admin).await?;
    tracing::info!(user_id = %admin.id, team_id = %admin.team_id, "first-run setup completed");
    leptos_axum::redirect("/");
    Ok(())
}

#[server(output = crate::codec::Json)]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let state = expect_context::<crate::state::AppState>();
    let client_ip = ssr::client_ip().await;
    let user = engine::auth::sign_in(&state.pool, &email, &password, &client_ip).await?;
    let session = ssr::session().await?;
    crate::session::start(&state.pool, &session, &user).await?;
    tracing::info!(user_id = %user.id, "signed in");
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

#[server(output = crate::codec::Json)]
pub async fn sign_out() -> Result<(), AppError> {
    let session = ssr::session().await?;
    crate::session::end(&session).await?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Only same-site paths are followed after sign-in (no open redirect to another host).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::net::SocketAddr;

    use axum::extract::ConnectInfo;
    use engine::model::User;
    use leptos::prelude::*;
    use tower_sessions::Session;

    use crate::error::AppError;
    use crate::state::AppState;

    pub async fn session() -> Result<Session, AppError> {
        leptos_axum::extract::<Session>()
            .await
            .map_err(|e| AppError::Internal(format!("session unavailable: {e}")))
    }

    pub async fn signed_in_user() -> Result<Option<User>, AppError> {
        let state = expect_context::<AppState>();
        let session = session().await?;
        Ok(crate::session::signed_in_user(&state.pool, &session).await?)
    }

    /// The signed-in user, or `Unauthenticated`. Every server function that reads or
    /// changes team data starts here (server functions are public endpoints).
    pub async fn require_user() -> Result<(AppState, User), AppError> {
        let state = expect_context::<AppState>();
        let user = signed_in_user().await?.ok_or(AppError::Unauthenticated)?;
        Ok((state, user))
    }

    pub async fn require_admin() -> Result<(AppState, User), AppError> {
        let (state, user) = require_user().await?;
        if !user.is_admin() {
            return Err(AppError::Forbidden("Only team admins can do this.".into()));
        }
        Ok((state, user))
    }

    /// The peer address of the connection (not a forwarded header, which anyone can set).
    pub async fn client_ip() -> String {
        leptos_axum::extract::<ConnectInfo<SocketAddr>>()
            .await
            .map(|ConnectInfo(addr)| addr.ip().to_string())
            .unwrap_or_else(|_| "unknown".into())
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/campaigns?x=1")), "/campaigns?x=1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
