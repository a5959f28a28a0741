//! Bad input across every command: each case must exit 1 with one ` !     ` line naming the
//! problem, and leave the state directory byte-for-byte unchanged.

mod support;

use support::cli::Env;

/// (arguments, expected message; a trailing `…` means "starts with").
const CASES: &[(&[&str], &str)] = &[
    (
        &["apps:create", "Web"],
        "Invalid app name \"Web\": App name must begin with lowercase alphanumeric character, and may only contain lowercase alphanumerics, dots, and hyphens",
    ),
    (
        &["apps:create", "-web"],
        "Invalid app name \"-web\": App name must begin with lowercase alphanumeric character, and may only contain lowercase alphanumerics, dots, and hyphens",
    ),
    (
        &["apps:create", "test:latest"],
        "Invalid app name \"test:latest\": App name must begin with lowercase alphanumeric character, and may only contain lowercase alphanumerics, dots, and hyphens",
    ),
    (
        &["apps:create", "we_b"],
        "Invalid app name \"we_b\": App name must begin with lowercase alphanumeric character, and may only contain lowercase alphanumerics, dots, and hyphens",
    ),
    (
        &["apps:create", "web"],
        "Name is already taken: app web exists",
    ),
    (
        &["apps:destroy", "nope", "--force"],
        "App nope does not exist",
    ),
    (
        &["apps:rename", "web", "web"],
        "the new name must differ from web",
    ),
    (&["apps:rename", "nope", "other"], "App nope does not exist"),
    (
        &["apps:rename", "web", "Bad"],
        "Invalid app name \"Bad\": App name must begin with lowercase alphanumeric character, and may only contain lowercase alphanumerics, dots, and hyphens",
    ),
    (
        &["apps:clone", "web", "web"],
        "the new name must differ from web",
    ),
    (&["apps:report", "nope"], "App nope does not exist"),
    (
        &["apps:exists", "UPPER"],
        "Invalid app name \"UPPER\": App name must begin with lowercase alphanumeric character, and may only contain lowercase alphanumerics, dots, and hyphens",
    ),
    (
        &["config:set", "web", "NOEQUALS"],
        "Invalid config pair #1 (not shown, it may hold a secret): use KEY=VALUE",
    ),
    (
        &["config:set", "web", "A=1", "pasted-canary-token"],
        "Invalid config pair #2 (not shown, it may hold a secret): use KEY=VALUE",
    ),
    (
        &["scheduler-k3s:cluster-add", "ssh://root@0"],
        "Invalid ssh target \"ssh://root@0\": host \"0\" (0.0.0.0) is the unspecified address, not a host; use the node's address",
    ),
    (
        &["scheduler-k3s:cluster-add", "ssh://root:pw-canary@10.0.0.9"],
        "Invalid ssh target \"ssh://root:***@10.0.0.9\": passwords in ssh:// URLs are not supported; authenticate with a key (BERTH_SSH_KEY or ~/.ssh/id_ed25519)",
    ),
    (
        &["scheduler-k3s:set", "--global", "token", "tok canary"],
        "Invalid token (value not shown): use a k3s join token without whitespace (at most 512 characters)",
    ),
    (
        &["scheduler-k3s:set", "--global", "token", "tok\tcanary"],
        "Invalid token (value not shown): control characters (newlines, tabs) are not allowed",
    ),
    (
        &[
            "scheduler-k3s:autoscaling-auth:set",
            "web",
            "prometheus",
            "--metadata",
            "a=1",
            "--metadata",
            "canary-no-equals",
        ],
        "Invalid --metadata #2 (not shown, it may hold a secret): use key=value",
    ),
    (
        &["run", "web", "--env", "canary-no-equals", "true"],
        "Invalid environment variable pair #1 (not shown, it may hold a secret): use KEY=VALUE",
    ),
    (
        &["config:set", "web", "1KEY=v"],
        "Invalid config key \"1KEY\": use letters, digits and '_', not starting with a digit (at most 256)",
    ),
    (
        &["config:set", "web", "KEY-DASH=v"],
        "Invalid config key \"KEY-DASH\": use letters, digits and '_', not starting with a digit (at most 256)",
    ),
    (
        &["config:set", "web", "=v"],
        "Invalid config key \"\": use letters, digits and '_', not starting with a digit (at most 256)",
    ),
    (&["config:set", "nope", "A=b"], "App nope does not exist"),
    (
        &["config:set", "--encoded", "web", "A=!!!notbase64"],
        "Invalid --encoded value for A: not valid base64",
    ),
    (
        &["config:unset", "web", "bad-key"],
        "Invalid config key \"bad-key\": use letters, digits and '_', not starting with a digit (at most 256)",
    ),
    (
        &["config:get", "web", "9X"],
        "Invalid config key \"9X\": use letters, digits and '_', not starting with a digit (at most 256)",
    ),
    (
        &["config:show", "Bad"],
        "Invalid app name \"Bad\": App name must begin with lowercase alphanumeric character, and may only contain lowercase alphanumerics, dots, and hyphens",
    ),
    (
        &["config:export", "--format", "xml", "web"],
        "Invalid format: xml (valid: exports, envfile, docker-args, docker-args-keys, shell, json, json-list, pretty)",
    ),
    (
        &["ps:scale", "web", "web"],
        "Invalid scale \"web\": use process=count, e.g. web=2",
    ),
    (
        &["ps:scale", "web", "web=-1"],
        "Invalid scale \"web=-1\": the count must be a whole number from 0 to 10000",
    ),
    (
        &["ps:scale", "web", "Web=1"],
        "Invalid process type \"Web\": use 1-32 lowercase letters, digits and dashes, starting and ending with a letter or digit",
    ),
    (
        &["ps:scale", "web", "web=many"],
        "Invalid scale \"web=many\": the count must be a whole number from 0 to 10000",
    ),
    (
        &["ps:scale", "web", "web=100000"],
        "Invalid scale \"web=100000\": the count must be a whole number from 0 to 10000",
    ),
    (&["ps:scale", "nope", "web=1"], "App nope does not exist"),
    (
        &["domains:add", "web", "bad_domain.com"],
        "Invalid domain \"bad_domain.com\": use a hostname of dot-separated labels (letters, digits and dashes, 1-63 chars each, 253 in total), optionally starting with \"*.\"",
    ),
    (
        &["domains:add", "web", "-a.com"],
        "Invalid domain \"-a.com\": use a hostname of dot-separated labels (letters, digits and dashes, 1-63 chars each, 253 in total), optionally starting with \"*.\"",
    ),
    (
        &["domains:add", "web", "10.0.0.1"],
        "Invalid domain \"10.0.0.1\": an IP address cannot be an ingress host; use a DNS name",
    ),
    (
        &["domains:add", "web", "a..b"],
        "Invalid domain \"a..b\": use a hostname of dot-separated labels (letters, digits and dashes, 1-63 chars each, 253 in total), optionally starting with \"*.\"",
    ),
    (
        &["domains:set-global", "http://example.com"],
        "Invalid domain \"http://example.com\": use a hostname of dot-separated labels (letters, digits and dashes, 1-63 chars each, 253 in total), optionally starting with \"*.\"",
    ),
    (&["domains:add", "nope", "a.com"], "App nope does not exist"),
    (
        &["ports:add", "web", "http:80"],
        "Invalid port mapping \"http:80\": use scheme:host-port:container-port, e.g. http:80:5000",
    ),
    (
        &["ports:add", "web", "ftp:21:21"],
        "Invalid port mapping \"ftp:21:21\": scheme \"ftp\" must be one of http, https, tcp, udp",
    ),
    (
        &["ports:add", "web", "http:0:5000"],
        "Invalid port mapping \"http:0:5000\": host port \"0\" must be a number from 1 to 65535",
    ),
    (
        &["ports:add", "web", "http:80:70000"],
        "Invalid port mapping \"http:80:70000\": container port \"70000\" must be a number from 1 to 65535",
    ),
    (
        &["ports:set", "web", "http:80:5000", "tcp:80:3000"],
        "port mappings http:80:5000 and tcp:80:3000 both use host port 80; remove one first",
    ),
    (
        &["ports:remove", "web", "99999"],
        "Invalid host port \"99999\": use a number from 1 to 65535",
    ),
    (
        &["resource:limit", "web", "--memory", "1.5Gi"],
        "Invalid memory quantity \"1.5Gi\": use a whole number with unit b, Ki, Mi, Gi, Ti, k, M, G or T, or Docker's m, g, kb, mb, gb (no unit means Mi), e.g. 512Mi or 512MB",
    ),
    (
        &["resource:limit", "web", "--memory", "512q"],
        "Invalid memory quantity \"512q\": use a whole number with unit b, Ki, Mi, Gi, Ti, k, M, G or T, or Docker's m, g, kb, mb, gb (no unit means Mi), e.g. 512Mi or 512MB",
    ),
    (
        &["resource:limit", "web", "--cpu", "-1"],
        "Invalid cpu quantity \"-1\": use cores (1, 0.5) or millicores (250m), at least 1m and at most 4096 cores",
    ),
    (
        &["resource:limit", "web", "--cpu", "1.5m"],
        "Invalid cpu quantity \"1.5m\": use cores (1, 0.5) or millicores (250m), at least 1m and at most 4096 cores",
    ),
    (
        &[
            "resource:limit",
            "web",
            "--process-type",
            "Web",
            "--cpu",
            "1",
        ],
        "Invalid process type \"Web\": use 1-32 lowercase letters, digits and dashes, starting and ending with a letter or digit",
    ),
    (
        &["resource:reserve", "web", "--nvidia-gpu", "1"],
        "--nvidia-gpu can only be set with resource:limit",
    ),
    (
        &["resource:limit", "web", "--nvidia-gpu", "100"],
        "Invalid nvidia-gpu count \"100\": use a whole number from 0 to 64",
    ),
    (
        &["registry:set", "web", "server", "https://ghcr.io"],
        "Invalid registry server \"https://ghcr.io\": use host[:port] such as ghcr.io or registry.example.com:5000 (no scheme or path)",
    ),
    (
        &["registry:set", "web", "image-repo", "Acme/App"],
        "Invalid image-repo \"Acme/App\": use lowercase path components such as team/my-app",
    ),
    (
        &["registry:set", "web", "push-on-release", "yes"],
        "Invalid push-on-release \"yes\": valid values are true and false",
    ),
    (
        &["registry:set", "web", "colour", "red"],
        "Invalid property specified, valid properties include: image-repo, image-repo-template, push-extra-tags, push-on-release, server; got \"colour\"",
    ),
    (
        &["registry:login", "web", "ghcr.io"],
        "Missing password argument",
    ),
    (
        &["registry:login", "web", "ghcr.io/x", "bot", "pw"],
        "Invalid registry server \"ghcr.io/x\": use host[:port] such as ghcr.io or registry.example.com:5000 (no scheme or path)",
    ),
    (
        &[
            "registry:login",
            "web",
            "ghcr.io",
            "bot",
            "pw",
            "--password-stdin",
        ],
        "pass the password either as an argument or with --password-stdin, not both",
    ),
    (
        &["scheduler:set", "web", "selected", "docker-local"],
        "Invalid scheduler \"docker-local\": berth only provides the k3s scheduler (valid values: k3s)",
    ),
    (
        &["scheduler:set", "web", "shell", "ba sh"],
        "Invalid shell \"ba sh\": use the path of a shell in the image, e.g. /bin/sh",
    ),
    (
        &["scheduler:set", "web", "nope", "x"],
        "Invalid property specified, valid properties include: selected, shell; got \"nope\"",
    ),
    (
        &["builder:set", "web", "skip-cleanup", "maybe"],
        "Invalid skip-cleanup \"maybe\": use true or false",
    ),
    (
        &["app-json:set", "web", "--file", "/nonexistent/app.json"],
        "cannot read app.json /nonexistent/app.json: No such file or directory (os error 2)",
    ),
    (
        &["scheduler-k3s:set", "web", "deploy-timeout", "soon"],
        "Invalid deploy-timeout \"soon\": use a duration such as 60s, 5m or 1h30m (a bare integer means seconds)",
    ),
    (
        &["scheduler-k3s:set", "web", "deploy-timeout", "0"],
        "Invalid deploy-timeout \"0\": use a duration such as 60s, 5m or 1h30m (a bare integer means seconds)",
    ),
    (
        &["scheduler-k3s:set", "web", "rollback-on-failure", "maybe"],
        "Invalid rollback-on-failure \"maybe\": valid values are true and false",
    ),
    (
        &["scheduler-k3s:set", "web", "letsencrypt-server", "yes"],
        "Invalid letsencrypt-server \"yes\": valid values are prod, production, stag, staging, and false",
    ),
    (
        &["scheduler-k3s:set", "web", "namespace", "Kube_System"],
        "Invalid namespace \"Kube_System\": use a DNS-1123 label: 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit",
    ),
    (
        &["scheduler-k3s:set", "web", "namespace", "a.b"],
        "Invalid namespace \"a.b\": use a DNS-1123 label: 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit",
    ),
    (
        &["scheduler-k3s:set", "web", "cert-issuer-kind", "Foo"],
        "Invalid cert-issuer-kind \"Foo\": valid values are Issuer and ClusterIssuer",
    ),
    (
        &["scheduler-k3s:set", "web", "cert-issuer-name", "Bad_Name"],
        "Invalid cert-issuer-name \"Bad_Name\": use a DNS-1123 subdomain (lowercase letters, digits, '-' and '.') or false",
    ),
    (
        &["scheduler-k3s:set", "web", "image-pull-secrets", "a,,b"],
        "Invalid image-pull-secrets \"a,,b\": use Secret names (DNS-1123 subdomains: lowercase letters, digits, '-' and '.'), comma-separated",
    ),
    (
        &["scheduler-k3s:set", "web", "kustomize-root-path", "../etc"],
        "Invalid kustomize-root-path \"../etc\": use a path relative to the repository root without '..', e.g. config/kustomize",
    ),
    (
        &[
            "scheduler-k3s:set",
            "web",
            "letsencrypt-email-prod",
            "not-an-email",
        ],
        "Invalid letsencrypt-email-prod \"not-an-email\": use an email address such as admin@example.com",
    ),
    (
        &["scheduler-k3s:set", "web", "shm-size", "0"],
        "Invalid shm-size \"0\": the size must be greater than zero, e.g. 64Mi",
    ),
    (
        &["scheduler-k3s:set", "web", "ingress-class", "nginx"],
        "property ingress-class can only be set with --global (it is cluster-wide)",
    ),
    (
        &["scheduler-k3s:set", "web", "token", "abc"],
        "property token can only be set with --global (it is cluster-wide)",
    ),
    (
        &["scheduler-k3s:set", "--global", "ingress-class", "haproxy"],
        "Invalid ingress-class \"haproxy\": valid values are nginx and traefik",
    ),
    (
        &[
            "scheduler-k3s:set",
            "--global",
            "kubeconfig-path",
            "relative.yaml",
        ],
        "Invalid kubeconfig-path \"relative.yaml\": use an absolute path to a kubeconfig file",
    ),
    (
        &["scheduler-k3s:set", "--global", "kubeconfig-path", "/"],
        "Invalid kubeconfig-path \"/\": not a readable regular file",
    ),
    (
        &[
            "scheduler-k3s:set",
            "--global",
            "network-interface",
            "eth0/1",
        ],
        "Invalid network-interface \"eth0/1\": use a network interface name such as eth0 (at most 15 letters, digits, '-', '_', '.', '@' or ':')",
    ),
    (
        &[
            "scheduler-k3s:set",
            "--global",
            "node-sysctls-image",
            "Busybox:1",
        ],
        "Invalid node-sysctls-image \"Busybox:1\": use an image reference such as busybox:1.36 or registry.example.com/team/app:tag",
    ),
    (
        &["scheduler-k3s:set", "web", "no-such-property", "x"],
        "Invalid property specified, valid properties include: cert-issuer-kind, cert-issuer-name, deploy-timeout, image…",
    ),
    (
        &["scheduler-k3s:set", "web", "", "x"],
        "no property specified",
    ),
    (
        &["scheduler-k3s:set", "web", "chart.traefik.x", "1"],
        "Chart properties can only be set globally",
    ),
    (
        &["scheduler-k3s:set", "--global", "chart.nope.x", "1"],
        "Invalid chart property, expected format: chart.$CHART_NAME.$PROPERTY with a known chart: \"chart.nope.x\"",
    ),
    (
        &["scheduler-k3s:set", "nope", "namespace", "x"],
        "App nope does not exist",
    ),
    (
        &["scheduler-k3s:report", "web", "--scheduler-k3s-nope"],
        "Invalid flag passed, valid flags: --scheduler-k3s-cert-issuer-kind, --scheduler-k3s-cert-issuer-name, --scheduler-k3s-co…",
    ),
    (
        &[
            "scheduler-k3s:report",
            "web",
            "--format",
            "json",
            "--scheduler-k3s-namespace",
        ],
        "--format flag cannot be specified when specifying an info flag",
    ),
    (
        &["scheduler-k3s:report", "web", "--format", "yaml"],
        "Invalid format: yaml (valid: stdout, json)",
    ),
    (
        &["scheduler-k3s:annotations:set", "web", "key", "v"],
        "the following required arguments were not provided: --resource-type <RESOURCE_TYPE> (see --help)",
    ),
    (
        &[
            "scheduler-k3s:annotations:set",
            "web",
            "key",
            "v",
            "--resource-type",
            "pods",
        ],
        "Invalid annotation resource type \"pods\": use one of certificate, cronjob, deployment, ingress, job, keda_scaled_object, …",
    ),
    (
        &[
            "scheduler-k3s:annotations:set",
            "web",
            "-bad",
            "v",
            "--resource-type",
            "pod",
        ],
        "Invalid annotation key \"-bad\": use [prefix/]name where name is 1-63 letters, digits, '-', '_' or '.' starting and ending with a letter or digit, and prefix is a lowercase DNS subdomain",
    ),
    (
        &[
            "scheduler-k3s:annotations:set",
            "web",
            "Example.com/key",
            "v",
            "--resource-type",
            "pod",
        ],
        "Invalid annotation key \"Example.com/key\": use [prefix/]name where name is 1-63 letters, digits, '-', '_' or '.' starting and ending with a letter or digit, and prefix is a lowercase DNS subdomain",
    ),
    (
        &[
            "scheduler-k3s:annotations:set",
            "web",
            "a/b/c",
            "v",
            "--resource-type",
            "pod",
        ],
        "Invalid annotation key \"a/b/c\": use [prefix/]name where name is 1-63 letters, digits, '-', '_' or '.' starting and ending with a letter or digit, and prefix is a lowercase DNS subdomain",
    ),
    (
        &[
            "scheduler-k3s:annotations:set",
            "web",
            "key",
            "v",
            "--resource-type",
            "pod",
            "--process-type",
            "Web",
        ],
        "Invalid process type \"Web\": use 1-32 lowercase letters, digits and dashes, starting and ending with a letter or digit",
    ),
    (
        &[
            "scheduler-k3s:labels:set",
            "web",
            "key",
            "bad value",
            "--resource-type",
            "pod",
        ],
        "Invalid label value \"bad value\": use at most 63 letters, digits, '-', '_' or '.' starting and ending with a letter or digit",
    ),
    (
        &[
            "scheduler-k3s:labels:set",
            "web",
            "key",
            "v",
            "--resource-type",
            "keda_secret",
        ],
        "Invalid label resource type \"keda_secret\": use one of certificate, cronjob, deployment, ingress, job, pod, secret, service, serviceaccount, traefik_ingressroute, traefik_middleware",
    ),
    (
        &[
            "scheduler-k3s:labels:set",
            "web",
            "key",
            "-v",
            "--resource-type",
            "pod",
        ],
        "Invalid label value \"-v\": use at most 63 letters, digits, '-', '_' or '.' starting and ending with a letter or digit",
    ),
    (
        &[
            "scheduler-k3s:labels:set",
            "web",
            "k y",
            "v",
            "--resource-type",
            "pod",
        ],
        "Invalid label key \"k y\": use [prefix/]name where name is 1-63 letters, digits, '-', '_' or '.' starting and ending with a letter or digit, and prefix is a lowercase DNS subdomain",
    ),
    (
        &[
            "scheduler-k3s:annotations:report",
            "web",
            "--resource-type",
            "nope",
        ],
        "Invalid annotation resource type \"nope\": use one of certificate, cronjob, deployment, ingress, job, keda_scaled_object, …",
    ),
    (
        &[
            "scheduler-k3s:autoscaling-auth:set",
            "web",
            "Prometheus",
            "--metadata",
            "a=b",
        ],
        "Invalid trigger type \"Prometheus\": use a KEDA trigger type such as prometheus or aws-sqs-queue (lowercase letters, digits and '-')",
    ),
    (
        &[
            "scheduler-k3s:autoscaling-auth:set",
            "web",
            "prometheus",
            "--metadata",
            "novalue",
        ],
        "Invalid --metadata #1 (not shown, it may hold a secret): use key=value",
    ),
    (
        &[
            "scheduler-k3s:autoscaling-auth:set",
            "web",
            "prometheus",
            "--metadata",
            "a=",
        ],
        "Invalid --metadata value for a: must be non-empty text",
    ),
    (
        &[
            "scheduler-k3s:autoscaling-auth:set",
            "web",
            "prometheus",
            "--metadata",
            "a b=c",
        ],
        "Invalid --metadata key \"a b\": use letters, digits, '-', '_' and '.'",
    ),
    (
        &[
            "scheduler-k3s:autoscaling-auth:set",
            "nope",
            "prometheus",
            "--metadata",
            "a=b",
        ],
        "App nope does not exist",
    ),
    (
        &["scheduler-k3s:charts:set", "traefik", "1"],
        "Invalid property \"traefik\", expected format: <chart-name>.<property>",
    ),
    (
        &["scheduler-k3s:charts:set", "nope.x", "1"],
        "Invalid chart name \"nope\", valid charts: cert-manager, ingress-nginx, keda, keda-add-ons-http, longhorn, traefik, vector",
    ),
    (
        &["scheduler-k3s:charts:set", "traefik.", "1"],
        "Invalid property \"traefik.\", expected format: <chart-name>.<property>",
    ),
    (
        &["scheduler-k3s:charts:report", "nope"],
        "Invalid chart name \"nope\", valid charts: cert-manager, ingress-nginx, keda, keda-add-ons-http, longhorn, traefik, vector",
    ),
    (
        &[
            "scheduler-k3s:charts:report",
            "--scheduler-k3s-charts-traefik.nope",
        ],
        "Invalid flag passed, valid flags: --scheduler-k3s-charts-traefik.x",
    ),
    (
        &["config:set", "web", "A=b", "--encoded", "B=%%%"],
        "Invalid --encoded value for A: not valid base64",
    ),
    (
        &["ports:add", "web", "http:80:5000:1"],
        "Invalid port mapping \"http:80:5000:1\": use scheme:host-port:container-port, e.g. http:80:5000",
    ),
    (
        &[
            "scheduler-k3s:set",
            "--global",
            "letsencrypt-email-stag",
            "a@b",
        ],
        "Invalid letsencrypt-email-stag \"a@b\": use an email address such as admin@example.com",
    ),
    (
        &["scheduler-k3s:set", "--global", "kube-context", " padded"],
        "Invalid kube-context \" padded\": use a context name from the kubeconfig (at most 253 characters, no surrounding spaces)",
    ),
    (
        &[
            "resource:limit",
            "web",
            "--memory",
            "99999999999999999999999",
        ],
        "Invalid memory quantity \"99999999999999999999999\": use a whole number with unit b, Ki, Mi, Gi, Ti, k, M, G or T, or Docker's m, g, kb, mb, gb (no unit means Mi), e.g. 512Mi or 512MB",
    ),
];

