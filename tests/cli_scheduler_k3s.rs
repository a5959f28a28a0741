//! `scheduler-k3s:set|report`, annotations, labels, autoscaling-auth and charts through the binary.

mod support;

use std::os::unix::fs::PermissionsExt;
use support::cli::Env;

#[test]
fn every_property_can_be_set_read_back_and_reset() {
    let env = Env::new();
    env.ok(&["apps:create", "web"]);
    let kubeconfig = env.path().join("kubeconfig.yaml");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: prod\n  context:\n    cluster: c\n    user: u\nusers:\n- name: u\n  user: {}\n",
    )
    .unwrap();
    let kubeconfig = kubeconfig.display().to_string();
    let values: Vec<(&str, &str, &str)> = vec![
        // (property, input, stored)
        ("cert-issuer-kind", "issuer", "Issuer"),
        ("cert-issuer-name", "my-issuer", "my-issuer"),
        ("deploy-timeout", "90", "90s"),
        ("image-pull-secrets", "regcred", "regcred"),
        ("ingress-class", "traefik", "traefik"),
        ("kube-context", "prod", "prod"),
        (
            "kustomize-root-path",
            "deploy/kustomize",
            "deploy/kustomize",
        ),
        (
            "letsencrypt-email-prod",
            "ops@example.com",
            "ops@example.com",
        ),
        (
            "letsencrypt-email-stag",
            "ops@example.com",
            "ops@example.com",
        ),
        ("letsencrypt-server", "staging", "staging"),
        ("namespace", "apps", "apps"),
        ("network-interface", "ens3", "ens3"),
        ("node-sysctls-image", "busybox:1.37", "busybox:1.37"),
        (
            "node-sysctls-pause-image",
            "registry.k8s.io/pause:3.10",
            "registry.k8s.io/pause:3.10",
        ),
        ("rollback-on-failure", "true", "true"),
        ("shm-size", "128Mi", "128Mi"),
        ("token", "K10abc::server:secret", "K10abc::server:secret"),
        // Last: with a kubeconfig present, global letsencrypt changes go to the cluster (this
        // file is not a usable kubeconfig), so it is set after them and reset before them.
        ("kubeconfig-path", &kubeconfig, &kubeconfig),
    ];
    for (prop, input, stored) in &values {
        env.ok(&["scheduler-k3s:set", "--global", prop, input]);
        let flag = format!("--scheduler-k3s-global-{prop}");
        assert_eq!(
            env.ok(&["scheduler-k3s:report", "--global", &flag])
                .trim_end(),
            *stored,
            "{prop}"
        );
        let def = berth::model::properties::lookup_property(prop).unwrap();
        if def.is_app_scoped() {
            env.ok(&["scheduler-k3s:set", "web", prop, input]);
            let flag = format!("--scheduler-k3s-{prop}");
            assert_eq!(
                env.ok(&["scheduler-k3s:report", "web", &flag]).trim_end(),
                *stored,
                "{prop}"
            );
        } else {
            let msg = env.fail(&["scheduler-k3s:set", "web", prop, input]);
            assert_eq!(
                msg,
                format!("property {prop} can only be set with --global (it is cluster-wide)")
            );
        }
    }
    snap!(
        env,
        "report_app_all_set",
        env.ok(&["scheduler-k3s:report", "web"])
    );
    snap!(
        env,
        "report_global_all_set",
        env.ok(&["scheduler-k3s:report", "--global"])
    );
    let token_file = env.path().join("global/properties/scheduler-k3s/token");
    assert_eq!(
        std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // Empty value (or none) resets to the default.
    for (prop, _, _) in values.iter().rev() {
        env.ok(&["scheduler-k3s:set", "--global", prop, ""]);
        let def = berth::model::properties::lookup_property(prop).unwrap();
        if def.is_app_scoped() {
            env.ok(&["scheduler-k3s:set", "web", prop]);
        }
        if def.secret {
            continue;
        }
        let computed = env.ok(&[
            "scheduler-k3s:report",
            "web",
            &format!("--scheduler-k3s-computed-{prop}"),
        ]);
        assert_eq!(computed.trim_end(), def.default, "{prop}");
    }
    snap!(
        env,
        "report_app_defaults",
        env.ok(&["scheduler-k3s:report", "web"])
    );
    snap!(
        env,
        "report_app_defaults_json",
        env.ok(&["scheduler-k3s:report", "web", "--format", "json"])
    );
}

