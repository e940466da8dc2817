//! Synthetic review pages in the real format, for benchmarking at any scale: vocabulary
//! and sizes are learned from real pages, words follow a Zipf law, and every page is a
//! pure function of (seed, page number), so runs are reproducible and parallel.

pub mod model;
mod page;

use std::path::{Path, PathBuf};

use rayon::prelude::*;

pub use model::{CorpusModel, CorpusStats, learn, median};
pub use page::{PageWriter, Zipf};

use crate::error::{Error, Result};

/// What a `synth` run wrote.
#[derive(Debug, Clone)]
pub struct SynthSummary {
    pub pages: usize,
    pub bytes: u64,
    pub seconds: f64,
    /// Paths of the pages written, in page order.
    pub paths: Vec<PathBuf>,
}

/// Writes `pages` synthetic pages under `out` (in `YYYY-MM-DD/<id>/index.md` folders).
pub fn write_corpus(model: &CorpusModel, out: &Path, pages: usize, seed: u64) -> Result<SynthSummary> {
    let started = std::time::Instant::now();
    let writer = PageWriter::new(model, pages, seed);
    let results: Vec<Result<(PathBuf, u64)>> = (0..pages)
        .into_par_iter()
        .map(|i| {
            let (rel, text) = writer.page(i);
            let path = out.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|source| Error::Write { path: parent.to_path_buf(), source })?;
            }
            std::fs::write(&path, text.as_bytes()).map_err(|source| Error::Write { path: path.clone(), source })?;
            Ok((path, text.len() as u64))
        })
        .collect();
    let mut summary = SynthSummary { pages, bytes: 0, seconds: 0.0, paths: Vec::with_capacity(pages) };
    for r in results {
        let (path, bytes) = r?;
        summary.bytes += bytes;
        summary.paths.push(path);
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}
