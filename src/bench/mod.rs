//! Query-speed measurement: query classes drawn from an index's own vocabulary (or read
//! from a file), run with warm-up, timed per run, and summarised as percentiles and
//! throughput on one thread and on several; and each query again in fresh processes, cold.

pub mod cold;
pub mod fts5;
pub mod plot;
mod queries;

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tantivy::Searcher;

pub use cold::{ColdSample, FreshSearch};
pub use queries::{BenchQuery, CLASSES, default_queries, load_queries};

use crate::error::{Error, Result};
use crate::index::PaperdexIndex;
use crate::search;

/// The machine a run was measured on.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexInfo {
    pub path: String,
    pub records: u64,
    pub bytes: u64,
}

/// One query class's figures. Latencies are the median over the repeats of each repeat's
/// percentile, with the lowest and highest repeat beside the p50 and the p99: the spread
/// a change must leave to count.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassReport {
    pub class: String,
    pub queries: usize,
    /// Matching records, summed over the class's queries (one run each).
    pub hits: u64,
    pub p50_us: f64,
    #[serde(default)]
    pub p50_min_us: f64,
    #[serde(default)]
    pub p50_max_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    #[serde(default)]
    pub p99_min_us: f64,
    #[serde(default)]
    pub p99_max_us: f64,
    pub max_us: f64,
    /// Queries per second on one thread.
    pub qps: f64,
    /// Queries per second with `threads` threads searching at once.
    pub qps_threads: f64,
    /// Median of the search part alone (parse + collect), without stored-field fetch.
    pub search_p50_us: f64,
    /// Median of reading stored fields and making snippets for the top hits.
    pub fetch_p50_us: f64,
    /// The first search of a fresh `paperdex search` process, its own `took_us`: per repeat
    /// the median over the class's cold runs, then the median repeat, with the lowest and
    /// highest. Absent without cold runs (`--cold 0`, and reports from before them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_p50_us: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_p50_min_us: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_p50_max_us: Option<f64>,
    /// The whole fresh process, from spawn to exit, in milliseconds; summarised as
    /// `cold_p50_us`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_p50_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_p50_min_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_p50_max_ms: Option<f64>,
    /// With `--peer`: the peer's p50 and p99 over the same queries and runs (summarised
    /// over the repeats as paperdex's), and its p50 over paperdex's. Absent without a peer
    /// and for a class with a query the peer cannot run (a typo-tolerant one: FTS5 has no
    /// typo tolerance; one FTS5's syntax refuses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_p50_us: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_p50_min_us: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_p50_max_us: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_p99_us: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_ratio: Option<f64>,
    /// The queries of the class, as a `--queries` file line would give them.
    #[serde(default)]
    pub drawn: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchReport {
    pub machine: Machine,
    pub index: IndexInfo,
    pub warmup: usize,
    pub iterations: usize,
    pub threads: usize,
    /// How many times the whole measurement ran.
    #[serde(default = "one")]
    pub repeat: usize,
    /// Fresh `paperdex search` processes per query in each repeat; 0: no cold runs.
    #[serde(default)]
    pub cold: usize,
    /// The peer timed beside paperdex (`fts5`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    pub classes: Vec<ClassReport>,
    /// With a baseline: each class against it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub baseline: Vec<Comparison>,
}

fn one() -> usize {
    1
}

/// A class against a saved report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    pub class: String,
    pub baseline_p50_us: f64,
    pub p50_us: f64,
    /// `p50_us / baseline_p50_us - 1`.
    pub change: f64,
    /// `faster` or `slower` when the repeats of the two runs do not overlap, else `same`.
    pub verdict: String,
    /// When both reports have cold figures: the cold p50s, their change and verdict, as for
    /// the warm p50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_cold_p50_us: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_p50_us: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_change: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_verdict: Option<String>,
}

