//! The container and pod spec shared by Deployments, CronJobs and release-task Jobs.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EmptyDirVolumeSource, EnvFromSource, EnvVar,
    ExecAction, HTTPGetAction, HTTPHeader, LocalObjectReference, PodSecurityContext, PodSpec,
    Probe, ResourceRequirements, SecretEnvSource, SecurityContext, Sysctl, TCPSocketAction, Volume,
    VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::secret;
use crate::model::app_json::Healthcheck;
use crate::model::release::{
    BuilderType, ImagePull, PortMap, PortScheme, Process, Release, Resources,
};

/// Container resources; `None` when neither requests nor limits are set.
pub fn resources(res: &Resources) -> Option<ResourceRequirements> {
    let q = |v: &Option<String>| v.clone().map(Quantity);
    let pairs = |items: [(&str, Option<Quantity>); 3]| -> BTreeMap<String, Quantity> {
        items
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
            .collect()
    };
    let requests = pairs([
        ("cpu", q(&res.request_cpu)),
        ("memory", q(&res.request_memory)),
        ("", None),
    ]);
    let limits = pairs([
        ("cpu", q(&res.limit_cpu)),
        ("memory", q(&res.limit_memory)),
        ("nvidia.com/gpu", q(&res.limit_gpu)),
    ]);
    if requests.is_empty() && limits.is_empty() {
        return None;
    }
    Some(ResourceRequirements {
        requests: (!requests.is_empty()).then_some(requests),
        limits: (!limits.is_empty()).then_some(limits),
        ..ResourceRequirements::default()
    })
}

/// `--privileged` and `--cap-add`/`--cap-drop`; none of them: no security context at all.
fn container_security(s: &crate::model::docker_options::PodSecurity) -> Option<SecurityContext> {
    if !s.privileged && s.cap_add.is_empty() && s.cap_drop.is_empty() {
        return None;
    }
    let caps = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
    Some(SecurityContext {
        privileged: s.privileged.then_some(true),
        capabilities: (!s.cap_add.is_empty() || !s.cap_drop.is_empty()).then(|| Capabilities {
            add: caps(&s.cap_add),
            drop: caps(&s.cap_drop),
        }),
        ..SecurityContext::default()
    })
}

