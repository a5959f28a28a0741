//! `berth help` (every command with a one-line description, like `dokku help`), `berth help
//! <command>`, and `berth <family>` / `berth <family>:help` (that family's commands).

/// Handle help forms before clap parses; `Some(exit code)` when handled.
pub fn handle(args: &[String]) -> Option<i32> {
    let first = args.get(1).map(String::as_str);
    match first {
        None | Some("help") | Some("--help") | Some("-h") => {
            if let (Some("help"), Some(name)) = (first, args.get(2)) {
                return Some(command_help(name));
            }
            print_list(None);
            Some(0)
        }
        Some(name) => {
            let cmd = super::command();
            if cmd.find_subcommand(name).is_some() {
                return None;
            }
            let family = name.strip_suffix(":help").unwrap_or(name);
            let prefix = format!("{family}:");
            if cmd
                .get_subcommands()
                .any(|s| s.get_name().starts_with(&prefix))
            {
                print_list(Some(family));
                return Some(0);
            }
            None
        }
    }
}

fn command_help(name: &str) -> i32 {
    let mut cmd = super::command();
    match cmd.find_subcommand_mut(name) {
        Some(sub) => {
            let mut sub = sub.clone().bin_name(format!("berth {name}"));
            println!("{}", sub.render_long_help());
            0
        }
        None => {
            super::output::warn(format!(
                "unknown command {name:?}: run `berth help` for the list of commands"
            ));
            1
        }
    }
}

fn print_list(family: Option<&str>) {
    let cmd = super::command();
    let mut rows: Vec<(String, String)> = cmd
        .get_subcommands()
        .filter(|s| family.is_none_or(|f| s.get_name().starts_with(&format!("{f}:"))))
        .map(|s| {
            let about = s.get_about().map(|a| a.to_string()).unwrap_or_default();
            (s.get_name().to_owned(), about)
        })
        .collect();
    rows.sort();
    let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    match family {
        None => {
            println!("Usage: berth COMMAND <app>|--global [command-specific-options]");
            println!();
            println!(
                "Type \"berth COMMAND --help\" (or \"berth help COMMAND\") for a command's options and an example."
            );
        }
        Some(f) => {
            println!("Usage: berth {f}[:COMMAND]");
        }
    }
    println!();
    println!("Commands:");
    println!();
    for (name, about) in rows {
        println!("    {name:<width$}  {about}");
    }
}