/// Compares `now` with a saved report, class by class: a change counts only when the two
/// runs' p50 ranges (lowest to highest repeat) do not overlap. The cold p50s are compared
/// the same way when both reports have them (older reports do not).
pub fn compare(now: &BenchReport, base: &BenchReport) -> Vec<Comparison> {
    now.classes
        .iter()
        .filter_map(|c| {
            let b = base.classes.iter().find(|b| b.class == c.class)?;
            // A report from before the spread was kept has the p50 alone.
            let warm = |r: &ClassReport| {
                let lo = if r.p50_min_us > 0.0 { r.p50_min_us } else { r.p50_us };
                (r.p50_us, lo, r.p50_max_us.max(r.p50_us))
            };
            let cold = |r: &ClassReport| {
                let mid = r.cold_p50_us?;
                Some((mid, r.cold_p50_min_us.unwrap_or(mid), r.cold_p50_max_us.unwrap_or(mid)))
            };
            let (change, verdict) = judge(warm(c), warm(b));
            let cold_judged = cold(c).zip(cold(b)).map(|(now, base)| judge(now, base));
            Some(Comparison {
                class: c.class.clone(),
                baseline_p50_us: b.p50_us,
                p50_us: c.p50_us,
                change,
                verdict: verdict.to_owned(),
                baseline_cold_p50_us: cold_judged.and(b.cold_p50_us),
                cold_p50_us: cold_judged.and(c.cold_p50_us),
                cold_change: cold_judged.map(|(change, _)| change),
                cold_verdict: cold_judged.map(|(_, verdict)| verdict.to_owned()),
            })
        })
        .collect()
}

/// A figure now against the baseline, each as (median, lowest, highest) over its repeats:
/// the relative change of the medians, and `slower` or `faster` only when the ranges do
/// not overlap.
fn judge((now, now_lo, now_hi): (f64, f64, f64), (base, base_lo, base_hi): (f64, f64, f64)) -> (f64, &'static str) {
    let verdict = if now_lo > base_hi {
        "slower"
    } else if now_hi < base_lo {
        "faster"
    } else {
        "same"
    };
    (if base > 0.0 { now / base - 1.0 } else { 0.0 }, verdict)
}

/// Settings of a run.
#[derive(Debug, Clone, Copy)]
pub struct BenchSettings {
    pub warmup: usize,
    pub iterations: usize,
    pub threads: usize,
    /// Times the whole measurement is repeated.
    pub repeat: usize,
}

/// Runs every class of `queries` and reports on each, in the order classes first appear;
/// with `cold`, each repeat then runs every query in fresh processes too; with `peer`,
/// each repeat times every class on the peer right after paperdex.
pub fn run(
    px: &PaperdexIndex,
    searcher: &Searcher,
    queries: &[BenchQuery],
    settings: BenchSettings,
    cold: Option<&FreshSearch>,
    mut peer: Option<&mut fts5::Fts5Peer>,
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
    let class_of: Vec<usize> =
        queries.iter().map(|q| classes.iter().position(|c| *c == q.class).unwrap_or_default()).collect();
    let cold = cold.filter(|c| c.runs > 0);
    // What a fresh process must find for each query: the count of the same search here.
    let expected_hits: Vec<usize> = match cold {
        Some(_) => {
            queries.iter().map(|q| Ok(search::search(px, searcher, &q.request)?.total_hits)).collect::<Result<_>>()?
        }
        None => Vec::new(),
    };
    let cold_order = interleaved(&class_of, classes.len());
    // Each repeat measures every class once, so slow drift on a shared machine spreads
    // over all of them rather than landing on one.
    let mut runs: Vec<Vec<ClassReport>> = vec![Vec::new(); classes.len()];
    for _ in 0..settings.repeat.max(1) {
        for (i, class) in classes.iter().enumerate() {
            let members: Vec<&BenchQuery> = queries.iter().filter(|q| q.class == *class).collect();
            let mut report = run_class(px, searcher, class, &members, settings)?;
            if let Some(peer) = peer.as_deref_mut()
                && let Some((p50, p99)) = peer_class(peer, class, &members, settings)?
            {
                (report.peer_p50_us, report.peer_p50_min_us, report.peer_p50_max_us) =
                    (Some(p50), Some(p50), Some(p50));
                report.peer_p99_us = Some(p99);
            }
            runs[i].push(report);
        }
        let Some(fresh) = cold else { continue };
        // After the warm runs, so the index files are in the page cache: what stays cold is
        // the process (its first touch of the mapped files, stored-field blocks, set-up).
        let mut samples: Vec<Vec<ColdSample>> = vec![Vec::new(); classes.len()];
        for _ in 0..fresh.runs {
            for &q in &cold_order {
                samples[class_of[q]].push(fresh.run(&queries[q], expected_hits[q])?);
            }
        }
        for (class_runs, samples) in runs.iter_mut().zip(samples) {
            let Some(report) = class_runs.last_mut() else { continue };
            let median = |mut v: Vec<f64>| {
                v.sort_by(f64::total_cmp);
                percentile(&v, 50.0)
            };
            let took = median(samples.iter().map(|s| s.took_us).collect());
            let process = median(samples.iter().map(|s| s.process_ms).collect());
            (report.cold_p50_us, report.cold_p50_min_us, report.cold_p50_max_us) = (Some(took), Some(took), Some(took));
            (report.process_p50_ms, report.process_p50_min_ms, report.process_p50_max_ms) =
                (Some(process), Some(process), Some(process));
        }
    }
    let reports = classes
        .iter()
        .zip(runs)
        .map(|(class, repeats)| {
            let mut report = summarise(repeats);
            report.drawn = queries.iter().filter(|q| q.class == *class).map(BenchQuery::describe).collect();
            report
        })
        .collect();
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
        repeat: settings.repeat.max(1),
        cold: cold.map_or(0, |c| c.runs),
        peer: peer.map(|_| "fts5".to_owned()),
        classes: reports,
        baseline: Vec::new(),
    })
}

