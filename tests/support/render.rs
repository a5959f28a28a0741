//! The representative apps rendered by the snapshot, property and API-server tests.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use berth::model::app_json::AppJson;
use berth::model::procfile::Procfile;
use berth::model::release::{
    BuilderType, IngressClass, LetsencryptServer, MetaScope, Release, ReleaseInputs,
    ResourceSetting, UserMeta,
};
use berth::render::{self, Manifest};

/// Inputs every example starts from: app `demo`, an image, a fixed deployment id.
pub fn base(app: &str) -> ReleaseInputs {
    ReleaseInputs {
        app: Some(app.parse().expect("valid app name")),
        image: format!("registry.example.com/{app}:1.0.0"),
        deployment_id: "1764050000".into(),
        ..ReleaseInputs::default()
    }
}

pub fn procfile(text: &str) -> Option<Procfile> {
    Some(Procfile::parse(text).expect("valid Procfile"))
}

pub fn app_json(text: &str) -> AppJson {
    AppJson::parse(text).expect("valid app.json")
}

/// Valid domains from literals.
pub fn domains(names: &[&str]) -> Vec<berth::model::domain::Domain> {
    names
        .iter()
        .map(|d| d.parse().expect("a valid domain"))
        .collect()
}

pub fn port(scheme: &str, host: u16, container: u16) -> berth::model::ports::PortMapping {
    berth::model::ports::PortMapping {
        scheme: berth::model::ports::PortScheme::ALL
            .into_iter()
            .find(|s| s.as_str() == scheme)
            .expect("a port scheme"),
        host_port: host,
        container_port: container,
    }
}

fn strings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// One example app: a name for the snapshot and the release's inputs.
pub struct Example {
    pub name: &'static str,
    pub inputs: ReleaseInputs,
    /// Global trigger auths rendered next to the app (ClusterTriggerAuthentication + Secret).
    pub cluster_auth: BTreeMap<String, BTreeMap<String, String>>,
    /// Render the global letsencrypt ClusterIssuers next to the app (from its global emails).
    pub cluster_issuers: bool,
}

impl Example {
    fn new(name: &'static str, inputs: ReleaseInputs) -> Example {
        Example {
            name,
            inputs,
            cluster_auth: BTreeMap::new(),
            cluster_issuers: false,
        }
    }

    pub fn release(&self) -> Release {
        Release::build(self.inputs.clone())
            .unwrap_or_else(|e| panic!("example {} does not build: {e}", self.name))
    }

    /// App objects, then the cluster-wide trigger auth objects (keda namespace, cluster scope).
    pub fn manifests(&self) -> Vec<Manifest> {
        let mut out = render::render(&self.release());
        for (trigger, metadata) in &self.cluster_auth {
            let (secret, auth) = render::cluster_trigger_authentications(trigger, metadata);
            out.push(Manifest::Secret(secret));
            out.push(Manifest::ClusterTriggerAuthentication(auth));
        }
        if self.cluster_issuers {
            let i = &self.inputs;
            out.extend(
                render::cluster_issuers(
                    i.letsencrypt_email_prod_global.as_deref(),
                    i.letsencrypt_email_stag_global.as_deref(),
                    i.ingress_class,
                )
                .into_iter()
                .map(Manifest::ClusterIssuer),
            );
        }
        out
    }
}

