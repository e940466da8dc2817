//! Parsing throughput: bytes of review pages turned into records per second, over the
//! real pages in ../shared (or the default corpus when they are absent).

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn pages() -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/corpus/reviews");
    let dir = if shared.is_dir() {
        shared
    } else {
        eprintln!("note: ../shared/corpus/reviews is absent; measuring the default corpus only");
        root.join("corpus")
    };
    let found = paperdex::ingest::find_files(&[dir]);
    found.files.into_iter().map(|p| (p.clone(), std::fs::read(&p).expect("readable page"))).collect()
}

fn parse_pages(c: &mut Criterion) {
    let pages = pages();
    let bytes: usize = pages.iter().map(|(_, b)| b.len()).sum();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(format!("{} pages", pages.len()), |b| {
        b.iter(|| {
            for (path, page) in &pages {
                std::hint::black_box(paperdex::ingest::parse_bytes(path, page));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, parse_pages);
criterion_main!(benches);
