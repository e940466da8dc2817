//! Query-speed measurement: query classes drawn from an index's own vocabulary (or read
//! from a file), run with warm-up, timed per run, and summarised as percentiles and
//! throughput on one thread and on several.

pub mod fts5;
mod queries;

use std::path::Path;
use std::time::Instant;

use serde::Serialize;
use tantivy::Searcher;

pub use queries::{BenchQuery, CLASSES, default_queries, load_queries};

use crate::error::{Error, Result};
use crate::index::PaperdexIndex;
use crate::search;

/// The machine a run was measured on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub cpu_model: String,
    pub memory_mb: u64,
    pub os: String,
}

impl Machine {
    pub fn this() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_mb = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024);
        Machine {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
            memory_mb,
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        }
    }
}

/// The index a run was measured on.
#[derive(Debug, Clone, Serialize)]
pub struct IndexInfo {
    pub path: String,
    pub records: u64,
    pub bytes: u64,
}

/// One query class's figures.
#[derive(Debug, Clone, Serialize)]
pub struct ClassReport {
    pub class: String,
    pub queries: usize,
    /// Matching records, summed over the class's queries (one run each).
    pub hits: u64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    /// Queries per second on one thread.
    pub qps: f64,
    /// Queries per second with `threads` threads searching at once.
    pub qps_threads: f64,
    /// Median of the search part alone (parse + collect), without stored-field fetch.
    pub search_p50_us: f64,
    /// Median of reading stored fields and making snippets for the top hits.
    pub fetch_p50_us: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub machine: Machine,
    pub index: IndexInfo,
    pub warmup: usize,
    pub iterations: usize,
    pub threads: usize,
    pub classes: Vec<ClassReport>,
}

/// Settings of a run.
#[derive(Debug, Clone, Copy)]
pub struct BenchSettings {
    pub warmup: usize,
    pub iterations: usize,
    pub threads: usize,
}

/// Runs every class of `queries` and reports on each, in the order classes first appear.
pub fn run(
    px: &PaperdexIndex,
    searcher: &Searcher,
    queries: &[BenchQuery],
    settings: BenchSettings,
) -> Result<BenchReport> {
    if settings.iterations == 0 {
        return Err(Error::BadArgument("--iterations must be at least 1".into()));
    }
    let mut classes: Vec<&str> = Vec::new();
    for q in queries {
        if !classes.contains(&q.class.as_str()) {
            classes.push(&q.class);
        }
    }
    let mut reports = Vec::new();
    for class in classes {
        let members: Vec<&BenchQuery> = queries.iter().filter(|q| q.class == class).collect();
        reports.push(run_class(px, searcher, class, &members, settings)?);
    }
    Ok(BenchReport {
        machine: Machine::this(),
        index: IndexInfo {
            path: px.path.display().to_string(),
            records: searcher.num_docs(),
            bytes: folder_bytes(&px.path),
        },
        warmup: settings.warmup,
        iterations: settings.iterations,
        threads: settings.threads,
        classes: reports,
    })
}

fn run_class(
    px: &PaperdexIndex,
    searcher: &Searcher,
    class: &str,
    members: &[&BenchQuery],
    settings: BenchSettings,
) -> Result<ClassReport> {
    let mut hits = 0u64;
    for q in members {
        let results = search::search(px, searcher, &q.request)?;
        hits += results.total_hits as u64;
        for _ in 1..settings.warmup {
            search::search(px, searcher, &q.request)?;
        }
    }
    let mut total = Vec::with_capacity(members.len() * settings.iterations);
    let mut searching = Vec::with_capacity(total.capacity());
    let mut fetching = Vec::with_capacity(total.capacity());
    let started = Instant::now();
    for _ in 0..settings.iterations {
        for q in members {
            let t = Instant::now();
            let results = search::search(px, searcher, &q.request)?;
            total.push(t.elapsed().as_nanos() as f64 / 1000.0);
            searching.push(results.search_us as f64);
            fetching.push(results.fetch_us as f64);
        }
    }
    let single_seconds = started.elapsed().as_secs_f64();
    let qps = total.len() as f64 / single_seconds.max(1e-9);
    let qps_threads = threaded_qps(px, searcher, members, settings)?;
    total.sort_by(f64::total_cmp);
    searching.sort_by(f64::total_cmp);
    fetching.sort_by(f64::total_cmp);
    Ok(ClassReport {
        class: class.to_owned(),
        queries: members.len(),
        hits,
        p50_us: percentile(&total, 50.0),
        p90_us: percentile(&total, 90.0),
        p99_us: percentile(&total, 99.0),
        max_us: total.last().copied().unwrap_or(0.0),
        qps,
        qps_threads,
        search_p50_us: percentile(&searching, 50.0),
        fetch_p50_us: percentile(&fetching, 50.0),
    })
}

/// Every thread runs the whole class `iterations` times; throughput is all runs over the
/// wall time.
fn threaded_qps(
    px: &PaperdexIndex,
    searcher: &Searcher,
    members: &[&BenchQuery],
    settings: BenchSettings,
) -> Result<f64> {
    let threads = settings.threads.max(1);
    let started = Instant::now();
    let outcomes: Vec<Result<usize>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> Result<usize> {
                    let mut runs = 0;
                    for _ in 0..settings.iterations {
                        for q in members {
                            search::search(px, searcher, &q.request)?;
                            runs += 1;
                        }
                    }
                    Ok(runs)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(Ok(0))).collect()
    });
    let seconds = started.elapsed().as_secs_f64();
    let mut runs = 0;
    for o in outcomes {
        runs += o?;
    }
    Ok(runs as f64 / seconds.max(1e-9))
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Total size of the files in a folder.
pub fn folder_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok()?.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 90.0), 90.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }
}
