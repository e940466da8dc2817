//! paperdex's error type: the user's mistakes (a missing index, a bad query, an
//! unreadable file) apart from internal faults, each with a message a user can act on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },

    #[error("{path}: {reason}")]
    UnusableFile { path: String, reason: String },

    /// Output could not be written (a closed pipe is handled before this).
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),

    #[error("cannot encode JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl Error {
    /// True for a closed stdout (`paperdex ... | head`), which ends quietly.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
