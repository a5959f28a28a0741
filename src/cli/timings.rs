//! `deploy --timings` (as cargo's `--timings`): where the deploy's time went, phase by phase —
//! lock, build release, connect, render, namespace, history read and repair, pending record,
//! release tasks, apply, prune, wait, final record — collected from the core's
//! [`Reporter::timing`] calls while another reporter shows the progress.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::progress::{Reporter, RolloutProgress};

/// Forwards every event to `inner` and adds up the time of each phase.
pub struct Timings<'a> {
    inner: &'a dyn Reporter,
    started: Instant,
    /// Phases in the order they first ran, with their total time.
    phases: Mutex<Vec<(&'static str, Duration)>>,
}

impl<'a> Timings<'a> {
    pub fn new(inner: &'a dyn Reporter) -> Timings<'a> {
        Timings {
            inner,
            started: Instant::now(),
            phases: Mutex::new(Vec::new()),
        }
    }

    /// Each phase's total, then `other` (what no phase covers) and the wall time.
    pub fn table(&self) -> (Vec<(&'static str, Duration)>, Duration) {
        let total = self.started.elapsed();
        let mut phases = self
            .phases
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        // The wait and the release tasks run inside the rollout; the phases do not overlap.
        let covered: Duration = phases.iter().map(|(_, d)| *d).sum();
        phases.push(("other", total.saturating_sub(covered)));
        (phases, total)
    }

    /// The table on stderr, Dokku style.
    pub fn print(&self) {
        let (phases, total) = self.table();
        eprintln!("=====> Timings ({} ms in all)", total.as_millis());
        for (phase, took) in phases {
            let share = if total.is_zero() {
                0.0
            } else {
                took.as_secs_f64() * 100.0 / total.as_secs_f64()
            };
            eprintln!(
                "       {phase:<15} {:>7.1} ms  {share:>5.1}%",
                took.as_secs_f64() * 1000.0
            );
        }
    }

    /// The table as one JSON object (`{"phases": {"apply": 12.3, …}, "total_ms": …}`).
    pub fn json(&self) -> serde_json::Map<String, Value> {
        let (phases, total) = self.table();
        let mut by_phase = serde_json::Map::new();
        for (phase, took) in phases {
            by_phase.insert(phase.into(), json!(took.as_secs_f64() * 1000.0));
        }
        let mut m = serde_json::Map::new();
        m.insert("phases_ms".into(), Value::Object(by_phase));
        m.insert("total_ms".into(), json!(total.as_secs_f64() * 1000.0));
        m
    }
}

impl Reporter for Timings<'_> {
    fn info(&self, msg: &str) {
        self.inner.info(msg);
    }
    fn verbose(&self, msg: &str) {
        self.inner.verbose(msg);
    }
    fn step(&self, msg: &str) {
        self.inner.step(msg);
    }
    fn detail(&self, msg: &str) {
        self.inner.detail(msg);
    }
    fn warn(&self, msg: &str) {
        self.inner.warn(msg);
    }
    fn line(&self, line: &str) {
        self.inner.line(line);
    }
    fn update(&self, item: &str, text: &str) {
        self.inner.update(item, text);
    }
    fn finish(&self, item: &str, text: &str) {
        self.inner.finish(item, text);
    }
    fn close(&self) {
        self.inner.close();
    }
    fn rollout(&self, p: &RolloutProgress) {
        self.inner.rollout(p);
    }
    fn timing(&self, phase: &'static str, took: Duration) {
        let mut phases = self.phases.lock().unwrap_or_else(|e| e.into_inner());
        match phases.iter_mut().find(|(p, _)| *p == phase) {
            Some((_, d)) => *d += took,
            None => phases.push((phase, took)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::{Event, Recorder};

    #[test]
    fn phases_add_up_and_events_pass_through() {
        let rec = Recorder::default();
        let t = Timings::new(&rec);
        t.step("Deploying a (revision 1)");
        t.timing("apply", Duration::from_millis(3));
        t.timing("wait", Duration::from_millis(5));
        t.timing("apply", Duration::from_millis(2));
        let (phases, total) = t.table();
        assert_eq!(
            &phases[..2],
            [
                ("apply", Duration::from_millis(5)),
                ("wait", Duration::from_millis(5))
            ]
        );
        assert_eq!(phases[2].0, "other");
        assert!(total >= phases[2].1);
        assert_eq!(
            rec.events(),
            [Event::Step("Deploying a (revision 1)".into())]
        );
        let json = t.json();
        assert_eq!(json["phases_ms"]["apply"], 5.0);
    }
}
