//! The tantivy index: schema, record → document, building and opening. Only this module
//! and `search` know tantivy types.
//!
//! An index folder holds tantivy's files, `paperdex.json` (the schema version and the
//! folders the index was built from, beside the commit payload that says the same, so a
//! damaged `meta.json` can still be rebuilt from them) and `paperdex.lock` (the writer
//! lock). Opening checks what it reads: a damaged index is an error that says how to
//! rebuild it, never a panic.

pub mod cut_short;
pub mod directory;
pub mod document;
mod folder;
mod lock;
mod plan;
pub mod progress;
pub mod roots;
pub mod schema;
pub mod stats;
pub mod tokenizer;
mod writer;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tantivy::collector::Count;
use tantivy::query::TermQuery;
use tantivy::schema::{Facet, IndexRecordOption};
use tantivy::{Index, IndexReader, ReloadPolicy, Searcher, TantivyError, Term};

pub use directory::{IndexDirectory, Reads};
pub use lock::active_writer;
pub use plan::{Change, Plan, PlannedFile};
pub use progress::{NoProgress, Phase, Progress};
pub use roots::Root;
pub use schema::Fields;
pub use writer::{IndexOptions, IndexSummary, UpdateRequest, update};

use crate::error::{Error, Result};

/// What paperdex writes into each commit's payload: how to recognise its own index.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CommitInfo {
    /// The schema version ([`schema::SCHEMA_VERSION`]).
    pub paperdex_schema: u32,
    /// The folders the index holds records from.
    pub roots: Vec<Root>,
    /// Whether the run that made this commit had finished (false for the interval
    /// commits of an update: the index is mid-update until the run's last commit).
    pub complete: bool,
    /// Seconds since 1970 when the commit was made.
    #[serde(default)]
    pub committed_at: u64,
}

/// An open paperdex index with its field handles and one long-lived reader.
pub struct PaperdexIndex {
    pub index: Index,
    pub fields: Fields,
    pub path: PathBuf,
    pub info: CommitInfo,
    pub reader: IndexReader,
    /// Counts read from the term dictionaries, kept per commit (browsing everything).
    pub term_counts: crate::search::TermCounts,
    /// The doc-store readers hits are read with, per commit.
    pub stores: crate::search::StoreReaders,
    /// Each segment's facet values by child of the parents counted under, per commit.
    pub child_maps: std::sync::Arc<crate::search::ChildMaps>,
}

impl PaperdexIndex {
    /// A searcher on the commit the reader last loaded.
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// An engine error met while reading this index: damage, said as such.
    pub fn damaged(&self, e: TantivyError) -> Error {
        damage(&self.path, &e)
    }

    /// What the index's newest commit says of itself (the one this index was opened
    /// with when the commit can no longer be read): a long-lived reader that follows
    /// commits sees newer ones than [`PaperdexIndex::info`].
    pub fn commit_info(&self) -> CommitInfo {
        match payload(&self.index) {
            Payload::Current(info) => info,
            Payload::OtherVersion(_) | Payload::Foreign => self.info.clone(),
        }
    }

    /// Records per kind (`page`, `caption/figure`, ... , `method`) in the loaded commit.
    pub fn kind_counts(&self) -> Result<BTreeMap<String, u64>> {
        let searcher = self.searcher();
        let mut out = BTreeMap::new();
        for kind in ["page", "caption/figure", "caption/chart", "caption/table", "method"] {
            let facet = Facet::from(&format!("/{kind}")[..]);
            let q = TermQuery::new(Term::from_facet(self.fields.kind_facet, &facet), IndexRecordOption::Basic);
            let n = searcher.search(&q, &Count).map_err(|e| self.damaged(e))?;
            out.insert(kind.to_owned(), n as u64);
        }
        Ok(out)
    }
}

/// True when `dir` holds a committed tantivy index.
pub fn exists(dir: &Path) -> bool {
    dir.join("meta.json").is_file()
}

/// Opens the paperdex index at `dir` for reading (no write access needed); `hint` says
/// how to build one when there is none. Checks cheaply what it reads: `meta.json` parses,
/// the segment files it lists exist and have valid footers.
pub fn open(dir: &Path, hint: &str) -> Result<PaperdexIndex> {
    open_with(dir, hint, ReloadPolicy::Manual, Reads::Mapped)
}

