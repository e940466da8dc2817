//! Indexing throughput, end to end (read + parse + index + commit), in bytes of
//! Markdown per second, over a synthetic corpus learned from the real pages.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use paperdex::index::{IndexOptions, build_index};

const PAGES: usize = 500;

fn index_corpus(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let pages = dir.path().join("pages");
    let bytes = common::synth_corpus(&pages, PAGES);
    let options = IndexOptions { roots: vec![pages], threads: 2, rebuild: true, ..IndexOptions::default() };
    let mut group = c.benchmark_group("index");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function(format!("{PAGES} synthetic pages"), |b| {
        b.iter(|| {
            let out = tempfile::tempdir().expect("temp dir");
            build_index(&out.path().join("idx"), &options, |_| {}).expect("index built")
        })
    });
    group.finish();
}

criterion_group!(benches, index_corpus);
criterion_main!(benches);
