//! The terminal [`Reporter`]: the command's own lines on stdout, progress on stderr, a live line per item (process type, job) when
//! stderr is a terminal, plain lines when it is not or the user asked for quiet output.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::progress::Reporter;

/// How items are shown.
enum Items {
    /// One spinner line per item, redrawn in place.
    Live {
        multi: MultiProgress,
        bars: HashMap<String, ProgressBar>,
    },
    /// A plain stderr line whenever an item's state text changes.
    Plain { last: HashMap<String, String> },
}

/// Progress on stderr in Dokku's style.
pub struct Terminal {
    items: Mutex<Items>,
}

impl Terminal {
    /// Live lines when stderr is a terminal and `quiet` is off, plain lines otherwise.
    pub fn new(quiet: bool) -> Terminal {
        if !quiet && std::io::stderr().is_terminal() {
            Terminal::with(Items::Live {
                multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                bars: HashMap::new(),
            })
        } else {
            Terminal::plain()
        }
    }

    /// Plain lines only.
    pub fn plain() -> Terminal {
        Terminal::with(Items::Plain {
            last: HashMap::new(),
        })
    }

    fn with(items: Items) -> Terminal {
        Terminal {
            items: Mutex::new(items),
        }
    }

    fn items(&self) -> std::sync::MutexGuard<'_, Items> {
        // A panic while printing cannot leave the maps inconsistent: keep going.
        self.items.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Reporter for Terminal {
    fn info(&self, msg: &str) {
        super::output::info1(msg);
    }

    fn verbose(&self, msg: &str) {
        super::output::verbose(msg);
    }

    fn step(&self, msg: &str) {
        self.line(&format!("=====> {msg}"));
    }

    fn detail(&self, msg: &str) {
        self.line(&format!("       {msg}"));
    }

    fn warn(&self, msg: &str) {
        self.line(&format!(" !     {msg}"));
    }

    fn line(&self, line: &str) {
        match &*self.items() {
            Items::Live { multi, .. } => {
                let _ = multi.println(line);
            }
            Items::Plain { .. } => eprintln!("{line}"),
        }
    }

    fn update(&self, item: &str, text: &str) {
        match &mut *self.items() {
            Items::Live { multi, bars } => {
                let bar = bars.entry(item.to_owned()).or_insert_with(|| {
                    let bar = multi.add(ProgressBar::new_spinner());
                    bar.set_style(
                        // `{msg}`, not `{wide_msg}`: the reason a pod is not ready is shown in
                        // full, wrapped (indicatif counts wrapped lines when it redraws).
                        ProgressStyle::with_template("       {spinner} {prefix}: {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.set_prefix(item.to_owned());
                    bar.enable_steady_tick(Duration::from_millis(120));
                    bar
                });
                bar.set_message(text.to_owned());
            }
            Items::Plain { last } => {
                if last.get(item).map(String::as_str) != Some(text) {
                    eprintln!("       {item}: {text}");
                    last.insert(item.to_owned(), text.to_owned());
                }
            }
        }
    }

    fn finish(&self, item: &str, text: &str) {
        self.update(item, text);
        if let Items::Live { bars, .. } = &*self.items()
            && let Some(bar) = bars.get(item)
        {
            bar.finish_with_message(text.to_owned());
        }
    }

    fn close(&self) {
        if let Items::Live { bars, .. } = &*self.items() {
            for bar in bars.values() {
                if !bar.is_finished() {
                    bar.abandon();
                }
            }
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.close();
    }
}