/// Opens the index like [`open`], for a process that searches once and exits: the files
/// a search reads in parts are read as asked for, not mapped ([`Reads::OnDemand`]).
pub fn open_once(dir: &Path, hint: &str) -> Result<PaperdexIndex> {
    open_with(dir, hint, ReloadPolicy::Manual, Reads::OnDemand)
}

/// Opens the index like [`open`], with a reader that follows new commits by itself
/// (tantivy watches `meta.json`, which every commit and every rebuild's swap-in replaces
/// in one rename, so a searcher sees one whole commit or the one before): for a
/// long-running server.
pub fn open_live(dir: &Path, hint: &str) -> Result<PaperdexIndex> {
    open_with(dir, hint, ReloadPolicy::OnCommitWithDelay, Reads::Mapped)
}

fn open_with(dir: &Path, hint: &str, policy: ReloadPolicy, reads: Reads) -> Result<PaperdexIndex> {
    if !exists(dir) {
        if let Some(pid) = active_writer(dir) {
            let by = if pid > 0 { format!(" (pid {pid})") } else { String::new() };
            return Err(Error::NoIndex {
                path: dir.to_path_buf(),
                hint: format!("it is being built now{by}; search again when that run finishes"),
            });
        }
        if dir.join(folder::SIDECAR).is_file() {
            return Err(Error::Damaged { path: dir.to_path_buf(), reason: "meta.json is missing".into() });
        }
        // Building one there would be refused too: say so, not how to build it.
        if let folder::FolderState::Foreign(reason) = folder::state(dir) {
            return Err(Error::NotAnIndex { path: dir.to_path_buf(), reason });
        }
        return Err(Error::NoIndex { path: dir.to_path_buf(), hint: hint.to_owned() });
    }
    let index = open_tantivy_with(dir, reads)?;
    let metas = index.load_metas().map_err(|e| damage(dir, &e))?;
    let (info, fields) = check_metas(&index, dir, &metas)?;
    for file in metas.list_segment_files() {
        // A delete file exists only for a segment with deleted records (checked when it
        // is opened); every other listed file must be there.
        if file.extension().is_some_and(|e| e == "del" || e == "temp") {
            continue;
        }
        if !dir.join(&file).is_file() {
            return Err(Error::Damaged { path: dir.to_path_buf(), reason: format!("{} is missing", file.display()) });
        }
    }
    check_changed_files(&index, dir, &metas)?;
    let reader = index.reader_builder().reload_policy(policy).try_into().map_err(|e: TantivyError| damage(dir, &e))?;
    Ok(PaperdexIndex {
        index,
        fields,
        path: dir.to_path_buf(),
        info,
        reader,
        term_counts: crate::search::TermCounts::in_dir(dir),
        stores: match reads {
            Reads::Mapped => crate::search::StoreReaders::default(),
            Reads::OnDemand => crate::search::StoreReaders::for_one_search(),
        },
        child_maps: Default::default(),
    })
}

/// The segment files whose damage the engine cannot survive (a column length read from
/// a flipped byte becomes an allocation of petabytes, which aborts the process): the
/// fast-field columns, field norms, term dictionaries and delete sets. They are small
/// beside the postings and stored text.
const CHECKSUMMED: &[&str] = &["fast", "fieldnorm", "term", "del"];

/// Checks the checksum of every such file that is not as the last run left it (by its
/// length and time in the sidecar): damage is found before the engine reads it, and an
/// untouched index costs a `stat` per file.
fn check_changed_files(index: &Index, dir: &Path, metas: &tantivy::IndexMeta) -> Result<()> {
    let stamps = folder::read_sidecar(dir).map(|s| s.files).unwrap_or_default();
    let mut files: Vec<PathBuf> = metas.list_segment_files().into_iter().collect();
    files.sort();
    for file in files {
        if !file.extension().is_some_and(|e| CHECKSUMMED.iter().any(|c| e == *c)) {
            continue;
        }
        let path = dir.join(&file);
        let Some(stamp) = folder::Stamp::of(&path) else { continue };
        if stamps.get(&file.to_string_lossy().into_owned()) == Some(&stamp) {
            continue;
        }
        let reason = match index.directory().validate_checksum(&file) {
            Ok(true) => continue,
            Ok(false) => format!("{}: checksum mismatch", file.display()),
            Err(e) => file_reason(&file, &e.to_string()),
        };
        return Err(Error::Damaged { path: dir.to_path_buf(), reason });
    }
    Ok(())
}

