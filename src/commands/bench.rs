//! `paperdex bench`: query latency percentiles and throughput per query class.

use std::io::Write;

use crate::bench::{self, BenchReport, BenchSettings};
use crate::cli::BenchArgs;
use crate::commands::Outcome;
use crate::config::IndexDir;
use crate::error::{Error, Result};
use crate::index;
use crate::output;

/// The most warm-up or timed runs of each query.
pub const MAX_RUNS: usize = 100_000;

pub fn run(args: &BenchArgs) -> Result<Outcome> {
    let dir = IndexDir::from_location(&args.location);
    super::engine_guard(&dir.path, || bench(args, &dir))
}

fn bench(args: &BenchArgs, dir: &IndexDir) -> Result<Outcome> {
    if args.iterations == 0 || args.iterations > MAX_RUNS {
        return Err(Error::BadArgument(format!("--iterations must be between 1 and {MAX_RUNS}")));
    }
    if args.warmup > MAX_RUNS {
        return Err(Error::BadArgument(format!("--warmup must be at most {MAX_RUNS}")));
    }
    if args.threads.is_some_and(|t| t == 0 || t > super::index::MAX_THREADS) {
        return Err(Error::BadArgument(format!("--threads must be between 1 and {}", super::index::MAX_THREADS)));
    }
    let queries = match &args.queries {
        Some(path) => Some(bench::load_queries(path)?),
        None => None,
    };
    let px = index::open(&dir.path, &dir.build_hint())?;
    let searcher = px.searcher();
    let queries = match queries {
        Some(q) => q,
        None => bench::default_queries(&px, &searcher)?,
    };
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let settings = BenchSettings { warmup: args.warmup, iterations: args.iterations, threads };
    let _ = writeln!(
        std::io::stderr(),
        "benchmarking {} queries, {} warm-up and {} timed runs each, throughput on 1 and {threads} threads",
        queries.len(),
        args.warmup,
        args.iterations
    );
    let report: BenchReport = bench::run(&px, &searcher, &queries, settings)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        output::human::write_bench(&mut out, &report)?;
    }
    out.flush()?;
    Ok(Outcome::Found)
}
