//! Applying a run's plan: one writer with a bounded memory budget takes the new and
//! changed files, parsed in parallel batches.
//!
//! A full build (the first one, or `--rebuild`) is written into a folder inside the index
//! folder and swapped in only when complete, so searchers see the old index, whole,
//! until then, and a killed build leaves it untouched. An update commits every
//! `commit_every` changed files, so a killed run loses little; until its last commit the
//! index says it is mid-update.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use tantivy::collector::DocSetCollector;
use tantivy::query::TermQuery;
use tantivy::schema::{Facet, IndexRecordOption};
use tantivy::{Index, IndexWriter, TantivyError, Term};

use super::document::{documents, page_key};
use super::folder::{self, BUILD_DIR, FolderState};
use super::lock::{self, LockFailure};
use super::plan::{self, Change, IndexedFile, Plan};
use super::progress::{Phase, Progress};
use super::{CommitInfo, IndexDirectory, Root, schema, tokenizer};
use crate::error::{Error, Result};
use crate::ingest::{self, Admission, PageHead, PageRegistry, Problem};

/// How many files are parsed in parallel before their documents go to the writer.
const BATCH_FILES: usize = 256;

/// How the writer works.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// The writer's memory budget in bytes (split among its threads).
    pub memory_budget: usize,
    /// Indexing threads: a build gives each a run of the files, an update's writer has
    /// them all.
    pub threads: usize,
    /// During an update, commit after this many changed files.
    pub commit_every: usize,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            memory_budget: 192_000_000,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            commit_every: 10_000,
        }
    }
}

/// What to do to an index.
#[derive(Debug, Clone, Default)]
pub struct UpdateRequest {
    /// Folders (or files) to add or update; none means every folder the index remembers
    /// (or `default_roots` for an index that remembers none).
    pub roots: Vec<PathBuf>,
    /// Folders whose records are dropped.
    pub forget: Vec<PathBuf>,
    /// Build a new index from the roots instead of updating the one there.
    pub rebuild: bool,
    /// What a new index with no folders named is built from.
    pub default_roots: Vec<PathBuf>,
}

/// What an index run did.
#[derive(Debug, Default, Clone)]
pub struct IndexSummary {
    /// Files found.
    pub files: usize,
    /// Bytes read (every known file is read, to compare its content hash).
    pub bytes: u64,
    /// Files new to the index that brought records; files whose content changed; files
    /// gone from the folders (or forgotten); files kept as they were. A file that
    /// yields nothing is only a problem.
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// Files read but not indexed: no records in them, or a duplicate of a page kept.
    pub skipped: usize,
    /// What the index holds after the run.
    pub pages: u64,
    pub captions: u64,
    pub methods: u64,
    pub problems: usize,
    pub errors: usize,
    pub commits: usize,
    /// The roots the index remembers after the run.
    pub roots: Vec<Root>,
    pub seconds: f64,
    /// The peak of anonymous (heap) memory, sampled every 50 ms (Linux `RssAnon`): what
    /// the writer budget bounds, without the index files mapped for reading.
    pub peak_heap: u64,
}

impl IndexSummary {
    pub fn megabytes(&self) -> f64 {
        self.bytes as f64 / 1_000_000.0
    }

    pub fn megabytes_per_second(&self) -> f64 {
        if self.seconds > 0.0 { self.megabytes() / self.seconds } else { 0.0 }
    }
}

