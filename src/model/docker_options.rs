//! `docker-options:*`: Docker options per phase (`build`, `deploy`, `run`), stored as Dokku stores
//! them. The k3s scheduler honours, from the `deploy` phase, what maps onto a pod (reference
//! §5.4): `--privileged`, `--cap-add`/`--cap-drop` (container `securityContext`) and `--sysctl`
//! (pod `securityContext.sysctls`); every other option is kept and reported only.

use std::collections::BTreeMap;

use super::error::{InvalidValue, Valid, q};

/// Options per phase, in the order they were added.
pub type DockerOptions = BTreeMap<String, Vec<String>>;

/// Dokku's phases.
pub const PHASES: [&str; 3] = ["build", "deploy", "run"];

/// `build,deploy` → the phases, or Dokku's error.
pub fn parse_phases(arg: &str) -> Valid<Vec<String>> {
    let phases: Vec<String> = arg.split(',').map(str::to_owned).collect();
    if arg.is_empty() || phases.iter().any(|p| !PHASES.contains(&p.as_str())) {
        return Err(InvalidValue(format!(
            "Phase(s) must be one of [{}], got {}",
            PHASES.join(" "),
            q(arg)
        )));
    }
    Ok(phases)
}

/// Split `--cap-add SYS_ADMIN --privileged` into one option per flag (with its values).
pub fn split_options(text: &str) -> Valid<Vec<String>> {
    let words = super::shell_words::split(text, &|_| None)
        .map_err(|e| InvalidValue(format!("Invalid docker option {}: {e}", q(text))))?;
    let mut options: Vec<Vec<String>> = Vec::new();
    for word in words {
        if word.contains(['\0', '\n']) {
            return Err(InvalidValue(format!(
                "Invalid docker option {}: control characters are not allowed",
                q(text)
            )));
        }
        match options.last_mut() {
            Some(current) if !word.starts_with('-') => current.push(word),
            _ if word.starts_with('-') => options.push(vec![word]),
            _ => {
                return Err(InvalidValue(format!(
                    "Invalid docker option {}: options start with - (e.g. --cap-add NET_ADMIN)",
                    q(text)
                )));
            }
        }
    }
    if options.is_empty() {
        return Err(InvalidValue::new(
            "Please specify docker options to add to the phase",
        ));
    }
    Ok(options.into_iter().map(|o| o.join(" ")).collect())
}

/// Dokku's reserved name for the options of every process (`--process` may not name it).
pub const DEFAULT_PROCESS: &str = "_default_";

/// The store key of a phase's options: the phase for every process, `deploy.<process>` for one
/// process type (Dokku's report key).
pub fn scope_key(process: Option<&str>, phase: &str) -> String {
    match process {
        Some(p) => format!("{phase}.{p}"),
        None => phase.to_owned(),
    }
}

/// Check `--process` values against `phases` as Dokku does, and return the store keys the
/// change applies to: the phases themselves without `--process`, else `deploy.<process>` each.
pub fn scope_keys(processes: &[String], phases: &[String]) -> Valid<Vec<String>> {
    for p in processes {
        check_process(p)?;
    }
    if processes.is_empty() {
        return Ok(phases.to_vec());
    }
    if let Some(phase) = phases.iter().find(|p| *p != "deploy") {
        return Err(InvalidValue(format!(
            "--process is only supported for the deploy phase, got {}",
            q(phase)
        )));
    }
    Ok(processes
        .iter()
        .map(|p| scope_key(Some(p), "deploy"))
        .collect())
}

/// A `--process` value: not empty, not `_default_`, a process type name.
pub fn check_process(p: &str) -> Valid<()> {
    if p.is_empty() {
        return Err(InvalidValue::new("--process value must not be empty"));
    }
    if p == DEFAULT_PROCESS {
        return Err(InvalidValue(format!(
            "{} is reserved and cannot be used as a --process value",
            q(DEFAULT_PROCESS)
        )));
    }
    p.parse::<super::ProcessType>()
        .map(|_| ())
        .map_err(|e| InvalidValue(e.0))
}

/// Dokku honours a `--process PROC` (or `--process=PROC`) given after the app, among the option
/// words: take those out of `words`, returning the options left and the processes found.
pub fn take_process_flags(words: &[String]) -> Valid<(Vec<String>, Vec<String>)> {
    let (mut rest, mut processes) = (Vec::new(), Vec::new());
    let mut iter = words.iter();
    while let Some(w) = iter.next() {
        if w == "--process" {
            let value = iter
                .next()
                .ok_or_else(|| InvalidValue::new("--process requires a value"))?;
            processes.push(value.clone());
        } else if let Some(value) = w.strip_prefix("--process=") {
            processes.push(value.to_owned());
        } else {
            rest.push(w.clone());
        }
    }
    Ok((rest, processes))
}

/// The process types that have options of their own (`deploy.<process>` keys), sorted.
pub fn processes_with_options(all: &DockerOptions) -> Vec<String> {
    all.keys()
        .filter_map(|k| k.strip_prefix("deploy."))
        .map(str::to_owned)
        .collect()
}

