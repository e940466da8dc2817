//! The indexing run's progress on a terminal: a bar per phase (indicatif), problems and
//! notes printed above it. Off a terminal nothing is drawn; problems still print.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::index::{Phase, Progress};
use crate::ingest::Problem;

pub struct TerminalProgress {
    bar: ProgressBar,
    /// Print warnings too (errors always print).
    warnings: bool,
}

impl TerminalProgress {
    /// `draw`: show a bar when stderr is a terminal; `warnings`: print per-file warnings.
    pub fn new(draw: bool, warnings: bool) -> Self {
        let bar = if draw && std::io::stderr().is_terminal() {
            ProgressBar::new(0)
        } else {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden())
        };
        TerminalProgress { bar, warnings }
    }

    fn say(&self, line: &str) {
        self.bar.suspend(|| {
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        });
    }
}

impl Progress for TerminalProgress {
    fn phase(&self, phase: Phase, total: Option<u64>) {
        let template = match total {
            Some(_) => "{spinner} {msg} {pos}/{len} files [{bar:30}] {elapsed} elapsed, {eta} left",
            None => "{spinner} {msg}… {elapsed} elapsed",
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            self.bar.set_style(style.progress_chars("=> "));
        }
        self.bar.set_message(phase.as_str());
        self.bar.set_position(0);
        self.bar.set_length(total.unwrap_or(0));
        self.bar.reset_elapsed();
        if total.is_none() {
            self.bar.enable_steady_tick(Duration::from_millis(120));
        } else {
            self.bar.disable_steady_tick();
        }
    }

    fn advance(&self, n: u64) {
        self.bar.inc(n);
    }

    fn problem(&self, problem: &Problem) {
        if self.warnings || problem.is_error() {
            self.say(&problem.to_string());
        }
    }

    fn note(&self, message: &str) {
        self.say(&format!("paperdex: {message}"));
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