/// Brings the index at `dir` up to date as `request` asks. Every folder named is checked
/// before anything is written: a missing or unreadable one is an error and the index is
/// unchanged. Problems and phases go to `progress` as they are met.
pub fn update(
    dir: &Path,
    request: &UpdateRequest,
    options: &IndexOptions,
    progress: &dyn Progress,
) -> Result<IndexSummary> {
    let started = Instant::now();
    let heap = HeapSampler::start();
    let named: Vec<Root> = request.roots.iter().map(|r| Root::resolve(r)).collect::<Result<_>>()?;
    let forget: Vec<Root> = request.forget.iter().map(|r| Root::lexical(r)).collect();
    if let FolderState::Foreign(reason) = folder::state(dir) {
        return Err(Error::NotAnIndex { path: dir.to_path_buf(), reason });
    }
    std::fs::create_dir_all(dir).map_err(|e| write_error(dir, &e))?;
    let lock = lock::acquire(dir).map_err(|failure| match failure {
        LockFailure::Busy(pid) => Error::IndexBusy { path: dir.to_path_buf(), pid },
        LockFailure::Io(e) => write_error(dir, &e),
    })?;
    if let Some(pid) = lock.stale_pid {
        progress.note(&format!(
            "a `paperdex index` run (pid {pid}) on {} stopped before it finished; its lock is stale, going on",
            dir.display()
        ));
    }
    let cleaned = folder::clean_up(dir).map_err(|e| write_error(dir, &e))?;
    if cleaned > 0 {
        let files = if cleaned == 1 { "1 file".to_owned() } else { format!("{cleaned} files") };
        progress.note(&format!("removed {files} left in {} by a run that did not finish", dir.display()));
    }

    // The index there, unless this run builds a new one.
    let had_index = super::exists(dir);
    let existing = if had_index {
        let opened = super::open_tantivy(dir).and_then(|index| match super::payload(&index) {
            // An index of another schema version is rebuilt from its folders.
            super::Payload::OtherVersion(_) => Ok(None),
            _ => super::check(&index, dir).map(|(info, fields)| Some((index, info, fields))),
        });
        match opened {
            Ok(open) => open,
            // The folder is paperdex's (checked above): a rebuild replaces whatever is there.
            Err(Error::Damaged { .. } | Error::NotAnIndex { .. }) if request.rebuild => None,
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    let previous: Vec<Root> = match &existing {
        Some((_, info, _)) => info.roots.clone(),
        None => folder::read_sidecar(dir).map(|s| s.roots).unwrap_or_default(),
    };
    for f in &forget {
        check_forget(dir, f, &previous)?;
    }
    let kept: Vec<&Root> = previous.iter().filter(|r| !forget.iter().any(|f| f.contains(r))).collect();
    let remembered = || -> Result<Vec<Root>> {
        kept.iter().map(|r| Root::resolve(&r.walk_path()).map_err(|e| forget_hint(e, r))).collect()
    };
    let rebuild = request.rebuild || existing.is_none();
    // Forgetting reads only what the other folders hold that the index does not.
    let forgetting_only = named.is_empty() && !forget.is_empty();
    let roots = if !named.is_empty() {
        // A rebuild starts from nothing: the index's other folders are read again too,
        // so that naming one folder never drops the rest.
        if rebuild && !kept.is_empty() { merge_roots(remembered()?, named) } else { named }
    } else if !forget.is_empty() {
        // The other folders are walked for files the index does not hold: a page the
        // forgotten folder's duplicate stood in for comes back. A folder that cannot be
        // walked now keeps its records as they are.
        kept.iter().filter_map(|r| Root::resolve(&r.walk_path()).ok()).collect()
    } else if !kept.is_empty() {
        remembered()?
    } else if !request.default_roots.is_empty() && !had_index {
        // Only a new index is built from the default folder: one that remembers none (all
        // forgotten, or its record of them unreadable) is not replaced by it unasked.
        request.default_roots.iter().map(|r| Root::resolve(r)).collect::<Result<_>>()?
    } else {
        let why = if had_index && existing.is_none() && previous.is_empty() {
            " (it is damaged, and which folders it was built from cannot be read)"
        } else {
            ""
        };
        return Err(Error::BadArgument(format!(
            "the index at {} remembers no folders{why}: name the folders of review pages to index",
            dir.display()
        )));
    };

    let indexed = match &existing {
        Some((index, _, fields)) if !rebuild => indexed_files(index, fields).map_err(|e| super::damage(dir, &e))?,
        _ => HashMap::new(),
    };
    let plan = plan::make(&roots, &forget, &previous, &indexed, rebuild, !forgetting_only, progress);
    let mut summary = IndexSummary { files: plan.files.len(), bytes: plan.bytes_read, ..IndexSummary::default() };
    for p in &plan.problems {
        report(progress, &mut summary, p);
    }
    summary.unchanged = plan.count(Change::Unchanged);
    summary.removed = plan.remove.len();
    summary.roots = plan.remembered.clone();

    let outcome = if rebuild {
        drop(existing);
        build_new(dir, &plan, options, progress, &mut summary)
    } else {
        let (index, _, fields) = existing.expect("an update has an index");
        apply_update(dir, &index, &fields, &plan, options, progress, &mut summary)
    };
    progress.finish();
    let outcome = outcome.and_then(|()| write_browse_files(dir, progress));
    let outcome = outcome.and_then(|()| folder::write_sidecar(dir, &plan.remembered).map_err(|e| write_error(dir, &e)));
    if outcome.is_err() {
        // What the failed run wrote goes now, so that freeing space is enough.
        let _ = folder::clean_up(dir);
    }
    drop(lock);
    outcome?;

    let px = super::open(dir, "")?;
    let counts = px.kind_counts()?;
    summary.pages = counts["page"];
    summary.captions = counts["caption/figure"] + counts["caption/chart"] + counts["caption/table"];
    summary.methods = counts["method"];
    summary.seconds = started.elapsed().as_secs_f64();
    summary.peak_heap = heap.stop();
    Ok(summary)
}

/// Writes what browsing everything reads of each new segment beside it
/// ([`crate::search::write_segment_files`]): searches read it instead of walking the
/// segment's dictionaries, and read the dictionaries when it is missing, so a file that
/// cannot be written costs only speed and is a note, not a failure.
fn write_browse_files(dir: &Path, progress: &dyn Progress) -> Result<()> {
    let index = super::open_tantivy(dir)?;
    let (_, fields) = schema::build();
    if let Err(e) = crate::search::write_segment_files(&index, dir, fields.date) {
        progress
            .note(&format!("could not write the browse counts into {}: {e}; browsing reads the terms", dir.display()));
    }
    // Those of segments the commit let go (merged, emptied) go too; left, they are only
    // files no search reads.
    if let Err(e) = folder::remove_stale_browse_counts(dir) {
        progress.note(&format!("could not remove old browse counts from {}: {e}", dir.display()));
    }
    Ok(())
}

/// `roots` with `named` added: a folder inside one already there adds nothing (but its
/// spelling), a folder around some replaces them.
fn merge_roots(mut roots: Vec<Root>, named: Vec<Root>) -> Vec<Root> {
    for root in named {
        if let Some(same) = roots.iter_mut().find(|r| r.path == root.path) {
            same.given = root.given;
            continue;
        }
        if roots.iter().any(|r| r.contains(&root)) {
            continue;
        }
        roots.retain(|r| !root.contains(r));
        roots.push(root);
    }
    roots
}

/// A folder to forget must be one the index remembers, named: forgetting a folder inside
/// one would last only until the next update, and one that holds some (`--forget ..`,
/// `--forget /tmp`) is too easily a slip that would empty the index; any other is a
/// mistake.
fn check_forget(dir: &Path, forget: &Root, previous: &[Root]) -> Result<()> {
    if previous.iter().any(|r| forget.contains(r) && r.contains(forget)) {
        return Ok(());
    }
    let inside: Vec<&str> = previous.iter().filter(|r| forget.contains(r)).map(|r| r.given.as_str()).collect();
    if !inside.is_empty() {
        let (these, flags) = match &inside[..] {
            [one] => (format!("the index's folder {one}"), format!("--forget {one}")),
            many => (
                format!("the index's folders {}", many.join(", ")),
                many.iter().map(|f| format!("--forget {f}")).collect::<Vec<_>>().join(" "),
            ),
        };
        return Err(Error::BadArgument(format!(
            "cannot forget {}: it is not a folder of the index but holds {these}; to drop their records name them: `paperdex index {flags}`; the index is unchanged",
            forget.given
        )));
    }
    let folders: Vec<&str> = previous.iter().map(|r| r.given.as_str()).collect();
    let listed = if folders.is_empty() {
        "it remembers none".to_owned()
    } else {
        format!("its folders: {}", folders.join(", "))
    };
    let reason = match previous.iter().find(|r| r.contains(forget)) {
        Some(outer) => format!(
            "it lies inside {}, which the index remembers and would index again; forget {} instead, or remove the files",
            outer.given, outer.given
        ),
        None => format!("it is not a folder of the index at {} ({listed})", dir.display()),
    };
    Err(Error::BadArgument(format!("cannot forget {}: {reason}; the index is unchanged", forget.given)))
}

fn forget_hint(e: Error, root: &Root) -> Error {
    match e {
        Error::Root { path, reason } => Error::Root {
            path,
            reason: format!(
                "{reason} (the index remembers it: name the folders to update, or drop its records with `paperdex index --forget {}`)",
                root.given
            ),
        },
        other => other,
    }
}

fn report(progress: &dyn Progress, summary: &mut IndexSummary, p: &Problem) {
    summary.problems += 1;
    summary.errors += usize::from(p.is_error());
    progress.problem(p);
}

/// Builds a new index from `plan` beside the old one, then swaps it in.
///
/// The files are cut into as many runs, one after the other, as there are threads, and
/// each run is indexed by a writer of one thread into an index of its own, all at once,
/// the files of every run parsed together. Each run's segments then hold records in
/// corpus order, and the runs follow one another, so the final merge into one segment
/// appends their stored records as they are instead of decompressing, sorting and
/// compressing every one. Which page of a duplicate stays is settled once every file is
/// read, in corpus order, as a build file by file would, and problems are reported then,
/// in that order; a run that read a dropped file is indexed again without it.
fn build_new(
    dir: &Path,
    plan: &Plan,
    options: &IndexOptions,
    progress: &dyn Progress,
    summary: &mut IndexSummary,
) -> Result<()> {
    let build = dir.join(BUILD_DIR);
    std::fs::create_dir(&build).map_err(|e| write_error(dir, &e))?;
    let fields = schema::build().1;
    let todo: Vec<(usize, &plan::PlannedFile)> =
        plan.files.iter().enumerate().filter(|(_, f)| f.change != Change::Unchanged).collect();
    // A run of fewer than a batch of files is not worth a writer of its own.
    let runs = options.threads.max(1).min(todo.len() / BATCH_FILES).max(1);
    let per_run = todo.len().div_ceil(runs).max(1);
    let open_run = |run: usize| -> Result<(Index, IndexWriter)> {
        let run_dir = build.join(format!("run-{run}"));
        std::fs::create_dir(&run_dir).map_err(|e| write_error(dir, &e))?;
        let index = create_index(&run_dir, Scratch::Yes).map_err(|e| write_error(dir, &e))?;
        let threads = if runs == 1 { options.threads } else { 1 };
        let run_options = IndexOptions { threads, memory_budget: options.memory_budget / runs, ..options.clone() };
        let writer = open_writer(&index, dir, &run_options)?;
        // One merge at the end: background merges would race it.
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        Ok((index, writer))
    };
    let mut writers = (0..runs).map(open_run).collect::<Result<Vec<_>>>()?;

    progress.phase(Phase::Indexing, Some(todo.len() as u64));
    let mut read: Vec<Option<ReadFile>> = (0..todo.len()).map(|_| None).collect();
    let step = (BATCH_FILES / runs).max(1);
    // The next files of every run, parsed together.
    let batch_at = |start: usize| -> Vec<usize> {
        (0..runs)
            .flat_map(|run| run * per_run + start..(run * per_run + (start + step).min(per_run)).min(todo.len()))
            .collect()
    };
    for start in (0..per_run).step_by(step) {
        let batch = batch_at(start);
        let next = batch_at(start + step);
        let parsed: Vec<(usize, ReadFile, Vec<tantivy::TantivyDocument>)> = std::thread::scope(|scope| {
            // The files of the next batch are read from disk while this one is parsed (a
            // thread the system will not give only reads nothing ahead).
            let ahead = || ingest::read_ahead(next.iter().map(|&at| todo[at].1.path.as_path()));
            let _ = std::thread::Builder::new().spawn_scoped(scope, ahead);
            batch
                .par_iter()
                .map(|&at| {
                    let (order, file) = todo[at];
                    let (file, docs) = read_one(&fields, order, file);
                    (at, file, docs)
                })
                .collect()
        });
        for (at, file, docs) in parsed {
            progress.advance(1);
            let writer = &writers[at / per_run].1;
            for doc in docs {
                writer.add_document(doc).map_err(|e| write_error(dir, &e))?;
            }
            read[at] = Some(file);
        }
    }

    // Duplicates settled in corpus order, problems reported in that order.
    let (mut registry, mut holders) = registry_of(plan);
    let mut admitted: Vec<Option<(String, String)>> = vec![None; todo.len()];
    let mut dropped: Vec<usize> = Vec::new();
    for (at, file) in read.into_iter().enumerate() {
        let Some(file) = file else { continue };
        let change = todo[at].1.change;
        let Some(admitted_page) = admit_file(file, at, change, &mut registry, &mut holders, progress, summary) else {
            continue;
        };
        match admitted_page {
            Admitted::Rejected => dropped.push(at),
            Admitted::New { key } => admitted[at] = Some(key),
            Admitted::Replaces { key, file } => {
                dropped.extend(file);
                if let Some(file) = file {
                    admitted[file] = None;
                }
                admitted[at] = Some(key);
            }
        }
    }
    // A dropped file's records are not deleted but never written: merged, a segment with
    // deleted records gives its fields' lengths as estimates, and the scores would then
    // depend on which run held the duplicate. The runs that hold one are indexed again
    // without it (only a build with duplicates pays for this).
    let mut again: Vec<usize> = dropped.iter().map(|at| at / per_run).collect();
    again.sort_unstable();
    again.dedup();
    for run in again {
        let files: Vec<usize> =
            (run * per_run..((run + 1) * per_run).min(todo.len())).filter(|&at| admitted[at].is_some()).collect();
        progress.phase(Phase::Indexing, Some(files.len() as u64));
        drop(writers.remove(run));
        let run_dir = build.join(format!("run-{run}"));
        std::fs::remove_dir_all(&run_dir).map_err(|e| write_error(dir, &e))?;
        writers.insert(run, open_run(run)?);
        for batch in files.chunks(BATCH_FILES) {
            let parsed: Vec<_> = batch
                .par_iter()
                .map(|&at| {
                    let (order, file) = todo[at];
                    (at, read_one(&fields, order, file))
                })
                .collect();
            for (at, (file, docs)) in parsed {
                progress.advance(1);
                let same = matches!(&file, ReadFile::Parsed { head: Some(h), .. }
                    if admitted[at].as_ref().is_some_and(|(id, lang)| *id == h.id && *lang == h.lang));
                if !same {
                    let reason = "it changed while it was being indexed and was left out: run `paperdex index` again";
                    report(progress, summary, &Problem::error(&ingest::path::escape(&todo[at].1.path), None, reason));
                    let count = count_of(summary, todo[at].1.change);
                    *count = count.saturating_sub(1);
                    summary.skipped += 1;
                    continue;
                }
                for doc in docs {
                    writers[run].1.add_document(doc).map_err(|e| write_error(dir, &e))?;
                }
            }
        }
    }

    progress.phase(Phase::Committing, None);
    // The runs commit side by side: each writes out its last segment on its own thread,
    // where one after the other a run's writing would wait for the other's.
    let committed: Vec<tantivy::Result<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            writers.iter_mut().map(|(_, writer)| scope.spawn(|| commit(writer, &plan.remembered, true))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(TantivyError::InternalError("a run's commit panicked".into()))))
            .collect()
    });
    let mut segments = Vec::new();
    for ((index, _), result) in writers.iter().zip(committed) {
        result.map_err(|e| write_error(dir, &e))?;
        segments.extend(index.searchable_segments().map_err(|e| write_error(dir, &e))?);
    }
    in_corpus_order(&mut segments).map_err(|e| write_error(dir, &e))?;
    release_freed_memory();
    // One segment searches fastest.
    let index = if segments.is_empty() {
        create_index(&build, Scratch::No).map_err(|e| write_error(dir, &e))?
    } else {
        progress.phase(Phase::Merging, None);
        let directory = IndexDirectory::open(&build).map_err(|e| write_error(dir, &e))?;
        let alive = segments.iter().map(|_| None).collect();
        let index = tantivy::indexer::merge_filtered_segments(&segments, index_settings(), alive, directory)
            .map_err(|e| write_error(dir, &e))?;
        tokenizer::register(&index);
        index
    };
    drop(segments);
    for (_, writer) in writers {
        writer.wait_merging_threads().map_err(|e| write_error(dir, &e))?;
    }
    // The commit that says what the index holds and that it is whole.
    let mut writer =
        open_writer(&index, dir, &IndexOptions { threads: 1, memory_budget: 15_000_000, ..options.clone() })?;
    commit(&mut writer, &plan.remembered, true).map_err(|e| write_error(dir, &e))?;
    writer.wait_merging_threads().map_err(|e| write_error(dir, &e))?;
    summary.commits += 1;
    drop(index);
    for run in 0..runs {
        std::fs::remove_dir_all(build.join(format!("run-{run}"))).map_err(|e| write_error(dir, &e))?;
    }
    folder::swap_in(dir).map_err(|e| write_error(dir, &e))
}

