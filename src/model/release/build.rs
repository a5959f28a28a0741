//! `ReleaseInputs` → `Release`: defaults, validation and the reference's resolution rules.

use std::collections::{BTreeMap, BTreeSet};

use super::autoscaling;
use super::cron::{cron_hash, cron_id};
use super::inputs::*;
use super::network::{is_domain, nginx_annotations, slug};
use super::probes::build_probes;
use super::resources::{is_quantity, resolve_resources};
use super::*;
use crate::model::names::is_dns1123_label;

/// The release cannot be built; one line naming the field, the value and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ReleaseError(pub String);

pub(crate) fn fail<T>(msg: impl Into<String>) -> Result<T, ReleaseError> {
    Err(ReleaseError(msg.into()))
}

/// Kubernetes label value rule: ≤63 chars, alphanumerics with `-_.` inside.
pub(crate) fn is_label_value(v: &str) -> bool {
    v.is_empty()
        || (v.len() <= 63
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && v.as_bytes()[0].is_ascii_alphanumeric()
            && v.as_bytes()[v.len() - 1].is_ascii_alphanumeric())
}

/// Kubernetes qualified-name rule for annotation/label keys: optional DNS-subdomain prefix + `/` +
/// name of ≤63 alphanumerics with `-_.` inside.
pub(crate) fn is_meta_key(k: &str) -> bool {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    let prefix_ok = prefix.is_none_or(crate::model::names::is_dns1123_subdomain);
    prefix_ok && !name.is_empty() && is_label_value(name)
}

fn check_meta(meta: &UserMeta, labels: bool) -> Result<(), ReleaseError> {
    let what = if labels { "label" } else { "annotation" };
    for ((scope, rtype), entries) in &meta.entries {
        let scope = match scope {
            MetaScope::Global => "--global".to_owned(),
            MetaScope::GlobalProcess(p) => format!("--global {p}"),
            MetaScope::App => "app".to_owned(),
            MetaScope::Process(p) => p.clone(),
        };
        for (k, v) in entries {
            if !is_meta_key(k) {
                return fail(format!(
                    "{what} key {k:?} ({scope}/{rtype}) is not a valid Kubernetes key: [prefix/]name, name 1-63 alphanumerics, '-', '_' or '.'"
                ));
            }
            if labels && !is_label_value(v) {
                return fail(format!(
                    "label value {v:?} for {k} ({scope}/{rtype}) is not valid: at most 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric"
                ));
            }
        }
    }
    Ok(())
}

