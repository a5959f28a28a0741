//! Dokku's grammar as its users and its test suite type it: global flags before the command,
//! plugin help, the messages people grep for, and the everyday config/registry/ps forms. Each
//! transcript pins the exit code, stdout and stderr together.

mod support;

use support::cli::Env;

/// The manifests a deploy of `my-app` would apply (`deploy --dry-run`).
fn dry_run(env: &Env) -> String {
    env.ok(&[
        "deploy",
        "my-app",
        "--image",
        "registry.example.com/app:1",
        "--dry-run",
    ])
}

/// Run openssl(1) (what Dokku users make certificates with); it must succeed.
fn openssl(args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl (installed by .ci/run)");
    assert!(out.status.success(), "openssl {args:?}: {out:?}");
}

fn env_with_app() -> Env {
    let env = Env::new();
    env.ok(&["apps:create", "my-app"]);
    env
}

#[test]
fn global_flags_before_the_command() {
    let env = env_with_app();
    // --app inserts the app as the command's first argument (Dokku's DOKKU_APP_NAME).
    env.ok(&["--app", "my-app", "config:set", "--no-restart", "A=1"]);
    assert_eq!(env.ok(&["--app", "my-app", "config:get", "A"]), "1\n");
    snap!(
        env,
        "app_flag_without_pairs",
        env.transcript(&["--app", "my-app", "config:set"])
    );
    // --quiet drops the headings, not the data.
    env.ok(&["ports:set", "my-app", "http:80:5000"]);
    snap!(
        env,
        "quiet_report_flag",
        env.transcript(&["--quiet", "ports:report", "my-app", "--ports-map"])
    );
    snap!(
        env,
        "quiet_apps_list",
        env.transcript(&["--quiet", "apps:list"])
    );
    assert!(
        !env.ok(&["--quiet", "ports:report", "my-app"])
            .contains("=====>")
    );
    // --force answers the confirmation.
    env.ok(&["apps:create", "doomed"]);
    env.ok(&["--force", "apps:destroy", "doomed"]);
    assert_eq!(
        env.fail(&["apps:exists", "doomed"]),
        "App doomed does not exist"
    );
    // --trace turns on debug logging on stderr; the command's output is unchanged.
    assert_eq!(
        env.ok(&["--trace", "apps:list", "--format", "json"]),
        "[\"my-app\"]\n"
    );
    let before = env.state_hash();
    snap!(
        env,
        "unknown_global_flag",
        env.transcript(&["--frobnicate", "apps:list"])
    );
    snap!(env, "app_flag_without_value", env.transcript(&["--app"]));
    assert_eq!(env.state_hash(), before);
}

#[test]
fn plugin_help_is_dokku_s_usage_block() {
    let env = Env::new();
    let ports = env.transcript(&["ports"]);
    snap!(env, "ports_help", &ports);
    assert_eq!(env.transcript(&["ports:help"]), ports);
    assert_eq!(env.transcript(&["ports", "--help"]), ports);
    assert_eq!(env.transcript(&["help", "ports"]), ports);
    let config = env.transcript(&["config:help"]);
    assert_eq!(env.transcript(&["config", "--help"]), config);
    assert!(config.contains("Manage global and app-specific config vars"));
    assert!(config.contains("config:import"));
    snap!(
        env,
        "scheduler_k3s_help",
        env.transcript(&["scheduler-k3s:help"])
    );
    snap!(env, "help", env.transcript(&["help"]));
    assert_eq!(env.transcript(&[]), env.transcript(&["help"]));
    assert_eq!(env.transcript(&["--help"]), env.transcript(&["help"]));
    // Every command berth has is in `help --all` with a usage line.
    let all = env.ok(&["help", "--all"]);
    for sub in berth::cli::command().get_subcommands() {
        assert!(
            all.contains(sub.get_name()),
            "help --all misses {}",
            sub.get_name()
        );
    }
    assert!(all.contains("scheduler-k3s:report [<app>|--global] [--format stdout|json] [<flag>]"));
}

#[test]
fn bare_family_commands_as_in_dokku() {
    let env = env_with_app();
    // `dokku apps` lists apps; `dokku config <app>` shows its environment.
    assert_eq!(env.ok(&["apps"]), env.ok(&["apps:list"]));
    env.ok(&["config:set", "--no-restart", "my-app", "K=v"]);
    assert_eq!(
        env.ok(&["config", "my-app"]),
        env.ok(&["config:show", "my-app"])
    );
}