/// Puts a build's segments in the order of their records: the merge stacks segments that
/// follow one another so (appending their stored records as they are) and sorts every
/// record otherwise, and an index lists its segments in no set order.
fn in_corpus_order(segments: &mut Vec<tantivy::Segment>) -> tantivy::Result<()> {
    let mut firsts = Vec::with_capacity(segments.len());
    for segment in segments.iter() {
        let reader = tantivy::SegmentReader::open(segment)?;
        firsts.push(reader.fast_fields().u64(schema::SORT_FIELD)?.min_value());
    }
    let mut ordered: Vec<(u64, tantivy::Segment)> = firsts.into_iter().zip(segments.drain(..)).collect();
    ordered.sort_by_key(|(first, _)| *first);
    segments.extend(ordered.into_iter().map(|(_, segment)| segment));
    Ok(())
}

/// Hands the memory the runs' writers have freed back to the system before the merge
/// maps the runs' files: mimalloc (the binary's allocator) would keep it a while for
/// reuse, and the runs' writers, having committed side by side, free it together. With
/// another allocator this frees only mimalloc's own, unused, heap.
fn release_freed_memory() {
    // SAFETY: mi_collect takes no pointers; it frees only memory no allocation holds.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

/// A file of a build, read and parsed: what is left of it once its records are with
/// the writer.
enum ReadFile {
    Unread(Problem),
    Parsed {
        bytes: u64,
        problems: Vec<Problem>,
        /// The page, when the file holds one: weighed against its duplicates.
        head: Option<PageHead>,
    },
}

/// The registry of the pages a run weighs new ones against, and their holders: at first
/// the pages the index keeps.
fn registry_of(plan: &Plan) -> (PageRegistry, Holders) {
    let mut registry = PageRegistry::default();
    let mut holders = Holders::new();
    for kept in &plan.kept {
        registry.keep(&kept.id, &kept.lang, kept.date.clone(), &kept.source);
        holders.insert((kept.id.clone(), kept.lang.clone()), (None, Change::Unchanged));
    }
    (registry, holders)
}

/// The page admitted so far under each (id, language): where its file is among the
/// run's files (`None`: a page the index keeps from before) and how the run counted it.
type Holders = HashMap<(String, String), (Option<usize>, Change)>;

/// What became of a read file's page.
enum Admitted {
    /// Not newer than the page kept: dropped, counted as skipped.
    Rejected,
    /// The first page under `key`.
    New { key: (String, String) },
    /// Newer than the page kept under `key`, which it replaces: the replaced page's file
    /// among the run's (`None`: a page of the index), counted as skipped instead.
    Replaces { key: (String, String), file: Option<usize> },
}

/// Reports a read file's problems, weighs its page against the pages admitted so far,
/// and counts the file once: added or updated (by its `change`) when its page is
/// admitted, skipped when it holds none or a duplicate of a page kept, a file whose page
/// it replaces moving to skipped. `None` when the file holds no page.
#[allow(clippy::too_many_arguments)] // a file, where it is, and the run's accounts
fn admit_file(
    read: ReadFile,
    at: usize,
    change: Change,
    registry: &mut PageRegistry,
    holders: &mut Holders,
    progress: &dyn Progress,
    summary: &mut IndexSummary,
) -> Option<Admitted> {
    let (bytes, problems, head) = match read {
        ReadFile::Unread(problem) => {
            report(progress, summary, &problem);
            return None;
        }
        ReadFile::Parsed { bytes, problems, head } => (bytes, problems, head),
    };
    // An updated file was read once already, to compare its content hash: the summary's
    // megabytes are the corpus's, each file counted once.
    if change != Change::Update {
        summary.bytes += bytes;
    }
    for p in &problems {
        report(progress, summary, p);
    }
    let Some(head) = head else {
        summary.skipped += 1;
        return None;
    };
    let (admission, problem) = registry.admit_head(&head);
    if let Some(p) = problem {
        report(progress, summary, &p);
    }
    if admission == Admission::Rejected {
        summary.skipped += 1;
        return Some(Admitted::Rejected);
    }
    let key = (head.id, head.lang);
    let replaced = holders.insert(key.clone(), (Some(at), change));
    *count_of(summary, change) += 1;
    Some(match replaced {
        None => Admitted::New { key },
        Some((file, counted)) => {
            let count = count_of(summary, counted);
            *count = count.saturating_sub(1);
            summary.skipped += 1;
            Admitted::Replaces { key, file }
        }
    })
}

/// The summary's count of files that were `change`d.
fn count_of(summary: &mut IndexSummary, change: Change) -> &mut usize {
    match change {
        Change::Add => &mut summary.added,
        Change::Update => &mut summary.updated,
        Change::Unchanged => &mut summary.unchanged,
    }
}

/// Reads and parses one file, and makes its records' documents.
fn read_one(
    fields: &super::Fields,
    order: usize,
    file: &plan::PlannedFile,
) -> (ReadFile, Vec<tantivy::TantivyDocument>) {
    let bytes = match ingest::read_file(&file.path) {
        Ok(bytes) => bytes,
        Err(problem) => return (ReadFile::Unread(problem), Vec::new()),
    };
    let parsed = ingest::parse_bytes(&file.path, &bytes);
    let docs = parsed.records.as_ref().map(|r| documents(fields, r, &file.key, order as u64)).unwrap_or_default();
    let head = parsed.records.as_ref().map(|r| PageHead::of(&r.page));
    (ReadFile::Parsed { bytes: bytes.len() as u64, problems: parsed.problems, head }, docs)
}

/// Applies `plan` to the index there, committing at intervals.
fn apply_update(
    dir: &Path,
    index: &Index,
    fields: &super::Fields,
    plan: &Plan,
    options: &IndexOptions,
    progress: &dyn Progress,
    summary: &mut IndexSummary,
) -> Result<()> {
    let mut writer = open_writer(index, dir, options)?;
    for key in &plan.remove {
        writer.delete_term(Term::from_field_text(fields.source_key, key));
    }
    add_files(&mut writer, fields, plan, progress, summary, dir, options.commit_every)?;
    progress.phase(Phase::Committing, None);
    commit(&mut writer, &plan.remembered, true).map_err(|e| write_error(dir, &e))?;
    summary.commits += 1;
    writer.wait_merging_threads().map_err(|e| write_error(dir, &e))
}

/// Parses the plan's new and changed files in parallel batches and adds their records,
/// committing (as mid-update) after every `commit_every` changed files.
fn add_files(
    writer: &mut IndexWriter,
    fields: &super::Fields,
    plan: &Plan,
    progress: &dyn Progress,
    summary: &mut IndexSummary,
    dir: &Path,
    commit_every: usize,
) -> Result<()> {
    let (mut registry, mut holders) = registry_of(plan);
    let todo: Vec<(usize, &plan::PlannedFile)> =
        plan.files.iter().enumerate().filter(|(_, f)| f.change != Change::Unchanged).collect();
    progress.phase(Phase::Indexing, Some(todo.len() as u64));
    let mut since_commit = 0;
    for (first, batch) in todo.chunks(BATCH_FILES).enumerate().map(|(i, b)| (i * BATCH_FILES, b)) {
        let parsed: Vec<_> = batch
            .par_iter()
            .map(|&(order, file)| {
                let (read, docs) = read_one(fields, order, file);
                (file, read, docs)
            })
            .collect();
        for (at, (file, read, docs)) in (first..).zip(parsed) {
            progress.advance(1);
            if matches!(read, ReadFile::Parsed { .. }) {
                since_commit += 1;
                // Whatever the index holds under this file goes, even when the index did
                // not know it held it: a damaged key column must not duplicate records.
                writer.delete_term(Term::from_field_text(fields.source_key, &file.key));
            }
            match admit_file(read, at, file.change, &mut registry, &mut holders, progress, summary) {
                None | Some(Admitted::Rejected) => continue,
                // The records the replaced page has in the index or were added before.
                Some(Admitted::Replaces { key: (id, lang), .. }) => {
                    writer.delete_term(Term::from_field_text(fields.page_key, &page_key(&id, &lang)));
                }
                Some(Admitted::New { .. }) => {}
            }
            for doc in docs {
                writer.add_document(doc).map_err(|e| write_error(dir, &e))?;
            }
            if since_commit >= commit_every.max(1) {
                commit(writer, &plan.remembered, false).map_err(|e| write_error(dir, &e))?;
                summary.commits += 1;
                since_commit = 0;
            }
        }
    }
    Ok(())
}

fn open_writer(index: &Index, dir: &Path, options: &IndexOptions) -> Result<IndexWriter> {
    let threads = options.threads.max(1);
    // tantivy wants at least 15 MB per indexing thread.
    let budget = options.memory_budget.max(threads * 15_000_000);
    index.writer_with_num_threads(threads, budget).map_err(|e| match e {
        TantivyError::LockFailure(..) => Error::IndexBusy { path: dir.to_path_buf(), pid: None },
        other => write_error(dir, &other),
    })
}

fn commit(writer: &mut IndexWriter, roots: &[Root], complete: bool) -> tantivy::Result<()> {
    let committed_at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let info = CommitInfo { paperdex_schema: schema::SCHEMA_VERSION, roots: roots.to_vec(), complete, committed_at };
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&serde_json::to_string(&info).unwrap_or_default());
    prepared.commit()?;
    Ok(())
}

