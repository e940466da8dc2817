//! Building and updating the index: files are found, read and hashed in parallel
//! batches; new and changed ones are parsed and fed to one writer with a bounded memory
//! budget; commits come at bounded intervals, so a killed run leaves the last commit.

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use tantivy::collector::{Count, DocSetCollector};
use tantivy::directory::MmapDirectory;
use tantivy::query::TermQuery;
use tantivy::schema::{Facet, IndexRecordOption};
use tantivy::{Index, IndexWriter, TantivyError, Term};

use super::document::{documents, page_key};
use super::{CommitInfo, schema, tokenizer};
use crate::error::{Error, Result};
use crate::ingest::{self, Admission, PageRegistry, Problem};

/// The file in an index folder naming the process that holds its writer lock.
const PID_FILE: &str = "paperdex.pid";

/// The pid of the process writing the index at `dir`, as it wrote it.
fn writer_pid(dir: &Path) -> Option<u32> {
    std::fs::read_to_string(dir.join(PID_FILE)).ok()?.trim().parse().ok()
}

/// How many files are parsed in parallel before their documents go to the writer.
const BATCH_FILES: usize = 256;

#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Folders (or single files) to index.
    pub roots: Vec<PathBuf>,
    /// The writer's memory budget in bytes (split among its threads).
    pub memory_budget: usize,
    /// Indexing threads of the writer.
    pub threads: usize,
    /// Draw a progress bar on stderr (only on a terminal).
    pub progress: bool,
    /// Start from an empty index instead of updating the one there.
    pub rebuild: bool,
    /// Commit after this many changed files, so a killed run loses little work.
    pub commit_every: usize,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            roots: Vec::new(),
            memory_budget: 256_000_000,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            progress: false,
            rebuild: false,
            commit_every: 10_000,
        }
    }
}

