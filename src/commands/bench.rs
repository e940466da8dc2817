//! `paperdex bench`: query latency percentiles and throughput per query class.

use std::io::Write;

use crate::bench::{self, BenchReport, BenchSettings, FreshSearch};
use crate::cli::BenchArgs;
use crate::commands::Outcome;
use crate::config::IndexDir;
use crate::error::{Error, Result};
use crate::index;
use crate::output;

/// The most warm-up or timed runs of each query.
pub const MAX_RUNS: usize = 100_000;
/// The most repeats of a whole measurement.
pub const MAX_REPEAT: usize = 100;
/// The most fresh processes per query and repeat.
pub const MAX_COLD: usize = 1_000;

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
    if args.repeat == 0 || args.repeat > MAX_REPEAT {
        return Err(Error::BadArgument(format!("--repeat must be between 1 and {MAX_REPEAT}")));
    }
    if args.cold > MAX_COLD {
        return Err(Error::BadArgument(format!("--cold must be between 0 and {MAX_COLD} (0 skips the cold runs)")));
    }
    // A picture that cannot be written is said now, not after the whole run.
    if let Some(path) = &args.plot {
        let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        if !folder.is_dir() {
            return Err(Error::BadArgument(format!(
                "--plot {}: there is no folder {}",
                path.display(),
                folder.display()
            )));
        }
    }
    let baseline: Option<BenchReport> = match &args.baseline {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.clone(), source })?;
            Some(serde_json::from_str(&text).map_err(|e| {
                Error::BadArgument(format!("{} is not a `paperdex bench --json` report: {e}", path.display()))
            })?)
        }
        None => None,
    };
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
    let settings = BenchSettings { warmup: args.warmup, iterations: args.iterations, threads, repeat: args.repeat };
    // The cold runs start this very executable, so they measure the build being benched.
    let cold = match args.cold {
        0 => None,
        runs => {
            let exe = std::env::current_exe().map_err(|e| {
                Error::BadArgument(format!(
                    "cannot find paperdex's own executable for the cold runs ({e}); pass --cold 0"
                ))
            })?;
            Some(FreshSearch::new(&exe, &dir.path, runs))
        }
    };
    let _ = writeln!(
        std::io::stderr(),
        "benchmarking {}, {} warm-up and {} timed runs each, {} times over, throughput on 1 and {threads} threads{}",
        crate::output::human::count(queries.len(), "query", "queries"),
        args.warmup,
        args.iterations,
        args.repeat,
        match args.cold {
            0 => String::new(),
            n => format!("; cold: {n} fresh `paperdex search` processes per query and repeat"),
        }
    );
    let mut peer = match args.peer {
        Some(crate::cli::BenchPeer::Fts5) => {
            let started = std::time::Instant::now();
            let _ = writeln!(std::io::stderr(), "loading {} records into SQLite FTS5 ...", searcher.num_docs());
            let peer = bench::fts5::Fts5Peer::from_index(&px, &searcher, None)?;
            let _ = writeln!(std::io::stderr(), "loaded in {:.1} s", started.elapsed().as_secs_f64());
            Some(peer)
        }
        None => None,
    };
    let mut report: BenchReport = bench::run(&px, &searcher, &queries, settings, cold.as_ref(), peer.as_mut())?;
    if let Some(base) = &baseline {
        report.baseline = bench::compare(&report, base);
    }
    if let Some(path) = &args.plot {
        bench::plot::write_svg(&report, path)?;
        let _ = writeln!(std::io::stderr(), "drew {}", path.display());
    }
    crate::output::print_report(args.json, &report, output::human::write_bench)?;
    Ok(Outcome::Found)
}
