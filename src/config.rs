//! Resolved settings shared by commands: where the index and the default corpus are.

use std::path::PathBuf;

use crate::cli::IndexLocation;

/// The default index folder, relative to the working directory.
pub const DEFAULT_INDEX: &str = "index";
/// The default corpus folder, relative to the working directory.
pub const DEFAULT_CORPUS: &str = "corpus";

/// Where the index is, and whether the user named it (an index they named is never
/// built behind their back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDir {
    pub path: PathBuf,
    pub explicit: bool,
}

impl IndexDir {
    pub fn from_location(location: &IndexLocation) -> Self {
        // An empty `PAPERDEX_INDEX` counts as unset.
        let from_env = std::env::var_os("PAPERDEX_INDEX").filter(|v| !v.is_empty()).map(PathBuf::from);
        match location.index.clone().or(from_env) {
            Some(path) if !path.as_os_str().is_empty() => IndexDir { path, explicit: true },
            _ => IndexDir { path: PathBuf::from(DEFAULT_INDEX), explicit: false },
        }
    }

    /// The command that builds this index, for error messages.
    pub fn build_hint(&self) -> String {
        if self.explicit {
            format!("run `paperdex index DIR --index {}`", self.path.display())
        } else {
            "run `paperdex index`".to_owned()
        }
    }
}