/// One class's queries on the peer, with the same warm-up and timed runs as paperdex's
/// (`run_class`): the p50 and p99 over all timed runs; `None` for a class the peer has no
/// equivalent of.
fn peer_class(
    peer: &mut fts5::Fts5Peer,
    class: &str,
    members: &[&BenchQuery],
    settings: BenchSettings,
) -> Result<Option<(f64, f64)>> {
    // A class gets a peer figure only when the peer can run every one of its queries.
    if !members.iter().all(|q| fts5::Fts5Peer::runs(class, &q.request)) {
        return Ok(None);
    }
    for q in members {
        for run in 0..settings.warmup.max(1) {
            match peer.run_bench_query(class, &q.request) {
                Ok(()) => {}
                // A query FTS5's syntax refuses (paperdex reads any text): no figure for
                // the class, said on stderr, and the bench goes on.
                Err(Error::Peer(message)) if run == 0 => {
                    let _ = writeln!(
                        std::io::stderr(),
                        "paperdex: warning: FTS5 cannot run `{}` ({message}); no peer figure for {class}",
                        q.describe().replace('\t', " ")
                    );
                    return Ok(None);
                }
                Err(e) => return Err(e),
            }
        }
    }
    let mut total = Vec::with_capacity(members.len() * settings.iterations);
    for _ in 0..settings.iterations {
        for q in members {
            let t = Instant::now();
            peer.run_bench_query(class, &q.request)?;
            total.push(t.elapsed().as_nanos() as f64 / 1000.0);
        }
    }
    total.sort_by(f64::total_cmp);
    Ok(Some((percentile(&total, 50.0), percentile(&total, 99.0))))
}

/// One class's repeats as one report: the median repeat's figures (by p50), with the
/// percentiles as medians over the repeats (the p50 and p99 with their lowest and
/// highest) and the slowest run of all.
fn summarise(mut repeats: Vec<ClassReport>) -> ClassReport {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let p50s: Vec<f64> = repeats.iter().map(|r| r.p50_us).collect();
    let p90s: Vec<f64> = repeats.iter().map(|r| r.p90_us).collect();
    let p99s: Vec<f64> = repeats.iter().map(|r| r.p99_us).collect();
    let max = repeats.iter().map(|r| r.max_us).fold(0.0, f64::max);
    let cold: Vec<Option<f64>> = repeats.iter().map(|r| r.cold_p50_us).collect();
    let process: Vec<Option<f64>> = repeats.iter().map(|r| r.process_p50_ms).collect();
    let peer_p50s: Vec<Option<f64>> = repeats.iter().map(|r| r.peer_p50_us).collect();
    let peer_p99s: Vec<Option<f64>> = repeats.iter().map(|r| r.peer_p99_us).collect();
    repeats.sort_by(|a, b| a.p50_us.total_cmp(&b.p50_us));
    let mut report = repeats.swap_remove(repeats.len() / 2);
    report.max_us = max;
    report.p90_us = median(p90s);
    report.p50_us = median(p50s.clone());
    report.p50_min_us = p50s.iter().copied().fold(f64::INFINITY, f64::min);
    report.p50_max_us = p50s.iter().copied().fold(0.0, f64::max);
    report.p99_us = median(p99s.clone());
    report.p99_min_us = p99s.iter().copied().fold(f64::INFINITY, f64::min);
    report.p99_max_us = p99s.iter().copied().fold(0.0, f64::max);
    (report.cold_p50_us, report.cold_p50_min_us, report.cold_p50_max_us) = median_and_range(&cold);
    (report.process_p50_ms, report.process_p50_min_ms, report.process_p50_max_ms) = median_and_range(&process);
    (report.peer_p50_us, report.peer_p50_min_us, report.peer_p50_max_us) = median_and_range(&peer_p50s);
    report.peer_p99_us = median_and_range(&peer_p99s).0;
    report.peer_ratio = report.peer_p50_us.map(|peer| peer / report.p50_us.max(1e-3));
    report
}

