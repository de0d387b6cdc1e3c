//! Web sign-in state kept in the PostgreSQL-backed session (tower-sessions): which user,
//! and the password epoch the session was created in.

use engine::model::User;
use sqlx::PgPool;
use tower_sessions::Session;
use uuid::Uuid;

const USER_ID: &str = "user_id";
const EPOCH: &str = "epoch";

/// The signed-in user, or `None` (never signed in, signed out, removed, password reset).
pub async fn signed_in_user(
    pool: &PgPool,
    session: &Session,
) -> Result<Option<User>, engine::Error> {
    let user_id: Option<Uuid> = session.get(USER_ID).await.map_err(session_error)?;
    let epoch: Option<i32> = session.get(EPOCH).await.map_err(session_error)?;
    match (user_id, epoch) {
        (Some(user_id), Some(epoch)) => engine::team::user_for_session(pool, user_id, epoch).await,
        _ => Ok(None),
    }
}

/// Starts a signed-in session under a new id (an id an attacker planted before sign-in is
/// worthless afterwards).
pub async fn start(pool: &PgPool, session: &Session, user: &User) -> Result<(), engine::Error> {
    let epoch = engine::team::session_epoch(pool, user.id).await?;
    session.cycle_id().await.map_err(session_error)?;
    session.insert(USER_ID, user.id).await.map_err(session_error)?;
    session.insert(EPOCH, epoch).await.map_err(session_error)?;
    Ok(())
}

pub async fn end(session: &Session) -> Result<(), engine::Error> {
    session.flush().await.map_err(session_error)
}

fn session_error(error: tower_sessions::session::Error) -> engine::Error {
    engine::Error::internal(format!("session store: {error}"))
}
