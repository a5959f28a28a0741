//! The parts of Dokku's `app.json` that berth uses: `formation` (quantity, autoscaling, exposed
//! services), `cron`, `healthchecks` and `scripts.dokku`. Unknown keys are tolerated as Dokku does
//! (an app.json is shared with Heroku-style tooling); a known key with the wrong type or an
//! impossible value is a one-line error naming the field. JSONC comments are accepted.

mod env;
mod read;
mod schedule;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::names::ProcessType;

pub use env::{EnvGenerator, EnvPlan, EnvVar, MissingEnv, plan_env};
use read::{
    array, boolean, count, err, field, object, opt, process_key, shown, string, strip_jsonc,
};
pub use schedule::validate as validate_cron_schedule;

/// app.json could not be used; the message is one line naming the field, the value and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("app.json: {0}")]
pub struct AppJsonError(pub String);

/// The parsed, validated app.json.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AppJson {
    pub formation: BTreeMap<ProcessType, Formation>,
    pub cron: Vec<CronTask>,
    pub healthchecks: BTreeMap<ProcessType, Vec<Healthcheck>>,
    pub scripts: Scripts,
    /// `env`: defaults, generated secrets and required keys for the app's config.
    pub env: BTreeMap<String, EnvVar>,
    /// What was accepted but will not be used, one line each (a deploy prints them as
    /// warnings): healthchecks of a type Dokku does not run, as Dokku skips them.
    #[serde(skip)]
    pub skipped: Vec<String>,
}

/// `formation.<process>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Formation {
    pub quantity: Option<u32>,
    pub max_parallel: Option<u32>,
    pub autoscaling: Option<Autoscaling>,
    /// `service.exposed`: a non-web process gets a Service on port 5000.
    pub exposed: bool,
}

/// `formation.<process>.autoscaling` (KEDA).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Autoscaling {
    pub min_quantity: Option<u32>,
    pub max_quantity: Option<u32>,
    pub polling_interval_seconds: Option<u32>,
    /// `cooldown_seconds` (documented) or `cooldown_period_seconds` (what the original code reads).
    pub cooldown_seconds: Option<u32>,
    pub triggers: Vec<Trigger>,
}

/// One KEDA trigger, passed through to the ScaledObject.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Trigger {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub metadata: BTreeMap<String, String>,
}

/// `cron[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CronTask {
    /// Optional explicit id; otherwise Dokku's derived id is used (see `model::release`).
    pub id: Option<String>,
    pub command: String,
    pub schedule: String,
    pub concurrency_policy: ConcurrencyPolicy,
    pub maintenance: bool,
}

/// What a CronJob does when the previous run is still going.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConcurrencyPolicy {
    #[default]
    Allow,
    Forbid,
    Replace,
}

impl ConcurrencyPolicy {
    /// The Kubernetes spelling (`Allow`, `Forbid`, `Replace`).
    pub fn as_k8s(self) -> &'static str {
        match self {
            ConcurrencyPolicy::Allow => "Allow",
            ConcurrencyPolicy::Forbid => "Forbid",
            ConcurrencyPolicy::Replace => "Replace",
        }
    }
}

/// Which probe a healthcheck becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthcheckKind {
    Startup,
    Liveness,
    Readiness,
}

/// `healthchecks.<process>[]` entry (fields of Dokku's docker-container-healthchecker).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Healthcheck {
    #[serde(rename = "type")]
    pub kind: HealthcheckKind,
    pub name: Option<String>,
    pub path: Option<String>,
    pub command: Vec<String>,
    pub listening: bool,
    pub attempts: Option<u32>,
    pub wait: Option<u32>,
    pub timeout: Option<u32>,
    pub initial_delay: Option<u32>,
    /// `http` or `https` (lower-cased here, upper-cased in the probe).
    pub scheme: Option<String>,
    pub http_headers: Vec<HttpHeader>,
    pub uptime: Option<u32>,
    /// Container port to probe; the original ignores it and always probes the primary port.
    pub port: Option<u32>,
}

/// `httpHeaders[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

/// `scripts.dokku`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Scripts {
    pub predeploy: Option<String>,
    pub postdeploy: Option<String>,
    /// Heroku's `scripts.postdeploy`: run once, after the app's first successful deploy.
    pub heroku_postdeploy: Option<String>,
}

type Result<T> = std::result::Result<T, AppJsonError>;