/// The median, lowest and highest of the values there are; none without any.
fn median_and_range(values: &[Option<f64>]) -> (Option<f64>, Option<f64>, Option<f64>) {
    let mut v: Vec<f64> = values.iter().flatten().copied().collect();
    if v.is_empty() {
        return (None, None, None);
    }
    v.sort_by(f64::total_cmp);
    (Some(v[v.len() / 2]), v.first().copied(), v.last().copied())
}

/// Query positions taking one query of each class in turn (the first of every class, then
/// the second, ...), so that drift during a cold pass lands on every class alike.
fn interleaved(class_of: &[usize], classes: usize) -> Vec<usize> {
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for (q, &c) in class_of.iter().enumerate() {
        by_class[c].push(q);
    }
    let longest = by_class.iter().map(Vec::len).max().unwrap_or(0);
    (0..longest).flat_map(|k| by_class.iter().filter_map(move |members| members.get(k).copied())).collect()
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
    let (p50, p99) = (percentile(&total, 50.0), percentile(&total, 99.0));
    Ok(ClassReport {
        class: class.to_owned(),
        queries: members.len(),
        hits,
        p50_us: p50,
        p50_min_us: p50,
        p50_max_us: p50,
        p90_us: percentile(&total, 90.0),
        p99_us: p99,
        p99_min_us: p99,
        p99_max_us: p99,
        max_us: total.last().copied().unwrap_or(0.0),
        qps,
        qps_threads,
        search_p50_us: percentile(&searching, 50.0),
        fetch_p50_us: percentile(&fetching, 50.0),
        cold_p50_us: None,
        cold_p50_min_us: None,
        cold_p50_max_us: None,
        process_p50_ms: None,
        process_p50_min_ms: None,
        process_p50_max_ms: None,
        peer_p50_us: None,
        peer_p50_min_us: None,
        peer_p50_max_us: None,
        peer_p99_us: None,
        peer_ratio: None,
        drawn: Vec::new(),
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

    #[test]
    fn a_change_counts_beyond_both_spreads() {
        let (change, verdict) = judge((120.0, 118.0, 125.0), (100.0, 98.0, 103.0));
        assert!((change - 0.2).abs() < 1e-9 && verdict == "slower", "{change} {verdict}");
        assert_eq!(judge((80.0, 79.0, 82.0), (100.0, 98.0, 103.0)).1, "faster");
        assert_eq!(judge((101.0, 97.0, 104.0), (100.0, 98.0, 103.0)).1, "same");
        assert_eq!(judge((5.0, 5.0, 5.0), (0.0, 0.0, 0.0)).0, 0.0);
    }

    #[test]
    fn cold_runs_take_the_classes_in_turn() {
        // Classes 0, 0, 0, 1, 2, 2: one of each in turn, the longest class last.
        assert_eq!(interleaved(&[0, 0, 0, 1, 2, 2], 3), [0, 3, 4, 1, 5, 2]);
        assert_eq!(interleaved(&[], 0), Vec::<usize>::new());
    }

    #[test]
    fn cold_figures_are_the_median_repeat_with_the_range() {
        assert_eq!(median_and_range(&[Some(3.0), Some(1.0), Some(2.0)]), (Some(2.0), Some(1.0), Some(3.0)));
        assert_eq!(median_and_range(&[None, None]), (None, None, None));
    }
}