#[test]
fn report_masks_token_on_stdout_only() {
    let env = Env::new();
    env.ok(&["scheduler-k3s:set", "--global", "token", "s3cr3t"]);
    env.ok(&["scheduler-k3s:set", "--global", "deploy-timeout", "5m"]);
    env.ok(&[
        "scheduler-k3s:charts:set",
        "traefik.deployment.replicas",
        "2",
    ]);
    let stdout = env.ok(&["scheduler-k3s:report", "--global"]);
    assert!(!stdout.contains("s3cr3t"));
    snap!(env, "report_global_stdout", stdout);
    let json = env.ok(&["scheduler-k3s:report", "--global", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["global-token"], "s3cr3t");
    assert_eq!(v["global-deploy-timeout"], "5m");
    assert_eq!(v["scheduler-k3s-global-deploy-timeout"], "5m");
    assert_eq!(v["computed-deploy-timeout"], "5m");
    assert_eq!(v["global-chart.traefik.deployment.replicas"], "2");
    assert_eq!(
        env.ok(&[
            "scheduler-k3s:report",
            "--global",
            "--scheduler-k3s-global-token"
        ]),
        "s3cr3t\n"
    );
    assert!(
        env.fail(&["scheduler-k3s:report", "--global", "--scheduler-k3s-nope"])
            .starts_with("Invalid flag passed, valid flags: ")
    );
    assert_eq!(
        env.fail(&[
            "scheduler-k3s:report",
            "--global",
            "--format",
            "json",
            "--scheduler-k3s-global-token"
        ]),
        "--format flag cannot be specified when specifying an info flag"
    );
    // No apps: a warning, exit 0.
    let out = env.cmd(&["scheduler-k3s:report"]).output().unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("You haven't deployed any applications yet")
    );
}