/// How many bytes of stored records are compressed together. A hit decompresses its
/// whole block, which the first search of a process (every `paperdex search`) cannot
/// find cached: 4 KB blocks make that search's one-word page queries about a quarter
/// faster than tantivy's 16 KB, for a stored-text file 10 % larger (5,000 pages: 44.6 →
/// 49.0 MB), with warm searches and indexing unchanged.
const DOCSTORE_BLOCK_BYTES: usize = 4096;

/// Whether an index is a build's run, merged and deleted before the build is kept: its
/// files are not synced to disk ([`IndexDirectory::scratch`]), and it is not sorted.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scratch {
    Yes,
    No,
}

/// The settings of an index paperdex keeps: sorted by corpus order, so that an update's
/// records, merged, fall into their place.
fn index_settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings {
        sort_by_field: Some(tantivy::IndexSortByField { field: schema::SORT_FIELD.into(), order: tantivy::Order::Asc }),
        docstore_blocksize: DOCSTORE_BLOCK_BYTES,
        ..tantivy::IndexSettings::default()
    }
}

/// A new, empty index in `dir`. A kept index is sorted by corpus order. A build's run is
/// not: it is given its records in corpus order already, and a sorted index writes each
/// segment's stored records twice (uncompressed, then read back in sorted order and
/// compressed) and sorts every term's postings when it is written; the runs' merge into
/// the kept index, whose settings are sorted, checks that their segments follow one
/// another in corpus order and stacks them.
fn create_index(dir: &Path, scratch: Scratch) -> tantivy::Result<Index> {
    let (schema, _) = schema::build();
    let (directory, settings) = match scratch {
        Scratch::Yes => {
            (IndexDirectory::scratch(dir)?, tantivy::IndexSettings { sort_by_field: None, ..index_settings() })
        }
        Scratch::No => (IndexDirectory::open(dir)?, index_settings()),
    };
    let index = Index::create(directory, schema, settings)?;
    tokenizer::register(&index);
    Ok(index)
}

