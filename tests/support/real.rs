//! The real node of the local cluster (`scripts/test-cluster up` as root): where its registries
//! and its Traefik ingress are, namespaces whose pods run there, and HTTP through the ingress.
//!
//! - [`RealNode::from_env`]`()` — the env-file values; panics with the reason when the cluster has
//!   no real node (not root, or `--no-real-node`), never skipping silently.
//! - [`RealNode::image`]`("testapp:1")` — `registry.berth.test/testapp:1` (testenv/images).
//! - [`TestNamespace::create_real`]`(&client, "prefix")` — a fresh namespace made by
//!   `scripts/test-cluster real-namespace`: its pods land on the real node, nothing else differs.
//! - [`http_get`]`(addr, host, path)` — one HTTP/1.1 GET with that Host header: (status, body).
//! - [`RealNode::get`] / [`RealNode::wait_http`] — the same through the ingress, and a bounded
//!   wait until the answer satisfies a predicate (HTTP has no watch: this polls, at most `timeout`).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use kube::Client;

use super::TestNamespace;

/// The real node's services, from the env file `scripts/test-cluster up` wrote.
pub struct RealNode {
    pub node: String,
    pub registry: String,
    pub private_registry: String,
    pub private_user: String,
    pub private_password_file: PathBuf,
    pub ingress_http: SocketAddr,
    pub ingress_https: SocketAddr,
    pub cluster_script: PathBuf,
}

fn var(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => {
            let why = std::env::var("BERTH_TEST_NO_REAL_NODE").unwrap_or_else(|_| {
                "the env file has no real-node entries (was the cluster started by scripts/test-cluster up?)".into()
            });
            panic!(
                "this test needs the real node of the local cluster, and there is none: {why}. \
                 Run the suite as root with `scripts/test` (it starts containerd + kubelet + Traefik \
                 beside the control plane); {name} is unset"
            )
        }
    }
}

impl RealNode {
    pub fn from_env() -> RealNode {
        let addr = |name: &str| -> SocketAddr {
            let v = var(name);
            v.parse()
                .unwrap_or_else(|e| panic!("{name}={v} is not host:port: {e}"))
        };
        RealNode {
            node: var("BERTH_TEST_REAL_NODE"),
            registry: var("BERTH_TEST_REGISTRY"),
            private_registry: var("BERTH_TEST_PRIVATE_REGISTRY"),
            private_user: var("BERTH_TEST_PRIVATE_REGISTRY_USER"),
            private_password_file: var("BERTH_TEST_PRIVATE_REGISTRY_PASSWORD_FILE").into(),
            ingress_http: addr("BERTH_TEST_INGRESS_HTTP"),
            ingress_https: addr("BERTH_TEST_INGRESS_HTTPS"),
            cluster_script: var("BERTH_TEST_CLUSTER_SCRIPT").into(),
        }
    }

    /// `<registry>/<name>`, e.g. `image("testapp:2")`.
    pub fn image(&self, name: &str) -> String {
        format!("{}/{name}", self.registry)
    }

    pub fn private_password(&self) -> String {
        std::fs::read_to_string(&self.private_password_file)
            .unwrap_or_else(|e| panic!("{}: {e}", self.private_password_file.display()))
            .trim()
            .to_owned()
    }

    /// GET `path` through the ingress with `Host: host`.
    pub fn get(&self, host: &str, path: &str) -> std::io::Result<(u16, String)> {
        http_get(self.ingress_http, host, path)
    }

    /// Polls GET `path` through the ingress until `accept(status, body)` holds; panics naming
    /// `what` and the last answer after `timeout`. Returns the accepted body.
    pub fn wait_http(
        &self,
        host: &str,
        path: &str,
        timeout: Duration,
        what: &str,
        accept: impl Fn(u16, &str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match self.get(host, path) {
                Ok((status, body)) if accept(status, &body) => return body,
                Ok((status, body)) => format!("HTTP {status}: {}", body.trim()),
                Err(e) => format!("error: {e}"),
            };
            if Instant::now() >= deadline {
                panic!(
                    "{what}: not reached within {timeout:?} for http://{host}{path} (last: {last})"
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

/// One HTTP/1.1 GET to `addr` with `Host: host`, `Connection: close`; (status, body).
pub fn http_get(addr: SocketAddr, host: &str, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: berth-e2e\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("no status line in {head:?}"),
            )
        })?;
    let chunked = head
        .lines()
        .any(|l| l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Ok((status, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

impl TestNamespace {
    /// A fresh namespace whose pods run on the real node, made with
    /// `scripts/test-cluster real-namespace` (the PodNodeSelector / PodTolerationRestriction
    /// annotations), then labelled like every test namespace.
    pub async fn create_real(client: &Client, prefix: &str) -> TestNamespace {
        let real = RealNode::from_env();
        let name = format!("{prefix}-{:08x}", rand::random::<u32>());
        let out = Command::new(&real.cluster_script)
            .args(["real-namespace", &name])
            .output()
            .expect("running scripts/test-cluster real-namespace");
        assert!(
            out.status.success(),
            "scripts/test-cluster real-namespace {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        TestNamespace::adopt(client, name).await
    }
}
