//! Connecting a Gmail account (OAuth 2.0 web flow): an admin starts it, Google (or the
//! sandbox) asks the account's owner for consent, and the callback creates or reconnects the
//! sender account with encrypted tokens.
//!
//! The `state` is stored server-side as a SHA-256 hash with the admin, the team, the PKCE
//! verifier (encrypted) and an expiry, and is consumed exactly once, so the callback works
//! without a cookie (a consent URL from the REST API may be opened in any browser). A flow
//! started in the web UI is also bound to that admin's browser session.

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::SecretString;
use sqlx::PgPool;
use url::Url;
use uuid::Uuid;

use super::model::{SenderKind, tracking_allowed};
use super::tokens::{Which, seal};
use crate::crypto::{SecretKey, random_token, sha256};
use crate::error::{Error, Result};
use crate::gmail::oauth::{GoogleOAuth, OAuthError, PkceCodeVerifier, TokenSet};
use crate::model::User;

/// How long a consent URL stays good (Google's own codes live 10 minutes once issued).
pub const STATE_LIFETIME: TimeDelta = TimeDelta::minutes(30);

/// Starts connecting a Gmail account for `admin`'s team (or reconnecting `reconnect`, whose
/// address is passed to Google as the login hint). Returns the consent URL to send a person
/// to. `bound_to_session`: the callback must come from the same admin's browser session.
pub async fn begin_connect(
    pool: &PgPool,
    key: &SecretKey,
    oauth: &GoogleOAuth,
    admin: &User,
    reconnect: Option<Uuid>,
    bound_to_session: bool,
) -> Result<Url> {
    if !admin.is_admin() {
        return Err(Error::Forbidden("only team admins can connect sender accounts".into()));
    }
    let login_hint = match reconnect {
        Some(sender_id) => Some(
            sqlx::query_scalar!(
                "SELECT email FROM sender_accounts WHERE team_id = $1 AND id = $2",
                admin.team_id,
                sender_id
            )
            .fetch_optional(pool)
            .await?
            .ok_or(Error::NotFound("sender account"))?,
        ),
        None => None,
    };
    let id = Uuid::new_v4();
    let state = random_token("");
    let (challenge, verifier) = GoogleOAuth::new_pkce();
    let verifier_enc = key.encrypt(verifier.secret().as_bytes(), &verifier_context(id));
    let now = oauth.now();
    sqlx::query!("DELETE FROM oauth_states WHERE expires_at < $1", now - TimeDelta::days(1))
        .execute(pool)
        .await?;
    sqlx::query!(
        "INSERT INTO oauth_states
           (id, team_id, user_id, state_hash, pkce_verifier_enc, sender_id, bound_to_session, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        id,
        admin.team_id,
        admin.id,
        &sha256(state.as_bytes())[..],
        verifier_enc,
        reconnect,
        bound_to_session,
        now,
        now + STATE_LIFETIME
    )
    .execute(pool)
    .await?;
    Ok(oauth.authorize_url(&state, challenge, login_hint.as_deref()))
}

fn verifier_context(state_id: Uuid) -> Vec<u8> {
    format!("oauth_states/{state_id}/pkce_verifier").into_bytes()
}

/// What the callback achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connected {
    pub sender_id: Uuid,
    pub team_id: Uuid,
    pub email: String,
    /// The address was connected before (its settings and grants are kept).
    pub reconnected: bool,
    /// Google granted `gmail.modify`: replies, bounces and labels are tracked.
    pub tracking: bool,
    /// The flow was started in the web UI (send the browser back to the Senders page).
    pub bound_to_session: bool,
}

/// Why a callback connected nothing. Each says, for a person, what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ConnectFailure {
    #[error("This page needs the link Google sends back after consent; it has no state.")]
    MissingState,
    #[error(
        "This sign-in link is not one Outreach handed out. Start again with \"Connect Gmail\"."
    )]
    UnknownState,
    #[error("This sign-in link was already used. Start again with \"Connect Gmail\".")]
    StateAlreadyUsed,
    #[error(
        "This sign-in link expired (links are good for 30 minutes). Start again with \"Connect Gmail\"."
    )]
    StateExpired,
    #[error(
        "Connecting was started by another Outreach user or in another browser. Sign in as the admin who started it, or start again here."
    )]
    WrongSession,
    #[error(
        "Only team admins can connect sender accounts, and the person who started this no longer is one."
    )]
    NotAdmin,
    #[error("The Google account did not grant access ({error}). Nothing was connected.")]
    Denied { error: String },
    #[error(
        "Google refused the authorization code ({description}). Nothing was connected; start again with \"Connect Gmail\"."
    )]
    CodeRejected { description: String },
    #[error(
        "Google did not allow sending email. Connect again and leave \"Send email on your behalf\" ticked."
    )]
    SendScopeMissing,
    #[error(
        "Google did not hand out a refresh token. Remove Outreach under https://myaccount.google.com/permissions, then connect again."
    )]
    NoRefreshToken,
    #[error(
        "You signed in to Google as {got}, but this reconnects {expected}. Nothing was changed."
    )]
    WrongAccount { expected: String, got: String },
    #[error("Google could not be asked: {0}. Nothing was connected; try again.")]
    Google(OAuthError),
    #[error("Something went wrong on our side. Nothing was connected; try again.")]
    Engine(#[from] Error),
}

