//! Errors that decide the exit code.
//!
//! Library code returns [`Error`] where the exit code matters (unusable input,
//! too many rejects) and `anyhow` elsewhere; `main` looks for an [`Error`] in
//! the chain to choose the exit code (see [`exit_code`]).

use thiserror::Error as ThisError;

#[derive(Debug, ThisError)]
pub enum Error {
    /// A missing table or column, an unreadable file, a whole column of the
    /// wrong type, a bad config or argument. Exit code 2.
    #[error("{file}: {message}")]
    Input { file: String, message: String },

    /// A table whose rejected share is over the configured limit. Exit code 3.
    #[error(
        "{table}: {rejected} of {read} rows rejected ({share:.1}%), over the limit of {limit:.1}%; top reasons: {top}"
    )]
    TooManyRejects {
        table: String,
        read: usize,
        rejected: usize,
        share: f64,
        limit: f64,
        top: String,
    },
}

impl Error {
    pub fn input(file: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Input {
            file: file.into(),
            message: message.into(),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Input { .. } => 2,
            Error::TooManyRejects { .. } => 3,
        }
    }
}

/// Exit code for any error: 2 or 3 when an [`Error`] is in the chain, else 1.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    err.chain()
        .find_map(|e| e.downcast_ref::<Error>())
        .map_or(1, Error::exit_code)
}
