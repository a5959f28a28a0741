//! The one progress channel from the core to whoever runs it: Dokku-style steps, detail lines,
//! warnings, and a live state per item (a process type rolling out, objects being deleted).
//! The terminal implementation lives in `cli/terminal.rs`; [`Recorder`] keeps the events for
//! tests and [`Silent`] drops them.

use std::sync::Mutex;

/// Where progress goes. Methods take `&self` so one reporter can be shared by concurrent tasks
/// (an SSH output pump, a watch) and held as `&dyn Reporter` anywhere below `ops/`.
pub trait Reporter: Send + Sync {
    /// A heading of the command's own output (Dokku's `dokku_log_info1`: `-----> …` on stdout).
    fn info(&self, msg: &str);
    /// A line of the command's own output (Dokku's `dokku_log_verbose`: 7 spaces, stdout).
    fn verbose(&self, msg: &str);
    /// A step (`=====> …`).
    fn step(&self, msg: &str);
    /// Detail under a step (7 spaces), e.g. a line of installer output.
    fn detail(&self, msg: &str);
    /// A warning (` !     …`).
    fn warn(&self, msg: &str);
    /// A line printed as it is (it carries its own Dokku prefix), without tearing live items.
    fn line(&self, line: &str);
    /// Show `text` as the current state of `item`.
    fn update(&self, item: &str, text: &str);
    /// Mark `item` finished with a final `text` (kept on screen).
    fn finish(&self, item: &str, text: &str);
    /// Stop every live item, leaving its last state visible.
    fn close(&self);
    /// The typed state of one process type's rollout. By default its text is shown as the
    /// item's state (finished once ready); a machine-readable reporter keeps the fields.
    fn rollout(&self, p: &RolloutProgress) {
        if p.phase == RolloutPhase::Ready {
            self.finish(&p.item, &p.text);
        } else {
            self.update(&p.item, &p.text);
        }
    }
    /// A phase of the command took `took` (`deploy --timings` adds them up per phase).
    fn timing(&self, _phase: &'static str, _took: std::time::Duration) {}
}

/// Time `fut` and report it as `phase`. Callers box large futures (a whole rollout) so the
/// wrapper adds no stack.
pub async fn timed<F: std::future::Future>(
    progress: &dyn Reporter,
    phase: &'static str,
    fut: F,
) -> F::Output {
    let started = std::time::Instant::now();
    let out = fut.await;
    progress.timing(phase, started.elapsed());
    out
}

/// Where one process type's rollout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RolloutPhase {
    /// New pods are being created or are not ready yet.
    Rolling,
    /// Every desired replica runs the new template and is available (and stayed ready).
    Ready,
    /// The rollout cannot succeed (a crash loop, the progress deadline).
    Failed,
}

/// One process type's rollout, as the wait sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutProgress {
    /// The process type.
    pub item: String,
    /// `Deployment/<name>`.
    pub object: String,
    pub phase: RolloutPhase,
    /// Ready replicas, never more than desired.
    pub ready: i32,
    pub desired: i32,
    pub updated: i32,
    /// Why it is not ready yet (kubectl's wording, plus a pod's reason when one is known).
    pub reason: Option<String>,
    pub elapsed: std::time::Duration,
    pub deadline: std::time::Duration,
    /// The line shown on a terminal.
    pub text: String,
}

/// One reported event, as [`Recorder`] keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Info(String),
    Verbose(String),
    Step(String),
    Detail(String),
    Warn(String),
    Line(String),
    Update { item: String, text: String },
    Finish { item: String, text: String },
    Close,
}

/// Keeps every event in order (tests assert on them).
#[derive(Debug, Default)]
pub struct Recorder {
    events: Mutex<Vec<Event>>,
}

impl Recorder {
    /// The events so far.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }

    fn push(&self, event: Event) {
        if let Ok(mut events) = self.events.lock() {
            events.push(event);
        }
    }
}