/// The source files the index holds, by key, read from the page records' fast fields.
pub(crate) fn indexed_files(index: &Index, fields: &super::Fields) -> tantivy::Result<HashMap<String, IndexedFile>> {
    let reader = index.reader_builder().reload_policy(tantivy::ReloadPolicy::Manual).try_into()?;
    let searcher = reader.searcher();
    let pages = TermQuery::new(Term::from_facet(fields.kind_facet, &Facet::from("/page")), IndexRecordOption::Basic);
    let mut out = HashMap::new();
    let mut addresses: Vec<tantivy::DocAddress> = searcher.search(&pages, &DocSetCollector)?.into_iter().collect();
    addresses.sort();
    // Each segment's columns are opened once: opening one reads its dictionary's index,
    // which per page cost most of a no-change run at 100,000 pages (55 of its 65 s).
    for in_segment in addresses.chunk_by(|a, b| a.segment_ord == b.segment_ord) {
        let segment = searcher.segment_reader(in_segment[0].segment_ord);
        let fast = segment.fast_fields();
        let (Some(key_column), Some(source_column), Some(hash_column), Some(page_column)) =
            (fast.str("source_key")?, fast.str("source")?, fast.str("content_hash")?, fast.str("page_key")?)
        else {
            continue;
        };
        let dates = fast.date("date")?;
        let text = |column: &tantivy::columnar::StrColumn, doc: tantivy::DocId| -> tantivy::Result<Option<String>> {
            let mut value = String::new();
            match column.term_ords(doc).next() {
                Some(ord) if column.ord_to_str(ord, &mut value)? => Ok(Some(value)),
                _ => Ok(None),
            }
        };
        for address in in_segment {
            let doc = address.doc_id;
            let (Some(key), Some(source), Some(hash), Some(page)) = (
                text(&key_column, doc)?,
                text(&source_column, doc)?,
                text(&hash_column, doc)?,
                text(&page_column, doc)?,
            ) else {
                continue;
            };
            let date =
                dates.first(doc).map(|d| super::document::civil_date(d.into_timestamp_secs().div_euclid(86_400)));
            let (id, lang) =
                page.rsplit_once('|').map_or((page.clone(), String::new()), |(i, l)| (i.to_owned(), l.to_owned()));
            out.insert(key, IndexedFile { hash, id, lang, date, source });
        }
    }
    Ok(out)
}

