//! Dokku's help grammar:
//! - `berth help` / `berth` / `berth --help`: the families, one line each (`dokku help`);
//! - `berth help --all`: every command with its usage line;
//! - `berth <family>`, `berth <family>:help`, `berth <family> --help`, `berth help <family>`: the
//!   family's usage block (`Usage: dokku ports[:COMMAND]`, description, one line per command);
//! - `berth help <command>` and `berth <command> --help`: that command's options and examples.
//!
//! Two families have a bare command, as in Dokku: `berth apps` lists apps and `berth config
//! <app>` shows an app's environment.

use super::help_text::{command_line, family_description, family_of};

/// What to do with the arguments before clap sees them.
pub enum Handled {
    /// Help was printed; exit with this code.
    Exit(i32),
    /// Run these arguments instead (`berth apps` → `berth apps:list`).
    Rewrite(Vec<String>),
}

/// Handle help forms; `None` when the arguments are an ordinary command.
pub fn handle(args: &[String]) -> Option<Handled> {
    let first = args.get(1).map(String::as_str);
    let second = args.get(2).map(String::as_str);
    let asks_help = matches!(second, Some("--help" | "-h"));
    match first {
        None | Some("help" | "--help" | "-h") => {
            if first == Some("help") {
                match second {
                    Some("--all") => {
                        print_all();
                        return Some(Handled::Exit(0));
                    }
                    Some(name) => return Some(Handled::Exit(help_for(name))),
                    None => {}
                }
            }
            print_families();
            Some(Handled::Exit(0))
        }
        Some(name) => {
            let cmd = super::command();
            let is_command = cmd.find_subcommand(name).is_some();
            if let Some(family) = name.strip_suffix(":help")
                && has_family(family)
            {
                print_family(family);
                return Some(Handled::Exit(0));
            }
            if is_command {
                return None;
            }
            if !has_family(name) {
                return None;
            }
            match (name, asks_help) {
                ("apps", false) => Some(Handled::Rewrite(rewrite(args, "apps:list"))),
                ("config", false) if second.is_some() => {
                    Some(Handled::Rewrite(rewrite(args, "config:show")))
                }
                _ => {
                    print_family(name);
                    Some(Handled::Exit(0))
                }
            }
        }
    }
}

fn rewrite(args: &[String], command: &str) -> Vec<String> {
    let mut out = args.to_vec();
    out[1] = command.to_owned();
    out
}

/// Commands of `family` berth has, sorted: `(name, usage, description)`.
fn family_commands(family: Option<&str>) -> Vec<(String, String, String)> {
    let cmd = super::command();
    let mut rows: Vec<(String, String, String)> = cmd
        .get_subcommands()
        .filter(|s| family.is_none_or(|f| family_of(s.get_name()) == f))
        .map(|s| {
            let name = s.get_name().to_owned();
            let (usage, about) = match command_line(&name) {
                Some((usage, about)) => (usage.to_owned(), about.to_owned()),
                None => (
                    generated_usage(s),
                    s.get_about().map(|a| a.to_string()).unwrap_or_default(),
                ),
            };
            (name, usage, about)
        })
        .collect();
    rows.sort();
    rows
}

/// `[--flag VALUE] <positional>` from clap, for a command without a Dokku help line.
fn generated_usage(sub: &clap::Command) -> String {
    let usage = sub.clone().bin_name("").render_usage().to_string();
    let usage = usage.trim_start_matches("Usage:").trim();
    usage.to_owned()
}

fn has_family(family: &str) -> bool {
    !family_commands(Some(family)).is_empty()
}

/// Dokku's `column -t -s,` layout: the first cells padded to the widest, two spaces, the rest.
fn print_columns(rows: &[(String, String)]) {
    let width = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    for (left, right) in rows {
        println!("    {left:<width$}  {right}");
    }
}

/// The command a typo most likely meant (`apps:craete` → `apps:create`), if any is close.
pub fn closest_command(typed: &str) -> Option<String> {
    let cmd = super::command();
    let names = cmd
        .get_subcommands()
        .flat_map(|s| std::iter::once(s.get_name()).chain(s.get_all_aliases()))
        .map(str::to_owned);
    names
        .map(|n| (strsim::jaro_winkler(typed, &n), n))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n)
}

fn print_families() {
    let mut families: Vec<String> = family_commands(None)
        .into_iter()
        .map(|(name, _, _)| family_of(&name).to_owned())
        .collect();
    families.sort();
    families.dedup();
    let rows: Vec<(String, String)> = families
        .into_iter()
        .map(|f| {
            let about = family_description(&f).unwrap_or_default().to_owned();
            (f, about)
        })
        .collect();
    println!("Usage: berth [--quiet|--trace|--force] COMMAND <app> [command-specific-options]");
    println!();
    println!(
        "Primary help options, type \"berth COMMAND:help\" for more details, or berth help --all to see all commands."
    );
    println!();
    println!("Commands:");
    println!();
    print_columns(&rows);
}

fn print_all() {
    let rows: Vec<(String, String)> = family_commands(None)
        .into_iter()
        .map(|(name, usage, about)| (format!("{name} {usage}").trim_end().to_owned(), about))
        .collect();
    print_columns(&rows);
}

fn print_family(family: &str) {
    println!("Usage: berth {family}[:COMMAND]");
    println!();
    if let Some(about) = family_description(family) {
        println!("{about}");
        println!();
    }
    println!("Additional commands:");
    let rows: Vec<(String, String)> = family_commands(Some(family))
        .into_iter()
        .map(|(name, usage, about)| (format!("{name} {usage}").trim_end().to_owned(), about))
        .collect();
    print_columns(&rows);
}

/// `berth help <name>`: a family's block, or one command's long help.
fn help_for(name: &str) -> i32 {
    let mut cmd = super::command();
    if let Some(sub) = cmd.find_subcommand_mut(name) {
        let mut sub = sub.clone().bin_name(format!("berth {name}"));
        println!("{}", sub.render_long_help());
        return 0;
    }
    let family = name.strip_suffix(":help").unwrap_or(name);
    if has_family(family) {
        print_family(family);
        return 0;
    }
    super::output::warn(format!(
        "`{name}` is not a berth command. See `berth help` for a list of available commands."
    ));
    1
}
