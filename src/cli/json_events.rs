//! `--format json` on the commands that wait (`deploy` without `--dry-run`, `ps:scale` with
//! pairs, `ps:start|stop|restart|rebuild`): the progress as one JSON object per line on stdout,
//! for CI (`{"event":"progress","item":"web","ready":1,"desired":2,…,"elapsed_ms":…}`). The last
//! line of each app says how it ended (`deployed`, `running`, … with the revision, or `failed`
//! with the message).

use std::io::Write;
use std::sync::Mutex;
use std::time::Instant;

use serde_json::{Value, json};

use super::CliError;
use crate::progress::{Reporter, RolloutPhase, RolloutProgress};

/// Run `work` for `app` with its progress as JSON lines; then print the outcome as the last
/// line: `done_event` with `app` and the fields `work` returned, or `failed` with the message
/// and, when the failing layer gave one, the `hint` of what to run next (and the error is
/// returned, so the exit code still says it failed).
pub fn run(
    app: &str,
    done_event: &str,
    work: impl FnOnce(&JsonEvents) -> Result<Value, CliError>,
) -> Result<(), CliError> {
    let events = JsonEvents {
        app: Some(app.to_owned()),
        ..JsonEvents::default()
    };
    let with_app = |v: Value| {
        let mut m = match v {
            Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        m.insert("app".into(), json!(app));
        m
    };
    match work(&events) {
        Ok(fields) => {
            events.emit(done_event, with_app(fields));
            Ok(())
        }
        Err(e) => {
            let mut failed = json!({"message": e.message});
            if let Some(hint) = &e.hint {
                failed["hint"] = json!(hint);
            }
            events.emit("failed", with_app(failed));
            Err(e)
        }
    }
}

/// Prints every progress event as a JSON line on stdout.
pub struct JsonEvents {
    /// Named in every event, so apps running at once (`--all --parallel`) can be told apart.
    app: Option<String>,
    started: Instant,
    /// Each item's last text: an unchanged state is not repeated.
    last: Mutex<std::collections::HashMap<String, String>>,
}

impl Default for JsonEvents {
    fn default() -> Self {
        JsonEvents {
            app: None,
            started: Instant::now(),
            last: Mutex::new(std::collections::HashMap::new()),
        }
    }
}

impl JsonEvents {
    /// One event: `fields` plus `event` and `elapsed_ms`.
    pub fn emit(&self, event: &str, mut fields: serde_json::Map<String, Value>) {
        fields.insert("event".into(), json!(event));
        if let Some(app) = &self.app {
            fields.entry("app").or_insert_with(|| json!(app));
        }
        fields.insert(
            "elapsed_ms".into(),
            json!(self.started.elapsed().as_millis() as u64),
        );
        let mut stdout = std::io::stdout().lock();
        // A reader that went away ends the stream; the deploy itself goes on.
        let _ = writeln!(stdout, "{}", Value::Object(fields)).and_then(|()| stdout.flush());
    }

    fn message(&self, event: &str, msg: &str) {
        let mut m = serde_json::Map::new();
        m.insert("message".into(), json!(msg.trim()));
        self.emit(event, m);
    }

    /// Whether `item`'s `event` already said `text` (an unchanged state is not repeated).
    fn repeated(&self, event: &str, item: &str, text: &str) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let key = format!("{event}\0{item}");
        if last.get(&key).map(String::as_str) == Some(text) {
            return true;
        }
        last.insert(key, text.to_owned());
        false
    }

    fn item(&self, event: &str, item: &str, text: &str) {
        if self.repeated(event, item, text) {
            return;
        }
        let mut m = serde_json::Map::new();
        m.insert("item".into(), json!(item));
        m.insert("text".into(), json!(text));
        self.emit(event, m);
    }
}

impl Reporter for JsonEvents {
    fn info(&self, msg: &str) {
        self.message("info", msg);
    }
    fn verbose(&self, msg: &str) {
        self.message("detail", msg);
    }
    fn step(&self, msg: &str) {
        self.message("step", msg);
    }
    fn detail(&self, msg: &str) {
        self.message("detail", msg);
    }
    fn warn(&self, msg: &str) {
        self.message("warning", msg);
    }
    fn line(&self, line: &str) {
        // Lines carry their own Dokku prefix: keep the kind, drop the prefix.
        match line.strip_prefix("=====> ") {
            Some(step) => self.message("step", step),
            None => match line.strip_prefix(" !     ") {
                Some(w) => self.message("warning", w),
                None => self.message("detail", line),
            },
        }
    }
    fn update(&self, item: &str, text: &str) {
        self.item("progress", item, text);
    }
    fn finish(&self, item: &str, text: &str) {
        self.item("ready", item, text);
    }
    fn close(&self) {}
    fn rollout(&self, p: &RolloutProgress) {
        let event = if p.phase == RolloutPhase::Ready {
            "ready"
        } else {
            "progress"
        };
        if self.repeated(event, &p.item, &p.text) {
            return;
        }
        let fields = json!({
            "item": p.item,
            "object": p.object,
            "phase": p.phase,
            "ready": p.ready,
            "desired": p.desired,
            "updated": p.updated,
            "reason": p.reason,
            "text": p.text,
            "deadline_ms": p.deadline.as_millis() as u64,
        });
        if let Value::Object(m) = fields {
            self.emit(event, m);
        }
    }
}
