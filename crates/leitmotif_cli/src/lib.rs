//! The `leitmotif` command line as a library: argument handling, progress and error mapping
//! for each subcommand. The film pipeline itself is [`leitmotif_scoring`].

pub mod commands;
pub mod progress;
pub mod render;
pub mod style;

use std::io::{self, StdoutLock, Write};

use leitmotif_engine::BankOptions;
use leitmotif_scoring::ScoringError;

/// A mistake in the user's input: reported without a backtrace, exit code 2.
#[derive(Debug)]
pub struct UserError(pub String);

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UserError {}

/// Wraps any displayable error as a user error.
pub fn user(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::Error::new(UserError(e.to_string()))
}

/// A scoring error as a user error (exit 2) when the inputs are at fault, else as an internal
/// or I/O error (exit 1).
pub fn scoring(e: ScoringError) -> anyhow::Error {
    if e.is_input_error() {
        user(e)
    } else {
        anyhow::Error::new(e)
    }
}

/// How the command line loads stems: the user owns their files, so stem paths outside the
/// score's folder are allowed.
pub fn bank_options(score_path: &std::path::Path, sample_rate: u32) -> BankOptions {
    BankOptions {
        allow_outside: true,
        ..BankOptions::for_score(score_path, sample_rate)
    }
}

/// Standard output that goes quiet once its reader has gone (`leitmotif … | head -1`): writes
/// after a broken pipe are dropped, so the command still finishes its work (files, checks) and
/// its exit code still says how that went, with no error about the pipe.
pub struct Out {
    inner: StdoutLock<'static>,
    closed: bool,
}

impl Out {
    /// Locks standard output.
    pub fn new() -> Self {
        Out {
            inner: io::stdout().lock(),
            closed: false,
        }
    }

    fn quiet<T>(&mut self, r: io::Result<T>, done: T) -> io::Result<T> {
        match r {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(done)
            }
            r => r,
        }
    }
}

impl Default for Out {
    fn default() -> Self {
        Out::new()
    }
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        let r = self.inner.write(buf);
        self.quiet(r, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let r = self.inner.flush();
        self.quiet(r, ())
    }
}
