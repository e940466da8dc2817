//! The tantivy index: schema, record → document, building and opening. Only this module
//! and `search` know tantivy types.

pub mod document;
pub mod schema;
pub mod tokenizer;
mod writer;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tantivy::Index;
use tantivy::directory::MmapDirectory;

pub use schema::Fields;
pub use writer::{IndexOptions, IndexSummary, build_index};

use crate::error::{Error, Result};

/// What paperdex writes into each commit's payload: how to recognise its own index.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CommitInfo {
    /// The schema version ([`schema::SCHEMA_VERSION`]).
    pub paperdex_schema: u32,
    /// The folders the index was last built from.
    pub roots: Vec<String>,
    /// Whether every file of the run is in (false for the interval commits of a run).
    pub complete: bool,
}

/// An open paperdex index with its field handles.
pub struct PaperdexIndex {
    pub index: Index,
    pub fields: Fields,
    pub path: PathBuf,
    pub info: CommitInfo,
}

/// True when `dir` holds a committed tantivy index.
pub fn exists(dir: &Path) -> bool {
    dir.join("meta.json").is_file()
}

/// Opens the paperdex index at `dir`; `hint` says how to build one when there is none.
pub fn open(dir: &Path, hint: &str) -> Result<PaperdexIndex> {
    if !exists(dir) {
        return Err(Error::NoIndex { path: dir.to_path_buf(), hint: hint.to_owned() });
    }
    let index = open_tantivy(dir)?;
    let (info, fields) = check(&index, dir, false)?;
    Ok(PaperdexIndex { index, fields, path: dir.to_path_buf(), info })
}

/// Opens the tantivy index at `dir` with paperdex's analyzers registered.
pub(crate) fn open_tantivy(dir: &Path) -> Result<Index> {
    let directory = MmapDirectory::open(dir).map_err(|e| Error::tantivy(dir, e.into()))?;
    let index =
        Index::open(directory).map_err(|e| Error::NotAnIndex { path: dir.to_path_buf(), reason: e.to_string() })?;
    tokenizer::register(&index);
    Ok(index)
}

/// Checks that `index` is a paperdex index of this schema version. With `allow_empty`, a
/// created but never committed index (no payload, no segments) passes too.
pub(crate) fn check(index: &Index, dir: &Path, allow_empty: bool) -> Result<(CommitInfo, Fields)> {
    let not_ours = |reason: String| Error::NotAnIndex { path: dir.to_path_buf(), reason };
    let (expected, fields) = schema::build();
    let metas = index.load_metas().map_err(|e| not_ours(e.to_string()))?;
    let info = match (commit_info(index), &metas.payload) {
        (Some(info), _) => info,
        (None, None) if allow_empty && metas.segments.is_empty() && index.schema() == expected => {
            CommitInfo { paperdex_schema: schema::SCHEMA_VERSION, roots: Vec::new(), complete: true }
        }
        _ => return Err(not_ours("it holds a tantivy index that paperdex did not write".into())),
    };
    if info.paperdex_schema != schema::SCHEMA_VERSION {
        return Err(not_ours(format!(
            "it was written with schema version {} and this paperdex reads version {}; delete the folder and run `paperdex index` again",
            info.paperdex_schema,
            schema::SCHEMA_VERSION
        )));
    }
    if index.schema() != expected {
        return Err(not_ours("its schema is not paperdex's".into()));
    }
    Ok((info, fields))
}

/// The paperdex commit payload of an index, when it has one.
pub(crate) fn commit_info(index: &Index) -> Option<CommitInfo> {
    let metas = index.load_metas().ok()?;
    serde_json::from_str(metas.payload.as_deref()?).ok()
}
