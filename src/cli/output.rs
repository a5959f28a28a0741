//! Dokku's output conventions: `-----> ` and `=====> ` headings, 7-space verbose lines,
//! ` !     ` warnings on stderr, and the `*:report` layout shared by every plugin.

use serde_json::{Map, Value};

use super::CliError;

/// `-----> text` on stdout.
pub fn info1(msg: impl AsRef<str>) {
    println!("-----> {}", msg.as_ref());
}

/// `=====> text` on stdout: a heading, dropped under `--quiet` (Dokku's `LogInfo2Quiet`, which
/// is what every report, listing and property-set heading uses).
pub fn info2(msg: impl AsRef<str>) {
    if !quiet() {
        println!("=====> {}", msg.as_ref());
    }
}

/// `-----> text` on stdout, dropped under `--quiet` (Dokku's `LogInfo1Quiet`).
pub fn info1_quiet(msg: impl AsRef<str>) {
    if !quiet() {
        info1(msg);
    }
}

/// `--quiet` was given.
pub fn quiet() -> bool {
    super::global_flags::current().quiet
}

/// `       text` on stdout.
pub fn verbose(msg: impl AsRef<str>) {
    println!("       {}", msg.as_ref());
}

/// ` !     text` on stderr.
pub fn warn(msg: impl AsRef<str>) {
    eprintln!(" !     {}", msg.as_ref());
}

/// Report output format (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Stdout,
    Json,
}

/// One report line: the Dokku flag (`--scheduler-k3s-computed-deploy-timeout`), its value, and
/// whether stdout shows it masked (`*******`).
#[derive(Debug, Clone)]
pub struct Row {
    pub flag: String,
    pub value: String,
    pub masked: bool,
}

impl Row {
    pub fn new(flag: impl Into<String>, value: impl Into<String>) -> Row {
        Row {
            flag: flag.into(),
            value: value.into(),
            masked: false,
        }
    }
    pub fn masked(mut self) -> Row {
        self.masked = true;
        self
    }
}

/// A `<plugin>:report` for one scope: heading subject (`my-app` or `--global`), plugin name
/// (`scheduler-k3s`), and rows.
#[derive(Debug, Clone)]
pub struct Report {
    pub subject: String,
    pub plugin: &'static str,
    pub rows: Vec<Row>,
}

/// Label of a flag: `--scheduler-k3s-deploy-timeout` → `Scheduler k3s deploy timeout`.
pub fn flag_label(flag: &str) -> String {
    let s = flag.trim_start_matches("--").replace(['-', '.'], " ");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Print `key: value` lines padded the way Dokku does: to max(31, longest flag) columns.
pub fn print_padded(lines: &[(String, String)], min_width: usize) {
    let width = lines
        .iter()
        .map(|(l, _)| l.len() + 1)
        .max()
        .unwrap_or(0)
        .max(min_width);
    for (label, value) in lines {
        let key = format!("{label}:");
        verbose(format!("{key:<width$} {value}").trim_end());
    }
}

impl Report {
    fn sorted_rows(&self) -> Vec<&Row> {
        let mut rows: Vec<&Row> = self.rows.iter().collect();
        rows.sort_by(|a, b| a.flag.cmp(&b.flag));
        rows
    }

    /// Print in stdout layout: `=====> <subject> <plugin> information` + padded sorted rows.
    pub fn print_stdout(&self) {
        info2(format!("{} {} information", self.subject, self.plugin));
        let lines: Vec<(String, String)> = self
            .sorted_rows()
            .into_iter()
            .map(|r| {
                let v = if r.masked && !r.value.is_empty() {
                    "*******".to_owned()
                } else {
                    r.value.clone()
                };
                (flag_label(&r.flag), v)
            })
            .collect();
        let longest_flag = self.rows.iter().map(|r| r.flag.len()).max().unwrap_or(0);
        print_padded(&lines, longest_flag.max(31));
    }

    /// JSON object: for every flag the legacy key (flag without `--`) and, when the flag starts
    /// with the plugin prefix, the short key without it. Values are never masked in JSON.
    pub fn to_json(&self) -> Value {
        let prefix = format!("--{}-", self.plugin);
        let mut map = Map::new();
        for r in self.sorted_rows() {
            if let Some(short) = r.flag.strip_prefix(&prefix) {
                map.insert(short.to_owned(), Value::String(r.value.clone()));
            }
        }
        for r in self.sorted_rows() {
            map.insert(
                r.flag.trim_start_matches("--").to_owned(),
                Value::String(r.value.clone()),
            );
        }
        Value::Object(map)
    }

    /// Value of a single info flag.
    pub fn info_flag(&self, flag: &str) -> Result<&str, CliError> {
        self.rows
            .iter()
            .find(|r| r.flag == flag)
            .map(|r| r.value.as_str())
            .ok_or_else(|| invalid_flag(self.rows.iter().map(|r| r.flag.clone())))
    }
}

/// "Invalid flag passed" naming the valid flags (sorted), or saying there are none.
pub fn invalid_flag<I: IntoIterator<Item = String>>(valid: I) -> CliError {
    let mut valid: Vec<String> = valid.into_iter().collect();
    valid.sort();
    valid.dedup();
    if valid.is_empty() {
        return CliError::msg("Invalid flag passed, valid flags: (none: nothing is set)");
    }
    CliError::msg(format!(
        "Invalid flag passed, valid flags: {}",
        valid.join(", ")
    ))
}

/// Print reports in the chosen format, or one info flag's value.
pub fn emit_reports(
    reports: &[Report],
    format: Format,
    info_flag: Option<&str>,
) -> Result<(), CliError> {
    if let Some(flag) = info_flag {
        if format == Format::Json {
            return Err(CliError::msg(
                "--format flag cannot be specified when specifying an info flag",
            ));
        }
        for r in reports {
            println!("{}", r.info_flag(flag)?);
        }
        return Ok(());
    }
    match format {
        Format::Stdout => reports.iter().for_each(Report::print_stdout),
        Format::Json => {
            if let [one] = reports {
                println!("{}", one.to_json());
            } else {
                let all: Map<String, Value> = reports
                    .iter()
                    .map(|r| (r.subject.clone(), r.to_json()))
                    .collect();
                println!("{}", Value::Object(all));
            }
        }
    }
    Ok(())
}

/// Print a flat `{"key": "value"}` JSON object.
pub fn print_json(value: &impl serde::Serialize) -> Result<(), CliError> {
    println!(
        "{}",
        serde_json::to_string(value).map_err(|e| CliError::msg(e.to_string()))?
    );
    Ok(())
}

/// Columns separated by two spaces, padded to the widest cell.
pub fn print_table<const N: usize>(rows: &[[String; N]]) {
    let mut widths = [0usize; N];
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    for r in rows {
        let line = r
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ");
        println!("{}", line.trim_end());
    }
}

/// Dokku's confirmation for destructive commands: explain `what`, then the user must type `word`
/// on stdin; anything else aborts with an error naming the word.
pub fn confirm(what: &str, word: &str) -> Result<(), CliError> {
    use std::io::BufRead;
    warn("WARNING: Potentially Destructive Action");
    warn(what);
    warn(format!("To proceed, type \"{word}\""));
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    if line.trim() != word {
        return Err(CliError::msg(format!(
            "Confirmation did not match {word}. Aborted."
        )));
    }
    Ok(())
}
