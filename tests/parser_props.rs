//! Property tests: arbitrary bytes and mutated real pages never make the parser panic,
//! and every caption it yields is accounted for by a `🔼` line.

mod common;

use std::path::Path;
use std::sync::LazyLock;

use paperdex::ingest;
use proptest::prelude::*;

/// The seed page plus the real pages when ../shared is present.
static PAGES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let mut pages = vec![std::fs::read(common::seed_page()).unwrap()];
    if let Some(dir) = common::shared_reviews_if_present("parser_props mutates the seed page only") {
        pages.extend(common::review_pages(&dir).iter().map(|p| std::fs::read(p).unwrap()));
    }
    pages
});

#[derive(Debug, Clone)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Duplicate { at: usize, len: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    let fragments = prop::sample::select(vec![
        b"{{< table-caption >}}".to_vec(),
        b"{{< /table-caption >}}".to_vec(),
        b"\n> \xF0\x9F\x94\xBC ".to_vec(),
        b"<details>".to_vec(),
        b"<table><tr><td rowspan=\"99999\">".to_vec(),
        b"<math alttext=\"x>0\">".to_vec(),
        b"\n---\n".to_vec(),
        b"| Category | Mechanism | Examples |\n|---|---|---|\n| A | B (Sec. 1) | X Y et al. (2020) |".to_vec(),
        b"\xC3\xBC\xC2\xA7".to_vec(),
        b"\xff\xfe\x00".to_vec(),
        b"((((((((".to_vec(),
        b"{{<".to_vec(),
    ]);
    prop_oneof![
        (any::<usize>(), 0usize..4096).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), prop_oneof![fragments, prop::collection::vec(any::<u8>(), 0..64)])
            .prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
        (any::<usize>(), 0usize..2048).prop_map(|(at, len)| Edit::Duplicate { at, len }),
    ]
}

fn apply(mut page: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let n = page.len();
        match e {
            Edit::Delete { at, len } if n > 0 => {
                let at = at % n;
                let end = (at + len).min(n);
                page.drain(at..end);
            }
            Edit::Insert { at, bytes } => {
                let at = if n == 0 { 0 } else { at % (n + 1) };
                page.splice(at..at, bytes.iter().copied());
            }
            Edit::Duplicate { at, len } if n > 0 => {
                let at = at % n;
                let end = (at + len).min(n);
                let copy = page[at..end].to_vec();
                page.splice(at..at, copy);
            }
            _ => {}
        }
    }
    page
}

fn check(bytes: &[u8]) {
    let parsed = ingest::parse_bytes(Path::new("prop/2501.00001/index.md"), bytes);
    if let Some(records) = parsed.records {
        let text = String::from_utf8_lossy(bytes);
        let markers = text.matches('🔼').count() + text.matches("\u{F8FF}üîº").count();
        assert!(records.captions.len() <= markers, "{} captions, {markers} markers", records.captions.len());
    } else {
        assert!(parsed.problems.iter().any(|p| p.is_error()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        check(&bytes);
        let mut with_front = b"---\ntitle: t\n---\n".to_vec();
        with_front.extend_from_slice(&bytes);
        check(&with_front);
    }

    #[test]
    fn mutated_real_pages_never_panic(page in 0usize..64, edits in prop::collection::vec(edit(), 1..8)) {
        let base = PAGES[page % PAGES.len()].clone();
        check(&apply(base, &edits));
    }
}
