//! The one helper module of berth's integration tests (`mod support;` at the top of a
//! `tests/*.rs` file): this file for the test cluster and berth homes, `cli` for the no-cluster
//! CLI tests, `objects` for hand-built objects, `render` for the example apps, `real` and `e2e`
//! for the real node's journeys.
//!
//! Tests that need Kubernetes talk to the REAL local control plane started by
//! `scripts/test-cluster up` (etcd + kube-apiserver + controller-manager + scheduler + kwok). Its
//! kubeconfig is read from `BERTH_TEST_KUBECONFIG` only — never from `KUBECONFIG` or `~/.kube`, so
//! a developer's real cluster cannot be hit. When the variable is unset or the API server does not
//! answer, the helpers panic with a message saying how to start it: tests never skip silently.
//! `scripts/test` sets the variable; by hand: `set -a; . "$(scripts/test-cluster env-file)"; set +a`.
//!
//! API:
//! - [`client`]`().await -> kube::Client` — client for the test control plane (checks that it answers).
//! - [`kubeconfig_path`]`() -> PathBuf` — the test kubeconfig (for `berth scheduler-k3s:set --global
//!   kubeconfig-path <path>` or kubectl).
//! - [`TestNamespace::create`]`(&client, "prefix").await` — a fresh random namespace
//!   (`prefix-xxxxxxxx`, labelled `berth.test/namespace=true`) whose `default` ServiceAccount exists.
//!   `.name()`, `.api::<K>()`; end the test with `.cleanup().await`; if the test panics first, `Drop`
//!   still deletes the namespace. Every test gets its own namespace, so test binaries running in
//!   parallel share one control plane safely.
//! - [`wait_for`]`(api, name, condition, timeout, "what").await -> K` — watch (no sleep-polling)
//!   until `condition` holds for the object, panic naming `what` on timeout.
//! - [`wait_for_all`]`(api, "app=web", |objects| ..., timeout, "what").await -> Vec<K>` — the
//!   same for every object matching a label selector.
//! - [`cleanup_blocking`]`(|client| async move { ... })` — for `Drop` guards of other things a test
//!   creates (e.g. cluster-scoped objects): runs the async cleanup on a fresh runtime and client.
//! - [`BerthEnv::new`]`()` — a temporary `BERTH_HOME`; `.cmd()` gives an `assert_cmd::Command` for
//!   the `berth` binary with `BERTH_HOME` set, `KUBECONFIG` removed and `BERTH_TEST_KUBECONFIG`
//!   passed through; `.std_cmd()` the same as `std::process::Command`; `.use_test_cluster()` runs
//!   `berth scheduler-k3s:set --global kubeconfig-path <test kubeconfig>`.
//! - [`kwok_log_fixture`]`()` — the log lines kwok serves for every simulated container.
//!
//! What the simulated cluster does (see `testenv/README.md`): scheduled pods become Ready at once,
//! Job pods succeed, deleted pods vanish; a pod labelled `berth.test/never-ready=true` stays not
//! Ready (crash loop), a Job pod labelled `berth.test/fail=true` fails; `kubectl logs` returns
//! [`kwok_log_fixture`], `kubectl exec` runs the command on the test host in a scratch dir.
#![allow(dead_code)] // each test binary uses a different subset of these helpers

pub mod cli;
pub mod e2e;
pub mod k3s;
pub mod objects;
pub mod real;
pub mod render;
#[path = "../../testenv/sshd/harness.rs"]
pub mod sshd;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use futures::TryStreamExt;
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::api::{DeleteParams, ObjectMeta, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::wait::{Condition, await_condition};
use kube::runtime::watcher::{self, watcher};
use kube::{Api, Client, Config, Resource, ResourceExt};
use serde::de::DeserializeOwned;

/// The environment variable naming the test control plane's kubeconfig.
pub const KUBECONFIG_ENV: &str = "BERTH_TEST_KUBECONFIG";

/// Label put on every namespace a test creates (`kubectl delete ns -l berth.test/namespace=true`
/// removes leftovers of killed test runs).
pub const NAMESPACE_LABEL: &str = "berth.test/namespace";

const HOW_TO_START: &str = "start the local control plane with `scripts/test-cluster up` and load \
     its env file (`set -a; . \"$(scripts/test-cluster env-file)\"; set +a`), or run everything \
     with `scripts/test`";

/// The test control plane's kubeconfig path, from `BERTH_TEST_KUBECONFIG`. Panics when unset.
pub fn kubeconfig_path() -> PathBuf {
    match std::env::var_os(KUBECONFIG_ENV) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => panic!(
            "{KUBECONFIG_ENV} is not set, so this test has no Kubernetes to talk to: {HOW_TO_START}"
        ),
    }
}