/// A state directory with something in every kind of file, so "unchanged" means something.
fn populated() -> Env {
    let env = Env::new();
    env.ok(&["domains:set-global", "example.com"]);
    env.ok(&["apps:create", "web"]);
    env.ok(&["config:set", "web", "SECRET=s3cr3t", "A=1"]);
    env.ok(&["config:set", "--global", "G=1"]);
    env.ok(&["scheduler-k3s:set", "web", "deploy-timeout", "60s"]);
    env.ok(&["scheduler-k3s:set", "--global", "token", "tok-canary-5e1"]);
    env.ok(&[
        "scheduler-k3s:annotations:set",
        "web",
        "a",
        "b",
        "--resource-type",
        "pod",
    ]);
    env.ok(&[
        "scheduler-k3s:labels:set",
        "web",
        "a",
        "b",
        "--resource-type",
        "pod",
    ]);
    env.ok(&[
        "scheduler-k3s:autoscaling-auth:set",
        "web",
        "prometheus",
        "--metadata",
        "k=meta-canary-77",
    ]);
    env.ok(&["registry:login", "web", "ghcr.io", "bot", "pw-canary-31c"]);
    env.ok(&["scheduler-k3s:charts:set", "traefik.x", "1"]);
    env.ok(&["ps:scale", "web", "web=1"]);
    env.ok(&["ports:set", "web", "http:80:5000"]);
    env.ok(&["resource:limit", "web", "--memory", "512"]);
    env.ok(&["registry:set", "web", "server", "ghcr.io"]);
    env
}

