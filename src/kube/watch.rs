//! One deadline-bounded watch wait: the first object of a watch that meets a condition. A watch
//! error is normal (a dropped connection, a busy API server) and the watcher retries it with
//! backoff, so only a run of [`WATCH_ERRORS_IN_A_ROW`] errors ends the wait; the caller owns the
//! deadline, as with kube-runtime's `await_condition`.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use kube::Api;
use kube::runtime::{WatchStreamExt, watcher};
use serde::de::DeserializeOwned;

/// Watch errors in a row after which a wait gives up (the watcher's backoff spaces the retries).
pub const WATCH_ERRORS_IN_A_ROW: u32 = 5;

/// How a bounded watch ended.
#[derive(Debug)]
pub enum Watched<K> {
    /// The first object that met the condition.
    Found(K),
    /// The deadline passed first.
    TimedOut,
    /// The watch stream ended (it does not, in practice, while the API server lives).
    Ended,
}

/// Watch `api` (filtered by `cfg`) until an object meets `condition`, at most `timeout` (`None`:
/// no deadline). Errs only after [`WATCH_ERRORS_IN_A_ROW`] watch errors in a row.
pub async fn first_matching<K>(
    api: Api<K>,
    cfg: watcher::Config,
    timeout: Option<Duration>,
    condition: impl Fn(&K) -> bool,
) -> Result<Watched<K>, watcher::Error>
where
    K: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    let stream = watcher(api, cfg)
        .default_backoff()
        .applied_objects()
        .try_filter(|o| futures::future::ready(condition(o)));
    let stream = std::pin::pin!(stream);
    let first = first_object(stream);
    match timeout {
        None => first.await,
        Some(t) => match tokio::time::timeout(t, first).await {
            Ok(outcome) => outcome,
            Err(_) => Ok(Watched::TimedOut),
        },
    }
}

async fn first_object<K, S>(mut stream: std::pin::Pin<&mut S>) -> Result<Watched<K>, watcher::Error>
where
    S: futures::Stream<Item = Result<K, watcher::Error>>,
{
    let mut errors = 0;
    loop {
        match stream.next().await {
            Some(Ok(object)) => return Ok(Watched::Found(object)),
            Some(Err(e)) => {
                errors += 1;
                if errors >= WATCH_ERRORS_IN_A_ROW {
                    return Err(e);
                }
                tracing::debug!("watch error {errors} of {WATCH_ERRORS_IN_A_ROW} (retrying): {e}");
            }
            None => return Ok(Watched::Ended),
        }
    }
}