/// A kube client for the test control plane. Panics with instructions when `BERTH_TEST_KUBECONFIG`
/// is unset, unreadable, or its API server does not answer within 10 s.
pub async fn client() -> Client {
    let path = kubeconfig_path();
    client_for(&path).await
}

async fn client_for(path: &Path) -> Client {
    let kubeconfig = Kubeconfig::read_from(path).unwrap_or_else(|e| {
        panic!(
            "{KUBECONFIG_ENV}={} cannot be read as a kubeconfig ({e}): {HOW_TO_START}",
            path.display()
        )
    });
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| {
            panic!(
                "{KUBECONFIG_ENV}={} is not a usable kubeconfig: {e}",
                path.display()
            )
        });
    let url = config.cluster_url.clone();
    let client = Client::try_from(config).unwrap_or_else(|e| {
        panic!(
            "cannot build a client for {url} from {}: {e}",
            path.display()
        )
    });
    match tokio::time::timeout(Duration::from_secs(10), client.apiserver_version()).await {
        Ok(Ok(_)) => client,
        Ok(Err(e)) => panic!(
            "the test control plane at {url} ({KUBECONFIG_ENV}={}) does not answer: {e}; is it up? \
             (`scripts/test-cluster status`) — {HOW_TO_START}",
            path.display()
        ),
        Err(_) => panic!(
            "the test control plane at {url} ({KUBECONFIG_ENV}={}) did not answer within 10s; is it up? \
             (`scripts/test-cluster status`) — {HOW_TO_START}",
            path.display()
        ),
    }
}

/// Watches the object until `condition` holds and returns it; panics naming `what` after `timeout`.
pub async fn wait_for<K>(
    api: Api<K>,
    name: &str,
    condition: impl Condition<K>,
    timeout: Duration,
    what: &str,
) -> K
where
    K: Clone + Debug + Send + DeserializeOwned + Resource + 'static,
{
    match tokio::time::timeout(timeout, await_condition(api, name, condition)).await {
        Ok(Ok(Some(object))) => object,
        Ok(Ok(None)) => panic!("{what}: {name} was deleted while waiting"),
        Ok(Err(e)) => panic!("{what}: watching {name} failed: {e}"),
        Err(_) => panic!("{what}: not reached within {timeout:?} for {name}"),
    }
}

/// Watches the objects matching `label_selector` until `condition` holds for the whole set (by
/// name) and returns that set; panics naming `what` after `timeout`. For "all pods of X are ..."
/// where the object names are not known in advance.
pub async fn wait_for_all<K>(
    api: Api<K>,
    label_selector: &str,
    condition: impl Fn(&[K]) -> bool,
    timeout: Duration,
    what: &str,
) -> Vec<K>
where
    K: Clone + Debug + Send + DeserializeOwned + Resource + 'static,
{
    let config = watcher::Config::default().labels(label_selector);
    let watch = async {
        let mut stream = std::pin::pin!(watcher(api, config));
        let mut objects: BTreeMap<String, K> = BTreeMap::new();
        let mut listing: BTreeMap<String, K> = BTreeMap::new();
        while let Some(event) = stream
            .try_next()
            .await
            .unwrap_or_else(|e| panic!("{what}: watch failed: {e}"))
        {
            match event {
                watcher::Event::Init => listing.clear(),
                watcher::Event::InitApply(object) => {
                    listing.insert(object.name_any(), object);
                    continue;
                }
                watcher::Event::InitDone => objects = std::mem::take(&mut listing),
                watcher::Event::Apply(object) => {
                    objects.insert(object.name_any(), object);
                }
                watcher::Event::Delete(object) => {
                    objects.remove(&object.name_any());
                }
            }
            let current: Vec<K> = objects.values().cloned().collect();
            if condition(&current) {
                return current;
            }
        }
        panic!("{what}: watch ended")
    };
    match tokio::time::timeout(timeout, watch).await {
        Ok(objects) => objects,
        Err(_) => {
            panic!("{what}: not reached within {timeout:?} for objects labelled {label_selector}")
        }
    }
}

