//! The signals that stop a deploy the way Ctrl-C does: SIGINT, SIGTERM (systemd, `kill`, CI
//! runners) and SIGHUP (a closed terminal or SSH session). Whoever waits on [`interrupted`]
//! records the interruption (the revision is marked failed) before exiting, so no revision is
//! left pending and the app lock is released with the process.

use tokio::signal::unix::{SignalKind, signal};

/// Resolves with the signal's name when one of them arrives. If a handler cannot be installed,
/// that signal is simply not waited for.
pub async fn interrupted() -> &'static str {
    let mut int = signal(SignalKind::interrupt()).ok();
    let mut term = signal(SignalKind::terminate()).ok();
    let mut hup = signal(SignalKind::hangup()).ok();
    async fn next(s: &mut Option<tokio::signal::unix::Signal>) {
        match s {
            Some(s) => {
                s.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    }
    tokio::select! {
        _ = next(&mut int) => "SIGINT",
        _ = next(&mut term) => "SIGTERM",
        _ = next(&mut hup) => "SIGHUP",
    }
}
