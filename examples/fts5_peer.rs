//! Side-by-side run against SQLite FTS5, the usual "just put it in SQLite" choice.
//!
//! The same synthetic pages are indexed by paperdex, and the index's records loaded into
//! an FTS5 table (`paperdex::bench::fts5`: one row per page, caption and method entry;
//! porter stemming), then the bench's query classes run on both in this one process: top
//! 10 by BM25, and facet counts by GROUP BY for FTS5. Prints medians per class and the
//! FTS5/paperdex ratio.
//!
//!     cargo run --release --example fts5_peer -- --pages 5000
//!
//! Options: `--pages N` (default 5000), `--iterations N` (default 20), `--seed S`,
//! `--dir DIR` (keep the corpus, index and database there instead of a temp folder).

use std::path::{Path, PathBuf};
use std::time::Instant;

use paperdex::bench::fts5::Fts5Peer;
use paperdex::bench::{BenchQuery, CLASSES, default_queries, percentile};
use paperdex::index::{IndexOptions, NoProgress, UpdateRequest, open, update};
use paperdex::search::search;

struct Args {
    pages: usize,
    iterations: usize,
    seed: u64,
    dir: Option<PathBuf>,
}

fn parse_args() -> Args {
    let mut args = Args { pages: 5000, iterations: 20, seed: 42, dir: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--pages" => args.pages = value.parse().expect("--pages takes a number"),
            "--iterations" => args.iterations = value.parse().expect("--iterations takes a number"),
            "--seed" => args.seed = value.parse().expect("--seed takes a number"),
            "--dir" => args.dir = Some(PathBuf::from(value)),
            other => panic!("unknown option {other}; see the comment at the top of examples/fts5_peer.rs"),
        }
    }
    args
}

fn main() {
    let args = parse_args();
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = args.dir.clone().unwrap_or_else(|| temp.path().to_path_buf());
    let pages_dir = dir.join("pages");
    if !pages_dir.is_dir() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let roots: Vec<PathBuf> =
            [root.join("corpus"), root.join("../shared/corpus/reviews")].into_iter().filter(|p| p.is_dir()).collect();
        let model = paperdex::synth::learn(&roots);
        let s = paperdex::synth::write_corpus(&model, &pages_dir, args.pages, args.seed).expect("synthetic pages");
        eprintln!("wrote {} synthetic pages ({:.1} MB)", s.pages, s.bytes as f64 / 1e6);
    }

    let idx = dir.join("paperdex-index");
    let t = Instant::now();
    let request = UpdateRequest { roots: vec![pages_dir.clone()], rebuild: true, ..UpdateRequest::default() };
    let options = IndexOptions { threads: 2, ..IndexOptions::default() };
    let summary = update(&idx, &request, &options, &NoProgress).expect("paperdex index");
    eprintln!(
        "paperdex: indexed {} records in {:.1} s",
        summary.pages + summary.captions + summary.methods,
        t.elapsed().as_secs_f64()
    );

    let px = open(&idx, "").expect("paperdex index opens");
    let reader = px.index.reader().expect("reader");
    let searcher = reader.searcher();
    let t = Instant::now();
    let mut db = Fts5Peer::from_index(&px, &searcher, Some(&dir.join("fts5.sqlite"))).expect("FTS5 database");
    eprintln!("fts5: loaded {} records in {:.1} s", searcher.num_docs(), t.elapsed().as_secs_f64());
    let queries = default_queries(&px, &searcher).expect("queries");
    let pages = summary.pages;

    println!(
        "{} pages, {} records; {} timed runs per query; medians in µs; one process, one thread",
        pages,
        searcher.num_docs(),
        args.iterations
    );
    println!("{:<14} {:>12} {:>12} {:>10}", "class", "paperdex", "fts5", "fts5/paperdex");
    for class in CLASSES {
        let members: Vec<&BenchQuery> = queries.iter().filter(|q| q.class == *class).collect();
        let ours = median_us(args.iterations, &members, |q| {
            search(&px, &searcher, &q.request).expect("paperdex search");
        });
        let theirs = if *class == "fuzzy" {
            None // FTS5 has no typo tolerance.
        } else {
            Some(median_us(args.iterations, &members, |q| db.run_bench_query(class, &q.request).expect("fts5 query")))
        };
        match theirs {
            Some(t) => println!("{class:<14} {ours:>12.1} {t:>12.1} {:>9.1}x", t / ours.max(0.001)),
            None => println!("{class:<14} {ours:>12.1} {:>12} {:>10}", "n/a", "n/a"),
        }
    }
}

/// The median over all runs of all queries, in microseconds (one untimed run first).
fn median_us(iterations: usize, queries: &[&BenchQuery], mut run: impl FnMut(&BenchQuery)) -> f64 {
    for q in queries {
        run(q);
    }
    let mut times = Vec::new();
    for _ in 0..iterations {
        for q in queries {
            let t = Instant::now();
            run(q);
            times.push(t.elapsed().as_nanos() as f64 / 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    percentile(&times, 50.0)
}