/// A failure to write the index, said once whatever layer met it: the device that is
/// full, or the I/O error, and that the last commit stands.
pub(crate) fn write_error(dir: &Path, e: &dyn std::fmt::Display) -> Error {
    let text = e.to_string();
    let device = device_of(dir);
    let full = ["No space left on device", "os error 28", "Disk quota exceeded", "os error 122"];
    // A writer thread that died of a full disk leaves only "an index writer was killed":
    // the free space tells.
    let state = write_state(dir);
    if full.iter().any(|m| text.contains(m)) || free_bytes(dir).is_some_and(|free| free < 4 << 20) {
        return Error::DiskFull { path: dir.to_path_buf(), device, state };
    }
    let reason: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    Error::WriteFailed { path: dir.to_path_buf(), device, reason, state }
}

/// What a failed run leaves: no index, the last commit as it was, or an interim commit.
fn write_state(dir: &Path) -> &'static str {
    let meta = std::fs::read_to_string(dir.join("meta.json")).unwrap_or_default();
    if meta.is_empty() {
        "no index was written"
    } else if meta.contains("\\\"complete\\\":false") {
        "the index is at its last interim commit (mid-update: run `paperdex index` again to complete it)"
    } else {
        "the index is unchanged at its last commit"
    }
}

/// Bytes free for unprivileged writes on the filesystem holding `dir`.
fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is a NUL-terminated string and `stat` a valid out-parameter.
    let rc = unsafe { libc::statvfs(path.as_ptr(), &mut stat) };
    (rc == 0).then(|| stat.f_bavail as u64 * stat.f_frsize as u64)
}

