//! Progress of long work on the command line (the demo load, gallring, exports): on a terminal a bar with
//! counts on stderr; otherwise (in logs, under CI) a plain INFO line every few seconds and one at the end.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// How often a plain progress line is logged when stderr is not a terminal.
const LINE_EVERY: Duration = Duration::from_secs(5);

/// The progress of one piece of work: `what`, counted in units up to an optional total.
pub struct Progress {
    what: &'static str,
    total: Option<u64>,
    done: AtomicU64,
    bar: Option<ProgressBar>,
    last_line: Mutex<Instant>,
}

impl Progress {
    /// Work of `total` units (households, people…) called `what` in the output.
    pub fn counted(what: &'static str, total: u64) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            let style = ProgressStyle::with_template("{msg:>24} [{bar:30}] {pos}/{len} ({elapsed})")
                .map(|style| style.progress_chars("=> "))
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(what);
            bar
        });
        Progress::new(what, Some(total), bar)
    }

    /// Work whose size is not known beforehand: a spinner with the elapsed time on a terminal.
    pub fn uncounted(what: &'static str) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_message(what);
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress::new(what, None, bar)
    }

    fn new(what: &'static str, total: Option<u64>, bar: Option<ProgressBar>) -> Progress {
        if bar.is_none() {
            tracing::info!(total, "{what}: started");
        }
        Progress { what, total, done: AtomicU64::new(0), bar, last_line: Mutex::new(Instant::now()) }
    }

    /// Counts one more unit done.
    pub fn inc(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        match &self.bar {
            Some(bar) => bar.inc(1),
            None => {
                let mut last = self.last_line.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if last.elapsed() >= LINE_EVERY {
                    *last = Instant::now();
                    tracing::info!(done, total = self.total, "{}: in progress", self.what);
                }
            }
        }
    }

    /// Units done so far.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Ends the bar (or logs the final line).
    pub fn finish(&self) {
        match &self.bar {
            Some(bar) => bar.finish(),
            None => tracing::info!(done = self.done(), total = self.total, "{}: done", self.what),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // Work that stopped on an error leaves the bar where it got to, on a line of its own.
        if let Some(bar) = &self.bar
            && !bar.is_finished()
        {
            bar.abandon();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_is_done() {
        let progress = Progress::counted("households", 3);
        progress.inc();
        progress.inc();
        assert_eq!(progress.done(), 2);
        progress.finish();
    }
}
