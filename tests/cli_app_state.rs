//! ps, domains, ports, resource, registry, scheduler and app-json commands through the binary.

mod support;

use std::os::unix::fs::PermissionsExt;
use support::cli::Env;

fn env_with_app() -> Env {
    let env = Env::new();
    env.ok(&["apps:create", "web"]);
    env
}

#[test]
fn ps_scale_and_report() {
    let env = env_with_app();
    snap!(
        env,
        "ps_scale_set",
        env.ok(&["ps:scale", "web", "web=2", "worker=1"])
    );
    env.ok(&["ps:scale", "web", "worker=3"]);
    snap!(env, "ps_scale_show", env.ok(&["ps:scale", "web"]));
    snap!(env, "ps_report", env.ok(&["ps:report", "web"]));
    snap!(
        env,
        "ps_report_json",
        env.ok(&["ps:report", "web", "--format", "json"])
    );
    assert_eq!(
        env.ok(&["ps:report", "web", "--ps-scale"]),
        "web=2 worker=3\n"
    );
    let scale = berth::store::Store::at(env.path())
        .scale(&"web".parse().unwrap())
        .unwrap();
    assert_eq!(scale.get(&"worker".parse().unwrap()), Some(&3));
}

#[test]
fn domains_app_and_global() {
    let env = Env::new();
    env.ok(&["domains:set-global", "example.com", "example.org"]);
    env.ok(&["apps:create", "web"]);
    snap!(
        env,
        "domains_report_default",
        env.ok(&["domains:report", "web"])
    );
    env.ok(&["domains:add", "web", "WWW.Example.com", "*.web.example.net"]);
    env.ok(&["domains:remove", "web", "web.example.org"]);
    snap!(env, "domains_report", env.ok(&["domains:report", "web"]));
    snap!(
        env,
        "domains_report_json",
        env.ok(&["domains:report", "web", "--format", "json"])
    );
    snap!(
        env,
        "domains_report_global",
        env.ok(&["domains:report", "--global"])
    );
    env.ok(&["domains:set", "web", "only.example.com"]);
    assert_eq!(
        env.ok(&["domains:report", "web", "--domains-app-vhosts"]),
        "only.example.com\n"
    );
    env.ok(&["domains:clear", "web"]);
    assert_eq!(
        env.ok(&["domains:report", "web", "--domains-app-vhosts"]),
        "\n"
    );
    env.ok(&["domains:reset", "web"]);
    assert_eq!(
        env.ok(&["domains:report", "web", "--domains-app-vhosts"]),
        "web.example.com web.example.org\n"
    );
    env.ok(&["domains:add", "--global", "example.net"]);
    env.ok(&["domains:remove-global", "example.org"]);
    env.ok(&["domains:add-global", "example.io"]);
    assert_eq!(
        env.ok(&["domains:report", "--global", "--domains-global-vhosts"]),
        "example.com example.io example.net\n"
    );
    env.ok(&["domains:disable", "web"]);
    assert_eq!(
        env.ok(&["domains:report", "web", "--domains-app-enabled"]),
        "false\n"
    );
    env.ok(&["domains:enable", "web"]);
    assert_eq!(
        env.ok(&["domains:report", "web", "--domains-app-enabled"]),
        "true\n"
    );
    env.ok(&["domains:clear-global"]);
    assert_eq!(
        env.ok(&["domains:report", "--global", "--domains-global-enabled"]),
        "false\n"
    );
}

#[test]
fn ports() {
    let env = env_with_app();
    snap!(
        env,
        "ports_report_default",
        env.ok(&["ports:report", "web"])
    );
    env.ok(&[
        "ports:add",
        "web",
        "http:80:3000",
        "https:443:3000",
        "udp:53:5353",
    ]);
    snap!(env, "ports_report", env.ok(&["ports:report", "web"]));
    snap!(
        env,
        "ports_report_json",
        env.ok(&["ports:report", "web", "--format", "json"])
    );
    env.ok(&["ports:remove", "web", "53"]);
    env.ok(&["ports:remove", "web", "https:443:3000"]);
    assert_eq!(
        env.ok(&["ports:report", "web", "--ports-map"]),
        "http:80:3000\n"
    );
    env.ok(&["ports:set", "web", "http:8080:5000"]);
    assert_eq!(
        env.ok(&["ports:report", "web", "--ports-map"]),
        "http:8080:5000\n"
    );
    env.ok(&["ports:clear", "web"]);
    assert_eq!(
        env.ok(&["ports:report", "web", "--ports-map-computed"]),
        "http:80:5000\n"
    );
}

