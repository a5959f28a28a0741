//! Command-line grammar (Dokku's colon subcommands). Handlers parse, call one core function, print.
//!
//! Adding a command family: write `src/cli/<family>.rs` with a `#[derive(clap::Subcommand)]` enum
//! whose variants carry `#[command(name = "<family>:<verb>", about = "...", after_help = "Example: ...")]`
//! and an `impl <Enum> { pub fn run(self, ctx: &Ctx) -> Result<(), CliError> }`, then add one
//! `mod` line and one line to `command_families!` below. Helpers for the shared grammar live in
//! [`args`] (`<app|--global>` targets, `--format`) and [`output`] (Dokku log lines and reports).

pub mod app_json;
pub mod apps;
pub mod args;
pub mod builder;
pub mod certs;
pub mod config;
pub mod cron;
pub mod deploy;
pub mod docker_options;
pub mod domains;
pub mod enter;
pub mod global_flags;
pub mod json_events;
pub mod k3s_autoscaling;
pub mod k3s_charts_install;
pub mod k3s_cluster;
pub mod k3s_history;
pub mod k3s_meta;
pub mod k3s_node_sysctls;
pub mod k3s_preview;
pub mod k3s_profiles;
pub mod logs;
pub mod output;
pub mod ports;
pub mod procfile;
pub mod ps;
pub mod ps_cluster;
pub mod registry;
pub mod report;
pub mod resource;
pub mod run;
pub mod scheduler;
pub mod scheduler_k3s;
pub mod selected;
pub mod terminal;
pub mod timings;
pub mod tooling;
pub mod urls;

mod help;
mod help_text;

use clap::{CommandFactory, FromArgMatches};

use crate::store::Store;

pub use crate::ops::Ctx;

/// A failed command: one line printed as ` !     <message>` on stderr, and an exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    pub message: String,
    /// What to check or run next: printed after the message, on the same line.
    pub hint: Option<String>,
    pub code: i32,
}

impl CliError {
    /// Exit code 1 with `message`.
    pub fn msg(message: impl Into<String>) -> CliError {
        CliError {
            message: message.into(),
            hint: None,
            code: 1,
        }
    }

