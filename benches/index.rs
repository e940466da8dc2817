//! Indexing throughput, end to end (read + parse + index + commit), in bytes of
//! Markdown per second, over a synthetic corpus learned from the real pages.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use paperdex::index::{IndexOptions, NoProgress, UpdateRequest, update};

const PAGES: usize = 500;

fn index_corpus(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let pages = dir.path().join("pages");
    let bytes = common::synth_corpus(&pages, PAGES);
    let request = UpdateRequest { roots: vec![pages], rebuild: true, ..UpdateRequest::default() };
    let options = IndexOptions { threads: 2, ..IndexOptions::default() };
    let mut group = c.benchmark_group("index");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function(format!("{PAGES} synthetic pages"), |b| {
        b.iter(|| {
            let out = tempfile::tempdir().expect("temp dir");
            update(&out.path().join("idx"), &request, &options, &NoProgress).expect("index built")
        })
    });
    group.finish();
}

criterion_group!(benches, index_corpus);
criterion_main!(benches);
