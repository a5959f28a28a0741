//! `completion` and `man`: shell completions and manual pages generated from the same clap
//! definitions the parser uses (clap_complete, clap_mangen), so they never drift from it.

use std::io::Write;

use clap::Subcommand;

use super::{CliError, Ctx};

#[derive(Debug, Subcommand)]
pub enum Tooling {
    /// Print a shell completion script
    #[command(
        name = "completion",
        after_help = "Examples:\n  berth completion bash > /etc/bash_completion.d/berth\n  berth completion zsh > \"${fpath[1]}/_berth\"\n  berth completion fish > ~/.config/fish/completions/berth.fish"
    )]
    Completion {
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
    /// Print a manual page (roff): berth's, or one command's
    #[command(
        name = "man",
        after_help = "Examples:\n  berth man | man -l -\n  berth man deploy > berth-deploy.1\n  berth man --dir /usr/local/share/man/man1   # one page per command"
    )]
    Man {
        /// A command's page instead of berth's (e.g. deploy, ps:scale)
        command: Option<String>,
        /// Write berth.1 and one berth-<command>.1 per command into this directory
        #[arg(long, value_name = "DIR", conflicts_with = "command")]
        dir: Option<std::path::PathBuf>,
    },
}

impl Tooling {
    pub fn run(self, _ctx: &Ctx) -> Result<(), CliError> {
        let mut cmd = super::command();
        match self {
            Tooling::Completion { shell } => {
                let mut out = Vec::new();
                clap_complete::generate(shell, &mut cmd, "berth", &mut out);
                write_stdout(&out)
            }
            Tooling::Man {
                command: None,
                dir: None,
            } => write_stdout(&page(cmd)?),
            Tooling::Man {
                command: Some(name),
                dir: None,
            } => {
                let sub = find(&cmd, &name)?;
                write_stdout(&page(sub)?)
            }
            Tooling::Man { dir: Some(dir), .. } => {
                std::fs::create_dir_all(&dir)
                    .map_err(|e| CliError::msg(format!("cannot create {}: {e}", dir.display())))?;
                let mut written = 0;
                let write = |name: &str, bytes: Vec<u8>| {
                    let path = dir.join(format!("{name}.1"));
                    std::fs::write(&path, bytes)
                        .map_err(|e| CliError::msg(format!("cannot write {}: {e}", path.display())))
                };
                cmd.build();
                write("berth", page(cmd.clone())?)?;
                for sub in cmd.get_subcommands() {
                    let name = format!("berth-{}", sub.get_name().replace(':', "-"));
                    write(&name, page(sub.clone().name(name.clone()))?)?;
                    written += 1;
                }
                super::output::info1(format!(
                    "Wrote {} manual pages to {}",
                    written + 1,
                    dir.display()
                ));
                Ok(())
            }
        }
    }
}

/// The command named `name` (with berth's prefix in its page name: `berth-ps:scale`).
fn find(cmd: &clap::Command, name: &str) -> Result<clap::Command, CliError> {
    cmd.find_subcommand(name)
        .map(|s| s.clone().name(format!("berth-{}", s.get_name())))
        .ok_or_else(|| {
            CliError::msg(format!(
                "`{name}` is not a berth command. See `berth help` for a list of available commands."
            ))
        })
}

fn page(cmd: clap::Command) -> Result<Vec<u8>, CliError> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .map_err(|e| CliError::msg(format!("rendering the manual page: {e}")))?;
    Ok(out)
}

fn write_stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // `berth completion bash | head`: the reader left; nothing more to say.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::msg(format!("writing to stdout: {e}"))),
    }
}