/// Opens the tantivy index at `dir` with paperdex's analyzer registered. An index that
/// cannot be opened is damaged when the folder is paperdex's, and not an index otherwise.
pub(crate) fn open_tantivy(dir: &Path) -> Result<Index> {
    open_tantivy_with(dir, Reads::Mapped)
}

fn open_tantivy_with(dir: &Path, reads: Reads) -> Result<Index> {
    let directory = IndexDirectory::open_with(dir, reads)
        .map_err(|e| Error::Read { path: dir.to_path_buf(), source: std::io::Error::other(e.to_string()) })?;
    let index = Index::open(directory).map_err(|e| {
        if folder::is_ours(dir) {
            damage(dir, &e)
        } else {
            Error::NotAnIndex { path: dir.to_path_buf(), reason: e.to_string() }
        }
    })?;
    tokenizer::register(&index);
    Ok(index)
}

/// What the commit payload of an index says about who wrote it.
pub(crate) enum Payload {
    Current(CommitInfo),
    /// Written by a paperdex with another schema version.
    OtherVersion(u32),
    /// No payload, or not paperdex's.
    Foreign,
}

pub(crate) fn payload(index: &Index) -> Payload {
    let Ok(metas) = index.load_metas() else { return Payload::Foreign };
    payload_of(&metas)
}

/// What a commit's `meta.json` says about who wrote it.
fn payload_of(metas: &tantivy::IndexMeta) -> Payload {
    let Some(text) = metas.payload.as_deref() else { return Payload::Foreign };
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else { return Payload::Foreign };
    match value.get("paperdex_schema").and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(schema::SCHEMA_VERSION) => {
            serde_json::from_value(value).map_or(Payload::OtherVersion(0), Payload::Current)
        }
        Some(v) => Payload::OtherVersion(v as u32),
        None => Payload::Foreign,
    }
}

/// Checks that `index` is a paperdex index of this schema version.
pub(crate) fn check(index: &Index, dir: &Path) -> Result<(CommitInfo, Fields)> {
    let metas = index.load_metas().map_err(|e| damage(dir, &e))?;
    check_metas(index, dir, &metas)
}

/// [`check`] with the commit's `meta.json` already read (parsing it is a good part of
/// opening an index).
fn check_metas(index: &Index, dir: &Path, metas: &tantivy::IndexMeta) -> Result<(CommitInfo, Fields)> {
    let not_ours = |reason: String| Error::NotAnIndex { path: dir.to_path_buf(), reason };
    let (expected, fields) = schema::build();
    let info = match payload_of(metas) {
        Payload::Current(info) => info,
        Payload::OtherVersion(v) => {
            return Err(not_ours(format!(
                "it was written with schema version {v} and this paperdex reads version {}; run `paperdex index --rebuild`",
                schema::SCHEMA_VERSION
            )));
        }
        Payload::Foreign if folder::is_ours(dir) => {
            return Err(Error::Damaged { path: dir.to_path_buf(), reason: "meta.json has no paperdex commit".into() });
        }
        Payload::Foreign => return Err(not_ours("it holds a tantivy index that paperdex did not write".into())),
    };
    if index.schema() != expected {
        return Err(not_ours("its schema is not paperdex's".into()));
    }
    Ok((info, fields))
}

/// An engine error on the index at `dir`, reported as damage with what the engine said
/// reduced to one line.
pub fn damage(dir: &Path, e: &TantivyError) -> Error {
    use tantivy::directory::error::OpenReadError;
    let reason = match e {
        TantivyError::OpenReadError(OpenReadError::FileDoesNotExist(file)) => format!("{} is missing", file.display()),
        TantivyError::OpenReadError(OpenReadError::IoError { io_error, filepath }) => {
            file_reason(filepath, &io_error.to_string())
        }
        TantivyError::DataCorruption(_) => {
            let text = e.to_string();
            if text.contains("meta.json") {
                "meta.json does not parse".to_owned()
            } else if text.contains(".managed.json") || text.contains("Managed file") {
                ".managed.json does not parse".to_owned()
            } else {
                let text = text.split("Data corruption").last().unwrap_or(&text);
                let text = text.trim_start_matches(':').trim();
                text.split(" Content:").next().unwrap_or(text).trim_end_matches(['.', '\'', ' ']).to_owned()
            }
        }
        // A doc-store block that does not decompress: its bytes were overwritten.
        TantivyError::IoError(io) if io.to_string().contains("decompress") => {
            "stored records do not decompress (a .store file was overwritten; `paperdex stats --verify` names it)"
                .to_owned()
        }
        other => other.to_string(),
    };
    let reason: String = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    let reason = if reason.chars().count() > 200 {
        format!("{}…", reason.chars().take(200).collect::<String>())
    } else {
        reason
    };
    Error::Damaged { path: dir.to_path_buf(), reason }
}