fn check(env: &Env, args: &[&str], expected: &str) {
    let before = env.state_hash();
    let msg = env.fail(args);
    match expected.strip_suffix('…') {
        Some(prefix) => assert!(
            msg.starts_with(prefix),
            "berth {args:?}\n  got:  {msg}\n  want: {expected}"
        ),
        None => assert_eq!(msg, expected, "berth {args:?}"),
    }
    assert_eq!(
        env.state_hash(),
        before,
        "berth {args:?} changed the state directory"
    );
}

#[test]
fn every_bad_input_is_one_line_exit_1_and_changes_nothing() {
    assert!(CASES.len() >= 60, "only {} cases", CASES.len());
    let env = populated();
    let canaries = env.stored_secrets();
    for canary in [
        "s3cr3t",
        "tok-canary-5e1",
        "meta-canary-77",
        "pw-canary-31c",
    ] {
        assert!(canaries.iter().any(|c| c == canary), "{canaries:?}");
    }
    for (args, expected) in CASES {
        check(&env, args, expected);
    }
}

#[test]
fn bad_app_json_is_refused_and_nothing_stored() {
    let env = populated();
    let bad = env.path().join("bad-app.json");
    for (text, expected) in [
        (
            r#"{"formation": {"web": {"quantity": -1}}}"#,
            "app.json: formation.web.quantity…",
        ),
        (
            r#"{"formation": 1}"#,
            "app.json: formation must be an object, got 1",
        ),
        ("{not json", "app.json: not valid JSON…"),
        (
            r#"{"cron": [{"command": "a", "schedule": "@daily"}, {"command": "a", "schedule": "@daily"}]}"#,
            "cron[1]: the same task (id …",
        ),
        (
            r#"{"cron": [{"command": "x", "schedule": "every day"}]}"#,
            "app.json: cron[0]…",
        ),
    ] {
        std::fs::write(&bad, text).unwrap();
        // The bad file lives in the state dir only for the duration of this check.
        let before = env.state_hash();
        let msg = env.fail(&["app-json:set", "web", "--file", bad.to_str().unwrap()]);
        match expected.strip_suffix('…') {
            Some(p) => assert!(msg.starts_with(p), "{text}: {msg}"),
            None => assert_eq!(msg, expected),
        }
        assert_eq!(env.state_hash(), before);
    }
}

