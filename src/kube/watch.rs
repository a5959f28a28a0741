//! One deadline-bounded watch wait: the first object of a watch that meets a condition. A watch
//! error is normal (a dropped connection, a busy API server) and the watcher retries it with
//! backoff, so only a run of [`WATCH_ERRORS_IN_A_ROW`] errors ends the wait; the caller owns the
//! deadline, as with kube-runtime's `await_condition`.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use kube::Api;
use kube::runtime::{WatchStreamExt, watcher};
use serde::de::DeserializeOwned;

use super::conditions::Condition;

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

/// Watch `api` (filtered by `cfg`) until an object meets `condition` (see [`super::conditions`]), at most `timeout` (`None`:
/// no deadline). Errs only after [`WATCH_ERRORS_IN_A_ROW`] watch errors in a row.
pub async fn first_matching<K>(
    api: Api<K>,
    cfg: watcher::Config,
    timeout: Option<Duration>,
    condition: impl Condition<K>,
) -> Result<Watched<K>, watcher::Error>
where
    K: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    let stream = watcher(api, cfg)
        .default_backoff()
        .applied_objects()
        .try_filter(|o| futures::future::ready(condition.matches_object(Some(o))));
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

/// An event of one of the two watches [`pair`] merges.
#[derive(Debug)]
pub enum Either<A, B> {
    First(Box<watcher::Event<A>>),
    Second(Box<watcher::Event<B>>),
}

/// Two watches merged into one stream (with the watcher's default backoff on each), for waits
/// whose condition spans two kinds: a rollout (Deployments and their pods), a chart install
/// (the HelmChart and its install Job). The caller folds the events into [`Live`] maps and
/// judges them with pure conditions, and owns the deadline.
pub fn pair<A, B>(
    first: (Api<A>, watcher::Config),
    second: (Api<B>, watcher::Config),
) -> impl futures::Stream<Item = Result<Either<A, B>, watcher::Error>> + Send
where
    A: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + 'static,
    B: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    futures::stream::select(
        watcher(first.0, first.1)
            .default_backoff()
            .map(|e| e.map(|e| Either::First(Box::new(e)))),
        watcher(second.0, second.1)
            .default_backoff()
            .map(|e| e.map(|e| Either::Second(Box::new(e)))),
    )
}

/// The live objects of one watch, by name, as its events say.
#[derive(Debug)]
pub struct Live<K>(std::collections::BTreeMap<String, K>);

impl<K> Default for Live<K> {
    fn default() -> Self {
        Live(std::collections::BTreeMap::new())
    }
}

impl<K: kube::Resource> Live<K> {
    /// Fold one watch event in. A relist (`Init`) starts over: what it does not list is gone.
    pub fn apply(&mut self, event: watcher::Event<K>) {
        use kube::ResourceExt;
        match event {
            watcher::Event::Apply(o) | watcher::Event::InitApply(o) => {
                self.0.insert(o.name_any(), o);
            }
            watcher::Event::Delete(o) => {
                self.0.remove(&o.name_any());
            }
            watcher::Event::Init => self.0.clear(),
            watcher::Event::InitDone => {}
        }
    }

    pub fn get(&self, name: &str) -> Option<&K> {
        self.0.get(name)
    }

    pub fn map(&self) -> &std::collections::BTreeMap<String, K> {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::ObjectMeta;

    fn pod(name: &str) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..ObjectMeta::default()
            },
            ..Pod::default()
        }
    }

    #[test]
    fn live_follows_events_and_relists() {
        let mut live = Live::default();
        live.apply(watcher::Event::Apply(pod("a")));
        live.apply(watcher::Event::Apply(pod("b")));
        live.apply(watcher::Event::Delete(pod("a")));
        assert!(live.get("a").is_none());
        assert!(live.get("b").is_some());
        live.apply(watcher::Event::Init);
        live.apply(watcher::Event::InitApply(pod("c")));
        live.apply(watcher::Event::InitDone);
        let names: Vec<_> = live.map().keys().cloned().collect();
        assert_eq!(names, ["c"]);
    }
}
