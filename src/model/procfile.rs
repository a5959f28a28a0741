//! Procfile parsing: `<process>: <command>` lines, `#` comments and blank lines ignored.
//! The `release` entry is Dokku's release task (run before the rollout), not a process.

use std::collections::BTreeMap;

use serde::Serialize;

use super::names::ProcessType;

/// The Procfile could not be used; one line naming the line number and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Procfile: {0}")]
pub struct ProcfileError(pub String);

/// Name of the Procfile entry Dokku runs as the release task.
pub const RELEASE_ENTRY: &str = "release";

/// A parsed Procfile: process types with their commands, plus the optional release command.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Procfile {
    pub processes: BTreeMap<ProcessType, String>,
    pub release: Option<String>,
}

impl Procfile {
    /// Parse Procfile text. Duplicate process types, bad names and empty commands are errors.
    pub fn parse(text: &str) -> Result<Procfile, ProcfileError> {
        let mut procfile = Procfile::default();
        for (index, raw) in text.lines().enumerate() {
            let n = index + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, command)) = line.split_once(':') else {
                return Err(ProcfileError(format!(
                    "line {n}: expected `<process>: <command>`, got {line:?}"
                )));
            };
            let (name, command) = (name.trim(), command.trim());
            if command.is_empty() {
                return Err(ProcfileError(format!(
                    "line {n}: process {name:?} has no command"
                )));
            }
            // Shell-only syntax is fine (such an entry runs through /bin/sh); malformed is not.
            if let Err(e) = super::shell_words::split(command, &|_| None)
                && !e.needs_shell()
            {
                return Err(ProcfileError(format!("line {n}: command {command:?}: {e}")));
            }
            if name == RELEASE_ENTRY {
                if procfile.release.is_some() {
                    return Err(ProcfileError(format!(
                        "line {n}: duplicate process \"release\""
                    )));
                }
                procfile.release = Some(command.to_owned());
                continue;
            }
            let proc_type: ProcessType = name
                .parse()
                .map_err(|e| ProcfileError(format!("line {n}: {e}")))?;
            if procfile.processes.contains_key(&proc_type) {
                return Err(ProcfileError(format!(
                    "line {n}: duplicate process {name:?}"
                )));
            }
            procfile.processes.insert(proc_type, command.to_owned());
        }
        Ok(procfile)
    }

    /// The command of one process type, if the Procfile has it.
    pub fn command(&self, proc_type: &ProcessType) -> Option<&str> {
        self.processes.get(proc_type).map(String::as_str)
    }

    /// Render back to Procfile text (sorted; the release entry first), for storing and reports.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if let Some(r) = &self.release {
            out.push_str(&format!("{RELEASE_ENTRY}: {r}\n"));
        }
        for (p, c) in &self.processes {
            out.push_str(&format!("{p}: {c}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_processes_and_release() {
        let p = Procfile::parse(
            "# comment\nweb: gunicorn app:wsgi --bind 0.0.0.0:$PORT\n\nworker:  celery -A app worker \nrelease: python manage.py migrate\n",
        )
        .unwrap();
        assert_eq!(
            p.command(&"web".parse().unwrap()),
            Some("gunicorn app:wsgi --bind 0.0.0.0:$PORT")
        );
        assert_eq!(
            p.command(&"worker".parse().unwrap()),
            Some("celery -A app worker")
        );
        assert_eq!(p.release.as_deref(), Some("python manage.py migrate"));
        assert_eq!(p.processes.len(), 2);
        assert_eq!(Procfile::parse(&p.to_text()).unwrap(), p);
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("web: a\nweb: b", "line 2: duplicate process \"web\""),
            ("web a", "line 1: expected `<process>: <command>`"),
            ("web:", "line 1: process \"web\" has no command"),
            ("Web_1: x", "line 1: Invalid process type \"Web_1\""),
            (
                "web: echo 'x",
                "line 1: command \"echo 'x\": unbalanced quotes (a single quote is not closed)",
            ),
        ];
        for (input, want) in cases {
            let got = Procfile::parse(input).unwrap_err().to_string();
            assert!(got.contains(want), "{input:?}: {got}");
            assert!(got.starts_with("Procfile: "));
        }
    }

    #[test]
    fn empty_is_empty() {
        assert_eq!(
            Procfile::parse("\n# nothing\n").unwrap(),
            Procfile::default()
        );
    }
}