impl ConnectFailure {
    /// Stable and snake_case, for logs and tests.
    pub fn code(&self) -> &'static str {
        match self {
            ConnectFailure::MissingState => "missing_state",
            ConnectFailure::UnknownState => "unknown_state",
            ConnectFailure::StateAlreadyUsed => "state_already_used",
            ConnectFailure::StateExpired => "state_expired",
            ConnectFailure::WrongSession => "wrong_session",
            ConnectFailure::NotAdmin => "not_admin",
            ConnectFailure::Denied { .. } => "access_denied",
            ConnectFailure::CodeRejected { .. } => "code_rejected",
            ConnectFailure::SendScopeMissing => "send_scope_missing",
            ConnectFailure::NoRefreshToken => "no_refresh_token",
            ConnectFailure::WrongAccount { .. } => "wrong_account",
            ConnectFailure::Google(_) => "google_unavailable",
            ConnectFailure::Engine(_) => "internal",
        }
    }

    /// A heading for the result page.
    pub fn title(&self) -> &'static str {
        match self {
            ConnectFailure::Denied { .. } => "Access was not granted",
            ConnectFailure::WrongSession | ConnectFailure::NotAdmin => "Not allowed",
            ConnectFailure::Google(_) | ConnectFailure::Engine(_) => "Could not connect",
            ConnectFailure::WrongAccount { .. } => "A different Google account",
            _ => "Could not connect the Gmail account",
        }
    }
}

impl From<sqlx::Error> for ConnectFailure {
    fn from(error: sqlx::Error) -> Self {
        ConnectFailure::Engine(error.into())
    }
}

/// A consumed state: who started the flow and how.
struct StartedFlow {
    id: Uuid,
    team_id: Uuid,
    user_id: Uuid,
    pkce_verifier_enc: Vec<u8>,
    sender_id: Option<Uuid>,
    bound_to_session: bool,
    expires_at: DateTime<Utc>,
}

/// Handles Google's redirect to our callback: `query` is its query string, `session_user` the
/// signed-in user of the browser that brought it (if any), `guess_kind` the kind a newly
/// connected address gets. Nothing is stored unless the whole flow succeeds.
pub async fn complete_connect(
    pool: &PgPool,
    key: &SecretKey,
    oauth: &GoogleOAuth,
    query: &str,
    session_user: Option<Uuid>,
    guess_kind: &(dyn Fn(&str) -> SenderKind + Send + Sync),
) -> Result<Connected, ConnectFailure> {
    let state = url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "state")
        .map(|(_, value)| value.into_owned())
        .ok_or(ConnectFailure::MissingState)?;
    let flow = consume_state(pool, &state).await?;
    if flow.expires_at <= oauth.now() {
        return Err(ConnectFailure::StateExpired);
    }
    if flow.bound_to_session && session_user != Some(flow.user_id) {
        return Err(ConnectFailure::WrongSession);
    }
    let admin = match crate::team::get_user(pool, flow.team_id, flow.user_id).await {
        Ok(user) if user.is_admin() => user,
        Ok(_) | Err(Error::NotFound(_)) => return Err(ConnectFailure::NotAdmin),
        Err(error) => return Err(error.into()),
    };
    let redirect = GoogleOAuth::parse_redirect(query).map_err(|error| match error {
        OAuthError::AccessDenied { error } => ConnectFailure::Denied { error },
        other => ConnectFailure::Google(other),
    })?;
    let verifier = key
        .decrypt(&flow.pkce_verifier_enc, &verifier_context(flow.id))
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| Error::internal("the stored PKCE verifier cannot be decrypted"))?;
    let tokens = oauth
        .exchange_code(&redirect.code, PkceCodeVerifier::new(verifier))
        .await
        .map_err(|error| match error {
            OAuthError::InvalidGrant { description } => {
                ConnectFailure::CodeRejected { description }
            }
            other => ConnectFailure::Google(other),
        })?;
    match check_grant(pool, oauth, &flow, &tokens).await {
        Ok(email) => {
            let kind = guess_kind(&email);
            let connected =
                store_connection(pool, key, &flow, &admin, &email, kind, &tokens).await?;
            tracing::info!(sender_id = %connected.sender_id, team_id = %connected.team_id,
                reconnected = connected.reconnected, tracking = connected.tracking,
                "sender account connected");
            Ok(connected)
        }
        Err(failure) => {
            // Leave no live grant behind for an account we do not keep.
            let token = tokens.refresh_token.as_ref().unwrap_or(&tokens.access_token);
            if let Err(error) = oauth.revoke(token).await {
                tracing::warn!(%error, "could not revoke the grant of a refused connection");
            }
            Err(failure)
        }
    }
}

