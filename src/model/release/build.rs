//! `ReleaseInputs` → `Release`: defaults, validation and the reference's resolution rules.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sha1::{Digest, Sha1};

use super::interpolate;
use super::*;
use crate::model::app_json::{AppJson, HealthcheckKind};
use crate::model::names::is_dns1123_label;
use crate::model::procfile::Procfile;

/// The release cannot be built; one line naming the field, the value and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ReleaseError(pub String);

fn fail<T>(msg: impl Into<String>) -> Result<T, ReleaseError> {
    Err(ReleaseError(msg.into()))
}

/// `ingress-class` (global): which ingress objects the web process gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IngressClass {
    #[default]
    Nginx,
    Traefik,
}

impl IngressClass {
    pub fn as_str(self) -> &'static str {
        match self {
            IngressClass::Nginx => "nginx",
            IngressClass::Traefik => "traefik",
        }
    }
}

/// Computed `letsencrypt-server`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LetsencryptServer {
    #[default]
    Prod,
    Stag,
    /// `false`: no certificate issuance at all.
    Disabled,
}

impl LetsencryptServer {
    /// Suffix of issuer names (`letsencrypt-prod`, `<app>-letsencrypt-stag`).
    fn short(self) -> &'static str {
        match self {
            LetsencryptServer::Stag => "stag",
            _ => "prod",
        }
    }
    fn url(self) -> &'static str {
        match self {
            LetsencryptServer::Stag => "https://acme-staging-v02.api.letsencrypt.org/directory",
            _ => "https://acme-v02.api.letsencrypt.org/directory",
        }
    }
}

/// Computed `cert-issuer-kind`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum CertIssuerKind {
    Issuer,
    #[default]
    ClusterIssuer,
}

impl CertIssuerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CertIssuerKind::Issuer => "Issuer",
            CertIssuerKind::ClusterIssuer => "ClusterIssuer",
        }
    }
}

/// `resource:limit` / `resource:reserve` values of one scope (a process type or `_default_`), as
/// stored: `None`, `""` and `"0"` mean "not set".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceSetting {
    pub reserve_cpu: Option<String>,
    pub reserve_memory: Option<String>,
    pub limit_cpu: Option<String>,
    pub limit_memory: Option<String>,
    pub limit_gpu: Option<String>,
}

/// A configured port mapping (`ports:set`), any scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInput {
    pub scheme: String,
    pub host_port: u16,
    pub container_port: u16,
}

/// Everything a release is built from, as the store and the CLI know it (computed properties:
/// app value, else global value, else `None`).
#[derive(Debug, Clone, Default)]
pub struct ReleaseInputs {
    pub app: Option<AppName>,
    pub image: String,
    pub deployment_id: String,
    pub builder: BuilderType,
    pub working_dir: Option<String>,
    /// `None`: no Procfile — a single `web` process runs the image's own entrypoint and command.
    pub procfile: Option<Procfile>,
    pub app_json: AppJson,
    /// `ps:scale` values; a process without one uses app.json `quantity`, else 1 for web, 0 otherwise.
    pub scale: BTreeMap<ProcessType, u32>,
    pub env: BTreeMap<String, String>,
    /// Configured port maps; empty → Dokku's default `http:80:5000`.
    pub ports: Vec<PortInput>,
    pub domains: Vec<String>,
    /// Keyed by process type / cron id, or `_default_` for the app default.
    pub resources: BTreeMap<String, ResourceSetting>,
    pub namespace: Option<String>,
    /// Computed `image-pull-secrets`: comma-separated Secret names.
    pub image_pull_secrets: Option<String>,
    /// Registry login (docker `config.json`) berth manages `pull-secret-<app>` from.
    pub registry_docker_config: Option<String>,
    pub ingress_class: IngressClass,
    pub letsencrypt_server: LetsencryptServer,
    /// App-level and global letsencrypt emails (prod, stag).
    pub letsencrypt_email_prod_app: Option<String>,
    pub letsencrypt_email_prod_global: Option<String>,
    pub letsencrypt_email_stag_app: Option<String>,
    pub letsencrypt_email_stag_global: Option<String>,
    /// Computed `cert-issuer-name` (`false` = opted out).
    pub cert_issuer_name: Option<String>,
    pub cert_issuer_kind: CertIssuerKind,
    /// An imported certificate is stored for the app (Secret `tls-<app>`).
    pub tls_imported: bool,
    /// Computed nginx properties (`client-max-body-size`, `proxy-read-timeout`, ...).
    pub nginx: BTreeMap<String, String>,
    pub annotations: UserMeta,
    pub labels: UserMeta,
    pub trigger_auth: BTreeMap<String, BTreeMap<String, String>>,
    /// Trigger types with a global (cluster) trigger authentication.
    pub global_trigger_auth: BTreeSet<String>,
    pub shm_size: Option<String>,
}

