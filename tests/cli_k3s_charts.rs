//! `scheduler-k3s:ensure-charts` input errors: one ` !     ` line, exit 1, before any cluster
//! access.

mod support;

use support::cli::Env;

#[test]
fn missing_kubeconfig_names_the_path_and_the_property() {
    let env = Env::new();
    // The setting only accepts an existing file; the file then goes away (k3s uninstalled).
    let file = env.path().join("k3s.yaml");
    std::fs::write(&file, "apiVersion: v1\nkind: Config\n").unwrap();
    let path = file.to_str().unwrap();
    env.ok(&["scheduler-k3s:set", "--global", "kubeconfig-path", path]);
    std::fs::remove_file(&file).unwrap();
    let msg = env.fail(&["scheduler-k3s:ensure-charts"]);
    assert!(
        msg.contains(&format!("kubeconfig {path} does not exist"))
            && msg.contains("scheduler-k3s:set --global kubeconfig-path"),
        "{msg}"
    );
}

#[test]
fn unknown_chart_name_lists_the_valid_ones() {
    let env = Env::new();
    let msg = env.fail(&["scheduler-k3s:ensure-charts", "--charts", "traefik,nope"]);
    assert_eq!(
        msg,
        "Invalid chart name \"nope\", valid charts: cert-manager, ingress-nginx, keda, keda-add-ons-http, longhorn, traefik, vector"
    );
}

#[test]
fn bad_timeout_is_rejected() {
    let env = Env::new();
    let msg = env.fail(&["scheduler-k3s:ensure-charts", "--timeout", "soon"]);
    assert!(msg.contains("Invalid duration \"soon\""), "{msg}");
}

#[test]
fn listed_in_help() {
    let env = Env::new();
    let out = env.ok(&["scheduler-k3s:help"]);
    assert!(out.contains("scheduler-k3s:ensure-charts"), "{out}");
    let help = env.ok(&["scheduler-k3s:ensure-charts", "--help"]);
    assert!(
        help.contains("--charts") && help.contains("--wait"),
        "{help}"
    );
}
