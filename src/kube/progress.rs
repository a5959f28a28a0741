//! Progress output on stderr: a live line per item (process type, job) on a terminal, plain
//! lines when stderr is not a terminal or the user asked for quiet output.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown.
pub enum Progress {
    /// One spinner line per item, redrawn in place.
    Live {
        multi: MultiProgress,
        bars: HashMap<String, ProgressBar>,
    },
    /// A plain stderr line whenever an item's state text changes.
    Plain { last: HashMap<String, String> },
}

impl Progress {
    /// Live bars when stderr is a terminal and `quiet` is off, plain lines otherwise.
    pub fn new(quiet: bool) -> Progress {
        if !quiet && std::io::stderr().is_terminal() {
            Progress::Live {
                multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                bars: HashMap::new(),
            }
        } else {
            Progress::plain()
        }
    }

    pub fn plain() -> Progress {
        Progress::Plain {
            last: HashMap::new(),
        }
    }

    /// Show `text` as the current state of `item`.
    pub fn update(&mut self, item: &str, text: &str) {
        match self {
            Progress::Live { multi, bars } => {
                let bar = bars.entry(item.to_owned()).or_insert_with(|| {
                    let bar = multi.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("       {spinner} {prefix}: {wide_msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.set_prefix(item.to_owned());
                    bar.enable_steady_tick(Duration::from_millis(120));
                    bar
                });
                bar.set_message(text.to_owned());
            }
            Progress::Plain { last } => {
                if last.get(item).map(String::as_str) != Some(text) {
                    eprintln!("       {item}: {text}");
                    last.insert(item.to_owned(), text.to_owned());
                }
            }
        }
    }

    /// Mark `item` finished with a final `text` (kept on screen).
    pub fn finish(&mut self, item: &str, text: &str) {
        self.update(item, text);
        if let Progress::Live { bars, .. } = self
            && let Some(bar) = bars.get(item)
        {
            bar.finish_with_message(text.to_owned());
        }
    }

    /// Stop every live line, leaving the last state visible.
    pub fn close(&mut self) {
        if let Progress::Live { bars, .. } = self {
            for bar in bars.values() {
                if !bar.is_finished() {
                    bar.abandon();
                }
            }
        }
    }

    /// Print a message line without tearing live bars.
    pub fn println(&self, line: &str) {
        match self {
            Progress::Live { multi, .. } => {
                let _ = multi.println(line);
            }
            Progress::Plain { .. } => eprintln!("{line}"),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.close();
    }
}