#[test]
fn typos_get_a_suggestion() {
    let env = Env::new();
    snap!(env, "typo", env.transcript(&["apps:craete", "my-app"]));
    snap!(env, "unknown", env.transcript(&["frobnicate"]));
    snap!(
        env,
        "unknown_option",
        env.transcript(&["apps:list", "--fromat", "json"])
    );
}

#[test]
fn messages_dokku_users_grep_for() {
    let env = env_with_app();
    let before = env.state_hash();
    let cases: &[(&[&str], &str)] = &[
        (
            &["config:set", "my-app"],
            "At least one env pair must be given",
        ),
        (
            &["config:unset", "my-app"],
            "At least one key must be given",
        ),
        (
            &["scheduler-k3s:report", "my-app", "--format", "yaml"],
            "Invalid format: yaml (valid: stdout, json)",
        ),
        (
            &["scheduler-k3s:labels:report", "my-app", "--format", "yaml"],
            "Invalid format: yaml (valid: stdout, json)",
        ),
        (
            &["ports:report", "my-app", "--format", "json", "--ports-map"],
            "--format flag cannot be specified when specifying an info flag",
        ),
        (
            &["ports:report", "my-app", "--invalid-flag"],
            "Invalid flag passed, valid flags: --ports-map, --ports-map-computed, --ports-map-detected, --ports-map-detected-json, --ports-map-json",
        ),
        (
            &[
                "scheduler-k3s:set",
                "my-app",
                "cert-issuer-kind",
                "Certificate",
            ],
            "Invalid cert-issuer-kind \"Certificate\": valid values are Issuer and ClusterIssuer",
        ),
        (
            &["scheduler-k3s:set", "my-app", "letsencrypt-server", "maybe"],
            "Invalid letsencrypt-server \"maybe\": valid values are prod, production, stag, staging, and false",
        ),
    ];
    for (args, want) in cases {
        assert_eq!(&env.fail(args), want, "berth {args:?}");
    }
    assert_eq!(env.state_hash(), before, "a refusal changed the state");
}

#[test]
fn config_import_and_export_round_trip() {
    let env = env_with_app();
    env.ok(&["apps:create", "copy"]);
    env.ok(&[
        "config:set",
        "--no-restart",
        "my-app",
        "PLAIN=a b",
        "QUOTED=it's \"q\"",
        "MULTI=line1\nline2",
    ]);
    for format in ["envfile", "json"] {
        let exported = env.ok(&["config:export", "--format", format, "my-app"]);
        env.ok(&["config:clear", "--no-restart", "copy"]);
        env.ok_stdin(
            &[
                "config:import",
                "--no-restart",
                "--format",
                format,
                "copy",
                "-",
            ],
            &exported,
        );
        assert_eq!(
            env.ok(&["config:export", "--format", "json", "copy"]),
            env.ok(&["config:export", "--format", "json", "my-app"]),
            "{format} round trip"
        );
    }
    // --replace drops what the file does not set; a file argument works too.
    let file = env.path().join("import.env");
    std::fs::write(&file, "# only this\nexport ONLY='x'\n").unwrap();
    env.ok(&[
        "config:import",
        "--replace",
        "--no-restart",
        "copy",
        file.to_str().unwrap(),
    ]);
    assert_eq!(env.ok(&["config:keys", "copy"]), "ONLY\n");
    assert_eq!(
        env.ok(&["config:export", "--format", "docker-args-keys", "my-app"]),
        "--env=MULTI --env=PLAIN --env=QUOTED\n"
    );
    std::fs::write(&file, "GOOD=1\nthis-line-holds-a-secret\n").unwrap();
    let before = env.state_hash();
    snap!(
        env,
        "import_not_a_file",
        env.transcript(&["config:import", "copy", "/dev/null"])
    );
    let msg = env.fail(&["config:import", "copy", file.to_str().unwrap()]);
    assert_eq!(
        msg,
        "Invalid envfile line 2: use KEY=VALUE (line not shown, it may hold a secret)"
    );
    assert_eq!(env.state_hash(), before);
}

