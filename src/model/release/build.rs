//! `ReleaseInputs` → `Release`: defaults, validation and the reference's resolution rules.

use super::inputs::*;
use super::network::nginx_annotations;
use super::resources::is_quantity;
use super::*;
use super::{domains, ports, processes, tls};
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

/// Who the release is for: the app, and the namespace it goes to; the image, deployment id,
/// config keys and user labels/annotations are checked here too.
fn identity(i: &ReleaseInputs) -> Result<(AppName, String), ReleaseError> {
    let Some(app) = i.app.clone() else {
        return fail("app name is required");
    };
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

    Ok((app, namespace))
}

/// Image pull credentials: the user's named Secrets win over berth's managed registry login.
fn image_pull(i: &ReleaseInputs) -> Result<ImagePull, ReleaseError> {
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

    Ok(image_pull)
}

/// Autoscaling trigger authentications: valid trigger types, Secret-safe metadata keys; and a
/// valid `shm-size`.
fn check_trigger_auth_and_shm(i: &ReleaseInputs) -> Result<(), ReleaseError> {
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

    Ok(())
}

impl Release {
    /// Build a release from its inputs; errors name the bad field before anything is rendered.
    /// The sections run in a fixed order, so with several bad inputs the first one named is
    /// always the same.
    pub fn build(inputs: ReleaseInputs) -> Result<Release, ReleaseError> {
        let i = inputs;
        let (app, namespace) = identity(&i)?;
        let a = app.as_str();
        let image_pull = image_pull(&i)?;
        let procfile = i.procfile.clone().unwrap_or_default();
        let commands = processes::commands(&i, &procfile)?;
        let has_web = commands.contains_key(&ProcessType::web());
        let (tls, app_issuer) = tls::tls(&i, app.object_name())?;
        let mut warnings = i.app_json.skipped.clone();
        let (web_maps, primary_port) = ports::web_ports(&i, &tls, &mut warnings)?;
        let domains = domains::domains(&i, has_web)?;
        let web = processes::Web {
            maps: &web_maps,
            domains: &domains,
            tls: tls.enabled(),
            primary_port,
        };
        let processes = processes::processes(&i, &app, &commands, &web, &mut warnings)?;
        let cron_tasks = super::cron::cron_tasks(&i, a, &mut warnings)?;
        let release_tasks = processes::release_tasks(&i, &procfile)?;
        check_trigger_auth_and_shm(&i)?;

        Ok(Release {
            nginx_annotations: nginx_annotations(a, &i.nginx),
            app,
            namespace,
            image: i.image,
            builder: i.builder,
            working_dir: i.working_dir.filter(|w| !w.is_empty()),
            deployment_id: i.deployment_id,
            env: i.env,
            imported_tls: i.imported_tls,
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
            stop_timeout_seconds: i.stop_timeout_seconds,
            pod_security: i.pod_security,
            http_addon: i.http_addon,
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

    fn port(scheme: &str, h: u16, c: u16) -> crate::model::ports::PortMapping {
        crate::model::ports::PortMapping {
            scheme: crate::model::ports::PortScheme::ALL
                .into_iter()
                .find(|s| s.as_str() == scheme)
                .expect("a port scheme"),
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
        // A bad domain cannot reach the release: `Domain` is parsed at the edge.
        assert!(
            "bad_domain.com"
                .parse::<crate::model::domain::Domain>()
                .is_err()
        );
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