/// What an index run did.
#[derive(Debug, Default, Clone)]
pub struct IndexSummary {
    /// Files found.
    pub files: usize,
    /// Bytes read (every file is read, to compare its content hash).
    pub bytes: u64,
    /// Files new to the index that brought records; files whose content changed; files
    /// gone from the folders; files kept as they were. A file that yields nothing is
    /// only a problem.
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// What the index holds after the run.
    pub pages: u64,
    pub captions: u64,
    pub methods: u64,
    pub problems: usize,
    pub errors: usize,
    pub commits: usize,
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

/// What the index holds for one source file, from its page record.
struct IndexedFile {
    hash: String,
    id: String,
    lang: String,
    date: Option<String>,
}

/// Brings the index at `dir` up to date with `options.roots`: new files are added,
/// changed ones (by content hash) re-indexed, removed or renamed ones dropped, the rest
/// left alone; `rebuild` starts from empty. Problems go to `on_problem` as they are met.
/// Searches see the previous commit until the next one lands; commits come every
/// `commit_every` changed files and at the end.
pub fn build_index(dir: &Path, options: &IndexOptions, mut on_problem: impl FnMut(&Problem)) -> Result<IndexSummary> {
    let started = Instant::now();
    let heap = HeapSampler::start();
    let mut summary = IndexSummary::default();
    let mut report = |p: &Problem, summary: &mut IndexSummary| {
        summary.problems += 1;
        summary.errors += usize::from(p.is_error());
        on_problem(p);
    };
    let found = ingest::find_files(&options.roots);
    for p in &found.problems {
        report(p, &mut summary);
    }
    let (index, fields, fresh) = open_or_create(dir)?;
    let rebuild = options.rebuild || fresh;
    let threads = options.threads.max(1);
    // tantivy wants at least 15 MB per indexing thread.
    let budget = options.memory_budget.max(threads * 15_000_000);
    let mut writer: IndexWriter = index.writer_with_num_threads(threads, budget).map_err(|e| match e {
        TantivyError::LockFailure(..) => Error::IndexBusy { path: dir.to_path_buf(), pid: writer_pid(dir) },
        other => Error::tantivy(dir, other),
    })?;
    // Whoever finds the writer lock taken reads who holds it here. The lock itself dies
    // with the process, so a pid left by a killed run is never mistaken for a writer.
    let _ = std::fs::write(dir.join(PID_FILE), std::process::id().to_string());
    let tantivy_error = |e| Error::tantivy(dir, e);
    let mut indexed = if rebuild {
        // A full build merges once at the end: background merges would race that one.
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        writer.delete_all_documents().map_err(tantivy_error)?;
        HashMap::new()
    } else {
        indexed_files(&index, &fields).map_err(tantivy_error)?
    };

    // Files no longer found go first; a file kept as it is stays known to the
    // duplicate check.
    let found_set: HashSet<String> = found.files.iter().map(|p| p.display().to_string()).collect();
    let mut registry = PageRegistry::default();
    indexed.retain(|source, _| {
        if found_set.contains(source) {
            return true;
        }
        writer.delete_term(Term::from_field_text(fields.source, source));
        summary.removed += 1;
        false
    });

    let progress = progress_bar(options.progress, found.files.len() as u64);
    let roots: Vec<String> = options.roots.iter().map(|r| r.display().to_string()).collect();
    let mut since_commit = 0;
    for (batch_no, batch) in found.files.chunks(BATCH_FILES).enumerate() {
        let read: Vec<_> = batch
            .par_iter()
            .map(|path| {
                let bytes = ingest::read_file(path)?;
                let hash = blake3::hash(&bytes).to_hex().to_string();
                let source = path.display().to_string();
                let unchanged = indexed.get(&source).is_some_and(|f| f.hash == hash);
                let parsed = (!unchanged).then(|| ingest::parse_bytes(path, &bytes));
                Ok((source, bytes.len() as u64, parsed))
            })
            .collect();
        for (k, outcome) in read.into_iter().enumerate() {
            summary.files += 1;
            let (source, bytes, parsed) = match outcome {
                Ok(read) => read,
                Err(problem) => {
                    // An unreadable file keeps whatever the index holds for it.
                    progress.suspend(|| report(&problem, &mut summary));
                    continue;
                }
            };
            summary.bytes += bytes;
            let Some(file) = parsed else {
                summary.unchanged += 1;
                if let Some(f) = indexed.get(&source) {
                    registry.keep(&f.id, &f.lang, f.date.clone(), &source);
                }
                continue;
            };
            let was_indexed = indexed.remove(&source).is_some();
            if was_indexed {
                writer.delete_term(Term::from_field_text(fields.source, &source));
                summary.updated += 1;
            }
            since_commit += 1;
            for p in &file.problems {
                progress.suspend(|| report(p, &mut summary));
            }
            let Some(records) = file.records else { continue };
            let (admission, problem) = registry.admit(&records.page);
            if let Some(p) = problem {
                progress.suspend(|| report(&p, &mut summary));
            }
            match admission {
                Admission::Rejected => continue,
                Admission::Replaces => {
                    writer.delete_term(Term::from_field_text(fields.page_key, &page_key(&records.page)));
                }
                Admission::New => {}
            }
            // A file new to the index counts as added once it brings records.
            summary.added += usize::from(!was_indexed);
            let file_order = (batch_no * BATCH_FILES + k) as u64;
            for doc in documents(&fields, &records, file_order) {
                writer.add_document(doc).map_err(tantivy_error)?;
            }
        }
        progress.inc(batch.len() as u64);
        if since_commit >= options.commit_every.max(1) {
            commit(&mut writer, &roots, false).map_err(tantivy_error)?;
            summary.commits += 1;
            since_commit = 0;
        }
    }
    progress.finish_and_clear();
    commit(&mut writer, &roots, true).map_err(tantivy_error)?;
    summary.commits += 1;
    if rebuild {
        // One segment searches fastest; each indexing thread leaves its own.
        let segments = index.searchable_segment_ids().map_err(tantivy_error)?;
        if segments.len() > 1 {
            writer.merge(&segments).wait().map_err(tantivy_error)?;
        }
    }
    writer.wait_merging_threads().map_err(tantivy_error)?;
    (summary.pages, summary.captions, summary.methods) = record_counts(&index, &fields).map_err(tantivy_error)?;
    summary.seconds = started.elapsed().as_secs_f64();
    summary.peak_heap = heap.stop();
    Ok(summary)
}

fn commit(writer: &mut IndexWriter, roots: &[String], complete: bool) -> tantivy::Result<()> {
    let info = CommitInfo { paperdex_schema: schema::SCHEMA_VERSION, roots: roots.to_vec(), complete };
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&serde_json::to_string(&info).unwrap_or_default());
    prepared.commit()?;
    Ok(())
}

