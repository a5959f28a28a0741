//! The one error every model validator returns: a single line naming the bad value and what is
//! allowed, ready to be printed as ` !     <message>`.

use super::names::NameError;

/// A user-supplied value failed validation. The message is one line and names the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

impl InvalidValue {
    pub fn new(msg: impl Into<String>) -> Self {
        InvalidValue(msg.into())
    }
}

impl From<NameError> for InvalidValue {
    fn from(e: NameError) -> Self {
        InvalidValue(e.0)
    }
}

/// Shorthand used by validators.
pub type Valid<T> = Result<T, InvalidValue>;

/// Quote a user value for an error message: Rust debug quoting keeps control characters visible
/// and the message on one line.
pub(crate) fn q(s: &str) -> String {
    format!("{s:?}")
}