/// What is wrong with an index file, in words: tantivy's footer check speaks of
/// versions, but a bad footer here means a truncated or overwritten file.
fn file_reason(file: &Path, engine: &str) -> String {
    if engine.contains("Footer") || engine.contains("footer") {
        format!("{}: its footer is damaged (the file is truncated or overwritten)", file.display())
    } else if engine.contains("smaller than") || engine.contains("UnexpectedEof") {
        format!("{}: it is cut short (too short to hold its footer)", file.display())
    } else {
        format!("{}: it does not read as written ({})", file.display(), engine_words(engine))
    }
}

/// The message inside the engine's debug text for an I/O error (`IoError: 'Custom { kind:
/// InvalidData, error: Error("key must be a string", …) }' happened while opening …`).
fn engine_words(engine: &str) -> String {
    let inner = engine.split_once("error: ").map_or(engine, |(_, rest)| rest);
    let inner = inner.trim_start_matches("Error(").trim_start_matches('"');
    let end = inner.find(['"', '\'']).or_else(|| inner.find(" happened while")).unwrap_or(inner.len());
    let words = inner[..end].trim().trim_end_matches(['.', ',']);
    if words.is_empty() { "an I/O error".to_owned() } else { words.to_owned() }
}

/// The file keys (see [`Root`]) of the pages the index holds.
pub fn file_keys(px: &PaperdexIndex) -> Result<Vec<String>> {
    let files = writer::indexed_files(&px.index, &px.fields).map_err(|e| px.damaged(e))?;
    let mut keys: Vec<String> = files.into_keys().collect();
    keys.sort();
    Ok(keys)
}

/// What `paperdex stats --verify` found: files whose checksum does not match, or that
/// are missing or unreadable. Reads only `meta.json` before the checks, so damage that
/// stops the index from opening is still named file by file.
pub fn verify(dir: &Path) -> Result<(usize, Vec<(PathBuf, String)>)> {
    let index = open_tantivy(dir)?;
    let metas = index.load_metas().map_err(|e| damage(dir, &e))?;
    let directory = index.directory();
    let mut damaged = Vec::new();
    let mut checked = 0;
    let mut files: Vec<PathBuf> = metas.list_segment_files().into_iter().collect();
    files.sort();
    for file in files {
        if !dir.join(&file).exists() {
            // A segment without deleted records has no delete file.
            if file.extension().is_some_and(|e| e == "del") {
                continue;
            }
            damaged.push((file, "missing".to_owned()));
            continue;
        }
        checked += 1;
        match directory.validate_checksum(&file) {
            Ok(true) => {}
            Ok(false) => damaged.push((file, "checksum mismatch".to_owned())),
            Err(e) => {
                let reason = file_reason(&file, &e.to_string());
                let reason = reason.split_once(": ").map_or(reason.clone(), |(_, r)| r.to_owned());
                damaged.push((file, reason));
            }
        }
    }
    // The browse counts written beside the segments (searches read the terms instead of a
    // damaged one, and the next `paperdex index` writes it again).
    for segment in &metas.segments {
        match crate::search::check_segment_file(dir, segment.id(), segment.max_doc()) {
            Ok(there) => checked += usize::from(there),
            Err(bad) => {
                checked += 1;
                damaged.push(bad);
            }
        }
    }
    Ok((checked, damaged))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_errors_on_a_file_read_as_words() {
        let file = Path::new("a.fast");
        let json = r#"IoError: 'Custom { kind: InvalidData, error: Error("key must be a string", line: 1, column: 23) }' happened while opening the following file for Read: a.fast."#;
        assert_eq!(file_reason(file, json), "a.fast: it does not read as written (key must be a string)");
        let short = r#"IoError: 'Custom { kind: UnexpectedEof, error: "File corrupted. The file is smaller than 4 bytes (len=3)." }' happened while opening the following file for Read: a.fast."#;
        assert_eq!(file_reason(file, short), "a.fast: it is cut short (too short to hold its footer)");
        assert_eq!(
            file_reason(file, "Footer magic number does not match"),
            "a.fast: its footer is damaged (the file is truncated or overwritten)"
        );
        assert_eq!(file_reason(file, "something else"), "a.fast: it does not read as written (something else)");
    }
}