async fn consume_state(pool: &PgPool, state: &str) -> Result<StartedFlow, ConnectFailure> {
    let hash = sha256(state.as_bytes());
    let flow = sqlx::query_as!(
        StartedFlow,
        "UPDATE oauth_states SET used_at = now()
         WHERE state_hash = $1 AND used_at IS NULL
         RETURNING id, team_id, user_id, pkce_verifier_enc, sender_id, bound_to_session, expires_at",
        &hash[..]
    )
    .fetch_optional(pool)
    .await?;
    if let Some(flow) = flow {
        return Ok(flow);
    }
    let known = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM oauth_states WHERE state_hash = $1) AS "exists!""#,
        &hash[..]
    )
    .fetch_one(pool)
    .await?;
    Err(if known { ConnectFailure::StateAlreadyUsed } else { ConnectFailure::UnknownState })
}

/// The connected address, once the grant is one we can keep.
async fn check_grant(
    pool: &PgPool,
    oauth: &GoogleOAuth,
    flow: &StartedFlow,
    tokens: &TokenSet,
) -> Result<String, ConnectFailure> {
    if !tokens.can_send() {
        return Err(ConnectFailure::SendScopeMissing);
    }
    if tokens.refresh_token.is_none() {
        return Err(ConnectFailure::NoRefreshToken);
    }
    let email = oauth.userinfo(&tokens.access_token).await.map_err(ConnectFailure::Google)?;
    let email = email.trim().to_lowercase();
    if let Some(sender_id) = flow.sender_id {
        let expected = sqlx::query_scalar!(
            "SELECT email FROM sender_accounts WHERE team_id = $1 AND id = $2",
            flow.team_id,
            sender_id
        )
        .fetch_optional(pool)
        .await?;
        if let Some(expected) = expected.filter(|expected| *expected != email) {
            return Err(ConnectFailure::WrongAccount { expected, got: email });
        }
    }
    Ok(email)
}

/// Creates the account, or reconnects the team's account with that address: new tokens and
/// scopes, `needs_reauth` and `disconnected` cleared (a running pause stays), settings and
/// access grants kept.
async fn store_connection(
    pool: &PgPool,
    key: &SecretKey,
    flow: &StartedFlow,
    admin: &User,
    email: &str,
    kind: SenderKind,
    tokens: &TokenSet,
) -> Result<Connected, ConnectFailure> {
    let refresh_token: &SecretString =
        tokens.refresh_token.as_ref().ok_or(ConnectFailure::NoRefreshToken)?;
    let mut tx = pool.begin().await?;
    let new_id = Uuid::new_v4();
    sqlx::query!(
        "INSERT INTO sender_accounts (id, team_id, email, kind, connected_by)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT ON CONSTRAINT sender_accounts_team_email_key DO NOTHING",
        new_id,
        flow.team_id,
        email,
        kind.as_str(),
        admin.id
    )
    .execute(&mut *tx)
    .await?;
    let sender_id = sqlx::query_scalar!(
        "SELECT id FROM sender_accounts WHERE team_id = $1 AND email = $2 FOR UPDATE",
        flow.team_id,
        email
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE sender_accounts
         SET access_token_enc = $3, access_token_expires_at = $4, refresh_token_enc = $5,
             granted_scopes = $6, connected_by = $7, token_refresh_lease_until = NULL,
             status = CASE WHEN status = 'paused_until' AND paused_until > now()
                           THEN 'paused_until' ELSE 'active' END,
             status_reason = CASE WHEN status = 'paused_until' AND paused_until > now()
                                  THEN status_reason END,
             paused_until = CASE WHEN status = 'paused_until' AND paused_until > now()
                                 THEN paused_until END,
             updated_at = now()
         WHERE id = $1 AND team_id = $2",
        sender_id,
        flow.team_id,
        seal(key, sender_id, Which::Access, &tokens.access_token),
        tokens.expires_at,
        seal(key, sender_id, Which::Refresh, refresh_token),
        &tokens.granted_scopes,
        admin.id
    )
    .execute(&mut *tx)
    .await?;
    crate::events::notify(&mut *tx, flow.team_id).await?;
    tx.commit().await?;
    Ok(Connected {
        sender_id,
        team_id: flow.team_id,
        email: email.to_owned(),
        reconnected: sender_id != new_id,
        tracking: tracking_allowed(&tokens.granted_scopes),
        bound_to_session: flow.bound_to_session,
    })
}