pub fn examples() -> Vec<Example> {
    let mut v = Vec::new();

    // 1. An image deploy without Procfile: one web process running the image's own command.
    v.push(Example::new("web_only", base("web-only")));

    // 2. web + worker + cron, release and predeploy tasks, scale from ps:scale and app.json.
    let mut i = base("shop");
    i.procfile = procfile(
        "web: gunicorn shop.wsgi --bind 0.0.0.0:$PORT --workers ${WORKERS}\nworker: celery -A shop worker -l info\nrelease: python manage.py migrate --noinput\n",
    );
    i.app_json = app_json(
        r#"{
          "formation": {"web": {"quantity": 2}, "worker": {"quantity": 1}},
          "cron": [
            {"command": "python manage.py clearsessions", "schedule": "@daily"},
            {"command": "python manage.py report --all", "schedule": "*/15 * * * *", "concurrency_policy": "forbid", "maintenance": true}
          ],
          "scripts": {"dokku": {"predeploy": "python manage.py collectstatic --noinput"}}
        }"#,
    );
    i.scale.insert("worker".parse().unwrap(), 3);
    i.env = strings(&[
        ("WORKERS", "4"),
        ("DATABASE_URL", "postgres://shop@db/shop"),
    ]);
    v.push(Example::new("web_worker_cron", i));

    // 3. nginx ingress with nginx settings and a user ingress annotation overriding one of them.
    let mut i = base("blog");
    i.domains = domains(&["blog.example.com"]);
    i.nginx = strings(&[
        ("client-max-body-size", "50m"),
        ("proxy-read-timeout", "120s"),
        ("proxy-buffers", "16 8k"),
        ("x-forwarded-ssl", "on"),
    ]);
    i.annotations.insert(
        MetaScope::App,
        "ingress",
        "nginx.ingress.kubernetes.io/proxy-send-timeout",
        "90",
    );
    v.push(Example::new("nginx_settings", i));

    // 4. letsencrypt prod via the global email: ClusterIssuer letsencrypt-prod, https:443 added.
    let mut i = base("shop-tls");
    i.domains = domains(&["shop.example.com"]);
    i.letsencrypt_email_prod_global = Some("ops@example.com".into());
    i.letsencrypt_email_stag_global = Some("staging@example.com".into());
    let mut e = Example::new("letsencrypt_prod", i);
    e.cluster_issuers = true;
    v.push(e);

    // 5. letsencrypt staging with an app-level email: a per-app Issuer, traefik routes + redirect.
    let mut i = base("stage");
    i.domains = domains(&["stage.example.com"]);
    i.ingress_class = IngressClass::Traefik;
    i.letsencrypt_server = LetsencryptServer::Stag;
    i.letsencrypt_email_stag_app = Some("dev@example.com".into());
    v.push(Example::new("letsencrypt_staging_traefik", i));

    // 6. Several domains incl. a wildcard, two port mappings, traefik without TLS.
    let mut i = base("multi");
    i.domains = domains(&["www.example.com", "example.com", "*.apps.example.com"]);
    i.ports = vec![port("http", 80, 3000), port("http", 8080, 3001)];
    i.ingress_class = IngressClass::Traefik;
    v.push(Example::new("multiple_domains", i));

    // 7. Resources: cpu request cleared with 0m, bare memory in Mi, limits, gpu, /dev/shm.
    let mut i = base("compute");
    i.procfile = procfile("web: ./server\nworker: ./crunch\n");
    i.resources.insert(
        "_default_".into(),
        ResourceSetting {
            reserve_cpu: Some("0m".into()),
            reserve_memory: Some("300".into()),
            ..ResourceSetting::default()
        },
    );
    i.resources.insert(
        "web".into(),
        ResourceSetting {
            limit_memory: Some("512".into()),
            limit_cpu: Some("2".into()),
            ..ResourceSetting::default()
        },
    );
    i.resources.insert(
        "worker".into(),
        ResourceSetting {
            reserve_cpu: Some("500m".into()),
            limit_gpu: Some("1".into()),
            limit_memory: Some("0".into()),
            ..ResourceSetting::default()
        },
    );
    i.scale.insert("worker".parse().unwrap(), 1);
    i.shm_size = Some("64Mi".into());
    v.push(Example::new("resources", i));

    // 8. Healthchecks of each kind: http startup, exec liveness, tcp readiness, uptime.
    let mut i = base("health");
    i.procfile = procfile("web: ./serve\nworker: ./work\n");
    i.ports = vec![port("http", 80, 5000), port("http", 8081, 9090)];
    i.app_json = app_json(
        r#"{
          "formation": {"worker": {"quantity": 1}},
          "healthchecks": {
            "web": [
              {"type": "startup", "name": "boot", "path": "/healthz", "scheme": "https", "attempts": 10,
               "wait": 3, "timeout": 2, "initialDelay": 5, "uptime": 10,
               "httpHeaders": [{"name": "Host", "value": "health.example.com"}, {"name": "X-Probe", "value": "1"}]},
              {"type": "liveness", "command": ["/bin/check", "--live"], "wait": 30},
              {"type": "readiness", "listening": true, "port": 9090, "attempts": 2},
              {"type": "readiness", "path": "/ignored-second-readiness"}
            ],
            "worker": [{"type": "liveness", "command": "pgrep -f work", "timeout": 5}]
          }
        }"#,
    );
    v.push(Example::new("healthchecks", i));

    // 9. KEDA autoscaling: triggers with placeholders, app auth and global (cluster) auth.
    let mut i = base("scaler");
    i.procfile = procfile("web: ./web\nworker: ./worker\n");
    i.domains = domains(&["scaler.example.com"]);
    i.app_json = app_json(
        r#"{
          "formation": {
            "web": {"quantity": 2, "autoscaling": {"min_quantity": 1, "max_quantity": 4,
              "triggers": [{"type": "cpu", "metadata": {"type": "Utilization", "value": "70"}}]}},
            "worker": {"quantity": 1, "autoscaling": {"min_quantity": 0, "max_quantity": 10,
              "polling_interval_seconds": 15, "cooldown_seconds": 120,
              "triggers": [
                {"name": "queue", "type": "prometheus", "metadata": {"serverAddress": "http://prometheus.monitoring:9090",
                  "query": "sum(queue_depth{deployment=\"[[ .DEPLOYMENT_NAME ]]\",app=\"[[ .APP_NAME ]]\"})", "threshold": "50"}},
                {"type": "memory", "metadata": {"type": "Utilization", "value": "80"}},
                {"type": "datadog", "metadata": {"query": "avg:jobs{process:DOKKU_PROCESS_TYPE}", "queryValue": "10"}}
              ]}}
          }
        }"#,
    );
    i.trigger_auth
        .insert("memory".into(), strings(&[("some-key", "some-value")]));
    i.global_trigger_auth = BTreeSet::from(["datadog".to_owned()]);
    let mut e = Example::new("autoscaling", i);
    e.cluster_auth.insert(
        "datadog".into(),
        strings(&[("apiKey", "dd-api-key"), ("appKey", "dd-app-key")]),
    );
    v.push(e);

    // 9b. HTTP autoscaling through the KEDA HTTP add-on (the cluster serves it): an
    //     HTTPScaledObject, the interceptor proxy Service and the Ingress routed through it.
    let mut i = base("httpscaled");
    i.domains = domains(&["api.example.com"]);
    i.http_addon = true;
    i.app_json = app_json(
        r#"{"formation": {"web": {"quantity": 1, "autoscaling": {"min_quantity": 0, "max_quantity": 5,
              "triggers": [{"type": "http", "metadata": {"scaledown_period_seconds": "150",
                "request_rate_target_value": "50"}}]}}}}"#,
    );
    v.push(Example::new("http_autoscaling", i));

    // 10. User labels and annotations at global, app and process scope, on each resource type.
    let mut i = base("meta");
    i.procfile = procfile("web: ./web\nworker: ./worker\n");
    i.domains = domains(&["meta.example.com"]);
    i.app_json = app_json(
        r#"{"cron": [{"id": "nightly", "command": "./nightly", "schedule": "0 3 * * *"}]}"#,
    );
    let mut ann = UserMeta::default();
    ann.insert(
        MetaScope::Global,
        "deployment",
        "example.com/owner",
        "platform",
    )
    .insert(
        MetaScope::GlobalProcess("worker".into()),
        "deployment",
        "example.com/oncall",
        "queue-team",
    )
    .insert(
        MetaScope::App,
        "deployment",
        "example.com/owner",
        "team-meta",
    )
    .insert(MetaScope::App, "deployment", "example.com/tier", "backend")
    .insert(
        MetaScope::Process("web".into()),
        "deployment",
        "example.com/tier",
        "frontend",
    )
    .insert(MetaScope::App, "pod", "prometheus.io/scrape", "true")
    .insert(
        MetaScope::Process("web".into()),
        "service",
        "service.beta.kubernetes.io/topology",
        "auto",
    )
    .insert(
        MetaScope::App,
        "serviceaccount",
        "eks.amazonaws.com/role-arn",
        "arn:aws:iam::1:role/meta",
    )
    .insert(
        MetaScope::App,
        "secret",
        "example.com/rotated",
        "2026-11-01",
    )
    .insert(
        MetaScope::Process("nightly".into()),
        "cronjob",
        "example.com/cron",
        "yes",
    )
    .insert(
        MetaScope::Process("nightly".into()),
        "job",
        "example.com/job",
        "yes",
    )
    .insert(
        MetaScope::App,
        "ingress",
        "nginx.ingress.kubernetes.io/proxy-body-size",
        "10m",
    );
    i.annotations = ann;
    let mut labels = UserMeta::default();
    labels
        .insert(
            MetaScope::Global,
            "deployment",
            "example.com/env",
            "production",
        )
        .insert(MetaScope::App, "pod", "example.com/team", "meta")
        .insert(
            MetaScope::Process("worker".into()),
            "pod",
            "example.com/queue",
            "default",
        )
        .insert(MetaScope::App, "service", "example.com/exposed", "true")
        .insert(MetaScope::App, "ingress", "example.com/public", "true")
        .insert(MetaScope::App, "serviceaccount", "example.com/sa", "meta")
        .insert(MetaScope::App, "secret", "example.com/secret", "config")
        .insert(
            MetaScope::Process("nightly".into()),
            "cronjob",
            "example.com/schedule",
            "nightly",
        );
    i.labels = labels;
    v.push(Example::new("labels_annotations", i));

    // 11a. image-pull-secrets: user-named Secrets (a comma-separated list, as documented).
    let mut i = base("private");
    i.image_pull_secrets = Some("regcred, backup-regcred".into());
    i.registry_docker_config =
        Some(r#"{"auths":{"registry.example.com":{"auth":"dXNlcjpwYXNz"}}}"#.into());
    v.push(Example::new("image_pull_secrets", i));

    // 11b. Registry login berth manages: Secret pull-secret-<app>.
    let mut i = base("private-login");
    i.registry_docker_config =
        Some(r#"{"auths":{"registry.example.com":{"auth":"dXNlcjpwYXNz"}}}"#.into());
    v.push(Example::new("registry_login", i));

    // 12. Non-default namespace, imported certificate, an exposed worker, nginx.
    let mut i = base("internal");
    i.namespace = Some("team-a".into());
    i.procfile = procfile("web: ./web\napi: ./api --port 5000\n");
    i.app_json =
        app_json(r#"{"formation": {"api": {"quantity": 2, "service": {"exposed": true}}}}"#);
    i.domains = domains(&["internal.example.com"]);
    i.imported_tls = Some(berth::model::certificate::ImportedTls {
        crt: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".into(),
        key: "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n".into(),
    });
    v.push(Example::new("namespace_imported_tls", i));

    // 13. Buildpack images: herokuish `/start <process>` and pack `launcher`.
    let mut i = base("cnb");
    i.builder = BuilderType::Pack;
    i.working_dir = Some("/workspace".into());
    i.procfile = procfile("web: python3 app.py\nworker: python3 worker.py\n");
    i.app_json = app_json(r#"{"cron": [{"command": "python3 task.py", "schedule": "@hourly"}]}"#);
    v.push(Example::new("pack_builder", i));
    let mut i = base("heroku");
    i.builder = BuilderType::Herokuish;
    i.procfile = procfile("web: bundle exec puma\nworker: bundle exec sidekiq\n");
    v.push(Example::new("herokuish_builder", i));

    // 14. A custom ClusterIssuer (cert-issuer-name) with traefik and an imported-cert-free wildcard.
    let mut i = base("custom-issuer");
    i.domains = domains(&["*.custom.example.com", "custom.example.com"]);
    i.cert_issuer_name = Some("corp-ca".into());
    i.ingress_class = IngressClass::Traefik;
    v.push(Example::new("custom_cluster_issuer_wildcard", i));

    // 15. Longest names: a 48-char app, a 32-char process type, a long domain and trigger type;
    // every name over its limit is shortened (prefix + hash), and an app starting with a digit
    // gets Service names that start with a letter.
    let app = "9abcdefghij-klmnopqrstu-vwxyz0123456789-abcdefgh";
    let long_proc = "queue-consumer-for-the-long-name";
    let mut i = base(app);
    i.procfile = procfile(&format!("web: ./web\n{long_proc}: ./consume\n"));
    i.domains =
        domains(&["a-very-long-subdomain-name-for-testing.another-long-label-here.example.com"]);
    i.letsencrypt_email_prod_global = Some("ops@example.com".into());
    i.app_json = app_json(&format!(
        r#"{{"formation": {{"{long_proc}": {{"quantity": 1, "service": {{"exposed": true}},
            "autoscaling": {{"max_quantity": 3, "triggers": [{{"type": "aws-sqs-queue-long-trigger-type", "metadata": {{"queueURL": "[[ .DEPLOYMENT_NAME ]]"}}}},
                         {{"type": "http", "metadata": {{"scale_by": "request_rate"}}}}]}}}}}},
          "cron": [{{"command": "./cleanup --everything", "schedule": "@weekly"}}],
          "scripts": {{"dokku": {{"predeploy": "./prepare"}}}}}}"#
    ));
    i.trigger_auth.insert(
        "aws-sqs-queue-long-trigger-type".into(),
        strings(&[("awsAccessKeyID", "AKIA"), ("awsSecretAccessKey", "secret")]),
    );
    v.push(Example::new("long_names", i));

    v
}