#[test]
fn annotations_and_labels() {
    let env = Env::new();
    env.ok(&["apps:create", "web"]);
    for (kind, key, value, rt, pt) in [
        (
            "annotations",
            "example.com/team",
            "payments",
            "deployment",
            None,
        ),
        (
            "annotations",
            "prometheus.io/scrape",
            "true",
            "pod",
            Some("web"),
        ),
        (
            "annotations",
            "note",
            "multi word value",
            "service",
            Some("web"),
        ),
        ("labels", "tier", "frontend", "pod", Some("web")),
        ("labels", "team", "payments", "deployment", None),
    ] {
        let mut args = vec![
            format!("scheduler-k3s:{kind}:set"),
            "web".into(),
            key.into(),
            value.into(),
            "--resource-type".into(),
            rt.into(),
        ];
        if let Some(p) = pt {
            args.extend(["--process-type".to_owned(), p.to_owned()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        env.ok(&args);
    }
    env.ok(&[
        "scheduler-k3s:annotations:set",
        "--global",
        "cluster",
        "wide",
        "--resource-type",
        "pod",
    ]);
    snap!(
        env,
        "annotations_report",
        env.ok(&["scheduler-k3s:annotations:report", "web"])
    );
    snap!(
        env,
        "annotations_report_json",
        env.ok(&[
            "scheduler-k3s:annotations:report",
            "web",
            "--format",
            "json"
        ])
    );
    snap!(
        env,
        "annotations_report_filtered",
        env.ok(&[
            "scheduler-k3s:annotations:report",
            "web",
            "--process-type",
            "web",
            "--resource-type",
            "pod"
        ])
    );
    snap!(
        env,
        "annotations_report_global",
        env.ok(&[
            "scheduler-k3s:annotations:report",
            "--global",
            "--format",
            "json"
        ])
    );
    snap!(
        env,
        "labels_report",
        env.ok(&["scheduler-k3s:labels:report", "web"])
    );
    snap!(
        env,
        "labels_report_json",
        env.ok(&["scheduler-k3s:labels:report", "web", "--format", "json"])
    );
    assert_eq!(
        env.ok(&[
            "scheduler-k3s:annotations:report",
            "web",
            "--scheduler-k3s-annotations.web.pod.prometheus.io/scrape"
        ]),
        "true\n"
    );
    assert_eq!(
        env.ok(&[
            "scheduler-k3s:labels:report",
            "web",
            "--scheduler-k3s-labels.global.deployment.team"
        ]),
        "payments\n"
    );
    // Empty value unsets.
    env.ok(&[
        "scheduler-k3s:labels:set",
        "web",
        "tier",
        "",
        "--resource-type",
        "pod",
        "--process-type",
        "web",
    ]);
    env.ok(&[
        "scheduler-k3s:labels:set",
        "web",
        "team",
        "--resource-type",
        "deployment",
    ]);
    assert_eq!(
        env.ok(&["scheduler-k3s:labels:report", "web", "--format", "json"]),
        "{}\n"
    );
}

#[test]
fn autoscaling_auth_hides_metadata() {
    let env = Env::new();
    env.ok(&["apps:create", "web"]);
    env.ok(&[
        "scheduler-k3s:autoscaling-auth:set",
        "web",
        "prometheus",
        "--metadata",
        "username=admin",
        "--metadata",
        "password=hunter2,bearerToken=tok",
    ]);
    env.ok(&[
        "scheduler-k3s:autoscaling-auth:set",
        "--global",
        "aws-sqs-queue",
        "--metadata",
        "awsAccessKeyID=AKIA",
    ]);
    let out = env.ok(&["scheduler-k3s:autoscaling-auth:report", "web"]);
    assert!(!out.contains("hunter2"));
    snap!(env, "auth_report", out);
    let json = env.ok(&[
        "scheduler-k3s:autoscaling-auth:report",
        "web",
        "--format",
        "json",
    ]);
    assert!(!json.contains("hunter2"));
    snap!(env, "auth_report_json", json);
    snap!(
        env,
        "auth_report_metadata",
        env.ok(&[
            "scheduler-k3s:autoscaling-auth:report",
            "web",
            "--include-metadata"
        ])
    );
    snap!(
        env,
        "auth_report_metadata_json",
        env.ok(&[
            "scheduler-k3s:autoscaling-auth:report",
            "web",
            "--include-metadata",
            "--format",
            "json"
        ])
    );
    snap!(
        env,
        "auth_report_global",
        env.ok(&["scheduler-k3s:autoscaling-auth:report", "--global"])
    );
    assert_eq!(
        env.ok(&[
            "scheduler-k3s:autoscaling-auth:report",
            "web",
            "--scheduler-k3s-autoscaling-auth.prometheus.password"
        ]),
        "*******\n"
    );
    let f = env
        .path()
        .join("apps/web/scheduler-k3s/autoscaling-auth.json");
    assert_eq!(
        std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
        0o600
    );
    env.ok(&["scheduler-k3s:autoscaling-auth:set", "web", "prometheus"]);
    assert_eq!(
        env.ok(&[
            "scheduler-k3s:autoscaling-auth:report",
            "web",
            "--format",
            "json"
        ]),
        "{}\n"
    );
}

#[test]
fn charts() {
    let env = Env::new();
    env.ok(&[
        "scheduler-k3s:charts:set",
        "traefik.deployment.replicas",
        "2",
    ]);
    env.ok(&[
        "scheduler-k3s:charts:set",
        "keda.resources.operator.limits.memory",
        "1Gi",
    ]);
    snap!(
        env,
        "charts_report",
        env.ok(&["scheduler-k3s:charts:report"])
    );
    snap!(
        env,
        "charts_report_json",
        env.ok(&["scheduler-k3s:charts:report", "--format", "json"])
    );
    snap!(
        env,
        "charts_report_traefik",
        env.ok(&["scheduler-k3s:charts:report", "traefik"])
    );
    assert_eq!(
        env.ok(&[
            "scheduler-k3s:charts:report",
            "--scheduler-k3s-charts-traefik.deployment.replicas"
        ]),
        "2\n"
    );
    // Legacy form goes to the same store.
    let out = env
        .cmd(&[
            "scheduler-k3s:set",
            "--global",
            "chart.vector.image.tag",
            "0.40",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("deprecated"));
    assert_eq!(
        env.ok(&[
            "scheduler-k3s:charts:report",
            "--scheduler-k3s-charts-vector.image.tag"
        ]),
        "0.40\n"
    );
    env.ok(&["scheduler-k3s:charts:set", "traefik.deployment.replicas"]);
    assert_eq!(
        env.ok(&["scheduler-k3s:charts:report", "--format", "json"]),
        "{\"keda.resources.operator.limits.memory\":\"1Gi\",\"vector.image.tag\":\"0.40\"}\n"
    );
}

/// `scheduler-k3s:profiles:*`: Dokku's messages and order of checks, the list in both formats
/// (JSON as stored), removal, and refusals that write nothing.
#[test]
fn node_profiles_are_stored_as_set_listed_and_removed() {
    let env = Env::new();
    let mut transcript = String::new();
    let mut step = |args: &[&str]| {
        transcript.push_str(&format!("$ berth {}\n", args.join(" ")));
        transcript.push_str(&env.transcript(args));
    };
    step(&["scheduler-k3s:profiles:list"]);
    step(&[
        "scheduler-k3s:profiles:add",
        "edge-workers",
        "--insecure-allow-unknown-hosts",
        "--kubelet-args",
        "protect-kernel-defaults=true,eviction-hard=memory.available<200Mi",
    ]);
    step(&[
        "scheduler-k3s:profiles:add",
        "control",
        "--role",
        "server",
        "--taint-scheduling",
    ]);
    step(&["scheduler-k3s:profiles:list"]);
    step(&["scheduler-k3s:profiles:list", "--format", "json"]);
    let before = env.state_hash();
    for bad in [
        vec!["scheduler-k3s:profiles:add", "x", "--role", "boss"],
        vec!["scheduler-k3s:profiles:add"],
        vec!["scheduler-k3s:profiles:add", "-edge"],
        vec!["scheduler-k3s:profiles:add", "edge_workers"],
        vec!["scheduler-k3s:profiles:add", &"a".repeat(33)],
        vec![
            "scheduler-k3s:profiles:add",
            "ok",
            "--kubelet-args",
            "nokey",
        ],
        vec!["scheduler-k3s:profiles:remove", "-x"],
        vec!["scheduler-k3s:profiles:list", "--format", "yaml"],
        vec![
            "scheduler-k3s:cluster:add",
            "--profile",
            "ghost",
            "ssh://root@127.0.0.1:1",
        ],
    ] {
        step(&bad);
    }
    assert_eq!(env.state_hash(), before, "a refusal wrote something");
    step(&["scheduler-k3s:profiles:remove", "control"]);
    step(&["scheduler-k3s:profiles:remove", "control"]);
    step(&["scheduler-k3s:profiles:list", "-o", "json"]);
    snap!(env, "node_profiles", transcript);
}