impl AppJson {
    /// Parse and validate app.json text (JSON with optional `//` and `/* */` comments).
    pub fn parse(text: &str) -> Result<AppJson> {
        let cleaned = strip_jsonc(text);
        if cleaned.trim().is_empty() {
            return Ok(AppJson::default());
        }
        let root: Value = serde_json::from_str(&cleaned)
            .map_err(|e| AppJsonError(format!("not valid JSON: {e}")))?;
        let root = object(&root, "the document")?;
        let mut app = AppJson::default();
        if let Some(v) = field(root, "formation") {
            for (proc_name, entry) in object(v, "formation")? {
                let path = format!("formation.{proc_name}");
                let proc_type = process_key(proc_name, &path)?;
                app.formation
                    .insert(proc_type, parse_formation(entry, &path)?);
            }
        }
        if let Some(v) = field(root, "cron") {
            for (i, entry) in array(v, "cron")?.iter().enumerate() {
                app.cron.push(parse_cron(entry, &format!("cron[{i}]"))?);
            }
        }
        if let Some(v) = field(root, "healthchecks") {
            for (proc_name, checks) in object(v, "healthchecks")? {
                let path = format!("healthchecks.{proc_name}");
                let proc_type = process_key(proc_name, &path)?;
                let mut parsed = Vec::new();
                for (i, check) in array(checks, &path)?.iter().enumerate() {
                    let check_path = format!("{path}[{i}]");
                    match parse_healthcheck(check, &check_path)? {
                        Checked::Used(h) => parsed.push(h),
                        Checked::Skipped(kind) => app.skipped.push(format!(
                            "app.json: {check_path} has type {kind:?}, which Dokku does not run (startup, liveness, readiness); skipped"
                        )),
                    }
                }
                app.healthchecks.insert(proc_type, parsed);
            }
        }
        if let Some(v) = field(root, "env") {
            app.env = env::parse_env(v, &mut app.skipped)?;
        }
        if let Some(v) = field(root, "scripts") {
            let scripts = object(v, "scripts")?;
            if let Some(d) = field(scripts, "dokku") {
                let dokku = object(d, "scripts.dokku")?;
                app.scripts.predeploy = opt(dokku, "predeploy", "scripts.dokku", string)?
                    .filter(|s| !s.trim().is_empty());
                app.scripts.postdeploy = opt(dokku, "postdeploy", "scripts.dokku", string)?
                    .filter(|s| !s.trim().is_empty());
            }
            // Heroku allows a string or `{"command": "...", "size": ...}`.
            app.scripts.heroku_postdeploy = match field(scripts, "postdeploy") {
                None => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(v) => opt(
                    object(v, "scripts.postdeploy")?,
                    "command",
                    "scripts.postdeploy",
                    string,
                )?,
            }
            .filter(|s| !s.trim().is_empty());
        }
        Ok(app)
    }
}

fn parse_formation(v: &Value, path: &str) -> Result<Formation> {
    let obj = object(v, path)?;
    let mut f = Formation {
        quantity: opt(obj, "quantity", path, count)?,
        max_parallel: opt(obj, "max_parallel", path, count)?,
        ..Formation::default()
    };
    if let Some(s) = field(obj, "service") {
        let spath = format!("{path}.service");
        let service = object(s, &spath)?;
        f.exposed = opt(service, "exposed", &spath, boolean)?.unwrap_or(false);
    }
    if let Some(a) = field(obj, "autoscaling") {
        f.autoscaling = Some(parse_autoscaling(a, &format!("{path}.autoscaling"))?);
    }
    Ok(f)
}

