//! `config:*` through the real binary.

mod support;

use support::cli::Env;

#[test]
fn set_get_show_export_keys_unset() {
    let env = Env::new();
    env.ok(&["apps:create", "web"]);
    let out = env.ok(&[
        "config:set",
        "web",
        "DATABASE_URL=postgres://u:secret@db/app",
        "QUOTE=it's",
        "EMPTY=",
    ]);
    assert!(!out.contains("secret"), "config:set echoed a value: {out}");
    snap!(env, "set", out);
    env.ok(&["config:set", "--global", "TZ=UTC", "QUOTE=global"]);
    assert_eq!(env.ok(&["config:get", "web", "QUOTE"]), "it's\n");
    assert_eq!(
        env.ok(&["config:get", "web", "QUOTE", "--quoted"]),
        "'it'\\''s'\n"
    );
    assert_eq!(env.ok(&["config:get", "web", "TZ", "--merged"]), "UTC\n");
    let missing = env.cmd(&["config:get", "web", "TZ"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(missing.stdout.is_empty() && missing.stderr.is_empty());

    snap!(env, "show", env.ok(&["config:show", "web"]));
    snap!(
        env,
        "show_merged",
        env.ok(&["config:show", "web", "--merged"])
    );
    snap!(env, "show_global", env.ok(&["config:show", "--global"]));
    snap!(env, "export", env.ok(&["config:export", "web"]));
    snap!(
        env,
        "export_json",
        env.ok(&["config:export", "--format", "json", "web"])
    );
    snap!(
        env,
        "export_json_list",
        env.ok(&["config:export", "--format", "json-list", "--merged", "web"])
    );
    snap!(
        env,
        "export_envfile",
        env.ok(&["config:export", "--format", "envfile", "web"])
    );
    snap!(
        env,
        "export_docker_args",
        env.ok(&["config:export", "--format", "docker-args", "web"])
    );
    snap!(
        env,
        "export_shell",
        env.ok(&["config:export", "--format", "shell", "web"])
    );
    snap!(
        env,
        "keys_merged",
        env.ok(&["config:keys", "web", "--merged"])
    );

    snap!(
        env,
        "unset",
        env.ok(&["config:unset", "--no-restart", "web", "EMPTY", "QUOTE"])
    );
    assert_eq!(env.ok(&["config:keys", "web"]), "DATABASE_URL\n");
    env.ok(&["config:clear", "web"]);
    assert_eq!(env.ok(&["config:keys", "web"]), "");
}

#[test]
fn encoded_values_and_secrets_mode() {
    let env = Env::new();
    env.ok(&["apps:create", "web"]);
    // "line1\nline2" base64-encoded.
    env.ok(&["config:set", "--encoded", "web", "CERT=bGluZTEKbGluZTI="]);
    assert_eq!(env.ok(&["config:get", "web", "CERT"]), "line1\nline2\n");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(env.path().join("apps/web/config.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}
