//! What an ops function can fail with: the error of the layer that refused, unchanged, so the CLI
//! prints exactly that layer's one line (and a caller can still tell which layer it was).

use crate::model::InvalidValue;
use crate::model::app_json::AppJsonError;
use crate::model::names::NameError;
use crate::store::{PropertyError, StoreError};

/// An ops failure. `Display` is the one line the user sees.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Property(#[from] PropertyError),
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    #[error(transparent)]
    Name(#[from] NameError),
    #[error(transparent)]
    AppJson(#[from] AppJsonError),
    /// A file argument could not be read, or is not a regular file of a sane size.
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
    /// A file argument was read but is not valid.
    #[error("{}: {message}", path.display())]
    BadFile {
        path: std::path::PathBuf,
        message: String,
    },
    /// `deploy --image` is not an image reference.
    #[error("Invalid image {image:?}: {reason}")]
    Image { image: String, reason: String },
    /// The stored inputs do not make a release (one line naming the input and the rule).
    #[error(transparent)]
    Release(#[from] super::release_inputs::Error),
    /// A cluster step failed; the chain of causes is shown on one line.
    #[error("{0:#}")]
    Cluster(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// What to check or run next, when the failing layer said (shown after the message).
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Cluster(e) => crate::kube::errors::hint_of(e),
            _ => None,
        }
    }

    /// The message with its hint appended, for a message that embeds this one.
    pub fn with_hint(&self) -> String {
        match self.hint() {
            Some(hint) => format!("{self}; {hint}"),
            None => self.to_string(),
        }
    }
}

/// The hint an error chain carries (see [`Error::hint`]), for the CLI's own anyhow errors.
pub fn hint_of(e: &anyhow::Error) -> Option<String> {
    crate::kube::errors::hint_of(e)
}