#[test]
fn registry_login_forms_and_logout() {
    let env = env_with_app();
    snap!(
        env,
        "login_app",
        env.transcript(&["registry:login", "my-app", "ghcr.io", "bot", "s3cret-1"])
    );
    snap!(
        env,
        "login_deprecated_global",
        env.transcript(&["registry:login", "hub.docker.com", "bot", "s3cret-2"])
    );
    assert!(
        env.ok(&["registry:report", "--global", "--registry-global-logins"])
            .contains("docker.io")
    );
    snap!(
        env,
        "logout_app",
        env.transcript(&["registry:logout", "my-app", "ghcr.io"])
    );
    let before = env.state_hash();
    snap!(
        env,
        "logout_nothing",
        env.transcript(&["registry:logout", "my-app", "ghcr.io"])
    );
    assert_eq!(env.state_hash(), before);
    env.ok(&["registry:logout", "--global", "docker.io"]);
    assert_eq!(
        env.ok(&["registry:report", "--global", "--registry-global-logins"]),
        "\n"
    );
}

#[test]
fn ps_scale_and_apps_list_in_json() {
    let env = env_with_app();
    env.ok(&["ps:scale", "--skip-deploy", "my-app", "web=2", "worker=1"]);
    assert_eq!(
        env.ok(&["ps:scale", "my-app", "--format", "json"]),
        "[{\"process_type\":\"web\",\"quantity\":2},{\"process_type\":\"worker\",\"quantity\":1}]\n"
    );
    snap!(
        env,
        "ps_scale_quiet",
        env.transcript(&["--quiet", "ps:scale", "my-app"])
    );
    assert_eq!(env.ok(&["apps:list", "--format", "json"]), "[\"my-app\"]\n");
}

/// `certs:*` without a cluster: an OpenSSL RSA pair in the traditional PKCS#1 form and an EC pair
/// are accepted, reported and shown; a mismatched pair is refused without touching the state.
#[test]
fn certs_from_openssl_files() {
    let env = env_with_app();
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n).display().to_string();
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &path("rsa8.key"),
        "-out",
        &path("rsa.crt"),
        "-days",
        "30",
        "-subj",
        "/CN=my-app.example.com/O=Acme",
        "-addext",
        "subjectAltName=DNS:my-app.example.com,DNS:www.example.com",
    ]);
    openssl(&[
        "rsa",
        "-in",
        &path("rsa8.key"),
        "-traditional",
        "-out",
        &path("rsa.key"),
    ]);
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        &path("ec.key"),
        "-out",
        &path("ec.crt"),
        "-days",
        "30",
        "-subj",
        "/CN=ec.example.com",
    ]);
    assert!(
        std::fs::read_to_string(path("rsa.key"))
            .unwrap()
            .starts_with("-----BEGIN RSA PRIVATE KEY-----")
    );
    let before = env.state_hash();
    assert_eq!(
        env.fail(&["certs:add", "my-app", &path("ec.crt"), &path("rsa.key")]),
        "Invalid key: it is an RSA key but the certificate's key is an EC key"
    );
    assert_eq!(
        env.fail(&["certs:remove", "my-app"]),
        "An app-specific SSL endpoint is not defined"
    );
    assert_eq!(env.state_hash(), before);
    env.ok(&["certs:add", "my-app", &path("rsa.crt"), &path("rsa.key")]);
    assert_eq!(
        env.ok(&["certs:report", "my-app", "--ssl-hostnames"]),
        "my-app.example.com www.example.com\n"
    );
    assert_eq!(
        env.ok(&["certs:report", "my-app", "--ssl-subject"]),
        "CN=my-app.example.com; O=Acme\n"
    );
    assert_eq!(
        env.ok(&["certs:show", "my-app", "key"]),
        std::fs::read_to_string(path("rsa.key")).unwrap()
    );
    env.ok(&["certs:update", "my-app", &path("ec.crt"), &path("ec.key")]);
    assert_eq!(
        env.ok(&["certs:report", "my-app", "--ssl-enabled"]),
        "true\n"
    );
    env.ok(&["certs:remove", "my-app"]);
    assert_eq!(
        env.ok(&["certs:report", "my-app", "--ssl-enabled"]),
        "false\n"
    );

    // Dokku's streamed import: a tar of one .crt and one .key on stdin, made with tar(1).
    let tar = |name: &str, members: &[&str]| {
        let out = std::process::Command::new("tar")
            .arg("cf")
            .arg(path(name))
            .arg("-C")
            .arg(dir.path())
            .args(members)
            .output()
            .expect("tar");
        assert!(out.status.success(), "tar: {out:?}");
        std::fs::read(path(name)).unwrap()
    };
    let stdin_fail = |bytes: Vec<u8>| {
        let out = env
            .cmd(&["certs:add", "my-app"])
            .write_stdin(bytes)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8(out.stderr).unwrap()
    };
    let before = env.state_hash();
    assert_eq!(
        stdin_fail(tar("key-only.tar", &["ec.key"])),
        " !     Tar archive is missing .crt file\n"
    );
    assert_eq!(
        stdin_fail(tar("two.tar", &["ec.crt", "rsa.crt", "ec.key"])),
        " !     Tar archive contains more than one .crt file\n"
    );
    assert_eq!(env.state_hash(), before);
    let pair = tar("pair.tar", &["ec.crt", "ec.key"]);
    let out = env
        .cmd(&["certs:add", "my-app"])
        .write_stdin(pair)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        env.ok(&["certs:report", "my-app", "--ssl-hostnames"]),
        "ec.example.com\n"
    );
}

