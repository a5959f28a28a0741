//! The cluster lifecycle through the `berth` binary, against the real control plane and real
//! OpenSSH servers on 127.0.0.1: `initialize` (local test installer), `cluster-add` (worker and
//! server over SSH), `cluster-list`, `cluster-remove` (cordon, PDB-respecting drain, remote
//! uninstall, delete), `show-kubeconfig` and `uninstall`, plus the refusals.
//!
//! k3s itself is replaced only at the installer boundary (`BERTH_K3S_INSTALLER` =
//! `testenv/k3s/install.sh`): the test installer records its arguments and environment and
//! registers a simulated Node (kwok makes it Ready) tainted `berth.test/isolated` so the pods of
//! other tests never land on it.

mod support;

#[path = "../testenv/sshd/harness.rs"]
mod sshd;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Api, ResourceExt};
use serde_json::json;
use sshd::{SilentHost, TestSshd, UNPRIVILEGED_USER};
use support::{BerthEnv, TestNamespace};

const TOKEN: &str = "berth-test-token-0123456789";

fn testenv(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testenv/k3s")
        .join(file)
}

fn kubectl() -> String {
    std::env::var("BERTH_TEST_KUBECTL").unwrap_or_else(|_| {
        panic!(
            "BERTH_TEST_KUBECTL is not set: load the control plane's env file (scripts/test does)"
        )
    })
}

/// A berth home plus the test installer's settings and record directory.
struct Harness {
    env: BerthEnv,
    dir: tempfile::TempDir,
    ssh_key: Option<PathBuf>,
    known_hosts: Option<PathBuf>,
}

impl Harness {
    fn new() -> Harness {
        let dir = tempfile::Builder::new()
            .prefix("berth-k3s-test-")
            .tempdir_in("/tmp")
            .unwrap();
        std::fs::create_dir(dir.path().join("rec")).unwrap();
        Harness {
            env: BerthEnv::new(),
            dir,
            ssh_key: None,
            known_hosts: None,
        }
    }

    fn record_dir(&self) -> PathBuf {
        self.dir.path().join("rec")
    }

    fn config_dir(&self) -> PathBuf {
        self.dir.path().join("etc-rancher-k3s")
    }

    /// `registries.yaml` written for the global registry logins: its text and file mode.
    fn registries(&self) -> (String, u32) {
        use std::os::unix::fs::PermissionsExt;
        let p = self.config_dir().join("registries.yaml");
        let mode = std::fs::metadata(&p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode();
        (std::fs::read_to_string(&p).unwrap(), mode & 0o777)
    }

    fn k3s_bin(&self) -> PathBuf {
        self.dir.path().join("k3s")
    }

    fn cmd(&self) -> std::process::Command {
        let mut c = self.env.std_cmd();
        c.env("BERTH_K3S_INSTALLER", testenv("install.sh"))
            .env("BERTH_K3S_UNINSTALLER", testenv("k3s-uninstall.sh"))
            .env(
                "BERTH_K3S_AGENT_UNINSTALLER",
                testenv("k3s-agent-uninstall.sh"),
            )
            .env("BERTH_K3S_BIN", self.k3s_bin())
            .env("BERTH_K3S_CONFIG_DIR", self.config_dir())
            .env("BERTH_TEST_K3S_RECORD_DIR", self.record_dir())
            .env("BERTH_TEST_KUBECTL", kubectl())
            .env("BERTH_SSH_CONNECT_TIMEOUT", "3");
        if let Some(k) = &self.ssh_key {
            c.env("BERTH_SSH_KEY", k);
        }
        if let Some(k) = &self.known_hosts {
            c.env("BERTH_SSH_KNOWN_HOSTS", k);
        }
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run berth")
    }

    fn ok(&self, args: &[&str]) -> (String, String) {
        let out = self.run(args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            out.status.success(),
            "berth {args:?} failed:\n{stderr}\n{stdout}"
        );
        (stdout, stderr)
    }

    /// Run `args`, expect exit 1 with a one-line error containing `needle`; return stderr.
    fn fails(&self, args: &[&str], needle: &str) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "berth {args:?}: {stderr}");
        let last = stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with(" !     ") && last.contains(needle),
            "berth {args:?}: expected an error containing {needle:?}, got:\n{stderr}"
        );
        stderr
    }

    /// Every recorded run of `kind` (`install` / `uninstall`), oldest first, as lines.
    fn records(&self, kind: &str) -> Vec<Vec<String>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.record_dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&format!("{kind}-"))
            })
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| {
                std::fs::read_to_string(f)
                    .unwrap()
                    .lines()
                    .map(str::to_owned)
                    .collect()
            })
            .collect()
    }

    fn setup_cluster(&self) {
        self.env.use_test_cluster();
        self.ok(&["scheduler-k3s:set", "--global", "token", TOKEN]);
    }

    fn sshd(&self) -> TestSshd {
        let kubeconfig = support::kubeconfig_path();
        let record = self.record_dir();
        let kubectl = kubectl();
        TestSshd::start(&[
            ("BERTH_TEST_KUBECONFIG", kubeconfig.to_str().unwrap()),
            ("BERTH_TEST_KUBECTL", &kubectl),
            ("BERTH_TEST_K3S_RECORD_DIR", record.to_str().unwrap()),
        ])
    }
}