#[test]
fn resources() {
    let env = env_with_app();
    env.ok(&["resource:limit", "web", "--memory", "512", "--cpu", "1"]);
    env.ok(&["resource:reserve", "web", "--memory", "300", "--cpu", "0m"]);
    env.ok(&[
        "resource:limit",
        "web",
        "--process-type",
        "worker",
        "--memory",
        "1Gi",
        "--nvidia-gpu",
        "1",
    ]);
    snap!(env, "resource_report", env.ok(&["resource:report", "web"]));
    snap!(
        env,
        "resource_report_json",
        env.ok(&["resource:report", "web", "--format", "json"])
    );
    snap!(
        env,
        "resource_limit_show",
        env.ok(&["resource:limit", "web"])
    );
    assert_eq!(
        env.ok(&["resource:report", "web", "--resource-worker-limit-memory"]),
        "1Gi\n"
    );
    env.ok(&["resource:limit-clear", "web", "--process-type", "worker"]);
    env.ok(&["resource:reserve-clear", "web"]);
    let r = berth::store::Store::at(env.path())
        .resources(&"web".parse().unwrap())
        .unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r["_default_"].limit.memory.as_deref(), Some("512Mi"));
    assert_eq!(r["_default_"].reserve.memory, None);
}

#[test]
fn registry_set_login_report() {
    let env = env_with_app();
    env.ok(&["registry:set", "web", "server", "ghcr.io"]);
    env.ok(&["registry:set", "web", "image-repo", "acme/web"]);
    env.ok(&["registry:set", "--global", "push-on-release", "true"]);
    let out = env.ok_stdin(
        &[
            "registry:login",
            "--global",
            "--password-stdin",
            "ghcr.io",
            "bot",
        ],
        "hunter2\n",
    );
    assert!(!out.contains("hunter2"));
    let out = env.ok(&[
        "registry:login",
        "web",
        "registry.example.com:5000",
        "deploy",
        "s3cret",
    ]);
    assert!(!out.contains("s3cret"));
    let report = env.ok(&["registry:report", "web"]);
    assert!(!report.contains("hunter2") && !report.contains("s3cret"));
    snap!(env, "registry_report", report);
    let json = env.ok(&["registry:report", "web", "--format", "json"]);
    assert!(!json.contains("hunter2") && !json.contains("s3cret"));
    snap!(env, "registry_report_json", json);
    snap!(
        env,
        "registry_report_global",
        env.ok(&["registry:report", "--global"])
    );
    for f in [
        "global/registry-credentials.json",
        "apps/web/registry-credentials.json",
    ] {
        let mode = std::fs::metadata(env.path().join(f))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{f}");
    }
    env.ok(&["registry:set", "web", "server"]);
    assert_eq!(
        env.ok(&["registry:report", "web", "--registry-computed-server"]),
        "\n"
    );
}

#[test]
fn scheduler_set_report() {
    let env = env_with_app();
    env.ok(&["scheduler:set", "web", "selected", "k3s"]);
    snap!(
        env,
        "scheduler_report",
        env.ok(&["scheduler:report", "web"])
    );
    snap!(
        env,
        "scheduler_report_json",
        env.ok(&["scheduler:report", "web", "--format", "json"])
    );
    env.ok(&["scheduler:set", "web", "selected", ""]);
    assert_eq!(
        env.ok(&["scheduler:report", "web", "--scheduler-selected"]),
        "\n"
    );
    assert_eq!(
        env.ok(&["scheduler:report", "web", "--scheduler-computed-selected"]),
        "k3s\n"
    );
}

#[test]
fn app_json_set_report() {
    let env = env_with_app();
    let path = env.path().join("app.json");
    std::fs::write(
        &path,
        r#"{
  // JSONC comments are fine
  "formation": {"web": {"quantity": 2}, "worker": {"autoscaling": {"min_quantity": 1, "max_quantity": 4, "triggers": [{"type": "cpu", "metadata": {"value": "50"}}]}}},
  "cron": [{"command": "bin/cleanup", "schedule": "@daily"}],
  "healthchecks": {"web": [{"type": "startup", "path": "/health"}]}
}"#,
    )
    .unwrap();
    env.ok(&["app-json:set", "web", "--file", path.to_str().unwrap()]);
    snap!(env, "app_json_report", env.ok(&["app-json:report", "web"]));
    snap!(
        env,
        "app_json_report_json",
        env.ok(&["app-json:report", "web", "--format", "json"])
    );
    env.ok_stdin(&["app-json:set", "web", "--file", "-"], "{}");
    assert_eq!(
        env.ok(&["app-json:report", "web", "--app-json-formation"]),
        "\n"
    );
    env.ok(&["app-json:set", "web"]);
    assert_eq!(
        env.ok(&["app-json:report", "web", "--app-json-stored"]),
        "false\n"
    );
}