/// A namespace that exists for one test. Delete it with [`TestNamespace::cleanup`]; if the test
/// panics before that, `Drop` deletes it on a helper thread.
pub struct TestNamespace {
    name: String,
    client: Client,
    cleaned_up: bool,
}

impl TestNamespace {
    /// Creates `<prefix>-<8 random hex digits>` and waits (≤ 30 s) for its `default`
    /// ServiceAccount, without which pods are rejected by ServiceAccount admission.
    pub async fn create(client: &Client, prefix: &str) -> TestNamespace {
        assert!(
            !prefix.is_empty()
                && prefix.len() <= 50
                && prefix
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && prefix.as_bytes()[0].is_ascii_lowercase(),
            "namespace prefix {prefix:?} must be 1-50 characters of a-z, 0-9 and '-', starting with a letter"
        );
        let name = format!("{prefix}-{:08x}", rand::random::<u32>());
        let namespaces: Api<Namespace> = Api::all(client.clone());
        namespaces
            .create(
                &PostParams::default(),
                &Namespace {
                    metadata: ObjectMeta {
                        name: Some(name.clone()),
                        labels: Some([(NAMESPACE_LABEL.to_string(), "true".to_string())].into()),
                        ..ObjectMeta::default()
                    },
                    ..Namespace::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("creating test namespace {name}: {e}"));
        TestNamespace::adopt(client, name).await
    }

    /// Takes over an existing namespace `name` as a test namespace: labels it
    /// `berth.test/namespace=true` and waits (≤ 30 s) for its `default` ServiceAccount.
    pub async fn adopt(client: &Client, name: String) -> TestNamespace {
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let patch = serde_json::json!({"metadata": {"labels": {NAMESPACE_LABEL: "true"}}});
        namespaces
            .patch(
                &name,
                &kube::api::PatchParams::default(),
                &kube::api::Patch::Merge(&patch),
            )
            .await
            .unwrap_or_else(|e| panic!("labelling test namespace {name}: {e}"));
        let guard = TestNamespace {
            name,
            client: client.clone(),
            cleaned_up: false,
        };
        let service_accounts: Api<ServiceAccount> = guard.api();
        wait_for(
            service_accounts,
            "default",
            |sa: Option<&ServiceAccount>| sa.is_some(),
            Duration::from_secs(30),
            "the namespace's default ServiceAccount (created by kube-controller-manager)",
        )
        .await;
        guard
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// An API handle for a namespaced resource kind in this namespace.
    pub fn api<K>(&self) -> Api<K>
    where
        K: Resource<Scope = NamespaceResourceScope>,
        <K as Resource>::DynamicType: Default,
    {
        Api::namespaced(self.client.clone(), &self.name)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Deletes the namespace (the namespace controller then removes its contents in the background).
    pub async fn cleanup(mut self) {
        self.cleaned_up = true;
        let namespaces: Api<Namespace> = Api::all(self.client.clone());
        match namespaces
            .delete(&self.name, &DeleteParams::background())
            .await
        {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(e) => panic!("deleting test namespace {}: {e}", self.name),
        }
    }
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        if self.cleaned_up {
            return;
        }
        // The test failed (or forgot cleanup): delete from Drop, never panicking here.
        let name = self.name.clone();
        let deleted = cleanup_blocking(move |client| async move {
            let namespaces: Api<Namespace> = Api::all(client);
            namespaces
                .delete(&name, &DeleteParams::background())
                .await
                .map(|_| ())
        });
        if !deleted {
            eprintln!(
                "warning: could not delete test namespace {}; remove leftovers with \
                 `kubectl delete namespace -l {NAMESPACE_LABEL}=true`",
                self.name
            );
        }
    }
}

/// Runs a cleanup from a `Drop` impl: the test's runtime may be shutting down (a panic unwinds
/// through it), so this uses a fresh runtime and a fresh client on a helper thread and waits at
/// most 10 s. Returns whether the cleanup succeeded; never panics.
pub fn cleanup_blocking<F, Fut>(cleanup: F) -> bool
where
    F: FnOnce(Client) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), kube::Error>>,
{
    let Some(path) = std::env::var_os(KUBECONFIG_ENV).map(PathBuf::from) else {
        return false;
    };
    let outcome = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        runtime.block_on(async move {
            let kubeconfig = Kubeconfig::read_from(&path).ok()?;
            let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .ok()?;
            let client = Client::try_from(config).ok()?;
            tokio::time::timeout(Duration::from_secs(10), cleanup(client))
                .await
                .ok()?
                .ok()
        })
    })
    .join();
    matches!(outcome, Ok(Some(())))
}