fn args_of(record: &[String]) -> Vec<String> {
    record
        .iter()
        .filter_map(|l| l.strip_prefix("ARG "))
        .map(str::to_owned)
        .collect()
}

fn env_of(record: &[String]) -> BTreeMap<String, String> {
    record
        .iter()
        .filter_map(|l| l.strip_prefix("ENV "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// `--flag value` pairs present in `args`.
fn has_pair(args: &[String], flag: &str, value: &str) -> bool {
    args.windows(2).any(|w| w[0] == flag && w[1] == value)
}

/// Deletes simulated nodes a test created, even when it fails half-way.
struct NodeCleanup(Vec<String>);

impl Drop for NodeCleanup {
    fn drop(&mut self) {
        let names = std::mem::take(&mut self.0);
        support::cleanup_blocking(|client| async move {
            let api: Api<Node> = Api::all(client);
            for n in names {
                let _ = api.delete(&n, &DeleteParams::default()).await;
            }
            Ok::<(), kube::Error>(())
        });
    }
}

/// Removes the ClusterIssuer the initialize test creates, even when it fails half-way.
struct IssuerCleanup;

impl Drop for IssuerCleanup {
    fn drop(&mut self) {
        support::cleanup_blocking(|client| async move {
            let api: Api<berth::crds::cert_manager::ClusterIssuer> = Api::all(client);
            let _ = api
                .delete("letsencrypt-stag", &DeleteParams::default())
                .await;
            Ok::<(), kube::Error>(())
        });
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn initialize_installs_a_server_is_idempotent_and_uninstall_forgets_it() {
    let client = support::client().await;
    let _issuer_cleanup = IssuerCleanup;
    let h = Harness::new();
    h.env.use_test_cluster();
    h.ok(&[
        "scheduler-k3s:set",
        "--global",
        "letsencrypt-email-stag",
        "ops@example.com",
    ]);
    h.ok(&[
        "registry:login",
        "--global",
        "registry.example.com",
        "puller",
        "pull-secret-pw",
    ]);
    let (_, stderr) = h.ok(&[
        "scheduler-k3s:initialize",
        "--server-ip",
        "127.0.0.1",
        "--ingress-class",
        "traefik",
        "--taint-scheduling",
        "--kubelet-args",
        "max-pods=50",
        "--timeout",
        "60s",
    ]);
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(h.env.home().join("global/scheduler-k3s/cluster.json")).unwrap(),
    )
    .unwrap();
    let node = record["node_name"].as_str().unwrap().to_owned();
    let _cleanup = NodeCleanup(vec![node.clone()]);
    assert!(node.starts_with("ip-127-0-0-1-"), "{node}");
    assert_eq!(record["server_ip"], "127.0.0.1");
    assert!(stderr.contains("Running k3s installer"), "{stderr}");
    let (registries, mode) = h.registries();
    assert_eq!(mode, 0o600);
    assert!(registries.contains("registry.example.com"), "{registries}");
    assert!(registries.contains("pull-secret-pw"), "{registries}");
    assert!(
        !stderr.contains("pull-secret-pw"),
        "a registry password was printed"
    );

    // The installer got a server command line and the generated token in its environment.
    let installs = h.records("install");
    assert_eq!(installs.len(), 1);
    let args = args_of(&installs[0]);
    assert_eq!(&args[..2], ["server", "--cluster-init"]);
    assert!(has_pair(&args, "--node-name", &node));
    assert!(has_pair(&args, "--tls-san", "127.0.0.1"));
    assert!(has_pair(
        &args,
        "--node-taint",
        "CriticalAddonsOnly=true:NoSchedule"
    ));
    assert!(has_pair(&args, "--kubelet-arg", "max-pods=50"));
    assert!(has_pair(&args, "--disable", "traefik"));
    assert!(!args.iter().any(|a| a.contains("token")), "{args:?}");
    let token_file = h.env.home().join("global/properties/scheduler-k3s/token");
    let token = std::fs::read_to_string(&token_file).unwrap();
    assert_eq!(env_of(&installs[0])["K3S_TOKEN"], token.trim());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(!stderr.contains(token.trim()), "the token was printed");

    // The node is Ready and labelled; components and ClusterIssuers are accepted by the server.
    let n = Api::<Node>::all(client.clone()).get(&node).await.unwrap();
    assert_eq!(n.labels()["svccontroller.k3s.cattle.io/enablelb"], "true");
    let charts: Api<berth::crds::helm::HelmChart> = Api::namespaced(client.clone(), "kube-system");
    for name in ["cert-manager", "traefik", "keda", "longhorn", "vector"] {
        assert!(
            charts.get_opt(name).await.unwrap().is_some(),
            "HelmChart {name} missing"
        );
    }
    let issuers: Api<berth::crds::cert_manager::ClusterIssuer> = Api::all(client.clone());
    let stag = issuers.get("letsencrypt-stag").await.unwrap();
    assert_eq!(stag.spec.acme.email, "ops@example.com");
    assert_eq!(stag.spec.acme.solvers[0].http01.ingress.class, "traefik");
    let (report, _) = h.ok(&[
        "scheduler-k3s:report",
        "--global",
        "--scheduler-k3s-global-ingress-class",
    ]);
    assert_eq!(report.trim(), "traefik");

    // Re-running changes nothing and says what it skipped.
    let (_, again) = h.ok(&["scheduler-k3s:initialize", "--timeout", "60s"]);
    assert!(again.contains("skipping the installer"), "{again}");
    assert!(again.contains("already installed, skipped"), "{again}");
    assert_eq!(h.records("install").len(), 1, "installer ran twice");
    assert_eq!(std::fs::read_to_string(&token_file).unwrap(), token);

    // show-kubeconfig hands out the recorded server address in place of 127.0.0.1.
    let (kubeconfig, _) = h.ok(&["scheduler-k3s:show-kubeconfig", "--server-ip", "10.9.8.7"]);
    assert!(
        kubeconfig.contains("server: https://10.9.8.7:"),
        "{kubeconfig}"
    );

    // uninstall: refused without confirmation, then runs k3s's uninstall script.
    let out = h
        .cmd()
        .args(["scheduler-k3s:uninstall"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Aborted"));
    assert!(h.records("uninstall").is_empty());
    h.ok(&["scheduler-k3s:uninstall", "--force"]);
    let uninstalls = h.records("uninstall");
    assert_eq!(uninstalls.len(), 1);
    assert_eq!(uninstalls[0][0], "KIND server");
    assert!(
        !h.env
            .home()
            .join("global/scheduler-k3s/cluster.json")
            .exists()
    );
    assert!(!h.k3s_bin().exists());
    assert!(
        token_file.exists(),
        "the token is kept for the next initialize"
    );
}

#[test]
fn initialize_and_uninstall_refuse_non_root() {
    let h = Harness::new();
    for args in [
        &["scheduler-k3s:initialize", "--server-ip", "127.0.0.1"][..],
        &["scheduler-k3s:uninstall", "--force"][..],
    ] {
        let mut c = h.cmd();
        let prog = c.get_program().to_owned();
        let mut runner = std::process::Command::new("setpriv");
        runner
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(prog)
            .args(args)
            .envs(c.get_envs().filter_map(|(k, v)| Some((k, v?))));
        c = runner;
        let out = c.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("must run as root"), "{stderr}");
    }
    assert!(h.records("install").is_empty());
    assert!(h.records("uninstall").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn cluster_add_refuses_bad_targets_hosts_and_users() {
    sshd::ensure_unprivileged_user();
    let mut h = Harness::new();
    // Hostile or malformed URLs are refused before any connection (no cluster configured yet).
    for url in [
        "ssh://root@host;rm -rf /",
        "ssh://root@host name",
        "ssh://root@'host'",
        "ssh://root@$(id)",
        "ssh://root@host:99999",
        "root@host",
        "ssh://root:pw@host",
    ] {
        h.fails(&["scheduler-k3s:cluster-add", url], "Invalid ssh target");
    }
    h.fails(
        &[
            "scheduler-k3s:cluster-add",
            "--taint-scheduling",
            "ssh://root@10.0.0.2",
        ],
        "--taint-scheduling can only be used with --role server",
    );
    h.env.use_test_cluster();
    h.fails(
        &["scheduler-k3s:cluster-add", "ssh://root@10.0.0.2"],
        "Missing k3s token",
    );
    h.ok(&["scheduler-k3s:set", "--global", "token", TOKEN]);

    let server = h.sshd();
    h.ssh_key = Some(server.client_key.clone());
    let add = |h: &Harness, url: &str, needle: &str| {
        h.fails(
            &["scheduler-k3s:cluster-add", "--server-ip", "127.0.0.1", url],
            needle,
        )
    };
    h.known_hosts = Some(server.empty_known_hosts());
    add(&h, &server.url("root"), "is not in");
    h.known_hosts = Some(server.wrong_known_hosts());
    add(&h, &server.url("root"), "does not match");
    h.known_hosts = Some(server.trusting_known_hosts());
    add(&h, &server.url(UNPRIVILEGED_USER), "is not root");
    let silent = SilentHost::start();
    add(
        &h,
        &format!("ssh://root@127.0.0.1:{}", silent.port),
        "cannot reach",
    );
    assert!(h.records("install").is_empty(), "an installer ran");
}

#[tokio::test(flavor = "multi_thread")]
async fn nodes_join_over_ssh_list_and_leave_with_a_drain() {
    let client = support::client().await;
    let mut h = Harness::new();
    h.setup_cluster();
    h.ok(&["registry:login", "--global", "ghcr.io", "bot", "remote-pw"]);
    let worker_host = h.sshd();
    let server_host = h.sshd();
    h.ssh_key = Some(worker_host.client_key.clone());
    // Both test sshds authorize their own client key; berth offers one key: authorize it on both.
    std::fs::copy(
        worker_host.dir.path().join("authorized_keys"),
        server_host.dir.path().join("authorized_keys"),
    )
    .unwrap();
    let mut cleanup = NodeCleanup(Vec::new());
    let nodes: Api<Node> = Api::all(client.clone());

    // Worker: an unknown host is refused, then accepted with --insecure-allow-unknown-hosts.
    h.known_hosts = Some(worker_host.empty_known_hosts());
    let worker_url = worker_host.url("root");
    h.fails(
        &[
            "scheduler-k3s:cluster-add",
            "--server-ip",
            "127.0.0.1",
            &worker_url,
        ],
        "is not in",
    );
    let (stdout, stderr) = h.ok(&[
        "scheduler-k3s:cluster-add",
        "--insecure-allow-unknown-hosts",
        "--server-ip",
        "127.0.0.1",
        "--kubelet-args",
        "max-pods=30",
        &worker_url,
    ]);
    let worker = stdout.trim().to_owned();
    cleanup.0.push(worker.clone());
    // Written on the remote host (the same machine here) by root, 0600.
    let (registries, mode) = h.registries();
    assert_eq!(mode, 0o600);
    assert!(registries.contains("ghcr.io") && registries.contains("remote-pw"));
    assert!(
        !stderr.contains("remote-pw"),
        "a registry password was printed"
    );
    assert!(worker.starts_with("ip-127-0-0-1-"), "{stdout}");
    assert!(
        stderr.contains("127.0.0.1: [INFO]  test installer: registering"),
        "remote output is not streamed with the host prefix:\n{stderr}"
    );
    let installs = h.records("install");
    assert_eq!(installs.len(), 1);
    let args = args_of(&installs[0]);
    assert_eq!(args[0], "agent");
    assert!(has_pair(&args, "--server", "https://127.0.0.1:6443"));
    assert!(has_pair(&args, "--node-name", &worker));
    assert!(has_pair(&args, "--kubelet-arg", "max-pods=30"));
    assert_eq!(env_of(&installs[0])["K3S_TOKEN"], TOKEN);
    assert!(installs[0].contains(&"UID 0".to_owned()));
    assert!(!args.iter().any(|a| a.contains(TOKEN)));
    let n = nodes.get(&worker).await.unwrap();
    assert_eq!(n.labels()["node-role.kubernetes.io/worker"], "worker");
    assert_eq!(n.annotations()["dokku.com/remote-host"], worker_url);
    // The same host twice is refused, however it is spelled (127.1 and 0x7f000001 are
    // 127.0.0.1; localhost resolves to it).
    for spelling in [
        worker_url.clone(),
        worker_url.replace("127.0.0.1", "127.1"),
        worker_url.replace("127.0.0.1", "0x7f000001"),
        worker_url.replace("127.0.0.1", "localhost"),
    ] {
        h.fails(
            &[
                "scheduler-k3s:cluster-add",
                "--insecure-allow-unknown-hosts",
                &spelling,
            ],
            &format!("is already node {worker} of this cluster (added as {worker_url};"),
        );
    }

    // Server with --taint-scheduling, host key known (spelled the current-Dokku way).
    // From here on both hosts are known (cluster-remove checks host keys too).
    let both = h.dir.path().join("known_hosts_both");
    std::fs::write(
        &both,
        format!(
            "{}\n{}\n",
            worker_host.known_hosts_line(),
            server_host.known_hosts_line()
        ),
    )
    .unwrap();
    h.known_hosts = Some(both);
    let server_url = server_host.url("root");
    let (stdout, _) = h.ok(&[
        "scheduler-k3s:cluster:add",
        "--role",
        "server",
        "--taint-scheduling",
        "--server-ip",
        "127.0.0.1",
        &server_url,
    ]);
    let server = stdout.trim().to_owned();
    cleanup.0.push(server.clone());
    let installs = h.records("install");
    assert_eq!(installs.len(), 2);
    let args = args_of(&installs[1]);
    assert_eq!(args[0], "server");
    assert!(has_pair(&args, "--server", "https://127.0.0.1:6443"));
    assert!(has_pair(
        &args,
        "--node-taint",
        "CriticalAddonsOnly=true:NoSchedule"
    ));
    assert!(args.contains(&"--flannel-backend=wireguard-native".to_owned()));

    // cluster-list in both formats.
    let (json, _) = h.ok(&["scheduler-k3s:cluster-list", "--format", "json"]);
    let list: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let row = |name: &str| {
        list.iter()
            .find(|r| r["Name"] == name)
            .unwrap_or_else(|| panic!("{name} not listed: {json}"))
            .clone()
    };
    let w = row(&worker);
    assert_eq!(w["Ready"], true);
    assert_eq!(w["Roles"], json!(["worker"]));
    assert_eq!(w["RemoteHost"], worker_url);
    let s = row(&server);
    assert!(
        s["Roles"]
            .as_array()
            .unwrap()
            .contains(&json!("control-plane"))
    );
    assert!(
        s["Taints"]
            .as_array()
            .unwrap()
            .contains(&json!("CriticalAddonsOnly=true:NoSchedule"))
    );
    let (table, _) = h.ok(&["scheduler-k3s:cluster:list"]);
    assert!(table.starts_with("name"), "{table}");
    assert!(
        table.contains(&worker) && table.contains(&server),
        "{table}"
    );

    // A deployed app with its pod on the worker.
    let ns = TestNamespace::create(&client, "drain").await;
    h.ok(&["scheduler-k3s:set", "--global", "namespace", ns.name()]);
    h.ok(&["apps:create", "drained"]);
    h.ok(&["deploy", "drained", "--image", "nginx:1.27"]);
    let deployments = ns.api::<Deployment>();
    let place_on_worker = json!({"spec": {"template": {"spec": {
        "tolerations": [{"key": "berth.test/isolated", "operator": "Exists", "effect": "NoSchedule"}],
        "affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "preference": {"matchExpressions": [
                {"key": "kubernetes.io/hostname", "operator": "In", "values": [worker.clone()]}]}}]}}
    }}}});
    deployments
        .patch(
            "drained-web",
            &PatchParams::default(),
            &Patch::Merge(&place_on_worker),
        )
        .await
        .unwrap();
    let pods = ns.api::<Pod>();
    let on = |p: &Pod| {
        p.spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_default()
    };
    let ready = |p: &Pod| {
        p.status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
    };
    let w2 = worker.clone();
    support::wait_for_all(
        pods.clone(),
        "app.kubernetes.io/part-of=drained",
        move |ps: &[Pod]| ps.len() == 1 && on(&ps[0]) == w2 && ready(&ps[0]),
        Duration::from_secs(60),
        "the app's pod running on the worker",
    )
    .await;

    // A PodDisruptionBudget that forbids the eviction: the drain gives up, the node stays.
    let pdb: PodDisruptionBudget = serde_json::from_value(json!({
        "metadata": {"name": "keep-one"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/part-of": "drained"}}}
    }))
    .unwrap();
    let pdbs = ns.api::<PodDisruptionBudget>();
    pdbs.create(&PostParams::default(), &pdb).await.unwrap();
    support::wait_for(
        pdbs.clone(),
        "keep-one",
        |p: Option<&PodDisruptionBudget>| {
            p.and_then(|p| p.status.as_ref())
                .is_some_and(|s| s.expected_pods == Some(1) && s.disruptions_allowed == Some(0))
        },
        Duration::from_secs(30),
        "the budget to count the pod",
    )
    .await;
    let stderr = h.fails(
        &[
            "scheduler-k3s:cluster-remove",
            &worker,
            "--drain-timeout",
            "3s",
        ],
        "PodDisruptionBudget",
    );
    assert!(stderr.contains("stays cordoned"), "{stderr}");
    let n = nodes.get(&worker).await.unwrap();
    assert_eq!(n.spec.as_ref().unwrap().unschedulable, Some(true));
    assert!(h.records("uninstall").is_empty());

    // Without the budget the pod is evicted and rescheduled elsewhere, k3s is uninstalled over
    // SSH with the agent script, and the node is deleted.
    pdbs.delete("keep-one", &DeleteParams::default())
        .await
        .unwrap();
    let (_, stderr) = h.ok(&["scheduler-k3s:cluster:remove", &worker]);
    assert!(stderr.contains("evicted"), "{stderr}");
    let uninstalls = h.records("uninstall");
    assert_eq!(uninstalls.len(), 1);
    assert_eq!(uninstalls[0][0], "KIND agent");
    assert!(nodes.get_opt(&worker).await.unwrap().is_none());
    let w3 = worker.clone();
    support::wait_for_all(
        pods.clone(),
        "app.kubernetes.io/part-of=drained",
        move |ps: &[Pod]| {
            ps.len() == 1 && on(&ps[0]) != w3 && !on(&ps[0]).is_empty() && ready(&ps[0])
        },
        Duration::from_secs(60),
        "the app's pod rescheduled on another node",
    )
    .await;
    let listed = pods
        .list(&ListParams::default().labels("app.kubernetes.io/part-of=drained"))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);

    // The server goes with the server uninstall script.
    h.ok(&["scheduler-k3s:cluster-remove", &server]);
    let uninstalls = h.records("uninstall");
    assert_eq!(uninstalls.len(), 2);
    assert_eq!(uninstalls[1][0], "KIND server");
    assert!(nodes.get_opt(&server).await.unwrap().is_none());
    h.fails(
        &["scheduler-k3s:cluster-remove", &server],
        "is not in the cluster",
    );
    ns.cleanup().await;
}

#[test]
fn show_kubeconfig_rewrites_loopback_servers_and_names_a_missing_file() {
    let h = Harness::new();
    let path = h.dir.path().join("k3s.yaml");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: default\n  cluster:\n    certificate-authority-data: QUJD\n    server: https://127.0.0.1:6443\ncontexts:\n- name: default\n  context: {cluster: default, user: default}\ncurrent-context: default\nusers:\n- name: default\n  user: {token: secret-token}\n",
    )
    .unwrap();
    h.ok(&[
        "scheduler-k3s:set",
        "--global",
        "kubeconfig-path",
        path.to_str().unwrap(),
    ]);
    let (out, err) = h.ok(&[
        "scheduler-k3s:show-kubeconfig",
        "--server-ip",
        "203.0.113.10",
    ]);
    assert!(out.contains("server: https://203.0.113.10:6443"), "{out}");
    assert!(out.contains("certificate-authority-data: QUJD"));
    assert!(err.is_empty(), "{err}");
    // Without a known server IP it is printed unchanged, with a warning on stderr.
    let (out, err) = h.ok(&["scheduler-k3s:show-kubeconfig"]);
    assert!(out.contains("server: https://127.0.0.1:6443"), "{out}");
    assert!(err.contains("no server IP known"), "{err}");
    std::fs::remove_file(&path).unwrap();
    h.fails(
        &["scheduler-k3s:show-kubeconfig"],
        "Kubeconfig file does not exist",
    );
}