/// The source files the index holds, by path, read from the page records' fast fields.
fn indexed_files(index: &Index, fields: &super::Fields) -> tantivy::Result<HashMap<String, IndexedFile>> {
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let pages = TermQuery::new(Term::from_facet(fields.kind_facet, &Facet::from("/page")), IndexRecordOption::Basic);
    let mut out = HashMap::new();
    for address in searcher.search(&pages, &DocSetCollector)? {
        let segment = searcher.segment_reader(address.segment_ord);
        let fast = segment.fast_fields();
        let text = |name: &str| -> tantivy::Result<Option<String>> {
            let Some(column) = fast.str(name)? else { return Ok(None) };
            let mut value = String::new();
            match column.term_ords(address.doc_id).next() {
                Some(ord) if column.ord_to_str(ord, &mut value)? => Ok(Some(value)),
                _ => Ok(None),
            }
        };
        let (Some(source), Some(hash), Some(key)) = (text("source")?, text("content_hash")?, text("page_key")?) else {
            continue;
        };
        let date = fast
            .date("date")?
            .first(address.doc_id)
            .map(|d| super::document::civil_date(d.into_timestamp_secs().div_euclid(86_400)));
        let (id, lang) =
            key.rsplit_once('|').map_or((key.clone(), String::new()), |(i, l)| (i.to_owned(), l.to_owned()));
        out.insert(source, IndexedFile { hash, id, lang, date });
    }
    Ok(out)
}

/// Pages, captions and methods in the index's last commit.
fn record_counts(index: &Index, fields: &super::Fields) -> tantivy::Result<(u64, u64, u64)> {
    let reader = index.reader_builder().reload_policy(tantivy::ReloadPolicy::Manual).try_into()?;
    reader.reload()?;
    let searcher = reader.searcher();
    let count = |path: &str| -> tantivy::Result<u64> {
        let q = TermQuery::new(Term::from_facet(fields.kind_facet, &Facet::from(path)), IndexRecordOption::Basic);
        Ok(searcher.search(&q, &Count)? as u64)
    };
    Ok((count("/page")?, count("/caption")?, count("/method")?))
}

/// Opens the index at `dir`, or creates an empty one there. A folder that holds an index
/// paperdex did not write is refused rather than overwritten.
fn open_or_create(dir: &Path) -> Result<(Index, super::Fields, bool)> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write { path: dir.to_path_buf(), source })?;
    if super::exists(dir) {
        let index = super::open_tantivy(dir)?;
        match super::check(&index, dir, true) {
            Ok((_, fields)) => return Ok((index, fields, false)),
            // An index an older paperdex wrote is rebuilt from scratch; any other is kept.
            Err(_) if super::commit_info(&index).is_some() => {
                drop(index);
                remove_index_files(dir)?;
            }
            Err(e) => return Err(e),
        }
    }
    let (schema, fields) = schema::build();
    let directory = MmapDirectory::open(dir).map_err(|e| Error::tantivy(dir, e.into()))?;
    let settings = tantivy::IndexSettings {
        sort_by_field: Some(tantivy::IndexSortByField { field: schema::SORT_FIELD.into(), order: tantivy::Order::Asc }),
        ..tantivy::IndexSettings::default()
    };
    let index = Index::create(directory, schema, settings).map_err(|e| Error::tantivy(dir, e))?;
    tokenizer::register(&index);
    Ok((index, fields, true))
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

/// Deletes the files of the tantivy index in `dir` (those it lists as its own, and its
/// meta files), leaving anything else in the folder alone.
fn remove_index_files(dir: &Path) -> Result<()> {
    let managed = std::fs::read_to_string(dir.join(".managed.json")).unwrap_or_default();
    let mut files: Vec<String> = serde_json::from_str(&managed).unwrap_or_default();
    files.extend(["meta.json".to_owned(), ".managed.json".to_owned()]);
    for name in files {
        let path = dir.join(&name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(Error::Write { path, source }),
        }
    }
    Ok(())
}

fn progress_bar(wanted: bool, files: u64) -> ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(files), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new(files);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} indexing {pos}/{len} files [{bar:30}] {elapsed} elapsed, {eta} left")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