/// A throwaway `BERTH_HOME` for running the `berth` binary.
pub struct BerthEnv {
    home: tempfile::TempDir,
}

impl BerthEnv {
    pub fn new() -> BerthEnv {
        let home = tempfile::Builder::new()
            .prefix("berth-home-")
            .tempdir()
            .expect("creating a temporary BERTH_HOME");
        BerthEnv { home }
    }

    /// The temporary state directory (removed when the `BerthEnv` is dropped).
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// `berth` with `BERTH_HOME` set to [`BerthEnv::home`]. `KUBECONFIG` is removed so berth cannot
    /// fall back to a developer's cluster; `BERTH_TEST_KUBECONFIG` is passed through when set.
    pub fn cmd(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.std_cmd())
    }

    /// Same as [`BerthEnv::cmd`], as a `std::process::Command`.
    pub fn std_cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_berth"));
        cmd.env("BERTH_HOME", self.home.path())
            .env_remove("KUBECONFIG");
        cmd
    }

    /// Hash of the state directory (see [`cli::state_hash_of`]).
    pub fn state_hash(&self) -> String {
        cli::state_hash_of(self.home.path())
    }

    /// Points this berth home at the test control plane:
    /// `berth scheduler-k3s:set --global kubeconfig-path <BERTH_TEST_KUBECONFIG>`.
    pub fn use_test_cluster(&self) {
        let path = kubeconfig_path();
        self.cmd()
            .args(["scheduler-k3s:set", "--global", "kubeconfig-path"])
            .arg(&path)
            .assert()
            .success();
    }
}

impl Default for BerthEnv {
    fn default() -> Self {
        BerthEnv::new()
    }
}

/// `berth <args>` in `env`.
pub fn run(env: &BerthEnv, args: &[&str]) -> Output {
    env.std_cmd().args(args).output().expect("run berth")
}

/// Runs berth expecting success; returns stdout.
pub fn ok(env: &BerthEnv, args: &[&str]) -> String {
    let out = run(env, args);
    assert!(
        out.status.success(),
        "berth {args:?} failed ({:?}):\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// berth's own error lines (` !     …`) must never carry a secret the state holds; what a
/// container prints (`run`, `logs`) is the app's business and is not scanned.
fn assert_no_stored_secret(env: &BerthEnv, args: &[&str], stderr: &str) {
    let secrets = cli::stored_secrets(env.home());
    for line in stderr.lines().filter(|l| l.starts_with(" !     ")) {
        for secret in &secrets {
            assert!(
                !line.contains(secret.as_str()),
                "berth {args:?} printed the stored secret {secret:?}: {line}"
            );
        }
    }
}

/// Runs berth expecting failure; returns (exit code, stdout + stderr).
pub fn fail_output(env: &BerthEnv, args: &[&str]) -> (i32, String) {
    let out = run(env, args);
    assert_no_stored_secret(env, args, &String::from_utf8_lossy(&out.stderr));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !out.status.success(),
        "berth {args:?} succeeded unexpectedly:\n{text}"
    );
    (out.status.code().unwrap_or(-1), text)
}

/// Writes `text` to `dir/name`; returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// Runs berth expecting failure; returns (exit code, stderr).
pub fn fail(env: &BerthEnv, args: &[&str]) -> (i32, String) {
    let out = run(env, args);
    assert_no_stored_secret(env, args, &String::from_utf8_lossy(&out.stderr));
    assert!(
        !out.status.success(),
        "berth {args:?} succeeded unexpectedly:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The log lines kwok serves for every simulated container (`testenv/kwok/pod.log`, CRI format:
/// `<timestamp> <stream> F <line>`), i.e. what `kubectl logs` / `log_stream` return.
pub fn kwok_log_fixture() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testenv/kwok/pod.log");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines()
        .map(|line| line.splitn(4, ' ').nth(3).unwrap_or_default().to_string())
        .collect()
}
