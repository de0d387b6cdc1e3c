//! The engine's one error type. Each variant says what failed and for which input; the web
//! layers map variants to HTTP statuses without looking at messages.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing does not exist *in the caller's team* (other teams' ids look the same).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Input that breaks a rule; `field` names the input when there is one.
    #[error("{message}")]
    Invalid { field: Option<String>, message: String },
    /// The request conflicts with the current state (duplicate, wrong state for the action).
    #[error("{0}")]
    Conflict(String),
    /// Input is well-formed but cannot be processed (e.g. a campaign with lint problems).
    #[error("{0}")]
    Unprocessable(String),
    #[error("sign-in required")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{message}")]
    RateLimited { message: String, retry_after: Duration },
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("{0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<sqlx::Error> for Error {
    /// Text PostgreSQL cannot store (a NUL character, in `text` or in JSON) is the input's
    /// fault, not ours: a 400, and the statement — and its transaction — wrote nothing.
    fn from(error: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &error
            && matches!(db.code().as_deref(), Some("22021" | "22P05"))
        {
            return Error::Invalid {
                field: None,
                message: "text cannot contain the NUL character (\\u0000)".into(),
            };
        }
        Error::Database(error)
    }
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid { field: Some(field.into()), message: message.into() }
    }

    pub fn internal(context: impl std::fmt::Display) -> Self {
        Error::Internal(context.to_string())
    }

    /// True when the database rejected a write because of the named unique/check constraint.
    pub fn violates(&self, constraint: &str) -> bool {
        match self {
            Error::Database(sqlx::Error::Database(db)) => db.constraint() == Some(constraint),
            _ => false,
        }
    }
}
