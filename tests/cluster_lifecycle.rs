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

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Api, ResourceExt};
use serde_json::json;
use support::TestNamespace;
use support::k3s::{
    Harness, NodeCleanup, SilentHost, TOKEN, UNPRIVILEGED_USER, args_of, env_of, has_pair, sshd,
};

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
    // The preflight runs first and needs k3s's ports free on this host.
    let ports = support::k3s::k3s_ports();
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
    drop(ports);
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(h.env.home().join("global/scheduler-k3s/cluster.json")).unwrap(),
    )
    .unwrap();
    let node = record["node_name"].as_str().unwrap().to_owned();
    let _cleanup = NodeCleanup(vec![node.clone()]);
    assert!(node.starts_with("ip-127-0-0-1-"), "{node}");
    assert_eq!(record["server_ip"], "127.0.0.1");
    assert!(stderr.contains("Running k3s installer"), "{stderr}");
    let checks = support::k3s::squash(&stderr);
    assert!(
        checks.contains("Preflight checks on this host (first server)")
            && checks.contains("ok port 6443/tcp free")
            && checks.contains("ok address 127.0.0.1 on lo (--server-ip)"),
        "{stderr}"
    );
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
    assert!(
        support::k3s::squash(&again).contains("ok k3s version v1.36.3+k3s1 installed (kept)"),
        "{again}"
    );
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
    // The preflight checks that the host reaches the server's API port: a stand-in listens there.
    let ports = support::k3s::k3s_ports();
    let api = support::k3s::listen_on(6443);
    let (stdout, stderr) = h.ok(&[
        "scheduler-k3s:cluster-add",
        "--insecure-allow-unknown-hosts",
        "--server-ip",
        "127.0.0.1",
        "--kubelet-args",
        "max-pods=30",
        &worker_url,
    ]);
    drop(api);
    drop(ports);
    let worker = stdout.trim().to_owned();
    cleanup.0.push(worker.clone());
    let checks = support::k3s::squash(&stderr);
    for line in [
        "ok ssh connected; the host key was not checked",
        "ok root running as root",
        "ok port 10250/tcp free, for the kubelet",
        "ok server 6443/tcp the host reaches 127.0.0.1:6443",
    ] {
        assert!(checks.contains(line), "no {line:?} in:\n{stderr}");
    }
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
    // The server's settings come from a node profile: its role (which Dokku's flag default
    // would drop), taint and kubelet args.
    h.ok(&[
        "scheduler-k3s:profiles:add",
        "control",
        "--role",
        "server",
        "--taint-scheduling",
        "--kubelet-args",
        "max-pods=40",
    ]);
    // The "remote" server is this host, where the API port and etcd's are the test's: the
    // preflight would rightly refuse, so this join skips it.
    let (stdout, stderr) = h.ok(&[
        "scheduler-k3s:cluster:add",
        "--profile",
        "control",
        "--skip-preflight",
        "--server-ip",
        "127.0.0.1",
        &server_url,
    ]);
    assert!(!stderr.contains("Preflight"), "{stderr}");
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
    assert!(has_pair(&args, "--kubelet-arg", "max-pods=40"));
    let n = nodes.get(&server).await.unwrap();
    assert_eq!(n.labels()["dokku.com/node-profile"], "control");
    assert!(
        !nodes
            .get(&worker)
            .await
            .unwrap()
            .labels()
            .contains_key("dokku.com/node-profile"),
        "a node added without a profile has no profile label"
    );

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
