//! Turn kube-rs errors into one line a user can act on.

use anyhow::anyhow;

/// One-line description of a kube error. Connection failures say which properties choose the
/// cluster; API errors keep the server's message (it names the object and the rule).
pub fn describe(err: kube::Error) -> anyhow::Error {
    match &err {
        kube::Error::Api(status) => anyhow!(
            "Kubernetes API error ({}{}): {}",
            status.code,
            if status.reason.is_empty() {
                String::new()
            } else {
                format!(" {}", status.reason)
            },
            status.message
        ),
        kube::Error::HyperError(_) | kube::Error::Service(_) => {
            // The source chain holds the useful part (connection refused, DNS, TLS).
            let mut msg = err.to_string();
            let mut src = std::error::Error::source(&err);
            while let Some(s) = src {
                let text = s.to_string();
                if !msg.contains(&text) {
                    msg = format!("{msg}: {text}");
                }
                src = s.source();
            }
            anyhow!(
                "cannot reach the Kubernetes API server ({msg}); check the cluster is up and the \
                 kubeconfig-path / kube-context properties (berth scheduler-k3s:set --global ...)"
            )
        }
        _ => anyhow!("Kubernetes request failed: {err}"),
    }
}

/// True when `err` is an API 404.
pub fn is_not_found(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(s) if s.code == 404)
}