#[test]
fn secrets_never_appear_in_error_messages() {
    let env = populated();
    let msg = env.fail(&[
        "registry:login",
        "web",
        "ghcr.io",
        "bot",
        "bad\u{7}password",
    ]);
    assert!(!msg.contains("bad\u{7}password"), "{msg}");
}

#[test]
fn kubeconfigs_that_do_not_fit_are_refused() {
    let env = populated();
    let not_yaml = env.path().join("not-a-kubeconfig");
    std::fs::write(&not_yaml, "just text\n").unwrap();
    let kubeconfig = env.path().join("kubeconfig.yaml");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\ncontexts:\n- name: staging\n  context:\n    cluster: c\n    user: u\n",
    )
    .unwrap();
    let (not_yaml, kubeconfig) = (not_yaml.to_str().unwrap(), kubeconfig.to_str().unwrap());

    let before = env.state_hash();
    let msg = env.fail(&["scheduler-k3s:set", "--global", "kubeconfig-path", not_yaml]);
    assert!(
        msg.starts_with(&format!(
            "Invalid kubeconfig-path {not_yaml:?}: not a kubeconfig ("
        )),
        "{msg}"
    );
    assert_eq!(env.state_hash(), before);

    env.ok(&[
        "scheduler-k3s:set",
        "--global",
        "kubeconfig-path",
        kubeconfig,
    ]);
    let before = env.state_hash();
    let msg = env.fail(&["scheduler-k3s:set", "--global", "kube-context", "prod"]);
    assert_eq!(
        msg,
        format!(
            "kube-context \"prod\" is not a context of kubeconfig {kubeconfig:?} (its contexts: staging)"
        )
    );
    assert_eq!(env.state_hash(), before);
    env.ok(&["scheduler-k3s:set", "--global", "kube-context", "staging"]);

    // A new kubeconfig must still hold the chosen context.
    let other = env.path().join("other.yaml");
    std::fs::write(&other, "apiVersion: v1\nkind: Config\ncontexts: []\n").unwrap();
    let before = env.state_hash();
    let msg = env.fail(&[
        "scheduler-k3s:set",
        "--global",
        "kubeconfig-path",
        other.to_str().unwrap(),
    ]);
    assert!(msg.ends_with("(its contexts: none)"), "{msg}");
    assert_eq!(env.state_hash(), before);
}

