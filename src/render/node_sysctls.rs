//! The DaemonSet that keeps a node sysctl scope applied (reference §6.5): a privileged init
//! container runs `sysctl -w` for each value on every node of the scope, then a pause container
//! keeps the pod (and so the DaemonSet's view of the node) alive. The pod shares the node's
//! network and IPC namespaces, so namespaced sysctls (`net.*`) change the node's, not a pod's.
//! The values reach the shell as positional arguments, never inside the script text.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetSpec};
use k8s_openapi::api::core::v1::{
    Affinity, Container, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm,
    PodSpec, PodTemplateSpec, ResourceRequirements, SecurityContext, Toleration,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::meta::{DOKKU_MANAGED, NAME, PART_OF};
use crate::model::node_sysctls::SysctlScope;

/// Namespace of the node sysctl DaemonSets.
pub const NODE_SYSCTLS_NAMESPACE: &str = "kube-system";
/// Node label naming a node's profile.
pub const NODE_PROFILE_LABEL: &str = "dokku.com/node-profile";
/// `app.kubernetes.io/part-of` of every node sysctl DaemonSet (what berth prunes by).
pub const NODE_SYSCTLS_PART_OF: &str = "dokku";

/// Runs `sysctl -w` for every argument, stopping at the first failure.
const APPLY_SCRIPT: &str = r#"set -e; for kv in "$@"; do sysctl -w "$kv"; done"#;

/// The DaemonSet for `scope`, from the `node-sysctls-image` and `node-sysctls-pause-image`.
pub fn node_sysctls_daemonset(scope: &SysctlScope, image: &str, pause_image: &str) -> DaemonSet {
    let labels = BTreeMap::from([
        (NAME.to_owned(), scope.name.clone()),
        (PART_OF.to_owned(), NODE_SYSCTLS_PART_OF.to_owned()),
    ]);
    let (node_selector, affinity) = match &scope.profile {
        Some(p) => (
            Some(BTreeMap::from([(NODE_PROFILE_LABEL.to_owned(), p.clone())])),
            None,
        ),
        None => (
            None,
            Some(Affinity {
                node_affinity: Some(NodeAffinity {
                    required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                        node_selector_terms: vec![NodeSelectorTerm {
                            match_expressions: Some(vec![NodeSelectorRequirement {
                                key: NODE_PROFILE_LABEL.to_owned(),
                                operator: "DoesNotExist".to_owned(),
                                values: None,
                            }]),
                            ..NodeSelectorTerm::default()
                        }],
                    }),
                    ..NodeAffinity::default()
                }),
                ..Affinity::default()
            }),
        ),
    };
    let mut command = vec![
        "sh".to_owned(),
        "-c".to_owned(),
        APPLY_SCRIPT.to_owned(),
        "apply-sysctls".to_owned(),
    ];
    command.extend(scope.sysctls.iter().map(|(k, v)| format!("{k}={v}")));
    DaemonSet {
        metadata: ObjectMeta {
            name: Some(scope.name.clone()),
            namespace: Some(NODE_SYSCTLS_NAMESPACE.to_owned()),
            labels: Some(labels.clone()),
            annotations: Some(BTreeMap::from([(
                DOKKU_MANAGED.to_owned(),
                "true".to_owned(),
            )])),
            ..ObjectMeta::default()
        },
        spec: Some(DaemonSetSpec {
            selector: LabelSelector {
                match_labels: Some(BTreeMap::from([(NAME.to_owned(), scope.name.clone())])),
                ..LabelSelector::default()
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    node_selector,
                    affinity,
                    // Network and IPC sysctls (net.*, kernel.shm*, kernel.msg*) belong to a
                    // namespace: in the pod's own they would not reach the node (Dokku's
                    // DaemonSet has this gap), so the pod shares the node's.
                    host_network: Some(true),
                    host_ipc: Some(true),
                    tolerations: Some(vec![Toleration {
                        operator: Some("Exists".to_owned()),
                        ..Toleration::default()
                    }]),
                    init_containers: Some(vec![Container {
                        name: "apply-sysctls".to_owned(),
                        image: Some(image.to_owned()),
                        command: Some(command),
                        security_context: Some(SecurityContext {
                            privileged: Some(true),
                            ..SecurityContext::default()
                        }),
                        ..Container::default()
                    }]),
                    containers: vec![Container {
                        name: "pause".to_owned(),
                        image: Some(pause_image.to_owned()),
                        resources: Some(ResourceRequirements {
                            requests: Some(BTreeMap::from([
                                ("cpu".to_owned(), Quantity("1m".to_owned())),
                                ("memory".to_owned(), Quantity("8Mi".to_owned())),
                            ])),
                            ..ResourceRequirements::default()
                        }),
                        ..Container::default()
                    }],
                    ..PodSpec::default()
                }),
            },
            ..DaemonSetSpec::default()
        }),
        ..DaemonSet::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(profile: Option<&str>) -> SysctlScope {
        SysctlScope {
            profile: profile.map(str::to_owned),
            name: crate::model::node_sysctls::scope_name(profile),
            sysctls: BTreeMap::from([
                ("net.core.somaxconn".to_owned(), "1024".to_owned()),
                (
                    "net.ipv4.tcp_rmem".to_owned(),
                    "4096 87380 6291456".to_owned(),
                ),
            ]),
        }
    }

    #[test]
    fn global_scope_avoids_profiled_nodes_and_passes_values_as_arguments() {
        let ds = node_sysctls_daemonset(&scope(None), "busybox:1.36", "pause:3.9");
        assert_eq!(
            ds.metadata.name.as_deref(),
            Some("dokku-node-sysctls-global")
        );
        let pod = ds.spec.unwrap().template.spec.unwrap();
        let term = &pod
            .affinity
            .unwrap()
            .node_affinity
            .unwrap()
            .required_during_scheduling_ignored_during_execution
            .unwrap()
            .node_selector_terms[0];
        let req = &term.match_expressions.as_ref().unwrap()[0];
        assert_eq!(
            (req.key.as_str(), req.operator.as_str()),
            (NODE_PROFILE_LABEL, "DoesNotExist")
        );
        assert!(pod.node_selector.is_none());
        assert_eq!(
            (pod.host_network, pod.host_ipc),
            (Some(true), Some(true)),
            "net.* reach the node"
        );
        let init = &pod.init_containers.unwrap()[0];
        let cmd = init.command.as_ref().unwrap();
        assert_eq!(cmd[..2], ["sh", "-c"]);
        assert!(
            !cmd[2].contains("somaxconn"),
            "values never inside the script"
        );
        assert_eq!(
            cmd[4..],
            [
                "net.core.somaxconn=1024",
                "net.ipv4.tcp_rmem=4096 87380 6291456"
            ]
        );
        assert_eq!(
            init.security_context.as_ref().unwrap().privileged,
            Some(true)
        );
        assert_eq!(pod.containers[0].image.as_deref(), Some("pause:3.9"));
        assert_eq!(
            pod.tolerations.unwrap()[0].operator.as_deref(),
            Some("Exists")
        );
    }

    #[test]
    fn profile_scope_selects_its_nodes() {
        let ds = node_sysctls_daemonset(&scope(Some("db")), "busybox:1.36", "pause:3.9");
        assert_eq!(
            ds.metadata.name.as_deref(),
            Some("dokku-node-sysctls-profile-db")
        );
        let pod = ds.spec.unwrap().template.spec.unwrap();
        assert_eq!(pod.node_selector.unwrap()[NODE_PROFILE_LABEL], "db");
        assert!(pod.affinity.is_none());
    }
}