impl Release {
    /// Build a release from its inputs; errors name the bad field before anything is rendered.
    pub fn build(inputs: ReleaseInputs) -> Result<Release, ReleaseError> {
        let i = inputs;
        let Some(app) = i.app.clone() else {
            return fail("app name is required");
        };
        let a = app.as_str();
        if i.image.trim().is_empty() || i.image.chars().any(char::is_whitespace) {
            return fail(format!(
                "image {:?} is not a valid image reference (e.g. registry.example.com/app:1.2)",
                i.image
            ));
        }
        if i.deployment_id.is_empty() || !i.deployment_id.bytes().all(|b| b.is_ascii_digit()) {
            return fail(format!(
                "deployment id {:?} must be a Unix timestamp (digits)",
                i.deployment_id
            ));
        }
        let namespace = i
            .namespace
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".into());
        if !is_dns1123_label(&namespace) {
            return fail(format!(
                "namespace {namespace:?} is not valid: 1-63 lowercase letters, digits and dashes"
            ));
        }
        for k in i.env.keys() {
            if k.is_empty()
                || !k
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            {
                return fail(format!(
                    "config key {k:?} cannot be stored in a Kubernetes Secret: use letters, digits, '_', '-' or '.'"
                ));
            }
        }
        check_meta(&i.annotations, false)?;
        check_meta(&i.labels, true)?;

        // Image pull credentials: the user's named Secrets win over berth's managed registry login.
        let image_pull = match i.image_pull_secrets.as_deref().map(str::trim) {
            Some(list) if !list.is_empty() => {
                let names: Vec<String> = list
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect();
                for n in &names {
                    if !crate::model::names::is_dns1123_subdomain(n) {
                        return fail(format!(
                            "image-pull-secrets entry {n:?} is not a valid Secret name"
                        ));
                    }
                }
                ImagePull::Named(names)
            }
            _ => match &i.registry_docker_config {
                Some(c) if !c.trim().is_empty() => ImagePull::Managed {
                    docker_config_json: c.clone(),
                },
                _ => ImagePull::None,
            },
        };

        // Process types: the Procfile's, else a single `web` running the image's own command.
        let procfile = i.procfile.clone().unwrap_or_default();
        let mut commands: BTreeMap<ProcessType, Option<String>> = procfile
            .processes
            .iter()
            .map(|(p, c)| (p.clone(), Some(c.clone())))
            .collect();
        if commands.is_empty() {
            commands.insert(ProcessType::web(), None);
        }
        let has_web = commands.contains_key(&ProcessType::web());
        for p in i.scale.keys() {
            if !commands.contains_key(p) {
                return fail(format!(
                    "scale: process type \"{p}\" is not in the Procfile (processes: {})",
                    commands
                        .keys()
                        .map(|p| p.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }

        // TLS source (§5.6).
        let mut app_issuer = None;
        let tls = if i.tls_imported {
            Tls::Imported
        } else if i.letsencrypt_server == LetsencryptServer::Disabled {
            Tls::Disabled
        } else if let Some(name) = i
            .cert_issuer_name
            .as_deref()
            .filter(|n| !n.is_empty() && *n != "false")
        {
            if !crate::model::names::is_dns1123_subdomain(name) {
                return fail(format!(
                    "cert-issuer-name {name:?} is not a valid DNS-1123 subdomain"
                ));
            }
            Tls::Issued {
                kind: i.cert_issuer_kind,
                name: name.to_owned(),
            }
        } else {
            let server = i.letsencrypt_server;
            let (app_email, global_email) = match server {
                LetsencryptServer::Stag => (
                    &i.letsencrypt_email_stag_app,
                    &i.letsencrypt_email_stag_global,
                ),
                _ => (
                    &i.letsencrypt_email_prod_app,
                    &i.letsencrypt_email_prod_global,
                ),
            };
            let app_email = app_email.clone().filter(|e| !e.is_empty());
            let global_email = global_email.clone().filter(|e| !e.is_empty());
            match (app_email, global_email) {
                (Some(email), _) => {
                    let name = format!("{a}-letsencrypt-{}", server.short());
                    app_issuer = Some(AppIssuer {
                        name: name.clone(),
                        email,
                        server_url: server.url().into(),
                    });
                    Tls::Issued {
                        kind: CertIssuerKind::Issuer,
                        name,
                    }
                }
                (None, Some(_)) => Tls::Issued {
                    kind: CertIssuerKind::ClusterIssuer,
                    name: format!("letsencrypt-{}", server.short()),
                },
                (None, None) => Tls::Disabled,
            }
        };

        // Port maps (§5.5).
        let mut warnings = Vec::new();
        let configured: Vec<PortInput> = if i.ports.is_empty() {
            vec![PortInput {
                scheme: "http".into(),
                host_port: 80,
                container_port: 5000,
            }]
        } else {
            i.ports.clone()
        };
        let mut kept: BTreeSet<PortMap> = BTreeSet::new();
        for p in &configured {
            let scheme = match p.scheme.as_str() {
                "http" => PortScheme::Http,
                "https" => PortScheme::Https,
                _ if p.container_port == 80 => PortScheme::Http,
                _ if p.container_port == 443 => PortScheme::Https,
                other => {
                    warnings.push(format!(
                        "port mapping {other}:{}:{} is not routed through the ingress and is ignored",
                        p.host_port, p.container_port
                    ));
                    continue;
                }
            };
            if p.host_port == 0 || p.container_port == 0 {
                return fail(format!(
                    "port mapping {}:{}:{}: ports must be 1-65535",
                    p.scheme, p.host_port, p.container_port
                ));
            }
            kept.insert(PortMap {
                scheme,
                host_port: p.host_port,
                container_port: p.container_port,
            });
        }
        let mut expanded = kept.clone();
        for m in &kept {
            if m.scheme == PortScheme::Http && tls.enabled() {
                expanded.insert(PortMap {
                    scheme: PortScheme::Https,
                    host_port: 443,
                    container_port: m.container_port,
                });
            }
            if m.scheme == PortScheme::Https {
                expanded.insert(PortMap {
                    scheme: PortScheme::Http,
                    host_port: 80,
                    container_port: m.container_port,
                });
            }
        }
        let mut web_maps: Vec<PortMap> = expanded.into_iter().collect();
        web_maps.sort_by_key(PortMap::name);
        let mut by_host: BTreeMap<u16, &PortMap> = BTreeMap::new();
        for m in &web_maps {
            if let Some(other) = by_host.insert(m.host_port, m) {
                return fail(format!(
                    "port mappings {} and {} both claim port {} on the web Service{}; map them to one container port or use different ports",
                    other.name(),
                    m.name(),
                    m.host_port,
                    if tls.enabled() {
                        " (https:443 is added for every http mapping when TLS is enabled)"
                    } else {
                        ""
                    }
                ));
            }
        }
        // Primary port: the http:80 mapping's container port, else the first mapping's (sorted).
        let primary_port = web_maps
            .iter()
            .find(|m| m.scheme == PortScheme::Http && m.host_port == 80)
            .or_else(|| web_maps.first())
            .map_or(5000, |m| m.container_port);

        // Domains (web only).
        let mut domains: Vec<Host> = Vec::new();
        if has_web {
            let mut seen = BTreeSet::new();
            for d in &i.domains {
                let d = d.trim().to_ascii_lowercase();
                if d.is_empty() || !seen.insert(d.clone()) {
                    continue;
                }
                if !is_domain(&d) {
                    return fail(format!(
                        "domain {d:?} is not a valid hostname (lowercase DNS labels, optionally starting with *.)"
                    ));
                }
                domains.push(Host {
                    slug: slug(&d),
                    name: d,
                });
            }
            domains.sort();
        }

        let mut vars = i.env.clone();
        vars.insert("PORT".into(), primary_port.to_string());

        let mut processes = Vec::new();
        for (proc_type, command) in &commands {
            let p = proc_type.as_str();
            let formation = i.app_json.formation.get(proc_type);
            let replicas = i
                .scale
                .get(proc_type)
                .copied()
                .or_else(|| formation.and_then(|f| f.quantity))
                .unwrap_or(if proc_type.is_web() { 1 } else { 0 });
            let args = match i.builder {
                BuilderType::Herokuish => vec!["/start".to_owned(), p.to_owned()],
                _ => match command {
                    Some(c) => interpolate::command_words(c, &vars).ok_or_else(|| {
                        ReleaseError(format!(
                            "Procfile: command of {p} has unbalanced quotes: {c:?}"
                        ))
                    })?,
                    None => Vec::new(),
                },
            };
            let web = if proc_type.is_web() {
                Some(WebSection {
                    port_maps: web_maps.clone(),
                    domains: domains.clone(),
                    tls: tls.enabled(),
                    primary_port,
                })
            } else if formation.is_some_and(|f| f.exposed) {
                Some(WebSection {
                    port_maps: vec![PortMap {
                        scheme: PortScheme::Http,
                        host_port: 5000,
                        container_port: 5000,
                    }],
                    domains: Vec::new(),
                    tls: false,
                    primary_port: 5000,
                })
            } else {
                None
            };
            let probes = build_probes(&i.app_json, proc_type, web.as_ref())?;
            let autoscaling = autoscaling::resolve(
                a,
                proc_type,
                formation.and_then(|f| f.autoscaling.as_ref()),
                replicas,
                &i.trigger_auth,
                &i.global_trigger_auth,
            )?;
            processes.push(Process {
                proc_type: proc_type.clone(),
                args,
                replicas,
                resources: resolve_resources(&i.resources, p)?,
                probes,
                autoscaling,
                web,
            });
        }
        for p in i.app_json.healthchecks.keys() {
            if !commands.contains_key(p) {
                warnings.push(format!(
                    "app.json healthchecks.{p}: no such process type, ignored"
                ));
            }
        }

        let mut cron_tasks = Vec::new();
        let mut seen_ids = BTreeSet::new();
        for (idx, c) in i.app_json.cron.iter().enumerate() {
            let id =
                c.id.clone()
                    .unwrap_or_else(|| cron_id(a, &c.command, &c.schedule));
            if !seen_ids.insert(id.clone()) {
                return fail(format!(
                    "cron[{idx}]: the same task (id {id}) is listed twice"
                ));
            }
            let hash = cron_hash(&id);
            let args = interpolate::command_words(&c.command, &i.env).ok_or_else(|| {
                ReleaseError(format!(
                    "cron[{idx}].command has unbalanced quotes: {:?}",
                    c.command
                ))
            })?;
            cron_tasks.push(CronTask {
                suffix: hash[..10].to_owned(),
                resources: resolve_resources(&i.resources, &id)?,
                id,
                hash,
                command: c.command.clone(),
                args,
                schedule: c.schedule.clone(),
                concurrency_policy: c.concurrency_policy,
                suspend: c.maintenance,
            });
        }

        let mut release_tasks = Vec::new();
        if let Some(cmd) = &i.app_json.scripts.predeploy {
            release_tasks.push(ReleaseTask {
                name: "predeploy".into(),
                command: cmd.clone(),
                resources: resolve_resources(&i.resources, "predeploy")?,
            });
        }
        if let Some(cmd) = &procfile.release {
            release_tasks.push(ReleaseTask {
                name: "release".into(),
                command: cmd.clone(),
                resources: resolve_resources(&i.resources, "release")?,
            });
        }

        for (kind, meta) in &i.trigger_auth {
            if !is_dns1123_label(kind) {
                return fail(format!(
                    "autoscaling-auth trigger type {kind:?} is not valid: lowercase letters, digits and dashes"
                ));
            }
            for k in meta.keys() {
                if k.is_empty()
                    || !k
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
                {
                    return fail(format!(
                        "autoscaling-auth {kind} metadata key {k:?} cannot be a Secret key: use letters, digits, '_', '-' or '.'"
                    ));
                }
            }
        }

        if let Some(s) = i.shm_size.as_deref().filter(|s| !s.is_empty())
            && !is_quantity(s)
        {
            return fail(format!(
                "shm-size {s:?} is not a valid memory quantity (e.g. 64Mi)"
            ));
        }

        Ok(Release {
            nginx_annotations: nginx_annotations(a, &i.nginx),
            app,
            namespace,
            image: i.image,
            builder: i.builder,
            working_dir: i.working_dir.filter(|w| !w.is_empty()),
            deployment_id: i.deployment_id,
            env: i.env,
            image_pull,
            processes,
            cron_tasks,
            release_tasks,
            ingress_class: i.ingress_class,
            tls,
            app_issuer,
            annotations: i.annotations,
            labels: i.labels,
            trigger_auth: i.trigger_auth,
            shm_size: i.shm_size.filter(|s| !s.is_empty()),
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::app_json::AppJson;
    use crate::model::procfile::Procfile;

    fn inputs() -> ReleaseInputs {
        ReleaseInputs {
            app: Some("app".parse().unwrap()),
            image: "img:1".into(),
            deployment_id: "1".into(),
            procfile: Some(Procfile::parse("web: ./web\nworker: ./worker\n").unwrap()),
            ..ReleaseInputs::default()
        }
    }

    fn error(f: impl FnOnce(&mut ReleaseInputs)) -> String {
        let mut i = inputs();
        f(&mut i);
        let e = Release::build(i).unwrap_err().to_string();
        assert!(!e.contains('\n'), "multi-line: {e}");
        e
    }

    fn port(scheme: &str, h: u16, c: u16) -> PortInput {
        PortInput {
            scheme: scheme.into(),
            host_port: h,
            container_port: c,
        }
    }

    #[test]
    fn impossible_inputs_name_the_field() {
        let e = error(|i| {
            i.app_json = AppJson::parse(
                r#"{"healthchecks":{"web":[{"type":"readiness","path":"/","port":8080}]}}"#,
            )
            .unwrap()
        });
        assert!(
            e.contains(
                "healthchecks.web[0].port 8080 is not a mapped container port (mapped: 5000)"
            ),
            "{e}"
        );
        let e = error(|i| i.ports = vec![port("http", 80, 5000), port("http", 80, 6000)]);
        assert!(
            e.contains("http-80-5000 and http-80-6000 both claim port 80"),
            "{e}"
        );
        let e = error(|i| {
            i.ports = vec![port("http", 80, 5000), port("http", 8080, 6000)];
            i.letsencrypt_email_prod_global = Some("a@b.c".into());
        });
        assert!(
            e.contains("both claim port 443") && e.contains("TLS is enabled"),
            "{e}"
        );
        let e = error(|i| {
            i.scale.insert("clock".parse().unwrap(), 1);
        });
        assert!(
            e.contains(
                "scale: process type \"clock\" is not in the Procfile (processes: web, worker)"
            ),
            "{e}"
        );
        let e = error(|i| {
            i.app_json = AppJson::parse(
                r#"{"formation":{"worker":{"quantity":0,"autoscaling":{"triggers":[{"type":"cpu"}]}}}}"#,
            )
            .unwrap()
        });
        assert!(
            e.contains("formation.worker.autoscaling.max_quantity must be at least 1"),
            "{e}"
        );
        let e = error(|i| {
            i.app_json = AppJson::parse(
                r#"{"formation":{"web":{"autoscaling":{"triggers":[{"type":"x","metadata":{"q":"[[ .NOPE ]]"}}]}}}}"#,
            )
            .unwrap()
        });
        assert!(
            e.contains("formation.web.autoscaling.triggers[0].metadata.q: unknown placeholder"),
            "{e}"
        );
        let e = error(|i| i.namespace = Some("Team_A".into()));
        assert!(e.contains("namespace \"Team_A\" is not valid"), "{e}");
        let e = error(|i| {
            i.labels.insert(MetaScope::App, "pod", "team", "not ok!");
        });
        assert!(
            e.contains("label value \"not ok!\" for team (app/pod) is not valid"),
            "{e}"
        );
        let e = error(|i| i.image = "has space:1".into());
        assert!(e.contains("image \"has space:1\""), "{e}");
        let e = error(|i| {
            i.env
                .insert("BAD KEY".into(), "v".into())
                .map(|_| ())
                .unwrap_or(())
        });
        assert!(e.contains("config key \"BAD KEY\""), "{e}");
        let e = error(|i| i.domains = vec!["bad_domain.com".into()]);
        assert!(e.contains("domain \"bad_domain.com\""), "{e}");
        let e = error(|i| i.shm_size = Some("lots".into()));
        assert!(e.contains("shm-size \"lots\""), "{e}");
    }

    #[test]
    fn defaults_follow_the_reference() {
        let r = Release::build(inputs()).unwrap();
        assert_eq!(r.namespace, "default");
        let web = &r.processes[1 - 1];
        assert_eq!(web.proc_type.as_str(), "web");
        assert_eq!(web.replicas, 1, "web defaults to 1");
        assert_eq!(r.processes[1].replicas, 0, "other processes default to 0");
        let w = web.web.as_ref().unwrap();
        assert_eq!(w.primary_port, 5000);
        assert_eq!(w.port_maps[0].name(), "http-80-5000");
        assert_eq!(r.tls, Tls::Disabled);
        // letsencrypt with a global email: ClusterIssuer and https:443 added for http:80.
        let mut i = inputs();
        i.letsencrypt_email_prod_global = Some("a@b.c".into());
        let r = Release::build(i).unwrap();
        assert_eq!(
            r.tls,
            Tls::Issued {
                kind: CertIssuerKind::ClusterIssuer,
                name: "letsencrypt-prod".into()
            }
        );
        let names: Vec<String> = r.processes[0]
            .web
            .as_ref()
            .unwrap()
            .port_maps
            .iter()
            .map(PortMap::name)
            .collect();
        assert_eq!(names, ["http-80-5000", "https-443-5000"]);
        // letsencrypt-server false disables even a custom issuer.
        let mut i = inputs();
        i.cert_issuer_name = Some("corp".into());
        i.letsencrypt_server = LetsencryptServer::Disabled;
        assert_eq!(Release::build(i).unwrap().tls, Tls::Disabled);
        // Without a Procfile: one web process running the image's own command.
        let mut i = inputs();
        i.procfile = None;
        let r = Release::build(i).unwrap();
        assert_eq!(r.processes.len(), 1);
        assert!(r.processes[0].args.is_empty());
    }
}
