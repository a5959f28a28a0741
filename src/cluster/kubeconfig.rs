//! `show-kubeconfig`: the cluster's kubeconfig for another machine, its loopback server address
//! replaced by the server IP.

use std::net::IpAddr;

use anyhow::{Result, anyhow, bail};

use super::k3s::parse_ip;
use super::state;
use crate::store::Store;

/// The kubeconfig at `kubeconfig-path` with every loopback server address replaced by
/// `server_ip` (the flag, else the recorded server IP), as YAML for another machine. Returns the
/// text and whether anything was rewritten.
pub fn kubeconfig_for_export(store: &Store, server_ip: Option<IpAddr>) -> Result<(String, bool)> {
    let props = store.scheduler_k3s_properties(None)?;
    let path = props.kubeconfig_path();
    let text = match crate::input::read_text(std::path::Path::new(path), crate::input::KUBECONFIG) {
        Ok(t) => t,
        Err(crate::input::InputError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            bail!("Kubeconfig file does not exist: {path}")
        }
        Err(e) => bail!("{e}"),
    };
    let ip = server_ip.or_else(|| {
        state::read(store)
            .ok()
            .and_then(|r| r.server_ip)
            .and_then(|s| parse_ip(&s))
    });
    let Some(ip) = ip else {
        return Ok((text, false));
    };
    let (rewritten, changed) = rewrite_kubeconfig_servers(&text, ip)
        .map_err(|e| anyhow!("kubeconfig {path} is not valid YAML: {e}"))?;
    Ok((rewritten, changed))
}

/// Pure: replace loopback hosts in `clusters[].cluster.server` with `ip`.
pub fn rewrite_kubeconfig_servers(text: &str, ip: IpAddr) -> Result<(String, bool)> {
    let mut doc: serde_json::Value = serde_saphyr::from_str(text)?;
    let mut changed = false;
    if let Some(clusters) = doc.get_mut("clusters").and_then(|c| c.as_array_mut()) {
        for c in clusters {
            let Some(server) = c.pointer_mut("/cluster/server") else {
                continue;
            };
            let Some(s) = server.as_str() else { continue };
            let Ok(mut url) = url::Url::parse(s) else {
                continue;
            };
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d == "localhost",
                Some(url::Host::Ipv4(a)) => a.is_loopback() || a.is_unspecified(),
                Some(url::Host::Ipv6(a)) => a.is_loopback() || a.is_unspecified(),
                None => false,
            };
            if loopback && url.set_ip_host(ip).is_ok() {
                *server = serde_json::Value::String(url.to_string().trim_end_matches('/').into());
                changed = true;
            }
        }
    }
    Ok((serde_saphyr::to_string(&doc)?, changed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeconfig_loopback_servers_are_rewritten() {
        let text = "apiVersion: v1\nkind: Config\nclusters:\n- name: default\n  cluster:\n    certificate-authority-data: QUJD\n    server: https://127.0.0.1:6443\n- name: other\n  cluster:\n    server: https://k8s.example.com:6443\ncontexts: []\nusers:\n- name: default\n  user:\n    token: abc\n";
        let (out, changed) = rewrite_kubeconfig_servers(text, "10.0.0.5".parse().unwrap()).unwrap();
        assert!(changed);
        assert!(out.contains("server: https://10.0.0.5:6443"), "{out}");
        assert!(out.contains("https://k8s.example.com:6443"));
        assert!(out.contains("certificate-authority-data: QUJD"));
        let (out6, _) = rewrite_kubeconfig_servers(text, "fd00::5".parse().unwrap()).unwrap();
        assert!(out6.contains("https://[fd00::5]:6443"), "{out6}");
    }
}
