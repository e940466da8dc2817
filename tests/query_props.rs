//! Property test: any query text, with or without typo tolerance, gives hits or a
//! clear error from the search library, never a panic.

mod common;

use std::sync::LazyLock;

use paperdex::index::{IndexOptions, NoProgress, PaperdexIndex, UpdateRequest, open, update};
use paperdex::search::{SearchRequest, search};
use proptest::prelude::*;
use tempfile::TempDir;

static INDEX: LazyLock<(TempDir, PaperdexIndex)> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("idx");
    let request = UpdateRequest { roots: vec![common::root().join("corpus")], ..UpdateRequest::default() };
    let options = IndexOptions { threads: 1, ..IndexOptions::default() };
    update(&idx, &request, &options, &NoProgress).unwrap();
    let px = open(&idx, "").unwrap();
    (dir, px)
});

fn query_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "\"",
        "(",
        ")",
        "*",
        "-",
        "+",
        ":",
        "^",
        "~",
        "'",
        "\\",
        "/",
        "[",
        "]",
        "{",
        "}",
        " AND ",
        " OR ",
        " NOT ",
        "title:",
        "name:",
        "nofield:",
        "IN [",
        "λ",
        "모델",
        "fine-tuning",
        "MoMA",
        "eclipse",
        " ",
        "a",
        "2024",
        "\u{1}",
        "phys*",
        "Yo'LLaVA",
    ]);
    prop_oneof![prop::collection::vec(pieces, 0..12).prop_map(|p| p.concat()), "\\PC{0,40}",]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_query_gives_hits_or_an_error(text in query_text(), fuzzy in any::<bool>(), limit in 0usize..20) {
        let (_, px) = &*INDEX;
        let reader = px.index.reader().unwrap();
        let searcher = reader.searcher();
        let request = SearchRequest { query: Some(text.clone()), fuzzy, limit, ..SearchRequest::default() };
        match search(px, &searcher, &request) {
            Ok(results) => prop_assert!(results.hits.len() <= limit),
            Err(e) => prop_assert!(!e.to_string().is_empty(), "{text:?}"),
        }
    }
}
