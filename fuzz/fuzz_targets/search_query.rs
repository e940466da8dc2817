//! Any text as a query (with and without typo tolerance) on the default corpus's index:
//! hits or an error, never a panic.
#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use paperdex::index::{IndexOptions, NoProgress, PaperdexIndex, UpdateRequest, open, update};
use paperdex::search::{SearchRequest, search};

static INDEX: LazyLock<(tempfile::TempDir, PaperdexIndex)> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("temp dir");
    let idx = dir.path().join("idx");
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus");
    let request = UpdateRequest { roots: vec![corpus], ..UpdateRequest::default() };
    let options = IndexOptions { threads: 1, ..IndexOptions::default() };
    update(&idx, &request, &options, &NoProgress).expect("index built");
    let px = open(&idx, "").expect("index opens");
    (dir, px)
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (_, px) = &*INDEX;
    let reader = px.index.reader().expect("reader");
    let searcher = reader.searcher();
    for fuzzy in [false, true] {
        let request = SearchRequest { query: Some(text.to_owned()), fuzzy, ..SearchRequest::default() };
        let _ = search(px, &searcher, &request);
    }
});