/// `--sysctl` options: the pod's security context; none: no context at all.
pub fn pod_security_context(
    s: &crate::model::docker_options::PodSecurity,
) -> Option<PodSecurityContext> {
    (!s.sysctls.is_empty()).then(|| PodSecurityContext {
        sysctls: Some(
            s.sysctls
                .iter()
                .map(|(name, value)| Sysctl {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
        ),
        ..PodSecurityContext::default()
    })
}

/// A container of the app's image with its config Secret as environment.
pub fn container(
    r: &Release,
    name: &str,
    args: &[String],
    launcher: bool,
    res: &Resources,
) -> Container {
    Container {
        name: name.to_owned(),
        image: Some(r.image.clone()),
        image_pull_policy: Some("Always".into()),
        args: (!args.is_empty()).then(|| args.to_vec()),
        command: (launcher && r.builder == BuilderType::Pack).then(|| vec!["launcher".to_owned()]),
        env_from: Some(vec![EnvFromSource {
            secret_ref: Some(SecretEnvSource {
                name: secret::config_name(r),
                optional: Some(true),
            }),
            ..EnvFromSource::default()
        }]),
        resources: resources(res),
        security_context: container_security(&r.pod_security),
        working_dir: r.working_dir.clone(),
        volume_mounts: r.shm_size.as_ref().map(|_| {
            vec![VolumeMount {
                name: "shm".into(),
                mount_path: "/dev/shm".into(),
                ..VolumeMount::default()
            }]
        }),
        ..Container::default()
    }
}

/// Ports, `PORT` and probes for a long-running process.
pub fn process_container(r: &Release, p: &Process, name: &str) -> Container {
    let mut c = container(r, name, &p.args, !p.args.is_empty(), &p.resources);
    // The process's own docker options (`--process`) on top of the app's.
    c.security_context = container_security(&p.security);
    if let Some(web) = &p.web {
        c.env = Some(vec![EnvVar {
            name: "PORT".into(),
            value: Some(web.primary_port.to_string()),
            ..EnvVar::default()
        }]);
        let mut seen = std::collections::BTreeSet::new();
        let ports: Vec<ContainerPort> = web
            .port_maps
            .iter()
            .filter(|m| !covered_https(m, &web.port_maps))
            .filter(|m| seen.insert((m.container_port, m.scheme == PortScheme::Udp)))
            .map(|m| ContainerPort {
                container_port: i32::from(m.container_port),
                name: Some(port_name(m)),
                protocol: Some(
                    if m.scheme == PortScheme::Udp {
                        "UDP"
                    } else {
                        "TCP"
                    }
                    .into(),
                ),
                ..ContainerPort::default()
            })
            .collect();
        c.ports = (!ports.is_empty()).then_some(ports);
    }
    let primary = p.web.as_ref().map_or(5000, |w| w.primary_port);
    c.startup_probe = p.probes.startup.as_ref().and_then(|h| probe(h, primary));
    c.liveness_probe = p.probes.liveness.as_ref().and_then(|h| probe(h, primary));
    c.readiness_probe = p.probes.readiness.as_ref().and_then(|h| probe(h, primary));
    c
}

/// Container port names are limited to 15 chars (IANA_SVC_NAME); longer map names are shortened.
pub fn port_name(m: &PortMap) -> String {
    let name = m.name();
    if name.len() <= 15 {
        return name;
    }
    let scheme = &name[..name.find('-').unwrap_or(0)];
    let short = format!("{}-{}", &scheme[..scheme.len().min(5)], m.container_port);
    if short.len() <= 15 {
        short
    } else {
        format!("p-{}", m.container_port)
    }
}

/// An https map whose container port an `http-80-<port>` map already exposes (reference §5.4).
pub fn covered_https(m: &PortMap, all: &[PortMap]) -> bool {
    m.scheme == PortScheme::Https
        && all.iter().any(|o| {
            o.scheme == PortScheme::Http
                && o.host_port == 80
                && o.container_port == m.container_port
        })
}

fn seconds(v: Option<u32>) -> Option<i32> {
    v.filter(|n| *n > 0).and_then(|n| i32::try_from(n).ok())
}

/// A probe from an app.json healthcheck (reference §5.4.3); `None` for uptime-only checks.
pub fn probe(h: &Healthcheck, primary_port: u16) -> Option<Probe> {
    let port = h
        .port
        .and_then(|p| u16::try_from(p).ok())
        .unwrap_or(primary_port);
    let mut probe = Probe {
        initial_delay_seconds: seconds(h.initial_delay),
        period_seconds: seconds(h.wait),
        timeout_seconds: seconds(h.timeout),
        failure_threshold: seconds(h.attempts),
        success_threshold: Some(1),
        ..Probe::default()
    };
    if !h.command.is_empty() {
        probe.exec = Some(ExecAction {
            command: Some(h.command.clone()),
        });
    } else if h.listening {
        probe.tcp_socket = Some(TCPSocketAction {
            port: IntOrString::Int(i32::from(port)),
            host: h
                .http_headers
                .iter()
                .find(|x| x.name.eq_ignore_ascii_case("host"))
                .map(|x| x.value.clone()),
        });
    } else if let Some(path) = &h.path {
        let headers: Vec<HTTPHeader> = h
            .http_headers
            .iter()
            .map(|x| HTTPHeader {
                name: x.name.clone(),
                value: x.value.clone(),
            })
            .collect();
        probe.http_get = Some(HTTPGetAction {
            path: Some(path.clone()),
            port: IntOrString::Int(i32::from(port)),
            scheme: h.scheme.as_ref().map(|s| s.to_ascii_uppercase()),
            http_headers: (!headers.is_empty()).then_some(headers),
            ..HTTPGetAction::default()
        });
    } else {
        return None;
    }
    Some(probe)
}

/// Pod spec around one container: service account, pull secrets, `/dev/shm`.
pub fn pod_spec(r: &Release, container: Container, restart_never: bool) -> PodSpec {
    let pull: Vec<LocalObjectReference> = match &r.image_pull {
        ImagePull::None => Vec::new(),
        ImagePull::Named(names) => names
            .iter()
            .map(|n| LocalObjectReference { name: n.clone() })
            .collect(),
        ImagePull::Managed { .. } => vec![LocalObjectReference {
            name: secret::pull_secret_name(r),
        }],
    };
    PodSpec {
        containers: vec![container],
        image_pull_secrets: (!pull.is_empty()).then_some(pull),
        restart_policy: restart_never.then(|| "Never".to_owned()),
        termination_grace_period_seconds: r.stop_timeout_seconds.map(i64::from),
        security_context: pod_security_context(&r.pod_security),
        service_account_name: Some(r.app.object_name().to_owned()),
        volumes: r.shm_size.as_ref().map(|size| {
            vec![Volume {
                name: "shm".into(),
                empty_dir: Some(EmptyDirVolumeSource {
                    medium: Some("Memory".into()),
                    size_limit: Some(Quantity(size.clone())),
                }),
                ..Volume::default()
            }]
        }),
        ..PodSpec::default()
    }
}
