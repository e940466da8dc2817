//! paperdex's error type: the user's mistakes (a missing index, a bad query, an
//! unreadable file) apart from internal faults, each with a message a user can act on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },

    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },

    #[error("no index at {}: {hint}", path.display())]
    NoIndex { path: PathBuf, hint: String },

    #[error("{} is not a paperdex index: {reason}", path.display())]
    NotAnIndex { path: PathBuf, reason: String },

    #[error(
        "index at {} is being written by another paperdex process{}; wait for it to finish",
        path.display(),
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    IndexBusy { path: PathBuf, pid: Option<u32> },

    #[error("index at {} is damaged ({reason}): run `{}`", path.display(), rebuild_command(path))]
    Damaged { path: PathBuf, reason: String },

    /// Only the browse counts beside the segments are damaged: searches read the terms
    /// instead, and a plain run of `paperdex index` writes them again.
    #[error(
        "index at {} has damaged browse counts ({reason}): run `{}` to write them again; searches read the terms meanwhile",
        path.display(),
        index_command(path)
    )]
    DamagedCounts { path: PathBuf, reason: String },

    #[error("cannot index {}: {reason}; the index is unchanged", crate::ingest::path::escape(path))]
    Root { path: PathBuf, reason: String },

    #[error(
        "no space left on {device} while writing the index at {}: {state}; free some space and run `paperdex index` again",
        path.display()
    )]
    DiskFull { path: PathBuf, device: String, state: &'static str },

    #[error("cannot write the index at {} on {device} ({reason}): {state}", path.display())]
    WriteFailed { path: PathBuf, device: String, reason: String, state: &'static str },

    #[error("internal error: {0}; please report it")]
    Internal(String),

    /// The query could not be parsed; `column` is 1-based, in characters.
    #[error("{}", query_error_message(query, *column, message))]
    QuerySyntax { query: String, column: Option<usize>, message: String },

    /// The query is past one of the limits in `search::limits`.
    #[error("query too large: {message}")]
    QueryTooLarge { message: String },

    #[error("unknown field `{field}` in the query; the text fields are: {valid}")]
    UnknownQueryField { field: String, valid: String },

    #[error("{0}")]
    BadArgument(String),

    /// A peer system measured beside paperdex failed.
    #[error("{0}")]
    Peer(String),

    /// Output could not be written (a closed pipe is handled before this).
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),

    #[error("cannot encode JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl Error {
    /// An engine error while reading the index at `path`: the index is damaged.
    pub fn tantivy(path: &std::path::Path, source: tantivy::TantivyError) -> Self {
        crate::index::damage(path, &source)
    }

    /// A stable name of the kind of error, for scripts (`{"error": {"kind": ...}}`) and
    /// HTTP clients.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Read { .. } => "read",
            Error::Write { .. } => "write",
            Error::NoIndex { .. } => "no_index",
            Error::NotAnIndex { .. } => "not_an_index",
            Error::IndexBusy { .. } => "index_busy",
            Error::Damaged { .. } | Error::DamagedCounts { .. } => "damaged",
            Error::Root { .. } => "bad_folder",
            Error::DiskFull { .. } => "disk_full",
            Error::WriteFailed { .. } => "write_failed",
            Error::Internal(_) | Error::Json(_) => "internal",
            Error::QuerySyntax { .. } => "query_syntax",
            Error::QueryTooLarge { .. } => "query_too_large",
            Error::UnknownQueryField { .. } => "unknown_field",
            Error::BadArgument(_) => "bad_argument",
            Error::Output(_) => "output",
            Error::Peer(_) => "peer",
        }
    }

    /// True for the user's mistakes (a bad query, option or folder: exit 2, HTTP 400);
    /// false for faults of the index, the machine or paperdex itself.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Error::QuerySyntax { .. }
                | Error::QueryTooLarge { .. }
                | Error::UnknownQueryField { .. }
                | Error::BadArgument(_)
                | Error::Root { .. }
                | Error::NoIndex { .. }
                | Error::NotAnIndex { .. }
        )
    }

    /// For a query syntax error, the 1-based column (in characters) where the query broke.
    pub fn column(&self) -> Option<usize> {
        match self {
            Error::QuerySyntax { column, .. } => *column,
            _ => None,
        }
    }

    /// True for a closed stdout (`paperdex ... | head`), which ends quietly.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            Error::Output(e) => e.kind() == std::io::ErrorKind::BrokenPipe,
            Error::Json(e) => e.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe),
            _ => false,
        }
    }
}

/// The command that rebuilds the index at `path`.
fn index_command(path: &std::path::Path) -> String {
    if path == std::path::Path::new(crate::config::DEFAULT_INDEX) {
        "paperdex index".to_owned()
    } else {
        format!("paperdex index --index {}", crate::ingest::path::escape(path))
    }
}

fn rebuild_command(path: &std::path::Path) -> String {
    if path == std::path::Path::new(crate::config::DEFAULT_INDEX) {
        "paperdex index --rebuild".to_owned()
    } else {
        format!("paperdex index --rebuild --index {}", crate::ingest::path::escape(path))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `query syntax error: unbalanced quote` with the query and a caret under the column.
fn query_error_message(query: &str, column: Option<usize>, message: &str) -> String {
    // Control characters would act on the terminal: shown as U+FFFD, one for one, so
    // the caret still lines up.
    let shown: String = query.chars().map(|c| if c.is_control() { '\u{FFFD}' } else { c }).collect();
    let mut out = format!("query syntax error: {message}\n  {shown}");
    if let Some(column) = column {
        out.push_str(&format!("\n  {}^", " ".repeat(column.saturating_sub(1))));
    }
    out
}
