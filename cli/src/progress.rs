//! A progress bar on stderr for long listings, only when stderr is a terminal: piped or
//! redirected, stderr carries nothing but warnings and errors.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Counts alerts as they arrive; a bar when the total is known, a spinner otherwise.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// Whether a progress bar would be drawn (stderr is a terminal).
    pub fn wanted() -> bool {
        std::io::stderr().is_terminal()
    }

    pub fn new(total: Option<u64>) -> Self {
        if !Self::wanted() {
            return Progress(None);
        }
        let bar = match total {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr())
                .with_style(
                    ProgressStyle::with_template(
                        "{bar:40} {pos}/{len} alerts ({per_sec}, {eta} left)",
                    )
                    .expect("a valid template"),
                ),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
                ProgressStyle::with_template("{spinner} {pos} alerts ({per_sec})")
                    .expect("a valid template"),
            ),
        };
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress(Some(bar))
    }

    pub fn inc(&self) {
        self.inc_by(1);
    }

    pub fn inc_by(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.inc(n);
        }
    }

    /// Prints a line above the bar (a warning), or plainly when there is no bar.
    pub fn warn(&self, message: &str) {
        match &self.0 {
            Some(b) => b.suspend(|| eprintln!("{message}")),
            None => eprintln!("{message}"),
        }
    }

    /// Removes the bar.
    pub fn finish(self) {
        if let Some(b) = self.0 {
            b.finish_and_clear();
        }
    }
}