#[test]
fn apps_lock_refuses_deploys_until_unlocked() {
    let env = env_with_app();
    assert_eq!(
        env.fail(&["apps:locked", "my-app"]),
        "Deploy lock does not exist"
    );
    snap!(env, "lock", env.transcript(&["apps:lock", "my-app"]));
    assert_eq!(env.ok(&["apps:locked", "my-app"]), "Deploy lock exists\n");
    assert_eq!(env.ok(&["apps:report", "my-app", "--app-locked"]), "true\n");
    let before = env.state_hash();
    assert_eq!(
        env.fail(&[
            "deploy",
            "my-app",
            "--image",
            "registry.example.com/my-app:1"
        ]),
        "my-app currently has a deploy lock in place. Exiting... (run 'berth apps:unlock my-app' to release the existing deploy lock)"
    );
    assert_eq!(env.state_hash(), before);
    snap!(env, "unlock", env.transcript(&["apps:unlock", "my-app"]));
    assert_eq!(
        env.ok(&["apps:report", "my-app", "--app-locked"]),
        "false\n"
    );
    let report: serde_json::Value =
        serde_json::from_str(&env.ok(&["apps:report", "my-app", "--format", "json"])).unwrap();
    for key in [
        "created-at",
        "deploy-source",
        "deploy-source-metadata",
        "dir",
        "locked",
    ] {
        assert!(
            report.get(key).is_some(),
            "apps:report json has no {key}: {report}"
        );
    }
}

#[test]
fn url_and_urls_follow_domains_ports_and_tls() {
    let env = env_with_app();
    env.ok(&["domains:set", "my-app", "b.example.com", "a.example.com"]);
    assert_eq!(
        env.ok(&["urls", "my-app"]),
        "http://a.example.com\nhttp://b.example.com\n"
    );
    env.ok(&["ports:set", "my-app", "http:80:5000", "http:8080:5000"]);
    assert_eq!(env.ok(&["url", "my-app"]), "http://a.example.com\n");
    // letsencrypt (an email for the computed server) turns TLS on: https first.
    env.ok(&[
        "scheduler-k3s:set",
        "my-app",
        "letsencrypt-email-prod",
        "ops@example.com",
    ]);
    assert_eq!(env.ok(&["url", "my-app"]), "https://a.example.com\n");
    assert_eq!(
        env.ok(&["--quiet", "urls", "my-app"]),
        "http://a.example.com\nhttp://a.example.com:8080\nhttp://b.example.com\nhttp://b.example.com:8080\nhttps://a.example.com\nhttps://b.example.com\n"
    );
    env.ok(&["domains:clear", "my-app"]);
    snap!(
        env,
        "url_without_domains",
        env.transcript(&["url", "my-app"])
    );
}

