//! `paperdex index`: add, update, rebuild or forget folders of review pages, reporting
//! problems, progress and a summary on stderr.

use std::io::Write;
use std::path::PathBuf;

use crate::cli::IndexArgs;
use crate::commands::Outcome;
use crate::config::{DEFAULT_CORPUS, IndexDir};
use crate::error::{Error, Result};
use crate::index::{self, IndexOptions, IndexSummary, UpdateRequest};
use crate::output::progress::TerminalProgress;

/// The most indexing threads (each has its own part of the memory budget).
pub const MAX_THREADS: usize = 64;
/// The largest writer memory budget.
pub const MAX_MEMORY_MB: usize = 64_000;
/// The least memory one indexing thread may have (tantivy's limit).
const MIN_MB_PER_THREAD: usize = 15;
/// The most memory one indexing thread may have (tantivy's limit is just under 4 GB).
const MAX_MB_PER_THREAD: usize = 4_000;

pub fn run(args: &IndexArgs) -> Result<Outcome> {
    let dir = IndexDir::from_location(&args.location);
    if args.memory_mb < MIN_MB_PER_THREAD || args.memory_mb > MAX_MEMORY_MB {
        return Err(Error::BadArgument(format!(
            "--memory-mb must be between {MIN_MB_PER_THREAD} (MB per indexing thread) and {MAX_MEMORY_MB}"
        )));
    }
    // Without --threads, as many threads as the cores and the memory allow.
    let threads = args.threads.unwrap_or_else(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
        cores.min(args.memory_mb / MIN_MB_PER_THREAD).max(1)
    });
    if threads == 0 || threads > MAX_THREADS {
        return Err(Error::BadArgument(format!("--threads must be between 1 and {MAX_THREADS}")));
    }
    if args.memory_mb < MIN_MB_PER_THREAD * threads {
        return Err(Error::BadArgument(format!(
            "--memory-mb {} is less than {MIN_MB_PER_THREAD} MB for each of {threads} threads: give at least {} or fewer --threads",
            args.memory_mb,
            MIN_MB_PER_THREAD * threads
        )));
    }
    if args.memory_mb / threads > MAX_MB_PER_THREAD {
        return Err(Error::BadArgument(format!(
            "--memory-mb {} is more than {MAX_MB_PER_THREAD} MB {}",
            args.memory_mb,
            if threads == 1 { "for one thread".to_owned() } else { format!("for each of {threads} threads") }
        )));
    }
    if args.commit_every == 0 {
        return Err(Error::BadArgument("--commit-every must be at least 1".into()));
    }
    let options = IndexOptions {
        memory_budget: args.memory_mb.saturating_mul(1_000_000),
        threads,
        commit_every: args.commit_every,
    };
    let request = UpdateRequest {
        roots: args.roots.clone(),
        forget: args.forget.clone(),
        rebuild: args.rebuild,
        default_roots: vec![PathBuf::from(DEFAULT_CORPUS)],
    };
    let summary = super::engine_guard(&dir.path, || build(&dir, &request, &options, args.quiet))?;
    Ok(if summary.pages > 0 { Outcome::Found } else { Outcome::NothingFound })
}

/// Runs `request` on the index at `dir`, printing problems, progress and the summary on
/// stderr.
pub fn build(dir: &IndexDir, request: &UpdateRequest, options: &IndexOptions, quiet: bool) -> Result<IndexSummary> {
    let progress = TerminalProgress::new(!quiet, !quiet);
    let summary = index::update(&dir.path, request, options, &progress)?;
    let _ = writeln!(std::io::stderr().lock(), "{}", summary_line(&dir.path, &summary));
    Ok(summary)
}

/// The one-line summary of an indexing run, as `paperdex index` and `paperdex serve --watch` print it.
pub fn summary_line(dir: &std::path::Path, s: &IndexSummary) -> String {
    format!(
        "indexed {}, {}, {} from {} into {} ({} added, {} updated, {} removed, {} unchanged{}): {} ({}), {:.2} MB in {:.2} s ({:.1} MB/s), peak heap {} MB",
        count(s.pages, "page"),
        count(s.captions, "caption"),
        count(s.methods, "method"),
        count(s.files as u64, "file"),
        dir.display(),
        s.added,
        s.updated,
        s.removed,
        s.unchanged,
        if s.skipped > 0 { format!(", {} skipped", s.skipped) } else { String::new() },
        count(s.problems as u64, "problem"),
        count(s.errors as u64, "error"),
        s.megabytes(),
        s.seconds,
        s.megabytes_per_second(),
        s.peak_heap >> 20
    )
}

/// `1 page`, `2 pages`.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}
