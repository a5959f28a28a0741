//! Dokku's global flags, given before the command: `--app APP`, `--force`, `--quiet`, `--trace`
//! (`berth --app my-app config:set K=V`, `berth --force apps:destroy my-app`).
//!
//! Dokku strips every leading `--flag` (and `--app`'s value) before it looks at the command, then
//! inserts the `--app` value as the command's first argument. berth does the same, except that an
//! unknown leading flag is refused by name instead of silently dropped.

use std::sync::OnceLock;

use super::CliError;

/// What the leading flags asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GlobalFlags {
    /// `--app APP`: inserted as the command's first argument.
    pub app: Option<String>,
    /// `--force`: skip confirmations (`apps:destroy`, `scheduler-k3s:uninstall`).
    pub force: bool,
    /// `--quiet`: drop headings (`=====> my-app ports information`, `=====> My Apps`).
    pub quiet: bool,
    /// `--trace`: debug logging on stderr (Dokku's `set -x`).
    pub trace: bool,
    /// `--color auto|always|never` (berth's own; `NO_COLOR` is honoured under `auto`).
    pub color: ColorChoice,
}

/// When output is coloured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set (<https://no-color.org>).
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    fn parse(s: &str) -> Result<ColorChoice, CliError> {
        match s {
            "auto" => Ok(ColorChoice::Auto),
            "always" => Ok(ColorChoice::Always),
            "never" => Ok(ColorChoice::Never),
            other => Err(CliError::msg(format!(
                "Invalid color: {other} (valid: auto, always, never)"
            ))),
        }
    }

    /// Whether to colour a stream that `is_terminal` (or not).
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }

    /// The same choice for clap's help and error output.
    pub fn for_clap(self) -> clap::ColorChoice {
        match self {
            ColorChoice::Always => clap::ColorChoice::Always,
            ColorChoice::Never => clap::ColorChoice::Never,
            ColorChoice::Auto => clap::ColorChoice::Auto,
        }
    }
}

static GLOBAL: OnceLock<GlobalFlags> = OnceLock::new();

/// The flags of this run (all off until [`install`] is called).
pub fn current() -> &'static GlobalFlags {
    static NONE: GlobalFlags = GlobalFlags {
        app: None,
        force: false,
        quiet: false,
        trace: false,
        color: ColorChoice::Auto,
    };
    GLOBAL.get().unwrap_or(&NONE)
}

/// Remember the flags of this run (the first call wins; one process is one command).
pub fn install(flags: GlobalFlags) {
    let _ = GLOBAL.set(flags);
}

const VALID: &str = "--app APP, --force, --quiet, --trace, --color WHEN";

/// Split `args` (`args[0]` is the program) into the global flags and the command line without
/// them, with `--app`'s value inserted after the command.
pub fn split(args: Vec<String>) -> Result<(GlobalFlags, Vec<String>), CliError> {
    let mut flags = GlobalFlags::default();
    let mut iter = args.into_iter();
    let mut rest: Vec<String> = iter.next().into_iter().collect();
    let mut iter = iter.peekable();
    while let Some(arg) = iter.peek() {
        // `--help`, `--version` and `--` keep their meaning; the command ends the flags.
        if !arg.starts_with("--") || matches!(arg.as_str(), "--" | "--help" | "--version") {
            break;
        }
        let arg = iter.next().unwrap_or_default();
        match arg.as_str() {
            "--quiet" => flags.quiet = true,
            "--trace" => flags.trace = true,
            "--force" => flags.force = true,
            "--color" => match iter.next() {
                Some(when) => flags.color = ColorChoice::parse(&when)?,
                None => return Err(CliError::msg("--color requires auto, always or never")),
            },
            "--app" => match iter.next() {
                Some(app) if !app.is_empty() && !app.starts_with("--") => flags.app = Some(app),
                _ => return Err(CliError::msg("--app requires an app name")),
            },
            other if other.starts_with("--color=") => {
                flags.color = ColorChoice::parse(&other["--color=".len()..])?;
            }
            other => match other.strip_prefix("--app=") {
                Some(app) if !app.is_empty() => flags.app = Some(app.to_owned()),
                Some(_) => return Err(CliError::msg("--app requires an app name")),
                None => {
                    return Err(CliError::msg(format!(
                        "Invalid global flag {other}, valid global flags: {VALID}"
                    )));
                }
            },
        }
    }
    if let Some(command) = iter.next() {
        rest.push(command);
        if let Some(app) = &flags.app {
            rest.push(app.clone());
        }
    }
    rest.extend(iter);
    Ok((flags, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        std::iter::once("berth")
            .chain(s.split_whitespace())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn leading_flags_are_taken_and_app_inserted() {
        let (f, rest) = split(args("--quiet --app my-app config:set K=V")).unwrap();
        assert!(f.quiet && !f.force && !f.trace);
        assert_eq!(f.app.as_deref(), Some("my-app"));
        assert_eq!(rest, args("config:set my-app K=V"));
        let (f, rest) = split(args("--force --app=a apps:destroy")).unwrap();
        assert!(f.force);
        assert_eq!(rest, args("apps:destroy a"));
    }

    #[test]
    fn flags_after_the_command_are_the_command_s() {
        let (f, rest) = split(args("apps:destroy a --force")).unwrap();
        assert_eq!(f, GlobalFlags::default());
        assert_eq!(rest, args("apps:destroy a --force"));
        let (_, rest) = split(args("--help")).unwrap();
        assert_eq!(rest, args("--help"));
    }

    #[test]
    fn color_choice() {
        let (f, rest) = split(args("--color never apps:list")).unwrap();
        assert_eq!(f.color, ColorChoice::Never);
        assert_eq!(rest, args("apps:list"));
        let (f, _) = split(args("--color=always apps:list")).unwrap();
        assert!(f.color.enabled(false));
        assert!(!ColorChoice::Never.enabled(true));
        assert_eq!(
            split(args("--color sometimes apps:list"))
                .unwrap_err()
                .message,
            "Invalid color: sometimes (valid: auto, always, never)"
        );
    }

    #[test]
    fn bad_global_flags_are_named() {
        assert_eq!(
            split(args("--frobnicate apps:list")).unwrap_err().message,
            "Invalid global flag --frobnicate, valid global flags: --app APP, --force, --quiet, --trace, --color WHEN"
        );
        assert_eq!(
            split(args("--app")).unwrap_err().message,
            "--app requires an app name"
        );
    }
}