#[test]
fn ps_set_properties_reach_the_rendered_pods() {
    let env = env_with_app();
    env.ok(&["ps:set", "my-app", "start-cmd", "bin/server --port $PORT"]);
    env.ok(&["ps:set", "--global", "stop-timeout-seconds", "45"]);
    assert_eq!(
        env.ok(&["ps:report", "my-app", "--ps-start-cmd"]),
        "bin/server --port $PORT\n"
    );
    assert_eq!(
        env.ok(&["ps:report", "my-app", "--ps-global-stop-timeout-seconds"]),
        "45\n"
    );
    assert_eq!(
        env.ok(&["ps:report", "my-app", "--ps-computed-stop-timeout-seconds"]),
        "45\n"
    );
    assert_eq!(
        env.ok(&["ps:report", "my-app", "--ps-computed-restart-policy"]),
        "on-failure:10\n"
    );
    let manifests = dry_run(&env);
    assert!(
        manifests.contains("- bin/server\n        - --port\n        - \"5000\""),
        "{manifests}"
    );
    assert!(
        manifests.contains("terminationGracePeriodSeconds: 45"),
        "{manifests}"
    );
    let before = env.state_hash();
    assert_eq!(
        env.fail(&["ps:set", "my-app", "restart-policy", "bogus"]),
        "Invalid restart-policy specified: \"bogus\"; use no, always, unless-stopped or on-failure[:N]"
    );
    assert!(
        env.fail(&["ps:set", "--global", "start-cmd", "x"])
            .starts_with("Property \"start-cmd\" cannot be specified globally")
    );
    assert_eq!(env.state_hash(), before);
    env.ok(&["ps:set", "my-app", "start-cmd"]);
    assert_eq!(env.ok(&["ps:report", "my-app", "--ps-start-cmd"]), "\n");
}

#[test]
fn resource_values_in_dokku_s_forms() {
    let env = env_with_app();
    // Docker's binary units (Dokku's test: 512MB is 536870912 bytes).
    env.ok(&["resource:limit", "--memory", "512MB", "my-app"]);
    assert_eq!(
        env.ok(&[
            "resource:report",
            "my-app",
            "--resource-_default_.limit.memory"
        ]),
        "512Mi\n"
    );
    env.ok(&[
        "resource:limit",
        "--memory",
        "1g",
        "--memory-swap",
        "2g",
        "my-app",
    ]);
    assert_eq!(
        env.ok(&[
            "resource:report",
            "my-app",
            "--resource-_default_.limit.memory"
        ]),
        "1Gi\n"
    );
    assert_eq!(
        env.ok(&[
            "resource:report",
            "my-app",
            "--resource-_default_.limit.memory-swap"
        ]),
        "2g\n"
    );
    snap!(
        env,
        "resource_limit_show",
        env.transcript(&["resource:limit", "my-app"])
    );
    env.ok(&["resource:limit", "--memory", "clear", "my-app"]);
    assert_eq!(
        env.ok(&[
            "resource:report",
            "my-app",
            "--resource-_default_.limit.memory"
        ]),
        "\n"
    );
    snap!(
        env,
        "resource_reserve_process",
        env.transcript(&[
            "resource:reserve",
            "--process-type",
            "web",
            "--cpu",
            "250m",
            "my-app"
        ])
    );
    let dry = dry_run(&env);
    assert!(!dry.contains("swap"), "memory-swap is Docker-only: {dry}");
}

#[test]
fn ports_list_json_flags_and_the_report_of_every_plugin() {
    let env = env_with_app();
    assert_eq!(
        env.fail(&["ports:list", "my-app"]),
        "No port mappings configured for app"
    );
    env.ok(&["ports:set", "my-app", "http:8080:5001", "http:80:5000"]);
    snap!(env, "ports_list", env.transcript(&["ports:list", "my-app"]));
    assert_eq!(
        env.ok(&["--quiet", "ports:list", "my-app"])
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        "http 80 5000 http 8080 5001"
    );
    assert_eq!(
        env.ok(&["ports:report", "my-app", "--ports-map-json"]),
        "[{\"container_port\":5000,\"host_port\":80,\"scheme\":\"http\"},{\"container_port\":5001,\"host_port\":8080,\"scheme\":\"http\"}]\n"
    );
    let all = env.ok(&["report", "my-app"]);
    for heading in [
        "my-app app information",
        "my-app ports information",
        "my-app ps information",
        "my-app scheduler-k3s information",
        "my-app ssl information",
    ] {
        assert!(all.contains(heading), "report misses {heading}:\n{all}");
    }
    assert_eq!(
        env.ok(&["report", "my-app", "--ports-map"]),
        "http:80:5000 http:8080:5001\n"
    );
    assert_eq!(
        env.ok(&["report", "my-app", "--ps-computed-restart-policy"]),
        "on-failure:10\n"
    );
    assert!(
        env.fail(&["report", "my-app", "--bogus"])
            .starts_with("Invalid flag passed")
    );
}

