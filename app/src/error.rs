//! The error every server function returns: it crosses the wire as JSON, so the browser can
//! show a field's problem next to that field, and it never carries database text.

use crate::codec::JsonText;
use serde::{Deserialize, Serialize};
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in.")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found.")]
    NotFound(String),
    /// A problem with the input; `field` names the form field it belongs to.
    #[error("{message}")]
    Invalid { field: Option<String>, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    RateLimited(String),
    /// Something went wrong on our side; details are in the server log, not here.
    #[error("Something went wrong on our side ({0}). Please try again.")]
    Internal(String),
    /// The request never reached the server function (network, encoding).
    #[error("{0}")]
    Transport(String),
}

impl AppError {
    /// The message for `field`, when this error is about that field.
    pub fn for_field(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid { field: Some(f), message } if f == field => Some(message.clone()),
            _ => None,
        }
    }

    /// True when the error belongs to no particular field (shown above the form).
    pub fn is_general(&self) -> bool {
        !matches!(self, AppError::Invalid { field: Some(_), .. })
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonText;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(detail) => {
                AppError::Transport(format!("Could not reach the server: {detail}"))
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<engine::Error> for AppError {
    fn from(error: engine::Error) -> Self {
        use engine::Error as E;
        match error {
            E::NotFound(what) => AppError::NotFound(capitalize(what)),
            E::Invalid { field, message } => AppError::Invalid { field, message },
            E::Conflict(message) | E::Unprocessable(message) => AppError::Conflict(message),
            E::Unauthenticated => AppError::Unauthenticated,
            E::Forbidden(message) => AppError::Forbidden(message),
            E::RateLimited { message, .. } => AppError::RateLimited(message),
            E::Database(_) | E::Internal(_) => {
                let reference = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
                tracing::error!(error = %error, reference = %reference, "server function failed");
                AppError::Internal(format!("reference {reference}"))
            }
        }
    }
}

#[cfg(feature = "ssr")]
fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
