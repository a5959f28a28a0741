//! `scheduler-k3s:node-sysctls:*` against the real control plane: each scope becomes the
//! privileged DaemonSet the reference describes (global: nodes without a profile; a profile:
//! its nodes, with the global values under its own), an emptied scope or a removed profile
//! loses its DaemonSet, and bad input is refused before anything is stored.
//!
//! The images are unpullable on purpose: the DaemonSet tolerates every taint, so on the real
//! node (this machine) a pullable image would change this host's kernel settings.

mod support;

use k8s_openapi::api::apps::v1::DaemonSet;
use kube::api::{Api, DeleteParams};
use serde_json::{Value, json};
use support::{BerthEnv, client, fail, ok, run};

const GLOBAL: &str = "dokku-node-sysctls-global";
const DB: &str = "dokku-node-sysctls-profile-db";

/// The `sysctl -w` arguments of a DaemonSet's init container.
fn applied(ds: &DaemonSet) -> Vec<String> {
    let pod = ds.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
    let init = &pod.init_containers.as_ref().unwrap()[0];
    init.command.as_ref().unwrap()[4..].to_vec()
}

fn report(env: &BerthEnv) -> Value {
    serde_json::from_str(&ok(
        env,
        &["scheduler-k3s:node-sysctls:report", "--format", "json"],
    ))
    .unwrap()
}

#[tokio::test]
async fn sysctl_scopes_become_daemonsets_and_go_away_when_emptied() {
    let client = client().await;
    let api: Api<DaemonSet> = Api::namespaced(client.clone(), "kube-system");
    let env = BerthEnv::new();
    env.use_test_cluster();
    for (prop, image) in [
        ("node-sysctls-image", "registry.invalid/busybox:1.36"),
        ("node-sysctls-pause-image", "registry.invalid/pause:3.9"),
    ] {
        ok(&env, &["scheduler-k3s:set", "--global", prop, image]);
    }
    ok(&env, &["scheduler-k3s:profiles:add", "db"]);

    // Bad input is refused before anything is stored.
    let before = env.state_hash();
    for (args, says) in [
        (
            vec!["net.core.somaxconn", "1", "--global", "--profile", "db"],
            "Only one of --global and --profile may be specified",
        ),
        (vec![], "Missing sysctl name"),
        (
            vec!["net.core;reboot", "1"],
            "Invalid sysctl name \"net.core;reboot\"",
        ),
        (
            vec!["vm.x", "1", "--profile", "ghost"],
            "Node profile ghost not found",
        ),
    ] {
        let mut all = vec!["scheduler-k3s:node-sysctls:set"];
        all.extend(args);
        let (code, err) = fail(&env, &all);
        assert_eq!(code, 1);
        assert!(err.contains(says), "{all:?}: {err}");
    }
    assert_eq!(env.state_hash(), before, "a refusal stored something");

    let out = run(
        &env,
        &[
            "scheduler-k3s:node-sysctls:set",
            "net.core.somaxconn",
            "1024",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Applying node sysctls for unprofiled nodes"),
        "{stderr}"
    );
    ok(
        &env,
        &[
            "scheduler-k3s:node-sysctls:set",
            "vm.max_map_count",
            "524288",
            "--profile",
            "db",
        ],
    );

    let global = api.get(GLOBAL).await.unwrap();
    assert_eq!(applied(&global), ["net.core.somaxconn=1024"]);
    let pod = global
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap();
    let req = &pod
        .affinity
        .as_ref()
        .unwrap()
        .node_affinity
        .as_ref()
        .unwrap()
        .required_during_scheduling_ignored_during_execution
        .as_ref()
        .unwrap()
        .node_selector_terms[0]
        .match_expressions
        .as_ref()
        .unwrap()[0];
    assert_eq!(
        (req.key.as_str(), req.operator.as_str()),
        ("dokku.com/node-profile", "DoesNotExist")
    );
    assert_eq!(pod.host_network, Some(true));
    let init = &pod.init_containers.as_ref().unwrap()[0];
    assert_eq!(init.image.as_deref(), Some("registry.invalid/busybox:1.36"));
    assert_eq!(
        init.security_context.as_ref().unwrap().privileged,
        Some(true)
    );
    assert_eq!(
        pod.containers[0].image.as_deref(),
        Some("registry.invalid/pause:3.9")
    );

    let db = api.get(DB).await.unwrap();
    assert_eq!(
        applied(&db),
        ["net.core.somaxconn=1024", "vm.max_map_count=524288"]
    );
    let pod = db.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
    assert_eq!(
        pod.node_selector.as_ref().unwrap()["dokku.com/node-profile"],
        "db"
    );
    assert_eq!(
        report(&env),
        json!({"--global": {"net.core.somaxconn": "1024"},
               "db": {"net.core.somaxconn": "1024", "vm.max_map_count": "524288"}})
    );
    let table = ok(&env, &["scheduler-k3s:node-sysctls:report"]);
    assert_eq!(
        table.lines().collect::<Vec<_>>(),
        [
            "scope    sysctl             value",
            "--global net.core.somaxconn 1024",
            "db       net.core.somaxconn 1024",
            "db       vm.max_map_count   524288",
        ]
    );

    // Clearing the only global value: a warning, the global DaemonSet goes, the profile's loses it.
    let out = run(
        &env,
        &["scheduler-k3s:node-sysctls:set", "net.core.somaxconn"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Removing net.core.somaxconn stops dokku managing it, but does not restore the previous value on affected nodes until they reboot"),
        "{stderr}"
    );
    assert!(
        api.get_opt(GLOBAL).await.unwrap().is_none(),
        "the emptied scope's DaemonSet stayed"
    );
    assert_eq!(
        applied(&api.get(DB).await.unwrap()),
        ["vm.max_map_count=524288"]
    );

    // Removing the profile removes its sysctls and DaemonSet.
    ok(&env, &["scheduler-k3s:profiles:remove", "db"]);
    assert!(
        api.get_opt(DB).await.unwrap().is_none(),
        "the removed profile's DaemonSet stayed"
    );
    assert_eq!(report(&env), json!({"--global": {}}));

    for name in [GLOBAL, DB] {
        let _ = api.delete(name, &DeleteParams::default()).await;
    }
}

/// Without a cluster (no kubeconfig yet) the sysctls are stored, to be applied by initialize.
#[test]
fn sysctls_are_stored_before_a_cluster_exists() {
    let env = BerthEnv::new();
    ok(
        &env,
        &[
            "scheduler-k3s:set",
            "--global",
            "kubeconfig-path",
            "/nonexistent/kubeconfig",
        ],
    );
    ok(
        &env,
        &[
            "scheduler-k3s:node-sysctls:set",
            "fs.inotify.max_user_watches",
            "524288",
        ],
    );
    assert_eq!(
        report(&env),
        json!({"--global": {"fs.inotify.max_user_watches": "524288"}})
    );
}