#[test]
fn domains_setup_and_a_kubeconfig_path_written_later() {
    let env = Env::new();
    env.ok(&["domains:set-global", "example.com"]);
    env.ok(&["apps:create", "my-app"]);
    env.ok(&["domains:clear", "my-app"]);
    snap!(
        env,
        "domains_setup",
        env.transcript(&["domains:setup", "my-app"])
    );
    assert_eq!(
        env.ok(&["domains:report", "my-app", "--domains-app-vhosts"]),
        "my-app.example.com\n"
    );
    env.ok(&["domains:set", "my-app", "custom.example.org"]);
    env.ok(&["domains:setup", "my-app"]);
    assert_eq!(
        env.ok(&["domains:report", "my-app", "--domains-app-vhosts"]),
        "custom.example.org\n"
    );
    // Dokku accepts a kubeconfig path before the file exists (initialize writes it later).
    let later = env.path().join("later.kubeconfig");
    let out = env
        .cmd(&[
            "scheduler-k3s:set",
            "--global",
            "kubeconfig-path",
            later.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist yet"));
    assert_eq!(
        env.ok(&[
            "scheduler-k3s:report",
            "--global",
            "--scheduler-k3s-global-kubeconfig-path"
        ])
        .trim(),
        later.display().to_string()
    );
}

#[test]
fn docker_options_reach_the_pod_security_context() {
    let env = env_with_app();
    env.ok(&[
        "docker-options:add",
        "my-app",
        "deploy",
        "--cap-add",
        "net_admin",
        "--privileged",
    ]);
    env.ok(&[
        "docker-options:add",
        "my-app",
        "deploy,run",
        "--sysctl",
        "net.core.somaxconn=1024",
    ]);
    env.ok(&[
        "docker-options:add",
        "my-app",
        "build",
        "--build-arg",
        "X=1",
    ]);
    snap!(
        env,
        "docker_options_report",
        env.transcript(&["docker-options:report", "my-app"])
    );
    let dry = dry_run(&env);
    assert!(
        dry.contains(
            "capabilities:\n            add:\n            - NET_ADMIN\n          privileged: true"
        ),
        "{dry}"
    );
    assert!(
        dry.contains("sysctls:\n        - name: net.core.somaxconn\n          value: \"1024\""),
        "{dry}"
    );
    assert!(!dry.contains("build-arg"), "{dry}");
    let before = env.state_hash();
    assert_eq!(
        env.fail(&["docker-options:add", "my-app", "nope", "--privileged"]),
        "Phase(s) must be one of [build deploy run], got \"nope\""
    );
    assert_eq!(
        env.fail(&["docker-options:add", "my-app", "deploy", "--sysctl", "bad"]),
        "Invalid --sysctl value, expected name=value: \"bad\""
    );
    assert_eq!(env.state_hash(), before);
    env.ok(&["docker-options:remove", "my-app", "deploy", "--privileged"]);
    assert_eq!(
        env.ok(&["docker-options:report", "my-app", "--docker-options-deploy"]),
        "--cap-add net_admin --sysctl net.core.somaxconn=1024\n"
    );
    env.ok(&["docker-options:clear", "my-app"]);
    let dry = dry_run(&env);
    assert!(!dry.contains("securityContext"), "{dry}");
}

#[test]
fn apps_set_properties() {
    let env = env_with_app();
    snap!(
        env,
        "apps_set",
        env.transcript(&["apps:set", "my-app", "deploy-source", "docker-image"])
    );
    assert_eq!(
        env.ok(&["apps:report", "my-app", "--app-deploy-source"]),
        "docker-image\n"
    );
    env.ok(&["apps:set", "--global", "disable-autocreation", "true"]);
    assert_eq!(
        env.ok(&["apps:report", "my-app", "--app-global-disable-autocreation"]),
        "true\n"
    );
    let before = env.state_hash();
    assert_eq!(
        env.fail(&["apps:set", "--global", "deploy-source", "x"]),
        "Invalid property specified, valid properties include: disable-autocreation; got \"deploy-source\""
    );
    assert_eq!(env.state_hash(), before);
    env.ok(&["apps:set", "my-app", "deploy-source"]);
    assert_eq!(
        env.ok(&["apps:report", "my-app", "--app-deploy-source"]),
        "\n"
    );
}

#[test]
fn registry_computed_server_is_dokku_s_image_prefix() {
    let env = env_with_app();
    env.ok(&[
        "registry:set",
        "--global",
        "server",
        "registry.example.com:5000",
    ]);
    assert_eq!(
        env.ok(&["registry:report", "my-app", "--registry-computed-server"]),
        "registry.example.com:5000/\n"
    );
    env.ok(&["registry:set", "my-app", "server", "docker.io"]);
    assert_eq!(
        env.ok(&["registry:report", "my-app", "--registry-computed-server"]),
        "\n"
    );
    assert_eq!(
        env.ok(&["registry:report", "my-app", "--registry-server"]),
        "docker.io\n"
    );
}

/// Dokku's registry properties and report keys: image-repo-template renders the computed image
/// repo, image-repo is per app only, tag-version is reported for an app.
#[test]
fn property_typos_get_the_closest_property() {
    let env = env_with_app();
    let msg = env.fail(&["scheduler-k3s:set", "my-app", "deploy-timout", "60s"]);
    assert!(
        msg.starts_with("Invalid property specified, valid properties include: "),
        "{msg}"
    );
    assert!(
        msg.ends_with("got \"deploy-timout\"; did you mean `deploy-timeout`?"),
        "{msg}"
    );
    let msg = env.fail(&["ps:set", "my-app", "restart-polcy", "always"]);
    assert!(msg.ends_with("did you mean `restart-policy`?"), "{msg}");
    let msg = env.fail(&["registry:set", "my-app", "sever", "ghcr.io"]);
    assert!(msg.ends_with("did you mean `server`?"), "{msg}");
}

#[test]
fn registry_templates_and_report_keys() {
    let env = env_with_app();
    env.ok(&[
        "registry:set",
        "--global",
        "image-repo-template",
        "acme/{{ .AppName }}",
    ]);
    assert_eq!(
        env.ok(&[
            "registry:report",
            "my-app",
            "--registry-computed-image-repo"
        ]),
        "acme/my-app\n"
    );
    env.ok(&["registry:set", "my-app", "image-repo", "team/own"]);
    assert_eq!(
        env.ok(&[
            "registry:report",
            "my-app",
            "--registry-computed-image-repo"
        ]),
        "team/own\n"
    );
    let before = env.state_hash();
    assert_eq!(
        env.fail(&["registry:set", "--global", "image-repo", "x/y"]),
        "Property cannot be specified globally"
    );
    assert_eq!(
        env.fail(&[
            "registry:set",
            "my-app",
            "image-repo-template",
            "{{ .Name }}"
        ]),
        "Invalid image-repo-template \"{{ .Name }}\": only {{ .AppName }} is supported, not \"{{ .Name }}\""
    );
    assert_eq!(env.state_hash(), before);
    env.ok(&["registry:set", "my-app", "push-extra-tags", "latest,stable"]);
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["registry:report", "my-app", "--format", "json"])).unwrap();
    for key in [
        "registry-computed-image-repo-template",
        "registry-global-image-repo-template",
        "registry-image-repo-template",
        "registry-tag-version",
        "registry-computed-push-extra-tags",
        "computed-push-extra-tags",
    ] {
        assert!(json.get(key).is_some(), "no {key} in {json}");
    }
    assert_eq!(json["registry-computed-push-extra-tags"], "latest,stable");
    let global: serde_json::Value =
        serde_json::from_str(&env.ok(&["registry:report", "--global", "--format", "json"]))
            .unwrap();
    assert_eq!(
        global["computed-image-repo-template"],
        "acme/{{ .AppName }}"
    );
    assert!(
        global.get("registry-computed-image-repo").is_none(),
        "{global}"
    );
}