/// Dokku's cron id: lowercase base36 of the bytes of `<app>===<command>===<schedule>`.
pub fn cron_id(app: &str, command: &str, schedule: &str) -> String {
    let bytes = format!("{app}==={command}==={schedule}").into_bytes();
    base36(&bytes)
}

/// SHA-1 hex of a cron id (`dokku.com/cron-hash`).
pub fn cron_hash(id: &str) -> String {
    hex::encode(Sha1::digest(id.as_bytes()))
}

/// Big-endian bytes as a base-36 number (like Go's `big.Int.SetBytes(b).Text(36)`).
fn base36(bytes: &[u8]) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut num: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    if num.is_empty() {
        return "0".into();
    }
    let mut out = Vec::new();
    while !num.is_empty() {
        let mut rem: u32 = 0;
        let mut next = Vec::with_capacity(num.len());
        for &b in &num {
            let acc = rem * 256 + u32::from(b);
            let q = acc / 36;
            rem = acc % 36;
            if !(next.is_empty() && q == 0) {
                next.push(q as u8);
            }
        }
        out.push(DIGITS[rem as usize]);
        num = next;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// True for a Kubernetes quantity such as `100m`, `0.5`, `128Mi`, `1e3`.
fn is_quantity(s: &str) -> bool {
    let num_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(num_end);
    let num_ok = !num.is_empty()
        && num.bytes().any(|b| b.is_ascii_digit())
        && num.matches('.').count() <= 1
        && !num[1..].contains('+');
    let suffix_ok = matches!(
        suffix,
        "" | "m" | "k" | "M" | "G" | "T" | "P" | "E" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei"
    ) || (suffix.starts_with(['e', 'E'])
        && suffix[1..]
            .trim_start_matches(['+', '-'])
            .bytes()
            .all(|b| b.is_ascii_digit())
        && suffix.len() > 1);
    num_ok && suffix_ok
}

fn is_zero_quantity(s: &str) -> bool {
    let num_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+'))
        .unwrap_or(s.len());
    s[..num_end]
        .bytes()
        .all(|b| matches!(b, b'0' | b'.' | b'+'))
}

/// Apply the reference's resource rules (§5.4.2) for one process scope.
fn resolve_resources(
    settings: &BTreeMap<String, ResourceSetting>,
    scope: &str,
) -> Result<Resources, ReleaseError> {
    let own = settings.get(scope);
    let default = settings.get("_default_");
    let pick = |f: fn(&ResourceSetting) -> &Option<String>| -> Option<String> {
        let set = |s: Option<&ResourceSetting>| {
            s.and_then(|s| f(s).clone())
                .filter(|v| !v.is_empty() && v != "0")
        };
        set(own).or_else(|| set(default))
    };
    let mut r = Resources {
        request_cpu: Some("100m".into()),
        request_memory: Some("128Mi".into()),
        ..Resources::default()
    };
    let cpu = |v: String, what: &str| -> Result<Option<String>, ReleaseError> {
        if !is_quantity(&v) {
            return fail(format!(
                "resource {what} {v:?} for {scope} is not a valid cpu quantity (e.g. 100m, 0.5, 2)"
            ));
        }
        Ok((!is_zero_quantity(&v)).then_some(v))
    };
    let memory = |v: String, what: &str| -> Result<Option<String>, ReleaseError> {
        let v = if v.bytes().all(|b| b.is_ascii_digit()) {
            format!("{v}Mi")
        } else {
            v
        };
        if !is_quantity(&v) {
            return fail(format!(
                "resource {what} {v:?} for {scope} is not a valid memory quantity (e.g. 512Mi, 1Gi)"
            ));
        }
        Ok((!is_zero_quantity(&v)).then_some(v))
    };
    if let Some(v) = pick(|s| &s.reserve_cpu) {
        r.request_cpu = cpu(v, "reserve cpu")?;
    }
    if let Some(v) = pick(|s| &s.reserve_memory) {
        r.request_memory = memory(v, "reserve memory")?;
    }
    if let Some(v) = pick(|s| &s.limit_cpu) {
        r.limit_cpu = cpu(v, "limit cpu")?;
    }
    if let Some(v) = pick(|s| &s.limit_memory) {
        r.limit_memory = memory(v, "limit memory")?;
    }
    if let Some(v) = pick(|s| &s.limit_gpu) {
        if !v.bytes().all(|b| b.is_ascii_digit()) {
            return fail(format!(
                "resource limit nvidia-gpu {v:?} for {scope} must be a whole number"
            ));
        }
        r.limit_gpu = Some(v);
    }
    Ok(r)
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

/// The nginx-derived Ingress annotations (reference §5.7).
fn nginx_annotations(app: &str, props: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let get = |k: &str, d: &str| -> String {
        props
            .get(k)
            .filter(|v| !v.is_empty())
            .cloned()
            .unwrap_or_else(|| d.to_owned())
    };
    let digits = |v: String| -> String { v.chars().filter(char::is_ascii_digit).collect() };
    let page = "4k";
    let prefix = "nginx.ingress.kubernetes.io/";
    let mut a = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        a.insert(format!("{prefix}{k}"), v);
    };
    put("proxy-body-size", get("client-max-body-size", "1m"));
    put("proxy-buffer-size", get("proxy-buffer-size", page));
    put("proxy-buffering", get("proxy-buffering", "on"));
    let buffers = get("proxy-buffers", &format!("8 {page}"));
    let mut words = buffers.split_whitespace();
    put(
        "proxy-buffers-number",
        words.next().unwrap_or("8").to_owned(),
    );
    put(
        "proxy-buffers-size",
        words.next().unwrap_or(page).to_owned(),
    );
    put(
        "proxy-connect-timeout",
        digits(get("proxy-connect-timeout", "60s")),
    );
    put(
        "proxy-read-timeout",
        digits(get("proxy-read-timeout", "60s")),
    );
    put(
        "proxy-send-timeout",
        digits(get("proxy-send-timeout", "60s")),
    );
    let server_snippet = [
        format!(
            "access_log {};",
            get(
                "access-log-path",
                &format!("/var/log/nginx/{app}-access.log")
            )
        ),
        format!("client_body_timeout {};", get("client-body-timeout", "60s")),
        format!(
            "client_header_timeout {};",
            get("client-header-timeout", "60s")
        ),
        format!(
            "error_log {};",
            get("error-log-path", &format!("/var/log/nginx/{app}-error.log"))
        ),
        format!("keepalive_timeout {};", get("keepalive-timeout", "75s")),
        format!("lingering_timeout {};", get("lingering-timeout", "5s")),
        format!("send_timeout {};", get("send-timeout", "60s")),
        format!(
            "underscores_in_headers {};",
            get("underscore-in-headers", "off")
        ),
    ];
    put("server-snippet", server_snippet.join("\n"));
    let mut config = vec![format!(
        "proxy_busy_buffers_size {};",
        get("proxy-busy-buffers-size", "8k")
    )];
    if let Some(ssl) = props.get("x-forwarded-ssl").filter(|v| !v.is_empty()) {
        config.push(format!("proxy_set_header X-Forwarded-SSL {ssl};"));
    }
    put("configuration-snippet", config.join("\n"));
    a
}

fn slug(domain: &str) -> String {
    match domain.strip_prefix("*.") {
        Some(rest) => format!("wildcard-{}", rest.replace('.', "-")),
        None => domain.replace('.', "-"),
    }
}

fn is_domain(d: &str) -> bool {
    let host = d.strip_prefix("*.").unwrap_or(d);
    d.len() <= 253 && host.split('.').all(is_dns1123_label)
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
                    "scale: process type {p:?} is not in the Procfile (processes: {})",
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
            let deployment_name = format!("{a}-{p}");
            let autoscaling = match formation.and_then(|f| f.autoscaling.as_ref()) {
                Some(auto) if !auto.triggers.is_empty() => {
                    let min = auto.min_quantity.unwrap_or(replicas);
                    let max = auto.max_quantity.unwrap_or(replicas.max(min));
                    if max < min {
                        return fail(format!(
                            "formation.{p}.autoscaling: max_quantity ({max}) must be at least min_quantity ({min})"
                        ));
                    }
                    if max == 0 {
                        return fail(format!(
                            "formation.{p}.autoscaling.max_quantity must be at least 1 (the scale of {p} is 0)"
                        ));
                    }
                    let mut triggers = Vec::new();
                    for (idx, t) in auto.triggers.iter().enumerate() {
                        let mut metadata = BTreeMap::new();
                        for (k, v) in &t.metadata {
                            let v = interpolate::trigger_metadata(v, a, p, &deployment_name)
                                .map_err(|e| {
                                    ReleaseError(format!(
                                        "formation.{p}.autoscaling.triggers[{idx}].metadata.{k}: {e}"
                                    ))
                                })?;
                            metadata.insert(k.clone(), v);
                        }
                        let mut kind = t.kind.clone();
                        if kind == "http" {
                            // Without the KEDA HTTP add-on berth renders the external-push form
                            // the original falls back to.
                            kind = "external-push".into();
                            metadata = BTreeMap::from([
                                ("httpScaledObject".to_owned(), deployment_name.clone()),
                                (
                                    "scalerAddress".to_owned(),
                                    "keda-add-ons-http-external-scaler.keda:9090".to_owned(),
                                ),
                            ]);
                        }
                        let auth = if i.trigger_auth.contains_key(&t.kind) {
                            Some(TriggerAuthRef {
                                name: format!("{a}-{}", t.kind),
                                cluster: false,
                            })
                        } else if i.global_trigger_auth.contains(&t.kind) {
                            Some(TriggerAuthRef {
                                name: t.kind.clone(),
                                cluster: true,
                            })
                        } else {
                            None
                        };
                        triggers.push(ScaleTrigger {
                            name: t
                                .name
                                .clone()
                                .unwrap_or_else(|| format!("trigger-{}-{}", t.kind, idx + 1)),
                            kind,
                            metadata,
                            auth,
                        });
                    }
                    Some(Autoscaling {
                        min_replicas: min,
                        max_replicas: max,
                        polling_interval_seconds: auto.polling_interval_seconds.unwrap_or(30),
                        cooldown_seconds: auto.cooldown_seconds.unwrap_or(300),
                        triggers,
                        fallback_replicas: replicas,
                    })
                }
                _ => None,
            };
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

fn build_probes(
    app_json: &AppJson,
    proc_type: &ProcessType,
    web: Option<&WebSection>,
) -> Result<Probes, ReleaseError> {
    let mut probes = Probes::default();
    let Some(checks) = app_json.healthchecks.get(proc_type) else {
        return Ok(probes);
    };
    for (idx, check) in checks.iter().enumerate() {
        if let (Some(port), Some(web)) = (check.port, web)
            && !web
                .port_maps
                .iter()
                .any(|m| u32::from(m.container_port) == port)
        {
            let mapped: BTreeSet<String> = web
                .port_maps
                .iter()
                .map(|m| m.container_port.to_string())
                .collect();
            return fail(format!(
                "app.json healthchecks.{proc_type}[{idx}].port {port} is not a mapped container port (mapped: {})",
                mapped.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        let slot = match check.kind {
            HealthcheckKind::Startup => &mut probes.startup,
            HealthcheckKind::Liveness => &mut probes.liveness,
            HealthcheckKind::Readiness => &mut probes.readiness,
        };
        // Only the first check of each kind is used, as in the original.
        if slot.is_none() {
            *slot = Some(check.clone());
        }
    }
    Ok(probes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base36_matches_go_big_int() {
        assert_eq!(base36(&[0]), "0");
        assert_eq!(base36(&[35]), "z");
        assert_eq!(base36(&[1, 0]), "74"); // 256 = 7*36 + 4
        assert_eq!(base36(b"a"), "2p"); // 97 = 2*36 + 25
    }

    #[test]
    fn cron_hash_is_sha1_of_id() {
        let id = cron_id("app", "echo hi", "@daily");
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        let h = cron_hash(&id);
        assert_eq!(h.len(), 40);
        assert_eq!(h, cron_hash(&id));
    }

    #[test]
    fn quantities() {
        for ok in ["100m", "0.5", "2", "128Mi", "1e3", "0m", "1Gi", "500M"] {
            assert!(is_quantity(ok), "{ok}");
        }
        for bad in ["", "m", "1.2.3", "12X", "-1", "1 Gi"] {
            assert!(!is_quantity(bad), "{bad}");
        }
        assert!(is_zero_quantity("0m"));
        assert!(is_zero_quantity("0Mi"));
        assert!(!is_zero_quantity("10m"));
    }

    #[test]
    fn resource_rules() {
        let mut s = BTreeMap::new();
        let r = resolve_resources(&s, "web").unwrap();
        assert_eq!(r.request_cpu.as_deref(), Some("100m"));
        assert_eq!(r.request_memory.as_deref(), Some("128Mi"));
        s.insert(
            "_default_".to_owned(),
            ResourceSetting {
                reserve_cpu: Some("0m".into()),
                reserve_memory: Some("300".into()),
                limit_memory: Some("512".into()),
                limit_cpu: Some("0".into()),
                ..Default::default()
            },
        );
        let r = resolve_resources(&s, "web").unwrap();
        assert_eq!(r.request_cpu, None);
        assert_eq!(r.request_memory.as_deref(), Some("300Mi"));
        assert_eq!(r.limit_memory.as_deref(), Some("512Mi"));
        assert_eq!(r.limit_cpu, None);
        s.insert(
            "web".to_owned(),
            ResourceSetting {
                limit_cpu: Some("lots".into()),
                ..Default::default()
            },
        );
        assert!(
            resolve_resources(&s, "web")
                .unwrap_err()
                .0
                .contains("\"lots\" for web is not a valid cpu quantity")
        );
    }
}
