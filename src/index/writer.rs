//! Building the index: files are found, parsed in parallel batches and fed to one
//! writer with a bounded memory budget; everything lands in one atomic commit.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use tantivy::directory::MmapDirectory;
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
}

/// What an index run did.
#[derive(Debug, Default, Clone)]
pub struct IndexSummary {
    pub files: usize,
    pub bytes: u64,
    pub pages: u64,
    pub captions: u64,
    pub methods: u64,
    pub problems: usize,
    pub errors: usize,
    pub seconds: f64,
    /// The process's peak resident memory in bytes (Linux `VmHWM`; 0 where unknown).
    /// Mapped index files that were read count too.
    pub peak_rss: u64,
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

/// Builds the index at `dir` from scratch out of `options.roots`, calling `on_problem`
/// for each problem as it is met. Searches see the previous commit until this one lands.
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
    let (index, fields) = open_or_create(dir)?;
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
    // Segments are merged once, at the end: background merges would race the final one.
    writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
    writer.delete_all_documents().map_err(|e| Error::tantivy(dir, e))?;

    let progress = progress_bar(options.progress, found.files.len() as u64);
    let mut registry = PageRegistry::default();
    let mut counts: HashMap<String, (u64, u64)> = HashMap::new();
    for (batch_no, batch) in found.files.chunks(BATCH_FILES).enumerate() {
        let parsed: Vec<_> = batch.par_iter().map(|p| ingest::parse_file(p)).collect();
        for (k, (file, bytes)) in parsed.into_iter().enumerate() {
            let file_order = (batch_no * BATCH_FILES + k) as u64;
            summary.files += 1;
            summary.bytes += bytes;
            for p in &file.problems {
                progress.suspend(|| report(p, &mut summary));
            }
            let Some(records) = file.records else { continue };
            let (admission, problem) = registry.admit(&records.page);
            if let Some(p) = problem {
                progress.suspend(|| report(&p, &mut summary));
            }
            let key = page_key(&records.page);
            match admission {
                Admission::Rejected => continue,
                Admission::Replaces => {
                    writer.delete_term(Term::from_field_text(fields.page_key, &key));
                    if let Some((captions, methods)) = counts.remove(&key) {
                        summary.pages -= 1;
                        summary.captions -= captions;
                        summary.methods -= methods;
                    }
                }
                Admission::New => {}
            }
            for doc in documents(&fields, &records, file_order) {
                writer.add_document(doc).map_err(|e| Error::tantivy(dir, e))?;
            }
            let (captions, methods) = (records.captions.len() as u64, records.methods.len() as u64);
            summary.pages += 1;
            summary.captions += captions;
            summary.methods += methods;
            counts.insert(key, (captions, methods));
        }
        progress.inc(batch.len() as u64);
    }
    progress.finish_and_clear();

    let info = CommitInfo {
        paperdex_schema: schema::SCHEMA_VERSION,
        pages: summary.pages,
        captions: summary.captions,
        methods: summary.methods,
        roots: options.roots.iter().map(|r| r.display().to_string()).collect(),
    };
    let mut prepared = writer.prepare_commit().map_err(|e| Error::tantivy(dir, e))?;
    prepared.set_payload(&serde_json::to_string(&info)?);
    prepared.commit().map_err(|e| Error::tantivy(dir, e))?;
    // One segment searches fastest; each indexing thread leaves its own.
    let segments = index.searchable_segment_ids().map_err(|e| Error::tantivy(dir, e))?;
    if segments.len() > 1 {
        writer.merge(&segments).wait().map_err(|e| Error::tantivy(dir, e))?;
    }
    writer.wait_merging_threads().map_err(|e| Error::tantivy(dir, e))?;
    summary.seconds = started.elapsed().as_secs_f64();
    summary.peak_rss = proc_status_bytes("VmHWM:");
    summary.peak_heap = heap.stop();
    Ok(summary)
}

/// Opens the index at `dir`, or creates an empty one there. A folder that holds an index
/// paperdex did not write is refused rather than overwritten.
fn open_or_create(dir: &Path) -> Result<(Index, super::Fields)> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write { path: dir.to_path_buf(), source })?;
    if super::exists(dir) {
        let index = super::open_tantivy(dir)?;
        match super::check(&index, dir, true) {
            Ok((_, fields)) => return Ok((index, fields)),
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
    index.tokenizers().register(tokenizer::ANALYZER, tokenizer::analyzer());
    Ok((index, fields))
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