/// What the `deploy`-phase options ask of the pods.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PodSecurity {
    pub privileged: bool,
    /// Upper-cased, without a `CAP_` prefix, in the order given.
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    /// Kernel parameters (`--sysctl net.core.somaxconn=1024`), sorted by name.
    pub sysctls: BTreeMap<String, String>,
}

impl PodSecurity {
    /// Read the options that map onto a pod; others are ignored here.
    pub fn from_options(options: &[String]) -> Valid<PodSecurity> {
        let mut s = PodSecurity::default();
        for option in options {
            let (flag, value) = match option.split_once(['=', ' ']) {
                Some((f, v)) => (f, Some(v.trim())),
                None => (option.as_str(), None),
            };
            match (flag, value) {
                ("--privileged", None | Some("true")) => s.privileged = true,
                ("--privileged", Some("false")) => s.privileged = false,
                ("--cap-add" | "--cap-drop", Some(cap)) => {
                    let cap = cap.to_ascii_uppercase();
                    let cap = cap.strip_prefix("CAP_").unwrap_or(&cap).to_owned();
                    if cap.is_empty()
                        || !cap.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    {
                        return Err(InvalidValue(format!(
                            "Invalid docker option {}: a capability is a name such as NET_ADMIN",
                            q(option)
                        )));
                    }
                    let list = if flag == "--cap-add" {
                        &mut s.cap_add
                    } else {
                        &mut s.cap_drop
                    };
                    if !list.contains(&cap) {
                        list.push(cap);
                    }
                }
                ("--sysctl", Some(kv)) => {
                    let Some((k, v)) = kv.split_once('=') else {
                        return Err(InvalidValue(format!(
                            "Invalid --sysctl value, expected name=value: {}",
                            q(kv)
                        )));
                    };
                    s.sysctls.insert(k.to_owned(), v.to_owned());
                }
                _ => {}
            }
        }
        Ok(s)
    }

    pub fn is_empty(&self) -> bool {
        *self == PodSecurity::default()
    }

    /// The security of the app's pods (`deploy` options) and, per process type with options of
    /// its own, of that process's pods (`deploy` then `deploy.<process>` options).
    pub fn per_process(all: &DockerOptions) -> Valid<(PodSecurity, BTreeMap<String, PodSecurity>)> {
        let default_opts = all.get("deploy").cloned().unwrap_or_default();
        let default = PodSecurity::from_options(&default_opts)?;
        let mut by_process = BTreeMap::new();
        for p in processes_with_options(all) {
            let mut opts = default_opts.clone();
            opts.extend(all[&scope_key(Some(&p), "deploy")].iter().cloned());
            by_process.insert(p, PodSecurity::from_options(&opts)?);
        }
        Ok((default, by_process))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_split_and_map_onto_pods() {
        let opts = split_options(
            "--cap-add net_admin --privileged --sysctl net.core.somaxconn=1024 -v /a:/b",
        )
        .unwrap();
        assert_eq!(
            opts,
            [
                "--cap-add net_admin",
                "--privileged",
                "--sysctl net.core.somaxconn=1024",
                "-v /a:/b"
            ]
        );
        let s = PodSecurity::from_options(&opts).unwrap();
        assert!(s.privileged);
        assert_eq!(s.cap_add, ["NET_ADMIN"]);
        assert_eq!(s.sysctls["net.core.somaxconn"], "1024");
        assert!(PodSecurity::from_options(&["--sysctl=bad".into()]).is_err());
        assert!(parse_phases("deploy,run").is_ok());
        assert!(
            parse_phases("deploy,nope")
                .unwrap_err()
                .0
                .starts_with("Phase(s) must be one of [build deploy run]")
        );
        assert!(split_options("").is_err());
        let keys = scope_keys(&["web".into(), "api".into()], &["deploy".into()]).unwrap();
        assert_eq!(keys, ["deploy.web", "deploy.api"]);
        assert_eq!(
            scope_keys(&["web".into()], &["deploy".into(), "run".into()])
                .unwrap_err()
                .0,
            "--process is only supported for the deploy phase, got \"run\""
        );
        assert_eq!(
            check_process("_default_").unwrap_err().0,
            "\"_default_\" is reserved and cannot be used as a --process value"
        );
        let words: Vec<String> = ["--ulimit nofile=12", "--process", "web", "--process=api"]
            .map(String::from)
            .to_vec();
        let (rest, procs) = take_process_flags(&words).unwrap();
        assert_eq!(rest, ["--ulimit nofile=12"]);
        assert_eq!(procs, ["web", "api"]);
        let mut all = DockerOptions::new();
        all.insert("deploy".into(), vec!["--cap-add NET_ADMIN".into()]);
        all.insert("deploy.worker".into(), vec!["--privileged".into()]);
        let (default, by) = PodSecurity::per_process(&all).unwrap();
        assert!(!default.privileged);
        assert!(by["worker"].privileged);
        assert_eq!(by["worker"].cap_add, ["NET_ADMIN"]);
        assert!(split_options("value-without-flag").is_err());
    }
}