/// `--ssl-verified` answers as Dokku's `openssl verify -purpose sslserver`: a leaf signed by a
/// CA the system trusts (here one named by SSL_CERT_FILE, which OpenSSL honours too) is
/// "verified by a certificate authority"; the same chain without that CA trusted, and a
/// self-signed certificate, are "self signed".
#[test]
fn ssl_verified_checks_the_chain_against_trusted_cas() {
    let env = env_with_app();
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n).display().to_string();
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        &path("ca.key"),
        "-out",
        &path("ca.crt"),
        "-days",
        "30",
        "-subj",
        "/CN=Berth Test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        &path("leaf.key"),
        "-out",
        &path("leaf.csr"),
        "-subj",
        "/CN=my-app.example.com",
    ]);
    std::fs::write(
        path("ext.cnf"),
        "subjectAltName=DNS:my-app.example.com\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        &path("leaf.csr"),
        "-CA",
        &path("ca.crt"),
        "-CAkey",
        &path("ca.key"),
        "-CAcreateserial",
        "-out",
        &path("leaf.crt"),
        "-days",
        "10",
        "-extfile",
        &path("ext.cnf"),
    ]);
    env.ok(&["certs:add", "my-app", &path("leaf.crt"), &path("leaf.key")]);
    let verified = |ca_file: &str| {
        let out = env
            .cmd(&["certs:report", "my-app", "--ssl-verified"])
            .env("SSL_CERT_FILE", ca_file)
            .env_remove("SSL_CERT_DIR")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(
        verified(&path("ca.crt")),
        "verified by a certificate authority\n"
    );
    // openssl agrees, which is what Dokku runs.
    openssl(&[
        "verify",
        "-purpose",
        "sslserver",
        "-CAfile",
        &path("ca.crt"),
        &path("leaf.crt"),
    ]);
    std::fs::write(path("empty.pem"), "").unwrap();
    assert_eq!(verified(&path("empty.pem")), "self signed\n");
    // The CA itself, used as a server certificate, is self-signed and not a trusted server leaf.
    env.ok(&["certs:update", "my-app", &path("ca.crt"), &path("ca.key")]);
    assert_eq!(verified(&path("empty.pem")), "self signed\n");
}

