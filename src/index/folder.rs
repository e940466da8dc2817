//! The files of an index folder beside tantivy's: the `paperdex.json` sidecar, clean-up
//! of what failed runs left, and the swap that publishes a fully built index at once.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::directory::{TEMP_PREFIX, atomic_write};
use super::lock::LOCK_FILE;
use super::{Root, schema};

/// The sidecar file: which schema and folders the index was built from.
pub const SIDECAR: &str = "paperdex.json";
/// Where a full build is written before it replaces the index.
pub const BUILD_DIR: &str = ".paperdex-build";
const META: &str = "meta.json";
const MANAGED: &str = ".managed.json";
/// Files a folder may hold and still count as empty: a README, git keepers.
const HARMLESS: &[&str] = &["README.md", "README", ".gitkeep", ".gitignore"];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sidecar {
    pub paperdex_schema: u32,
    pub roots: Vec<Root>,
    /// The segment files as the last run wrote them: a file whose length and time
    /// still match is the one written; any other is checked against its checksum.
    #[serde(default)]
    pub files: BTreeMap<String, Stamp>,
}

/// A file's length and modification time (nanoseconds since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub len: u64,
    pub modified_ns: u64,
}

impl Stamp {
    pub fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        let modified = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
        Some(Stamp { len: meta.len(), modified_ns: u64::try_from(modified.as_nanos()).ok()? })
    }
}

pub fn read_sidecar(dir: &Path) -> Option<Sidecar> {
    serde_json::from_slice(&std::fs::read(dir.join(SIDECAR)).ok()?).ok()
}

/// Writes the sidecar after a run: the folders it remembers and the stamps of the
/// segment files the run left.
pub fn write_sidecar(dir: &Path, roots: &[Root]) -> std::io::Result<()> {
    let files = live_files(dir)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|name| Some((name.clone(), Stamp::of(&dir.join(&name))?)))
        .collect();
    let sidecar = Sidecar { paperdex_schema: schema::SCHEMA_VERSION, roots: roots.to_vec(), files };
    atomic_write(&dir.join(SIDECAR), serde_json::to_string_pretty(&sidecar).unwrap_or_default().as_bytes())
}

/// What a folder holds, as far as writing an index into it goes.
#[derive(Debug, PartialEq, Eq)]
pub enum FolderState {
    /// No such folder, or only a README and the like.
    Empty,
    /// paperdex's index (possibly damaged or half-built).
    Ours,
    /// Something else: never written into; the reason says what.
    Foreign(String),
}

/// True when the folder carries paperdex's marks: its sidecar, its lock file, or a
/// `meta.json` whose payload paperdex wrote.
pub fn is_ours(dir: &Path) -> bool {
    if dir.join(SIDECAR).is_file() || dir.join(LOCK_FILE).is_file() || dir.join("paperdex.pid").is_file() {
        return true;
    }
    std::fs::read_to_string(dir.join(META)).is_ok_and(|m| m.contains("paperdex_schema"))
}

pub fn state(dir: &Path) -> FolderState {
    if std::fs::metadata(dir).is_ok_and(|m| !m.is_dir()) {
        return FolderState::Foreign("it is a file, not a folder".into());
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return FolderState::Empty };
    if is_ours(dir) {
        return FolderState::Ours;
    }
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !HARMLESS.contains(&n.as_str()))
        .collect();
    names.sort();
    match names.first() {
        None => FolderState::Empty,
        Some(_) if names.iter().any(|n| n == META) => {
            FolderState::Foreign("it holds a tantivy index that paperdex did not write".into())
        }
        Some(first) => FolderState::Foreign(format!(
            "it holds other files ({first}{}); name an empty or new folder",
            if names.len() > 1 { format!(" and {} more", names.len() - 1) } else { String::new() }
        )),
    }
}

/// A tantivy segment file name: 32 hex digits, a dot, an extension.
fn is_segment_file(name: &str) -> bool {
    let Some((id, ext)) = name.split_once('.') else { return false };
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) && !ext.is_empty()
}

/// The files the committed `meta.json` of `dir` refers to; `None` when it is missing or
/// does not parse.
fn live_files(dir: &Path) -> Option<HashSet<String>> {
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join(META)).ok()?).ok()?;
    let segments = meta.get("segments")?.as_array()?;
    let ids: HashSet<String> =
        segments.iter().filter_map(|s| s.get("segment_id")?.as_str().map(|id| id.replace('-', ""))).collect();
    let mut out = HashSet::new();
    for entry in std::fs::read_dir(dir).ok()?.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_segment_file(&name) && ids.contains(&name[..32]) {
            out.insert(name);
        }
    }
    Some(out)
}

/// Removes what failed or killed runs left in the index folder `dir` (held under the
/// writer lock): the build folder, temporary files of atomic writes, and segment files
/// no commit refers to. With a `meta.json` that does not parse, segment files are left
/// to the rebuild that replaces them. Returns how many entries were removed.
pub fn clean_up(dir: &Path) -> std::io::Result<usize> {
    let mut removed = 0;
    let build = dir.join(BUILD_DIR);
    if build.exists() {
        std::fs::remove_dir_all(&build)?;
        removed += 1;
    }
    let live = live_files(dir);
    for entry in std::fs::read_dir(dir)?.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let leftover = name.starts_with(TEMP_PREFIX)
            || name.starts_with(".tmp")
            || (is_segment_file(&name) && live.as_ref().is_some_and(|live| !live.contains(&name)));
        if leftover && entry.file_type().is_ok_and(|t| t.is_file()) {
            std::fs::remove_file(entry.path())?;
            // Browse counts outlive their segment in every finished run that merges or
            // empties one (the engine removes only its own files): not a run's leftover.
            if !is_browse_counts(&name) {
                removed += 1;
            }
        }
    }
    Ok(removed)
}

/// Removes the browse counts of segments the committed index no longer holds (merged
/// away, or emptied by deletes), after a run's commit.
pub fn remove_stale_browse_counts(dir: &Path) -> std::io::Result<()> {
    let Some(live) = live_files(dir) else { return Ok(()) };
    for entry in std::fs::read_dir(dir)?.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_segment_file(&name) && is_browse_counts(&name) && !live.contains(&name) {
            match std::fs::remove_file(entry.path()) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
    }
    Ok(())
}

fn is_browse_counts(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(_, ext)| ext == crate::search::browse::SEGMENT_FILE_EXTENSION)
}

/// Publishes the index built in `dir/BUILD_DIR` as the index of `dir`: its segment files
/// are moved in first, then its `meta.json` replaces the old one in one rename (the
/// moment searchers switch), then the old index's files are removed. Killed before the
/// rename, the old index is intact and the next run removes the moved files.
pub fn swap_in(dir: &Path) -> std::io::Result<()> {
    let build = dir.join(BUILD_DIR);
    let mut names: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(&build)?.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_segment_file(&name) {
            names.push(PathBuf::from(name));
        }
    }
    for name in &names {
        std::fs::rename(build.join(name), dir.join(name))?;
    }
    std::fs::rename(build.join(MANAGED), dir.join(MANAGED))?;
    std::fs::rename(build.join(META), dir.join(META))?;
    std::fs::File::open(dir)?.sync_all()?;
    clean_up(dir)?;
    Ok(())
}
