//! Query latency per query class on a synthetic index: the same classes and query
//! drawing as `paperdex bench`, measured by criterion.

mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use paperdex::bench::{CLASSES, default_queries};
use paperdex::index::{IndexOptions, NoProgress, UpdateRequest, open, update};
use paperdex::search::search;

const PAGES: usize = 2000;

fn query_classes(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let pages = dir.path().join("pages");
    common::synth_corpus(&pages, PAGES);
    let idx = dir.path().join("idx");
    let request = UpdateRequest { roots: vec![pages], rebuild: true, ..UpdateRequest::default() };
    let options = IndexOptions { threads: 2, ..IndexOptions::default() };
    update(&idx, &request, &options, &NoProgress).expect("index built");
    let px = open(&idx, "").expect("index opens");
    let reader = px.index.reader().expect("reader");
    let searcher = reader.searcher();
    let queries = default_queries(&px, &searcher).expect("queries");
    let mut group = c.benchmark_group(format!("query ({PAGES} pages)"));
    for class in CLASSES {
        let members: Vec<_> = queries.iter().filter(|q| q.class == *class).collect();
        group.bench_function(*class, |b| {
            let mut next = 0;
            b.iter(|| {
                let q = members[next % members.len()];
                next += 1;
                search(&px, &searcher, &q.request).expect("search")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, query_classes);
criterion_main!(benches);
