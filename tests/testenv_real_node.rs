//! Harness self-test of the real node (`scripts/test-cluster up` as root): it is tainted so only
//! real namespaces use it, and the guard that keeps pod traffic on this machine is in place and
//! cannot be overtaken by kube-proxy. (That `down` leaves nothing behind is checked by `down`
//! itself, which `scripts/test` runs after the suite and fails on.)

mod support;

use std::process::Command;

use k8s_openapi::api::core::v1::{Namespace, Node};
use kube::Api;
use support::real::RealNode;
use support::{TestNamespace, client};

fn iptables(args: &[&str]) -> String {
    let out = Command::new("iptables")
        .arg("-w")
        .args(args)
        .output()
        .expect("iptables");
    assert!(out.status.success(), "iptables {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn guard_is_first_in_mangle_forward_and_drops_everything_off_the_pod_subnet() {
    let _real = RealNode::from_env();
    let forward = iptables(&["-t", "mangle", "-S", "FORWARD"]);
    assert_eq!(
        forward.lines().nth(1),
        Some("-A FORWARD -j BERTH-GUARD"),
        "the guard must be the first mangle FORWARD rule:\n{forward}"
    );
    let guard = iptables(&["-t", "mangle", "-S", "BERTH-GUARD"]);
    let rules: Vec<&str> = guard.lines().skip(1).collect();
    assert_eq!(
        rules,
        [
            "-A BERTH-GUARD -s 10.89.0.0/24 -d 10.89.0.0/24 -j RETURN",
            "-A BERTH-GUARD -j DROP"
        ],
        "only pod-to-pod traffic is forwarded"
    );
    // kube-proxy writes filter and nat, never mangle: its rules are there and did not move the guard.
    assert!(
        iptables(&["-t", "nat", "-S"]).contains("KUBE-SERVICES"),
        "kube-proxy is syncing"
    );
}

#[tokio::test]
async fn only_real_namespaces_reach_the_tainted_real_node() {
    let real = RealNode::from_env();
    let client = client().await;
    let node = Api::<Node>::all(client.clone())
        .get(&real.node)
        .await
        .unwrap();
    let taints = node.spec.and_then(|s| s.taints).unwrap_or_default();
    assert!(
        taints
            .iter()
            .any(|t| t.key == "berth.test/real-node" && t.effect == "NoSchedule"),
        "{taints:?}"
    );
    let annotations = node.metadata.annotations.unwrap_or_default();
    assert!(
        !annotations.contains_key("kwok.x-k8s.io/node"),
        "kwok must not manage the real node"
    );

    let ns = TestNamespace::create_real(&client, "harness-real").await;
    let annotations = Api::<Namespace>::all(client.clone())
        .get(ns.name())
        .await
        .unwrap()
        .metadata
        .annotations
        .unwrap_or_default();
    assert_eq!(
        annotations
            .get("scheduler.alpha.kubernetes.io/node-selector")
            .map(String::as_str),
        Some("berth.test/real-node=true")
    );
    assert!(
        annotations["scheduler.alpha.kubernetes.io/defaultTolerations"]
            .contains("berth.test/real-node")
    );
    ns.cleanup().await;
}
