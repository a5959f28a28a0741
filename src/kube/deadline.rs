//! The one deadline of a deploy or rollback: every API request made for it is bounded by the time
//! left, so a frozen or dead API server fails the operation at `deploy-timeout` with a line naming
//! the server, instead of whenever the server comes back.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};

/// How long the bookkeeping after a failure (marking the revision failed) may take beyond the
/// deadline: short, because when the server did not answer in time it is likely not to now.
pub const RECORD_GRACE: Duration = Duration::from_secs(1);

/// How long past the deadline a step that enforces the deadline itself may take to say why.
pub const WAIT_SLACK: Duration = Duration::from_millis(500);

/// When an operation must be over, and the server it talks to (for messages).
#[derive(Debug, Clone)]
pub struct Deadline {
    at: Instant,
    timeout: Duration,
    server: String,
}

impl Deadline {
    /// `timeout` from now.
    pub fn after(timeout: Duration, server: &str) -> Deadline {
        Deadline {
            at: Instant::now() + timeout,
            timeout,
            server: server.trim_end_matches('/').to_owned(),
        }
    }

    /// Time left (zero once passed).
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// The configured timeout this deadline was made from.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Run `fut` (one step, `what`: "applying objects", …) within the time left.
    pub async fn bound<T>(&self, what: &str, fut: impl Future<Output = Result<T>>) -> Result<T> {
        match tokio::time::timeout(self.remaining(), fut).await {
            Ok(r) => r,
            Err(_) => Err(self.expired(what)),
        }
    }

    /// [`bound`](Self::bound) with `slack` beyond the deadline: for a step that watches the
    /// deadline itself (the rollout wait) and explains better than this bound would what was not
    /// ready; the bound only catches it when the API server stopped answering.
    pub async fn bound_with_slack<T>(
        &self,
        what: &str,
        slack: Duration,
        fut: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        match tokio::time::timeout(self.remaining() + slack, fut).await {
            Ok(r) => r,
            Err(_) => Err(self.expired(what)),
        }
    }

    /// The error for a step that was still waiting for the API server at the deadline.
    pub fn expired(&self, what: &str) -> anyhow::Error {
        anyhow!(
            "deploy-timeout ({}) reached while {what}: the Kubernetes API server {} did not answer in time",
            humantime(self.timeout),
            self.server
        )
    }
}

/// Run a bookkeeping step after the deadline, within [`RECORD_GRACE`].
pub async fn within_grace<T>(
    server: &str,
    what: &str,
    fut: impl Future<Output = Result<T>>,
) -> Result<T> {
    match tokio::time::timeout(RECORD_GRACE, fut).await {
        Ok(r) => r,
        Err(_) => Err(anyhow!(
            "{what}: the Kubernetes API server {} did not answer within {}s",
            server.trim_end_matches('/'),
            RECORD_GRACE.as_secs()
        )),
    }
}

fn humantime(d: Duration) -> String {
    let s = d.as_secs();
    if s > 0 && s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_step_that_never_answers_fails_at_the_deadline_naming_the_server() {
        let d = Deadline::after(Duration::from_millis(50), "https://10.0.0.1:6443/");
        let e = d
            .bound("applying objects", std::future::pending::<Result<()>>())
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "deploy-timeout (0s) reached while applying objects: the Kubernetes API server https://10.0.0.1:6443 did not answer in time"
        );
        assert_eq!(d.remaining(), Duration::ZERO);
        // A step that needs no waiting still completes (it is polled once).
        assert_eq!(d.bound("x", async { Ok(1) }).await.unwrap(), 1);
        let e = d
            .bound("x", async {
                tokio::time::sleep(Duration::from_millis(10)).await;
                Ok(1)
            })
            .await;
        assert!(e.is_err(), "no time is left for a step that waits");
    }
}
