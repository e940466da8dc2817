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

    #[error("index at {}: {source}", path.display())]
    Tantivy { path: PathBuf, source: tantivy::TantivyError },

    /// The query could not be parsed; `column` is 1-based, in characters.
    #[error("{}", query_error_message(query, *column, message))]
    QuerySyntax { query: String, column: Option<usize>, message: String },

    #[error("unknown field `{field}` in the query; the text fields are: {valid}")]
    UnknownQueryField { field: String, valid: String },

    #[error("unknown {what} field `{field}`; valid fields: {valid}")]
    UnknownFacetField { what: &'static str, field: String, valid: String },

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
    pub fn tantivy(path: &std::path::Path, source: tantivy::TantivyError) -> Self {
        Error::Tantivy { path: path.to_path_buf(), source }
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
