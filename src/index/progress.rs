//! How an indexing run reports what it is doing. The library draws nothing: the CLI
//! renders these calls as a progress bar, a server could log them.

use crate::ingest::Problem;

/// The phases of a run, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Finding files and hashing them to see which changed.
    Planning,
    /// Parsing new and changed files and adding their records.
    Indexing,
    /// Writing the last commit.
    Committing,
    /// Merging segments into one.
    Merging,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Planning => "planning",
            Phase::Indexing => "indexing",
            Phase::Committing => "committing",
            Phase::Merging => "merging",
        }
    }
}

/// Receives a run's progress; every method has a default that ignores it.
pub trait Progress: Sync {
    /// A phase starts; `total` is the work it will count with [`Progress::advance`].
    fn phase(&self, _phase: Phase, _total: Option<u64>) {}
    /// `n` more units of the current phase are done.
    fn advance(&self, _n: u64) {}
    /// A file could not be used as it is (reported as the run meets it).
    fn problem(&self, _problem: &Problem) {}
    /// Something the user should know that is not a file's problem (a stale lock, a
    /// clean-up of a failed run's files).
    fn note(&self, _message: &str) {}
    /// The run is over (successfully or not): clear whatever was drawn.
    fn finish(&self) {}
}

/// Ignores everything.
pub struct NoProgress;

impl Progress for NoProgress {}