fn parse_autoscaling(v: &Value, path: &str) -> Result<Autoscaling> {
    let obj = object(v, path)?;
    let cooldown = opt(obj, "cooldown_seconds", path, count)?;
    let cooldown_period = opt(obj, "cooldown_period_seconds", path, count)?;
    if let (Some(a), Some(b)) = (cooldown, cooldown_period)
        && a != b
    {
        return err(format!(
            "{path}.cooldown_seconds ({a}) and {path}.cooldown_period_seconds ({b}) disagree, set only one"
        ));
    }
    let mut a = Autoscaling {
        min_quantity: opt(obj, "min_quantity", path, count)?,
        max_quantity: opt(obj, "max_quantity", path, count)?,
        polling_interval_seconds: opt(obj, "polling_interval_seconds", path, count)?,
        cooldown_seconds: cooldown.or(cooldown_period),
        triggers: Vec::new(),
    };
    if let (Some(min), Some(max)) = (a.min_quantity, a.max_quantity)
        && max < min
    {
        return err(format!(
            "{path}.max_quantity ({max}) must be at least {path}.min_quantity ({min})"
        ));
    }
    if a.polling_interval_seconds == Some(0) {
        return err(format!(
            "{path}.polling_interval_seconds must be at least 1"
        ));
    }
    if let Some(t) = field(obj, "triggers") {
        let tpath = format!("{path}.triggers");
        let mut http_seen = false;
        for (i, trig) in array(t, &tpath)?.iter().enumerate() {
            let ipath = format!("{tpath}[{i}]");
            let tobj = object(trig, &ipath)?;
            let kind = opt(tobj, "type", &ipath, string)?.unwrap_or_default();
            if kind.trim().is_empty() {
                return err(format!(
                    "{ipath}.type is required (a KEDA scaler type such as cpu, memory, prometheus)"
                ));
            }
            if kind == "http" {
                if http_seen {
                    return err(format!("{ipath}: only one http trigger is allowed"));
                }
                http_seen = true;
            }
            let mut metadata = BTreeMap::new();
            if let Some(m) = field(tobj, "metadata") {
                let mpath = format!("{ipath}.metadata");
                for (k, val) in object(m, &mpath)? {
                    // KEDA metadata is string→string; accept JSON numbers and booleans as their text.
                    let text = match val {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        other => {
                            return err(format!(
                                "{mpath}.{k} must be a string, got {}",
                                shown(other)
                            ));
                        }
                    };
                    metadata.insert(k.clone(), text);
                }
            }
            a.triggers.push(Trigger {
                name: opt(tobj, "name", &ipath, string)?.filter(|s| !s.is_empty()),
                kind,
                metadata,
            });
        }
    }
    Ok(a)
}

fn parse_cron(v: &Value, path: &str) -> Result<CronTask> {
    let obj = object(v, path)?;
    let command = opt(obj, "command", path, string)?.unwrap_or_default();
    if command.trim().is_empty() {
        return err(format!("{path}.command is required"));
    }
    let schedule = opt(obj, "schedule", path, string)?.unwrap_or_default();
    if schedule.trim().is_empty() {
        return err(format!(
            "{path}.schedule is required (e.g. \"@daily\" or \"*/5 * * * *\")"
        ));
    }
    schedule::validate(&schedule).map_err(|e| {
        AppJsonError(format!(
            "{path}.schedule {schedule:?} is not a valid cron schedule: {e}"
        ))
    })?;
    let concurrency_policy = match opt(obj, "concurrency_policy", path, string)?.as_deref() {
        None | Some("") | Some("allow") => ConcurrencyPolicy::Allow,
        Some("forbid") => ConcurrencyPolicy::Forbid,
        Some("replace") => ConcurrencyPolicy::Replace,
        Some(other) => {
            return err(format!(
                "{path}.concurrency_policy {other:?} is not valid, use allow, forbid or replace"
            ));
        }
    };
    let id = opt(obj, "id", path, string)?.filter(|s| !s.is_empty());
    if let Some(id) = &id
        && !super::names::is_dns1123_label(id)
    {
        return err(format!(
            "{path}.id {id:?} is not valid, use lowercase letters, digits and dashes (at most 63)"
        ));
    }
    Ok(CronTask {
        id,
        command,
        schedule: schedule.trim().to_owned(),
        concurrency_policy,
        maintenance: opt(obj, "maintenance", path, boolean)?.unwrap_or(false),
    })
}

/// A healthcheck entry: one to map, or one of a type that is accepted and skipped.
enum Checked {
    Used(Healthcheck),
    Skipped(String),
}

