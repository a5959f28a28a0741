//! Command-line grammar (Dokku's colon subcommands). Handlers parse, call one core function, print.

/// Parse the process arguments, run the command and return the process exit code.
pub fn run() -> i32 {
    0
}
