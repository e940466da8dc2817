//! `paperdex index`: build the index from review pages, reporting problems and a summary
//! on stderr.

use std::io::Write;
use std::path::PathBuf;

use crate::cli::IndexArgs;
use crate::commands::Outcome;
use crate::config::{DEFAULT_CORPUS, IndexDir};
use crate::error::Result;
use crate::index::{self, IndexOptions, IndexSummary};

pub fn run(args: &IndexArgs) -> Result<Outcome> {
    let dir = IndexDir::from_location(&args.location);
    let roots = if args.roots.is_empty() { vec![PathBuf::from(DEFAULT_CORPUS)] } else { args.roots.clone() };
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let options = IndexOptions {
        roots,
        memory_budget: args.memory_mb * 1_000_000,
        threads,
        progress: !args.quiet,
        rebuild: args.rebuild,
        commit_every: args.commit_every,
    };
    let summary = build(&dir, &options, args.quiet)?;
    Ok(if summary.pages > 0 { Outcome::Found } else { Outcome::NothingFound })
}

/// Builds the index at `dir`, printing problems and the summary on stderr.
pub fn build(dir: &IndexDir, options: &IndexOptions, quiet: bool) -> Result<IndexSummary> {
    let stderr = std::io::stderr();
    let summary = index::build_index(&dir.path, options, |problem| {
        if !quiet || problem.is_error() {
            let _ = writeln!(stderr.lock(), "{problem}");
        }
    })?;
    let _ = writeln!(stderr.lock(), "{}", summary_line(&dir.path, &summary));
    Ok(summary)
}

fn summary_line(dir: &std::path::Path, s: &IndexSummary) -> String {
    format!(
        "indexed {}, {}, {} from {} into {} ({} added, {} updated, {} removed, {} unchanged): {} ({} errors), {:.2} MB in {:.2} s ({:.1} MB/s), peak heap {} MB",
        count(s.pages, "page"),
        count(s.captions, "caption"),
        count(s.methods, "method"),
        count(s.files as u64, "file"),
        dir.display(),
        s.added,
        s.updated,
        s.removed,
        s.unchanged,
        count(s.problems as u64, "problem"),
        s.errors,
        s.megabytes(),
        s.seconds,
        s.megabytes_per_second(),
        s.peak_heap >> 20
    )
}

/// `1 page`, `2 pages`.
fn count(n: u64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}
