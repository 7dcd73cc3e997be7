//! A Keras-like progress bar for one epoch, drawn on standard error.
//!
//! While the epoch runs, the bar shows the step count, the running mean loss and accuracy, and
//! the time left. When it ends, the bar is cleared and replaced by the epoch's one-line summary,
//! so a finished run reads as one line per epoch.
//!
//! indicatif hides the bar when standard error is not a terminal; the summary line is printed
//! even then, so logs redirected to a file still get one line per epoch and nothing else.

use indicatif::{ProgressBar, ProgressStyle};

use super::history::EpochLog;

// `{prefix}` holds "epoch 3/10" and `{msg}` the running figures.
const TEMPLATE: &str = "{prefix} [{bar:30}] {pos}/{len} - ETA {eta} - {msg}";

/// The progress bar of one epoch.
///
/// Made with [`Progress::new`], advanced with [`Progress::step`] after each batch and closed
/// with [`Progress::finish`].
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    quiet: bool,
    loss_sum: f64,
    accuracy_sum: f64,
    count: usize,
}

impl Progress {
    /// A bar for epoch `epoch` (1-based) of `epochs`, which will take `steps` steps.
    ///
    /// When `quiet`, nothing is ever drawn or printed.
    pub fn new(epoch: usize, epochs: usize, steps: usize, quiet: bool) -> Progress {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            // Draws on standard error, indicatif's default.
            ProgressBar::new(steps as u64)
        };
        // The template is a constant, so it only fails if indicatif changes its syntax; the
        // default style is still a working bar.
        let style = ProgressStyle::with_template(TEMPLATE)
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(format!("epoch {epoch}/{epochs}"));
        Progress {
            bar,
            quiet,
            loss_sum: 0.0,
            accuracy_sum: 0.0,
            count: 0,
        }
    }

    /// Records that `step` steps (1-based) are done, the last with this batch's `loss` and
    /// `accuracy`.
    ///
    /// The figures shown are the means over the steps recorded so far, each step counting
    /// equally, as Keras shows them.
    pub fn step(&mut self, step: usize, loss: f32, accuracy: f32) {
        self.loss_sum += loss as f64;
        self.accuracy_sum += accuracy as f64;
        self.count += 1;
        if self.quiet {
            return;
        }

        let n = self.count as f64;
        self.bar.set_message(format!(
            "loss {:.4} - accuracy {:.4}",
            self.loss_sum / n,
            self.accuracy_sum / n
        ));
        self.bar.set_position(step as u64);
    }

    /// Clears the bar and prints `log`, the epoch's final figures, as one line on standard
    /// error, unless the bar is quiet.
    pub fn finish(&mut self, log: &EpochLog) {
        if !self.quiet {
            // `suspend` runs the print with the bar wiped and also runs it when indicatif has
            // hidden the bar (standard error is not a terminal), where `println` would drop it.
            self.bar.suspend(|| eprintln!("{log}"));
        }
        self.bar.finish_and_clear();
    }
}