impl Reporter for Recorder {
    fn info(&self, msg: &str) {
        self.push(Event::Info(msg.to_owned()));
    }
    fn verbose(&self, msg: &str) {
        self.push(Event::Verbose(msg.to_owned()));
    }
    fn step(&self, msg: &str) {
        self.push(Event::Step(msg.to_owned()));
    }
    fn detail(&self, msg: &str) {
        self.push(Event::Detail(msg.to_owned()));
    }
    fn warn(&self, msg: &str) {
        self.push(Event::Warn(msg.to_owned()));
    }
    fn line(&self, line: &str) {
        self.push(Event::Line(line.to_owned()));
    }
    fn update(&self, item: &str, text: &str) {
        self.push(Event::Update {
            item: item.to_owned(),
            text: text.to_owned(),
        });
    }
    fn finish(&self, item: &str, text: &str) {
        self.push(Event::Finish {
            item: item.to_owned(),
            text: text.to_owned(),
        });
    }
    fn close(&self) {
        self.push(Event::Close);
    }
}

/// Drops every event.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Reporter for Silent {
    fn info(&self, _: &str) {}
    fn verbose(&self, _: &str) {}
    fn step(&self, _: &str) {}
    fn detail(&self, _: &str) {}
    fn warn(&self, _: &str) {}
    fn line(&self, _: &str) {}
    fn update(&self, _: &str, _: &str) {}
    fn finish(&self, _: &str, _: &str) {}
    fn close(&self) {}
}

/// Forwards to another reporter with every line and item named after one app, so the progress
/// of apps running at once (`ps:* --all --parallel N`) can be told apart.
pub struct Prefixed<'a> {
    pub inner: &'a dyn Reporter,
    pub prefix: String,
}

impl Prefixed<'_> {
    fn named(&self, msg: &str) -> String {
        format!("{}: {msg}", self.prefix)
    }
}

impl Reporter for Prefixed<'_> {
    fn info(&self, msg: &str) {
        self.inner.info(&self.named(msg));
    }
    fn verbose(&self, msg: &str) {
        self.inner.verbose(&self.named(msg));
    }
    fn step(&self, msg: &str) {
        self.inner.step(&self.named(msg));
    }
    fn detail(&self, msg: &str) {
        self.inner.detail(&self.named(msg));
    }
    fn warn(&self, msg: &str) {
        self.inner.warn(&self.named(msg));
    }
    fn line(&self, line: &str) {
        // Keep the line's kind (its Dokku prefix) in front of the app's name.
        if let Some(step) = line.strip_prefix("=====> ") {
            self.inner.step(&self.named(step));
        } else if let Some(w) = line.strip_prefix(" !     ") {
            self.inner.warn(&self.named(w));
        } else {
            self.inner.detail(&self.named(line.trim_start()));
        }
    }
    fn update(&self, item: &str, text: &str) {
        self.inner.update(&format!("{}/{item}", self.prefix), text);
    }
    fn finish(&self, item: &str, text: &str) {
        self.inner.finish(&format!("{}/{item}", self.prefix), text);
    }
    fn close(&self) {}
    fn timing(&self, phase: &'static str, took: std::time::Duration) {
        self.inner.timing(phase, took);
    }
    fn rollout(&self, p: &RolloutProgress) {
        self.inner.rollout(&RolloutProgress {
            item: format!("{}/{}", self.prefix, p.item),
            ..p.clone()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_names_every_line_and_item_after_the_app() {
        let rec = Recorder::default();
        let p = Prefixed {
            inner: &rec,
            prefix: "alpha".into(),
        };
        p.step("Rebuilding alpha (revision 2)");
        p.line(" !     careful");
        p.update("web", "0/1 ready");
        assert_eq!(
            rec.events(),
            [
                Event::Step("alpha: Rebuilding alpha (revision 2)".into()),
                Event::Warn("alpha: careful".into()),
                Event::Update {
                    item: "alpha/web".into(),
                    text: "0/1 ready".into()
                },
            ]
        );
    }
}