fn parse_healthcheck(v: &Value, path: &str) -> Result<Checked> {
    let obj = object(v, path)?;
    let kind = match opt(obj, "type", path, string)?.as_deref() {
        // docker-container-healthchecker treats an untyped check as a startup check.
        None | Some("") | Some("startup") => HealthcheckKind::Startup,
        Some("liveness") => HealthcheckKind::Liveness,
        Some("readiness") => HealthcheckKind::Readiness,
        Some(other) => return Ok(Checked::Skipped(other.to_owned())),
    };
    let command = match field(obj, "command") {
        None => Vec::new(),
        // A single string is one shell command line.
        Some(Value::String(s)) => shlex::split(s)
            .ok_or_else(|| AppJsonError(format!("{path}.command {s:?} has unbalanced quotes")))?,
        Some(c) => {
            let cpath = format!("{path}.command");
            array(c, &cpath)?
                .iter()
                .enumerate()
                .map(|(i, w)| string(w, &format!("{cpath}[{i}]")))
                .collect::<Result<Vec<_>>>()?
        }
    };
    let scheme = opt(obj, "scheme", path, string)?
        .filter(|s| !s.is_empty())
        .map(|s| s.to_ascii_lowercase());
    if let Some(s) = &scheme
        && s != "http"
        && s != "https"
    {
        return err(format!(
            "{path}.scheme {s:?} is not valid, use http or https"
        ));
    }
    let mut http_headers = Vec::new();
    if let Some(h) = field(obj, "httpHeaders") {
        let hpath = format!("{path}.httpHeaders");
        for (i, header) in array(h, &hpath)?.iter().enumerate() {
            let ipath = format!("{hpath}[{i}]");
            let hobj = object(header, &ipath)?;
            let name = opt(hobj, "name", &ipath, string)?.unwrap_or_default();
            if name.is_empty() {
                return err(format!("{ipath}.name is required"));
            }
            let value = opt(hobj, "value", &ipath, string)?.unwrap_or_default();
            http_headers.push(HttpHeader { name, value });
        }
    }
    let port = opt(obj, "port", path, count)?.filter(|p| *p != 0);
    if let Some(p) = port
        && p > 65535
    {
        return err(format!("{path}.port {p} is not a valid port (1-65535)"));
    }
    let path_value = opt(obj, "path", path, string)?.filter(|s| !s.is_empty());
    if let Some(p) = &path_value
        && !p.starts_with('/')
    {
        return err(format!("{path}.path {p:?} must start with /"));
    }
    Ok(Checked::Used(Healthcheck {
        kind,
        name: opt(obj, "name", path, string)?.filter(|s| !s.is_empty()),
        path: path_value,
        command,
        listening: opt(obj, "listening", path, boolean)?.unwrap_or(false),
        attempts: opt(obj, "attempts", path, count)?,
        wait: opt(obj, "wait", path, count)?,
        timeout: opt(obj, "timeout", path, count)?,
        initial_delay: opt(obj, "initialDelay", path, count)?,
        scheme,
        http_headers,
        uptime: opt(obj, "uptime", path, count)?,
        port,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ProcessType {
        s.parse().unwrap()
    }

    #[test]
    fn full_document() {
        let app = AppJson::parse(
            r#"{
              // Heroku-style keys are tolerated
              "name": "demo", "env": {"X": {"value": "1"}},
              "formation": {
                "web": {"quantity": 2, "max_parallel": 1},
                "worker": {"quantity": 1, "service": {"exposed": true},
                  "autoscaling": {"min_quantity": 1, "max_quantity": 5, "polling_interval_seconds": 10,
                    "cooldown_period_seconds": 120,
                    "triggers": [{"name": "q", "type": "prometheus", "metadata": {"query": "x", "threshold": 5}}]}}
              },
              "cron": [{"command": "echo hi", "schedule": "@daily", "concurrency_policy": "forbid"}],
              "healthchecks": {"web": [
                {"type": "readiness", "name": "r", "path": "/ready", "attempts": 3, "wait": 5, "timeout": 2,
                 "initialDelay": 1, "scheme": "HTTPS", "httpHeaders": [{"name": "Host", "value": "x.io"}]},
                {"type": "liveness", "command": ["/bin/check", "--fast"]},
                {"listening": true}
              ]},
              "scripts": {"dokku": {"predeploy": "rake db:migrate", "postdeploy": ""}},
            }"#,
        )
        .unwrap();
        assert_eq!(app.formation[&p("web")].quantity, Some(2));
        assert_eq!(app.formation[&p("web")].max_parallel, Some(1));
        let worker = &app.formation[&p("worker")];
        assert!(worker.exposed);
        let a = worker.autoscaling.as_ref().unwrap();
        assert_eq!(a.cooldown_seconds, Some(120));
        assert_eq!(a.triggers[0].metadata["threshold"], "5");
        assert_eq!(app.cron[0].concurrency_policy, ConcurrencyPolicy::Forbid);
        let checks = &app.healthchecks[&p("web")];
        assert_eq!(checks[0].kind, HealthcheckKind::Readiness);
        assert_eq!(checks[0].scheme.as_deref(), Some("https"));
        assert_eq!(checks[1].command, vec!["/bin/check", "--fast"]);
        assert_eq!(checks[2].kind, HealthcheckKind::Startup);
        assert!(checks[2].listening);
        assert_eq!(app.scripts.predeploy.as_deref(), Some("rake db:migrate"));
        assert_eq!(app.scripts.postdeploy, None);
    }

    #[test]
    fn empty_and_minimal() {
        assert_eq!(AppJson::parse("").unwrap(), AppJson::default());
        assert_eq!(AppJson::parse("{}").unwrap(), AppJson::default());
        assert_eq!(
            AppJson::parse(r#"{"formation": null}"#).unwrap(),
            AppJson::default()
        );
    }

    #[test]
    fn cooldown_seconds_alias() {
        let app = AppJson::parse(
            r#"{"formation":{"web":{"autoscaling":{"cooldown_seconds":60,"triggers":[{"type":"cpu","metadata":{"value":"50"}}]}}}}"#,
        )
        .unwrap();
        assert_eq!(
            app.formation[&p("web")]
                .autoscaling
                .as_ref()
                .unwrap()
                .cooldown_seconds,
            Some(60)
        );
    }

    #[test]
    fn healthchecks_of_types_dokku_does_not_run_are_skipped_with_a_note() {
        let app = AppJson::parse(
            r#"{"healthchecks":{"web":[{"type":"http","path":"/health"},{"type":"readiness","path":"/ready"}]}}"#,
        )
        .unwrap();
        assert_eq!(app.healthchecks[&p("web")].len(), 1);
        assert_eq!(
            app.skipped,
            vec![
                "app.json: healthchecks.web[0] has type \"http\", which Dokku does not run (startup, liveness, readiness); skipped"
            ]
        );
    }

    fn error(text: &str) -> String {
        AppJson::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (
                r#"{"formation":{"web":{"quantity":"3"}}}"#,
                "formation.web.quantity must be a non-negative integer, got \"3\"",
            ),
            (
                r#"{"formation":{"web":{"quantity":-1}}}"#,
                "formation.web.quantity must be a non-negative integer",
            ),
            (
                r#"{"formation":{"Web":{}}}"#,
                "formation.Web: Invalid process type",
            ),
            (
                r#"{"formation":{"web":{"autoscaling":{"min_quantity":5,"max_quantity":2}}}}"#,
                "formation.web.autoscaling.max_quantity (2) must be at least formation.web.autoscaling.min_quantity (5)",
            ),
            (
                r#"{"formation":{"web":{"autoscaling":{"triggers":[{"metadata":{}}]}}}}"#,
                "formation.web.autoscaling.triggers[0].type is required",
            ),
            (
                r#"{"formation":{"web":{"autoscaling":{"triggers":[{"type":"http"},{"type":"http"}]}}}}"#,
                "only one http trigger",
            ),
            (
                r#"{"formation":{"web":{"service":{"exposed":"yes"}}}}"#,
                "formation.web.service.exposed must be true or false",
            ),
            (
                r#"{"cron":[{"command":"x","schedule":"61 * * * *"}]}"#,
                "cron[0].schedule \"61 * * * *\" is not a valid cron schedule: minute field",
            ),
            (
                r#"{"cron":[{"command":"x"}]}"#,
                "cron[0].schedule is required",
            ),
            (
                r#"{"cron":[{"schedule":"@daily"}]}"#,
                "cron[0].command is required",
            ),
            (
                r#"{"cron":[{"command":"x","schedule":"@daily","concurrency_policy":"never"}]}"#,
                "cron[0].concurrency_policy \"never\" is not valid",
            ),
            (r#"{"cron":{}}"#, "cron must be an array"),
            (
                r#"{"healthchecks":{"web":[{"attempts":"3"}]}}"#,
                "healthchecks.web[0].attempts must be a non-negative integer",
            ),
            (
                r#"{"healthchecks":{"web":[{"scheme":"ftp"}]}}"#,
                "healthchecks.web[0].scheme \"ftp\" is not valid",
            ),
            (
                r#"{"healthchecks":{"web":[{"path":"ready"}]}}"#,
                "must start with /",
            ),
            (
                r#"{"scripts":{"dokku":{"predeploy":["a"]}}}"#,
                "scripts.dokku.predeploy must be a string",
            ),
            (r#"[1]"#, "the document must be an object"),
            (r#"{"#, "not valid JSON"),
        ];
        for (input, want) in cases {
            let got = error(input);
            assert!(got.starts_with("app.json: "), "{got}");
            assert!(
                got.contains(want),
                "input {input}: got {got:?}, want {want:?}"
            );
            assert!(!got.contains('\n'), "multi-line error: {got:?}");
        }
    }

    #[test]
    fn jsonc_strings_keep_slashes() {
        let app = AppJson::parse(
            r#"{"cron":[{"command":"curl http://x/*y*/ // not a comment","schedule":"@hourly"}] /* c */}"#,
        )
        .unwrap();
        assert_eq!(app.cron[0].command, "curl http://x/*y*/ // not a comment");
    }
}