/// Dokku 0.38's process-scoped docker options: `--process` before or after the app, deploy phase
/// only, `_default_` reserved, `docker-options:list`, `deploy.<process>` report keys and the JSON
/// `-list` arrays; `clear` without `--process` keeps the process scope.
#[test]
fn docker_options_per_process() {
    let env = env_with_app();
    env.ok(&[
        "docker-options:add",
        "--process",
        "web",
        "my-app",
        "deploy",
        "-p 6789:5000",
    ]);
    env.ok(&[
        "docker-options:add",
        "my-app",
        "deploy",
        "--ulimit nofile=12",
        "--shm-size 256m",
        "--process",
        "web",
    ]);
    env.ok(&[
        "docker-options:add",
        "my-app",
        "deploy",
        "--cap-add NET_ADMIN",
    ]);
    let before = env.state_hash();
    assert_eq!(
        env.fail(&[
            "docker-options:add",
            "--process",
            "web",
            "my-app",
            "build,deploy",
            "--x"
        ]),
        "--process is only supported for the deploy phase, got \"build\""
    );
    assert_eq!(
        env.fail(&[
            "docker-options:add",
            "--process",
            "_default_",
            "my-app",
            "deploy",
            "--x"
        ]),
        "\"_default_\" is reserved and cannot be used as a --process value"
    );
    assert_eq!(
        env.fail(&["docker-options:list", "my-app"]),
        "--phase is required"
    );
    assert_eq!(env.state_hash(), before);
    assert_eq!(
        env.ok(&[
            "docker-options:list",
            "my-app",
            "--process",
            "web",
            "--phase",
            "deploy"
        ]),
        "-p 6789:5000\n--ulimit nofile=12\n--shm-size 256m\n"
    );
    assert_eq!(
        env.ok(&["docker-options:list", "my-app", "--phase", "deploy"]),
        "--cap-add NET_ADMIN\n"
    );
    assert_eq!(
        env.ok(&[
            "docker-options:report",
            "my-app",
            "--docker-options-deploy.web"
        ]),
        "-p 6789:5000 --ulimit nofile=12 --shm-size 256m\n"
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["docker-options:report", "my-app", "--format", "json"]))
            .unwrap();
    assert_eq!(json["deploy.web-list"][1], "--ulimit nofile=12");
    assert_eq!(json["build-list"], serde_json::json!([]));
    assert_eq!(json["docker-options-deploy"], "--cap-add NET_ADMIN");
    env.ok(&["docker-options:clear", "my-app"]);
    assert_eq!(
        env.ok(&[
            "docker-options:list",
            "my-app",
            "--process",
            "web",
            "--phase",
            "deploy"
        ])
        .lines()
        .count(),
        3
    );
    env.ok(&[
        "docker-options:remove",
        "--process",
        "web",
        "my-app",
        "deploy",
        "-p 6789:5000",
    ]);
    env.ok(&[
        "docker-options:clear",
        "--process",
        "web",
        "my-app",
        "deploy",
    ]);
    assert_eq!(
        env.ok(&["docker-options:report", "my-app", "--format", "json"]),
        "{\"build\":\"\",\"deploy\":\"\",\"run\":\"\",\"docker-options-build\":\"\",\"docker-options-deploy\":\"\",\"docker-options-run\":\"\",\"build-list\":[],\"deploy-list\":[],\"run-list\":[]}\n"
    );
}
