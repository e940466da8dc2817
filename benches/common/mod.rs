//! Shared set-up for the benches: a synthetic corpus learned from the real pages.

use std::path::{Path, PathBuf};

/// The real pages to learn from: the default corpus, plus ../shared when present.
pub fn learn_roots() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    [root.join("corpus"), root.join("../shared/corpus/reviews")].into_iter().filter(|p| p.is_dir()).collect()
}

/// Writes `pages` synthetic pages into `dir` and returns their total size in bytes.
pub fn synth_corpus(dir: &Path, pages: usize) -> u64 {
    let model = paperdex::synth::learn(&learn_roots());
    paperdex::synth::write_corpus(&model, dir, pages, 1).expect("synthetic corpus").bytes
}
