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

/// The candidate a typo most likely meant (`deploy-timout` → `deploy-timeout`), when one is close
/// (Jaro-Winkler, the measure clap uses for its own suggestions).
pub fn closest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(typed, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Dokku's unknown-property line (`Invalid property specified, valid properties include: …`),
/// naming what was typed and the closest valid property.
pub fn invalid_property(valid: &[&str], got: &str) -> InvalidValue {
    let hint = match closest(got, valid.iter().copied()) {
        Some(c) => format!("; did you mean `{c}`?"),
        None => String::new(),
    };
    InvalidValue(format!(
        "Invalid property specified, valid properties include: {}; got {}{hint}",
        valid.join(", "),
        q(got)
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn unknown_properties_get_the_closest_valid_one() {
        let valid = ["deploy-timeout", "namespace", "rollback-on-failure"];
        assert_eq!(
            super::invalid_property(&valid, "deploy-timout").0,
            "Invalid property specified, valid properties include: deploy-timeout, namespace, rollback-on-failure; got \"deploy-timout\"; did you mean `deploy-timeout`?"
        );
        assert!(
            !super::invalid_property(&valid, "colour")
                .0
                .contains("did you mean")
        );
    }
}