/// `tmpfs mounted at /tmp` for the filesystem holding `path` (from /proc/self/mountinfo).
fn device_of(path: &Path) -> String {
    let canonical = std::fs::canonicalize(path)
        .or_else(|_| path.parent().map_or(Err(std::io::ErrorKind::NotFound.into()), std::fs::canonicalize))
        .unwrap_or_else(|_| path.to_path_buf());
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let best = mountinfo
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let mount_point = fields.get(4)?.replace("\\040", " ");
            let dash = fields.iter().position(|f| *f == "-")?;
            let source = fields.get(dash + 2)?;
            canonical.starts_with(&mount_point).then(|| (mount_point, source.to_string()))
        })
        .max_by_key(|(mount_point, _)| mount_point.len());
    match best {
        Some((mount_point, source)) => format!("{source} (mounted at {mount_point})"),
        None => "the device holding it".to_owned(),
    }
}

/// A value of this process's `/proc/self/status` in bytes (0 where there is none).
fn proc_status_bytes(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Samples anonymous memory on a thread of its own until stopped, keeping the peak.
struct HeapSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<u64>>,
}

impl HeapSampler {
    fn start() -> Self {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("heap-sampler".into())
            .spawn(move || {
                let mut peak = 0;
                while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                    peak = peak.max(proc_status_bytes("RssAnon:"));
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                peak.max(proc_status_bytes("RssAnon:"))
            })
            .ok();
        HeapSampler { stop, thread }
    }

    fn stop(mut self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.take().and_then(|t| t.join().ok()).unwrap_or(0)
    }
}
