//! Planning a run: which files to add, re-index, keep or drop. The plan is a plain value
//! (tests can check it); [`super::writer`] applies it.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use rayon::prelude::*;

use super::Root;
use super::progress::{Phase, Progress};
use crate::ingest::{self, CorpusFiles, Problem};

/// What the index holds for one source file, from its page record.
#[derive(Debug, Clone)]
pub struct IndexedFile {
    pub hash: String,
    pub id: String,
    pub lang: String,
    pub date: Option<String>,
    /// The path as shown in records.
    pub source: String,
}

/// What happens to one file found under the run's roots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// New to the index.
    Add,
    /// Its content changed: its records are replaced.
    Update,
    /// Left as it is.
    Unchanged,
}

#[derive(Debug, Clone)]
pub struct PlannedFile {
    /// Where it was found (under the root as the user named it).
    pub path: PathBuf,
    /// Its identity: the escaped path under its root's canonical path.
    pub key: String,
    pub change: Change,
}

/// A run's plan.
#[derive(Debug, Default)]
pub struct Plan {
    /// A new index from nothing (everything is added).
    pub rebuild: bool,
    /// The roots walked in this run.
    pub roots: Vec<Root>,
    /// The roots the index remembers once the plan is applied.
    pub remembered: Vec<Root>,
    /// Every file found under `roots`, in walk order, each once.
    pub files: Vec<PlannedFile>,
    /// Keys of indexed files whose records go: gone from the walked roots, or under a
    /// forgotten root.
    pub remove: Vec<String>,
    /// Indexed pages that stay as they are, weighed against new pages with the same id.
    pub kept: Vec<IndexedFile>,
    pub problems: Vec<Problem>,
    /// Bytes read to compare content hashes.
    pub bytes_read: u64,
}

impl Plan {
    pub fn count(&self, change: Change) -> usize {
        self.files.iter().filter(|f| f.change == change).count()
    }
}

