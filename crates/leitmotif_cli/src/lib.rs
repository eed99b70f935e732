//! The `leitmotif` command line as a library: the film pipeline and the subcommands, so
//! integration tests can call them directly.

pub mod commands;
pub mod film;

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