/// `berth … | head -1` after the reader has gone: the first write to stdout fails with EPIPE;
/// berth ends quietly with 141 (what a SIGPIPE death gives a shell), no panic text, state unchanged.
#[test]
fn a_closed_stdout_ends_quietly() {
    let env = Env::new();
    env.ok(&["apps:create", "piped"]);
    let before = env.state_hash();
    for args in [
        &["apps:list"][..],
        &["apps:report"],
        &["help"],
        &["config:show", "piped"],
        &["scheduler-k3s:report", "--global"],
    ] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("berth"))
            .env("BERTH_HOME", env.path())
            .env_remove("RUST_LOG")
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn berth");
        // Close the only read end before berth writes: its first write fails.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait for berth");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(141), "berth {args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "berth {args:?} printed: {stderr}"
        );
    }
    assert_eq!(env.state_hash(), before);
}

/// Every file argument is read by one bounded reader: a device, a directory, a FIFO (which would
/// block forever) or an oversized file is refused with one line naming it, before any lock, and
/// nothing changes.
#[test]
fn file_arguments_are_regular_files_of_bounded_size() {
    let env = populated();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let big = dir.path().join("big");
    std::fs::write(&big, vec![b'#'; (1 << 20) + 1]).unwrap();
    let (fifo, big, dirp) = (
        fifo.to_str().unwrap(),
        big.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    );
    let deploy = |flag: &'static str, path: &str| -> Vec<String> {
        [
            "deploy",
            "web",
            "--image",
            "nginx:1",
            "--dry-run",
            flag,
            path,
        ]
        .map(String::from)
        .to_vec()
    };
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            deploy("--app-json", "/dev/zero"),
            "app.json /dev/zero is a character device, not a regular file".into(),
        ),
        (
            deploy("--procfile", fifo),
            format!("Procfile {fifo} is a named pipe, not a regular file"),
        ),
        (
            deploy("--procfile", dirp),
            format!("Procfile {dirp} is a directory, not a regular file"),
        ),
        (
            deploy("--app-json", big),
            format!("app.json {big} is larger than 1 MiB (the most berth reads)"),
        ),
        (
            ["procfile:set", "web", "--file", "/dev/zero"]
                .map(String::from)
                .to_vec(),
            "Procfile /dev/zero is a character device, not a regular file".into(),
        ),
        (
            ["procfile:set", "web", "--file", fifo]
                .map(String::from)
                .to_vec(),
            format!("Procfile {fifo} is a named pipe, not a regular file"),
        ),
        (
            ["app-json:set", "web", "--file", "/dev/zero"]
                .map(String::from)
                .to_vec(),
            "app.json /dev/zero is a character device, not a regular file".into(),
        ),
        (
            ["app-json:set", "web", "--file", big]
                .map(String::from)
                .to_vec(),
            format!("app.json {big} is larger than 1 MiB (the most berth reads)"),
        ),
        (
            ["scheduler-k3s:set", "--global", "kubeconfig-path", fifo]
                .map(String::from)
                .to_vec(),
            format!("Invalid kubeconfig-path {fifo:?}: not a readable regular file"),
        ),
    ];
    for (args, expected) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        check(&env, &args, expected);
    }
    // A Procfile on stdin is capped the same way.
    let before = env.state_hash();
    let out = env
        .cmd(&["procfile:set", "web", "--file", "-"])
        .write_stdin(vec![b'#'; (1 << 20) + 1])
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    let msg = String::from_utf8_lossy(&out);
    assert!(
        msg.contains("Procfile (stdin) is larger than 1 MiB"),
        "{msg}"
    );
    assert_eq!(env.state_hash(), before);
}

/// A refused edit is checked before the lock is taken: not even the lock file (which records its
/// holder) is rewritten.
#[test]
fn refused_edits_leave_the_lock_file_alone() {
    let env = populated();
    let dup = env.path().join("dup.json");
    std::fs::write(
        &dup,
        r#"{"cron": [{"command": "a", "schedule": "@daily"}, {"command": "a", "schedule": "@daily"}]}"#,
    )
    .unwrap();
    let lock = env.path().join("locks/app-web.lock");
    let stamp = || {
        let m = std::fs::metadata(&lock).unwrap();
        (m.modified().unwrap(), std::fs::read(&lock).unwrap())
    };
    let before = stamp();
    std::thread::sleep(std::time::Duration::from_millis(20));
    for args in [
        &["ports:add", "web", "http:80:6000"][..],
        &["ports:set", "web", "http:80:5000", "https:80:5000"],
        &["app-json:set", "web", "--file", dup.to_str().unwrap()],
    ] {
        env.fail(args);
        assert!(stamp() == before, "berth {args:?} rewrote the lock file");
    }
}
