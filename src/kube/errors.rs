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
        kube::Error::HyperError(_) | kube::Error::Service(_) => anyhow!(
            "cannot reach the Kubernetes API server ({}); check the cluster is up and the \
             kubeconfig-path / kube-context properties (berth scheduler-k3s:set --global ...)",
            causes(&err)
        ),
        _ => anyhow!("Kubernetes request failed: {err}"),
    }
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