/// Plans a run over `roots` on an index that holds `indexed` (keyed by file key) and
/// remembers `previous`; `forget` roots lose their records. A rebuild ignores what the
/// index holds. With `compare`, every file the index knows is read to compare its
/// content; without, only the files it does not hold are read.
pub fn make(
    roots: &[Root],
    forget: &[Root],
    previous: &[Root],
    indexed: &HashMap<String, IndexedFile>,
    rebuild: bool,
    compare: bool,
    progress: &dyn Progress,
) -> Plan {
    let mut plan = Plan { rebuild, roots: roots.to_vec(), ..Plan::default() };
    plan.remembered = if rebuild { Vec::new() } else { previous.to_vec() };
    plan.remembered.retain(|r| !forget.iter().any(|f| f.contains(r)));
    for root in roots {
        if plan.remembered.iter().any(|r| r.contains(root)) {
            // Already covered; a new spelling replaces the one shown.
            if let Some(same) = plan.remembered.iter_mut().find(|r| r.path == root.path) {
                same.given.clone_from(&root.given);
            }
            continue;
        }
        plan.remembered.retain(|r| !root.contains(r));
        plan.remembered.push(root.clone());
    }

    let mut seen = HashSet::new();
    let mut found: Vec<(PathBuf, String)> = Vec::new();
    // Keys of files and folders the walk could not read: what the index holds under
    // them stays.
    let mut unreadable: Vec<String> = Vec::new();
    for root in roots {
        let walk = root.walk_path();
        let mut files = CorpusFiles::default();
        ingest::walk_root(&walk, &mut files);
        plan.problems.append(&mut files.problems);
        unreadable.extend(files.unreadable.iter().map(|p| root.key_of(&walk, p)));
        for path in files.files {
            let key = root.key_of(&walk, &path);
            if seen.insert(key.clone()) {
                found.push((path, key));
            }
        }
    }

    progress.phase(Phase::Planning, Some(found.len() as u64));
    let changes: Vec<(Option<Change>, u64, Option<Problem>)> = found
        .par_iter()
        .map(|(path, key)| {
            let Some(known) = indexed.get(key) else { return (Some(Change::Add), 0, None) };
            if !compare {
                return (Some(Change::Unchanged), 0, None);
            }
            let outcome = match ingest::read_file(path) {
                Ok(bytes) => {
                    let same = blake3::hash(&bytes).to_hex().as_str() == known.hash;
                    (Some(if same { Change::Unchanged } else { Change::Update }), bytes.len() as u64, None)
                }
                // An unreadable file keeps whatever the index holds for it.
                Err(problem) => (None, 0, Some(problem)),
            };
            progress.advance(1);
            outcome
        })
        .collect();
    let mut held = HashSet::new();
    for ((path, key), (change, bytes, problem)) in found.into_iter().zip(changes) {
        plan.bytes_read += bytes;
        if let Some(problem) = problem {
            plan.problems.push(problem);
        }
        if indexed.contains_key(&key) {
            held.insert(key.clone());
        }
        if let Some(change) = change {
            plan.files.push(PlannedFile { path, key, change });
        }
    }

    let under_unreadable = |key: &str| {
        unreadable.iter().any(|u| key == u || key.strip_prefix(u.as_str()).is_some_and(|rest| rest.starts_with('/')))
    };
    for key in indexed.keys() {
        let gone = roots.iter().any(|r| r.holds(key)) && !held.contains(key) && !under_unreadable(key);
        let forgotten = forget.iter().any(|f| f.holds(key));
        if gone || forgotten {
            plan.remove.push(key.clone());
        }
    }
    plan.remove.sort();
    let replaced: HashSet<&str> =
        plan.files.iter().filter(|f| f.change == Change::Update).map(|f| f.key.as_str()).collect();
    let removed: HashSet<&str> = plan.remove.iter().map(String::as_str).collect();
    plan.kept = indexed
        .iter()
        .filter(|(key, _)| !replaced.contains(key.as_str()) && !removed.contains(key.as_str()))
        .map(|(_, file)| file.clone())
        .collect();
    plan.kept.sort_by(|a, b| a.source.cmp(&b.source));
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::NoProgress;

    fn known(hash: &str, source: &str) -> IndexedFile {
        IndexedFile { hash: hash.into(), id: source.into(), lang: "en".into(), date: None, source: source.into() }
    }

    #[test]
    fn a_plan_says_what_changes_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let corpus = dir.path().join("corpus");
        std::fs::create_dir_all(corpus.join("sub")).unwrap();
        for (name, text) in [("same.md", "same"), ("edited.md", "new text"), ("sub/new.md", "new")] {
            std::fs::write(corpus.join(name), text).unwrap();
        }
        let other = dir.path().join("other");
        std::fs::create_dir_all(&other).unwrap();
        let root = Root::resolve(&corpus).unwrap();
        let other_root = Root::resolve(&other).unwrap();
        let key = |name: &str| format!("{}/{name}", root.path);
        let hash = |text: &str| blake3::hash(text.as_bytes()).to_hex().to_string();
        let mut indexed = HashMap::new();
        indexed.insert(key("same.md"), known(&hash("same"), "same"));
        indexed.insert(key("edited.md"), known(&hash("old text"), "edited"));
        indexed.insert(key("gone.md"), known("x", "gone"));
        indexed.insert(format!("{}/kept.md", other_root.path), known("y", "kept"));

        let plan = make(
            std::slice::from_ref(&root),
            &[],
            std::slice::from_ref(&other_root),
            &indexed,
            false,
            true,
            &NoProgress,
        );
        let changes: Vec<(String, Change)> = plan.files.iter().map(|f| (f.key.clone(), f.change)).collect();
        assert_eq!(
            changes,
            [(key("edited.md"), Change::Update), (key("same.md"), Change::Unchanged), (key("sub/new.md"), Change::Add)]
        );
        assert_eq!(plan.remove, [key("gone.md")], "only files of the walked root go");
        let kept: Vec<&str> = plan.kept.iter().map(|k| k.source.as_str()).collect();
        assert_eq!(kept, ["kept", "same"]);
        assert_eq!(plan.remembered, [other_root.clone(), root.clone()]);
        assert_eq!(plan.bytes_read, ("same".len() + "new text".len()) as u64);

        // A subfolder named beside its folder adds no file twice; forgetting drops a root.
        let sub = Root::resolve(&corpus.join("sub")).unwrap();
        let plan = make(
            &[root.clone(), sub],
            std::slice::from_ref(&other_root),
            std::slice::from_ref(&other_root),
            &indexed,
            false,
            true,
            &NoProgress,
        );
        assert_eq!(plan.files.len(), 3);
        assert_eq!(plan.remembered, std::slice::from_ref(&root));
        assert_eq!(plan.remove, [key("gone.md"), format!("{}/kept.md", other_root.path)]);

        // A rebuild adds everything and remembers only its roots.
        let plan = make(
            std::slice::from_ref(&root),
            &[],
            std::slice::from_ref(&other_root),
            &HashMap::new(),
            true,
            true,
            &NoProgress,
        );
        assert!(plan.files.iter().all(|f| f.change == Change::Add));
        assert_eq!(plan.remembered, [root]);
        assert_eq!(plan.bytes_read, 0);
    }
}
