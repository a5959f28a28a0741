//! Turn kube-rs errors into one line a user can act on, and carry the hint (what to check or
//! run next) beside the message rather than inside it, so `cli/` decides how to show it and
//! JSON output can give it its own field.

/// A Kubernetes request that failed, with what the user can act on in the variant.
#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    /// The API server refused the request; its message names the object and the rule.
    #[error("Kubernetes API error ({code}{}): {message}", if reason.is_empty() { String::new() } else { format!(" {reason}") })]
    Api {
        code: u16,
        reason: String,
        message: String,
    },
    /// The API server did not answer (connect, TLS, dropped connection): `causes` is the chain
    /// below kube's wrapper on one line.
    #[error("cannot reach the Kubernetes API server ({causes})")]
    Unreachable { causes: String },
    /// Anything else kube-rs reports (a body that does not decode, a bad request built).
    #[error("Kubernetes request failed: {0}")]
    Request(String),
}

impl KubeError {
    /// What to check next, shown after the message.
    pub fn hint(&self) -> Option<String> {
        match self {
            KubeError::Unreachable { .. } => Some(
                "check the cluster is up and the kubeconfig-path / kube-context properties \
                 (berth scheduler-k3s:set --global ...)"
                    .to_owned(),
            ),
            _ => None,
        }
    }
}

impl From<kube::Error> for KubeError {
    fn from(err: kube::Error) -> KubeError {
        match &err {
            kube::Error::Api(status) => KubeError::Api {
                code: status.code,
                reason: status.reason.clone(),
                message: status.message.clone(),
            },
            kube::Error::HyperError(_) | kube::Error::Service(_) => KubeError::Unreachable {
                causes: causes(&err),
            },
            _ => KubeError::Request(err.to_string()),
        }
    }
}

/// A message and its hint, for a layer that rewords an error but must keep its hint.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Hinted {
    pub message: String,
    pub hint: Option<String>,
}

/// The hint of `err`: the outermost one its chain carries.
pub fn hint_of(err: &anyhow::Error) -> Option<String> {
    err.chain().find_map(|e| {
        if let Some(k) = e.downcast_ref::<KubeError>() {
            k.hint()
        } else if let Some(h) = e.downcast_ref::<Hinted>() {
            h.hint.clone()
        } else if let Some(f) = e.downcast_ref::<super::deploy::DeployFailed>() {
            f.hint.clone()
        } else {
            None
        }
    })
}

/// `err` as one line with its hint appended (`message; hint`): for a message that embeds
/// another error (a rollback that also failed).
pub fn with_hint(err: &anyhow::Error) -> String {
    match hint_of(err) {
        Some(hint) => format!("{err:#}; {hint}"),
        None => format!("{err:#}"),
    }
}

/// One-line description of a kube error. Connection failures say which properties choose the
/// cluster (as the hint); API errors keep the server's message.
pub fn describe(err: kube::Error) -> anyhow::Error {
    KubeError::from(err).into()
}

/// True when `err` is an API 404.
pub fn is_not_found(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(s) if s.code == 404)
}

/// The causes of `err` on one line (`a: b: c`), skipping repeats: what actually went wrong below
/// kube's own wrapper ("client error (Connect): tcp connect error: Connection refused").
pub fn causes(err: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut src = err.source();
    while let Some(s) = src {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        src = s.source();
    }
    if parts.is_empty() {
        parts.push(err.to_string());
    }
    parts.join(": ").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn hints_travel_beside_the_message_through_contexts() {
        let unreachable = KubeError::Unreachable {
            causes: "tcp connect error: Connection refused".into(),
        };
        assert_eq!(
            unreachable.to_string(),
            "cannot reach the Kubernetes API server (tcp connect error: Connection refused)"
        );
        let err = Err::<(), _>(unreachable)
            .context("creating job a-run-1")
            .unwrap_err();
        let hint = hint_of(&err).expect("the unreachable hint");
        assert!(hint.starts_with("check the cluster is up"), "{hint}");
        assert_eq!(
            with_hint(&err),
            format!(
                "creating job a-run-1: cannot reach the Kubernetes API server (tcp connect error: Connection refused); {hint}"
            )
        );
        let api = anyhow::Error::new(KubeError::Api {
            code: 422,
            reason: "Invalid".into(),
            message: "Deployment.apps \"x\" is invalid".into(),
        });
        assert_eq!(hint_of(&api), None);
        assert_eq!(
            with_hint(&api),
            "Kubernetes API error (422 Invalid): Deployment.apps \"x\" is invalid"
        );
        let reworded = anyhow::Error::new(Hinted {
            message: "restarting failed".into(),
            hint: Some("next: `berth logs a`".into()),
        });
        assert_eq!(
            with_hint(&reworded),
            "restarting failed; next: `berth logs a`"
        );
    }
}
