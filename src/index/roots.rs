//! The folders an index is built from. A root is known by its canonical absolute path,
//! so `./corpus`, `corpus` and `/home/me/corpus` are one root, and a file is known by
//! its place under its root's canonical path, so a folder and its subfolder name each
//! file once. Paths are kept in [`crate::ingest::path`]'s lossless text form.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ingest::path::{escape, unescape};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Root {
    /// The canonical absolute path (escaped).
    pub path: String,
    /// The path as the user last named it (escaped), walked when it still leads to
    /// `path`, so records show the paths the user typed.
    pub given: String,
}

impl Root {
    /// Resolves a folder (or file) the user named; it must exist and be readable.
    pub fn resolve(given: &Path) -> Result<Root> {
        let fail = |reason: String| Error::Root { path: given.to_path_buf(), reason };
        let canonical = std::fs::canonicalize(given).map_err(|e| fail(io_reason(&e)))?;
        let meta = std::fs::metadata(&canonical).map_err(|e| fail(io_reason(&e)))?;
        if meta.is_dir() {
            std::fs::read_dir(&canonical).map_err(|e| fail(io_reason(&e)))?;
        } else if meta.is_file() {
            std::fs::File::open(&canonical).map_err(|e| fail(io_reason(&e)))?;
        } else {
            return Err(fail("not a folder or a regular file".into()));
        }
        Ok(Root { path: escape(&canonical), given: escape(given) })
    }

    /// The root a path names for `--forget`: resolved when it still exists, else made
    /// absolute by hand (the folder may be gone).
    pub fn lexical(given: &Path) -> Root {
        let path = std::fs::canonicalize(given).unwrap_or_else(|_| absolute(given));
        Root { path: escape(&path), given: escape(given) }
    }

    /// The canonical path.
    pub fn canonical(&self) -> PathBuf {
        unescape(&self.path).unwrap_or_else(|| PathBuf::from(&self.path))
    }

    /// The path to walk: the one the user gave when it still resolves to this root.
    pub fn walk_path(&self) -> PathBuf {
        let canonical = self.canonical();
        match unescape(&self.given) {
            Some(given) if std::fs::canonicalize(&given).is_ok_and(|c| c == canonical) => given,
            _ => canonical,
        }
    }

    /// The key of a file found at `walked` while walking `walk_root` (this root's walk path).
    pub fn key_of(&self, walk_root: &Path, walked: &Path) -> String {
        match walked.strip_prefix(walk_root) {
            Ok(rest) if rest.as_os_str().is_empty() => self.path.clone(),
            Ok(rest) => escape(&self.canonical().join(rest)),
            Err(_) => escape(walked),
        }
    }

    /// True when the file key `key` lies under this root (or is it).
    pub fn holds(&self, key: &str) -> bool {
        let root = self.path.trim_end_matches('/');
        key == self.path || key.strip_prefix(root).is_some_and(|rest| rest.starts_with('/'))
    }

    /// True when `other` is this root or lies inside it.
    pub fn contains(&self, other: &Root) -> bool {
        self.holds(&other.path)
    }
}

/// `path` made absolute against the working directory, with `.` and `..` resolved
/// lexically.
fn absolute(path: &Path) -> PathBuf {
    let joined =
        if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(path) };
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such folder".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_folder_are_one_root() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("corpus");
        std::fs::create_dir(&sub).unwrap();
        let a = Root::resolve(&sub).unwrap();
        let b = Root::resolve(&dir.path().join("./corpus/../corpus")).unwrap();
        assert_eq!(a.path, b.path);
        assert!(a.holds(&format!("{}/x/index.md", a.path)));
        assert!(!a.holds(&format!("{}2/index.md", a.path)));
        assert!(Root::resolve(&dir.path().join("missing")).is_err());
        assert_eq!(
            Root::lexical(&dir.path().join("gone/./x/..")).path,
            escape(&std::fs::canonicalize(dir.path()).unwrap().join("gone"))
        );
    }
}