    /// The message and its hint as the one line berth prints (`message; hint`).
    pub fn line(&self) -> String {
        match &self.hint {
            Some(hint) => one_line(&format!("{}; {hint}", self.message)),
            None => one_line(&self.message),
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

macro_rules! from_error {
    ($($t:ty),*) => {$(
        impl From<$t> for CliError {
            fn from(e: $t) -> CliError {
                CliError::msg(e.to_string())
            }
        }
    )*};
}
from_error!(
    crate::store::StoreError,
    crate::store::PropertyError,
    crate::model::InvalidValue,
    crate::model::names::NameError,
    crate::model::app_json::AppJsonError,
    crate::input::InputError,
    std::io::Error
);

impl From<crate::ops::Error> for CliError {
    fn from(e: crate::ops::Error) -> CliError {
        CliError {
            hint: e.hint(),
            ..CliError::msg(e.to_string())
        }
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> CliError {
        CliError {
            hint: crate::ops::error::hint_of(&e),
            ..CliError::msg(format!("{e:#}"))
        }
    }
}

/// Declares the top-level command enum from one line per family and dispatches to its `run`.
macro_rules! command_families {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        #[derive(Debug, clap::Subcommand)]
        enum Command {
            $( #[command(flatten)] $variant($ty), )*
        }

        impl Command {
            fn run(self, ctx: &Ctx) -> Result<(), CliError> {
                match self {
                    $( Command::$variant(c) => c.run(ctx), )*
                }
            }
        }
    };
}

command_families! {
    Apps(apps::Apps),
    Config(config::Config),
    Ps(ps::Ps),
    Domains(domains::Domains),
    Ports(ports::Ports),
    Resource(resource::Resource),
    Registry(registry::Registry),
    Scheduler(scheduler::Scheduler),
    Builder(builder::Builder),
    Certs(certs::Certs),
    DockerOptions(docker_options::DockerOptionsCmd),
    AppJson(app_json::AppJsonCmd),
    SchedulerK3s(scheduler_k3s::SchedulerK3s),
    K3sMeta(k3s_meta::K3sMeta),
    K3sNodeSysctls(k3s_node_sysctls::K3sNodeSysctls),
    K3sPreview(k3s_preview::K3sPreview),
    K3sProfiles(k3s_profiles::K3sProfiles),
    K3sAutoscaling(k3s_autoscaling::K3sAutoscaling),
    Deploy(deploy::Deploy),
    Procfile(procfile::ProcfileCmd),
    PsCluster(ps_cluster::PsCluster),
    Run(run::Run),
    Logs(logs::Logs),
    Enter(enter::Enter),
    Cron(cron::Cron),
    K3sHistory(k3s_history::K3sHistory),
    K3sChartsInstall(k3s_charts_install::K3sChartsInstall),
    K3sCluster(k3s_cluster::K3sCluster),
    Urls(urls::Urls),
    Report(report::ReportAll),
    Tooling(tooling::Tooling),
}

/// berth: Dokku's scheduler-k3s as one binary.
#[derive(Debug, clap::Parser)]
#[command(
    name = "berth",
    version,
    disable_help_subcommand = true,
    about = "Run Dokku-style apps on k3s / any Kubernetes with Dokku's command grammar"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Parse and run one berth command line inside this process (`report` runs each plugin's
/// report this way). `args[0]` is the program name.
pub(crate) fn run_nested(args: &[String], ctx: &Ctx) -> Result<(), CliError> {
    let args = args::rewrite_info_flags(&command(), args.to_vec());
    let matches = command()
        .try_get_matches_from(&args)
        .map_err(|e| CliError::msg(one_line(&e.render().to_string())))?;
    let cli = Cli::from_arg_matches(&matches).map_err(|e| CliError::msg(e.to_string()))?;
    cli.command.run(ctx)
}

/// The clap definition of every command (used by `berth help` and tests).
pub fn command() -> clap::Command {
    Cli::command()
}

/// Parse the process arguments, run the command and return the process exit code.
pub fn run() -> i32 {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    run_with(args)
}

/// Run with explicit arguments (`args[0]` is the program name).
pub fn run_with(args: Vec<String>) -> i32 {
    let (flags, mut args) = match global_flags::split(args) {
        Ok(split) => split,
        Err(e) => {
            output::warn(&e.message);
            return e.code;
        }
    };
    if flags.trace || std::env::var_os("RUST_LOG").is_some() {
        init_tracing(
            flags.trace,
            flags
                .color
                .enabled(std::io::IsTerminal::is_terminal(&std::io::stderr())),
        );
    }
    global_flags::install(flags);
    // Dokku aliases the `k3s:` prefix to `scheduler-k3s:`.
    if let Some(rest) = args.get(1).and_then(|a| a.strip_prefix("k3s:")) {
        args[1] = format!("scheduler-k3s:{rest}");
    }
    match help::handle(&args) {
        Some(help::Handled::Exit(code)) => return code,
        Some(help::Handled::Rewrite(rewritten)) => args = rewritten,
        None => {}
    }
    let args = args::rewrite_info_flags(&command(), args);
    let color = global_flags::current().color.for_clap();
    let matches = match command().color(color).try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) => return clap_error(e),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => return clap_error(e),
    };
    let ctx = Ctx {
        store: Store::from_env(),
        command: format!("berth {}", args.get(1).map(String::as_str).unwrap_or("")),
    };
    match cli.command.run(&ctx) {
        Ok(()) => 0,
        Err(e) => {
            // An empty message means "exit non-zero silently" (e.g. config:get of an unset key).
            if !e.message.is_empty() {
                output::warn(e.line());
            }
            e.code
        }
    }
}

/// `--trace` (Dokku's `set -x`): every API request and berth's debug events on stderr.
/// `RUST_LOG` chooses the filter when set.
fn init_tracing(trace: bool, ansi: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(f) => EnvFilter::new(f),
        Err(_) if trace => EnvFilter::new("berth=debug,kube=debug,kube_client=debug,russh=info"),
        Err(_) => return,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .try_init();
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Help and version go to stdout with exit 0; usage errors become one ` !     ` line, exit 1.
fn clap_error(e: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            0
        }
        // `berth --` (no command): the help bare `berth` prints, on stdout, exit 0.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            print!("{}", e.render());
            0
        }
        // Dokku: "`apps:craete` is not a dokku command."; berth adds clap's suggestion.
        ErrorKind::InvalidSubcommand => {
            let name = context_string(&e, clap::error::ContextKind::InvalidSubcommand);
            let hint = match help::closest_command(&name) {
                Some(s) => format!(" Did you mean `{s}`?"),
                None => String::new(),
            };
            output::warn(format!(
                "`{name}` is not a berth command.{hint} See `berth help` for a list of available commands."
            ));
            1
        }
        // `--format yaml` → `Invalid format: yaml (valid: stdout, json)`, Dokku's wording.
        ErrorKind::InvalidValue => {
            use clap::error::ContextKind;
            let arg = context_string(&e, clap::error::ContextKind::InvalidArg);
            let value = context_string(&e, clap::error::ContextKind::InvalidValue);
            let valid = context_strings(&e, ContextKind::ValidValue).join(", ");
            // `--format <FORMAT>` → format; a positional `<SHELL>` → shell.
            let name = arg
                .trim_start_matches('-')
                .trim_start_matches('<')
                .split([' ', '=', '<', '>'])
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if name.is_empty() || valid.is_empty() {
                return clap_generic(&e);
            }
            output::warn(format!("Invalid {name}: {value} (valid: {valid})"));
            1
        }
        // A value parser's own message (`Invalid memory value …`) says it all.
        ErrorKind::ValueValidation => match std::error::Error::source(&e) {
            Some(source) => {
                let said = one_line(&source.to_string());
                let value = context_string(&e, clap::error::ContextKind::InvalidValue);
                let arg = context_string(&e, clap::error::ContextKind::InvalidArg);
                // A built-in parser (a number) does not name the value: say which it was.
                if value.is_empty() || said.contains(&value) {
                    output::warn(said);
                } else {
                    output::warn(format!("Invalid {arg} value {value:?}: {said}"));
                }
                1
            }
            None => clap_generic(&e),
        },
        _ => clap_generic(&e),
    }
}

fn context_string(e: &clap::Error, kind: clap::error::ContextKind) -> String {
    match e.get(kind) {
        Some(clap::error::ContextValue::String(s)) => s.clone(),
        _ => String::new(),
    }
}

fn context_strings(e: &clap::Error, kind: clap::error::ContextKind) -> Vec<String> {
    match e.get(kind) {
        Some(clap::error::ContextValue::Strings(v)) => v.clone(),
        Some(clap::error::ContextValue::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn clap_generic(e: &clap::Error) -> i32 {
    // First paragraph of clap's message, on one line (the usage block is dropped).
    let rendered = e.render().to_string();
    let para: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|l| !l.is_empty())
        .collect();
    let msg = para.join(" ");
    let msg = msg.strip_prefix("error: ").unwrap_or(&msg);
    let hint = match context_strings(e, clap::error::ContextKind::SuggestedArg).first() {
        Some(arg) => format!("; did you mean {arg}?"),
        None => String::new(),
    };
    output::warn(format!("{msg}{hint} (see --help)"));
    1
}
