//! The progress bar of `leitmotif render`: the stage, a bar, the percentage and the time left
//! on standard error when it is a terminal; nothing at all when it is not (a pipe, a file, a
//! CI log), nor when `TERM` is unset or `dumb`.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use leitmotif_scoring::{Progress, Stage};

/// A progress bar fed with [`Progress`] reports. indicatif throttles the drawing (20 times a
/// second at most), so a report per rendered block costs little.
pub struct RenderProgress {
    bar: ProgressBar,
    stage: Option<Stage>,
}

impl Default for RenderProgress {
    fn default() -> Self {
        Self::new()
    }
}

impl RenderProgress {
    /// A bar on standard error, hidden unless it is a terminal.
    pub fn new() -> RenderProgress {
        let target = if std::io::stderr().is_terminal() {
            // indicatif hides this one too where `TERM` is unset or `dumb`.
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target).with_style(
            // As wide as the terminal, on one line.
            ProgressStyle::with_template(
                "{msg:<20} [{wide_bar:.cyan/blue}] {percent:>3}%  {elapsed:>3} elapsed, ETA {eta:>3}",
            )
            .expect("a valid progress template")
            .progress_chars("=> "),
        );
        bar.set_message("starting");
        if !bar.is_hidden() {
            // Keeps the elapsed time moving while the score's sources load.
            bar.enable_steady_tick(Duration::from_millis(250));
        }
        RenderProgress { bar, stage: None }
    }

    /// Whether the bar draws nothing.
    pub fn is_hidden(&self) -> bool {
        self.bar.is_hidden()
    }

    /// Shows how far the render has got.
    pub fn update(&mut self, p: Progress) {
        if self.bar.length() != Some(p.total) {
            self.bar.set_length(p.total);
        }
        self.bar.set_position(p.done);
        if self.stage != Some(p.stage) {
            self.stage = Some(p.stage);
            self.bar.set_message(match p.stage {
                Stage::Measuring => "measuring loudness",
                Stage::Rendering => "rendering",
                Stage::Writing => "writing deliverables",
                _ => "working",
            });
            // A new stage shows at once, whatever the throttle says.
            self.bar.force_draw();
        }
    }

    /// Clears the bar (for the summary that follows).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
