//! `paperdex eval`: ranking quality on judged topics, for paperdex and (with `--peer`)
//! for a peer on the same records in the same run.

use std::io::Write;
use std::time::Instant;

use serde::Serialize;

use crate::bench::fts5::{self, Fts5Peer};
use crate::cli::{EvalArgs, Peer};
use crate::commands::Outcome;
use crate::config::IndexDir;
use crate::error::{Error, Result};
use crate::eval::{self, Metrics, QueryMode, Ranked, SystemReport, SystemRun, Topic};
use crate::index;
use crate::search::RecordKind;

/// What `paperdex eval --json` prints.
#[derive(Debug, Serialize)]
struct EvalReport {
    index: String,
    /// Judged topics evaluated (those with at least one relevant document).
    topics: usize,
    mode: QueryMode,
    depth: usize,
    kinds: Vec<String>,
    systems: Vec<SystemReport>,
    /// Per peer: paperdex's figure over the peer's, per metric.
    ratios: Vec<Ratio>,
}

#[derive(Debug, Serialize)]
struct Ratio {
    over: String,
    #[serde(flatten)]
    metrics: Metrics,
}

pub fn run(args: &EvalArgs) -> Result<Outcome> {
    if args.depth == 0 {
        return Err(Error::BadArgument("--depth must be at least 1".into()));
    }
    let kinds: Vec<RecordKind> = args
        .kind
        .iter()
        .map(|k| k.parse().map_err(|e| Error::BadArgument(format!("--kind {k}: {e}"))))
        .collect::<Result<_>>()?;
    let topics = eval::read_topics(&args.topics)?;
    let qrels = eval::read_qrels(&args.qrels)?;
    let judged = eval::judged_topics(&topics, &qrels);
    if judged.is_empty() {
        return Err(Error::BadArgument(format!(
            "no topic of {} has a relevant document in {}; are they the same collection?",
            args.topics.display(),
            args.qrels.display()
        )));
    }
    let dir = IndexDir::from_location(&args.location);
    let px = index::open(&dir.path, &dir.build_hint())?;
    let reader = px.index.reader().map_err(|e| Error::tantivy(&dir.path, e))?;
    let searcher = reader.searcher();
    let mut err = std::io::stderr();
    let _ = writeln!(
        err,
        "evaluating {} (of {} in {}) on {}",
        crate::output::human::count(judged.len(), "judged topic", "judged topics"),
        topics.len(),
        args.topics.display(),
        dir.path.display()
    );

    warn_of_absent_documents(&mut err, &px, &searcher, &judged, &qrels, &dir.path);
    if args.depth < 100 {
        let _ = writeln!(
            err,
            "note: with --depth {}, every figure counts only the top {} hits of a topic (as trec_eval does on a run that short): Recall@100 is recall at {}",
            args.depth, args.depth, args.depth
        );
    }
    // The run file is made before any topic runs: a path that cannot be written is said
    // at once, not after the whole run.
    let mut run_file = match &args.run {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|source| Error::Write { path: path.clone(), source })?,
        )),
        None => None,
    };
    let started = Instant::now();
    let ours = eval::run_paperdex(&px, &searcher, &judged, args.mode, &kinds, args.depth, |_| {})?;
    let _ = writeln!(
        err,
        "paperdex: {} in {:.2} s",
        crate::output::human::count(judged.len(), "topic", "topics"),
        started.elapsed().as_secs_f64()
    );
    report_failures(&mut err, "paperdex", &ours);
    if let (Some(path), Some(mut file)) = (&args.run, run_file.take()) {
        eval::write_run(&mut file, "paperdex", &ours)
            .and_then(|()| file.flush())
            .map_err(|source| Error::Write { path: path.clone(), source })?;
        let _ = writeln!(err, "wrote the run to {}", path.display());
    }
    let mut systems = vec![eval::score("paperdex", &ours, &judged, &qrels)];
    for peer in &args.peer {
        let theirs = match peer {
            Peer::Fts5 => {
                let started = Instant::now();
                let db = Fts5Peer::from_index(&px, &searcher, None)?;
                let _ = writeln!(err, "fts5: loaded the index's records in {:.2} s", started.elapsed().as_secs_f64());
                let started = Instant::now();
                let run = run_fts5(&db, &judged, args, &kinds)?;
                let _ = writeln!(
                    err,
                    "fts5: {} in {:.2} s",
                    crate::output::human::count(judged.len(), "topic", "topics"),
                    started.elapsed().as_secs_f64()
                );
                report_failures(&mut err, "fts5", &run);
                run
            }
            Peer::Xapian => {
                let started = Instant::now();
                match eval::xapian::run(&px, &searcher, &judged, args.mode, &kinds, args.depth)? {
                    Some(run) => {
                        let _ = writeln!(
                            err,
                            "xapian: {} in {:.2} s",
                            crate::output::human::count(judged.len(), "topic", "topics"),
                            started.elapsed().as_secs_f64()
                        );
                        run
                    }
                    None => {
                        let _ = writeln!(
                            err,
                            "warning: xapian: no python3 with the xapian module (Debian's python3-xapian); skipped"
                        );
                        continue;
                    }
                }
            }
        };
        systems.push(eval::score(peer_name(*peer), &theirs, &judged, &qrels));
    }
    let ratios = systems[1..]
        .iter()
        .map(|peer| {
            let r = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
            let (a, b) = (&systems[0].mean, &peer.mean);
            Ratio {
                over: peer.system.clone(),
                metrics: Metrics {
                    ndcg_10: r(a.ndcg_10, b.ndcg_10),
                    map: r(a.map, b.map),
                    mrr_10: r(a.mrr_10, b.mrr_10),
                    p_10: r(a.p_10, b.p_10),
                    recall_100: r(a.recall_100, b.recall_100),
                },
            }
        })
        .collect();
    if !args.per_topic {
        for s in &mut systems {
            s.per_topic.clear();
        }
    }
    let report = EvalReport {
        index: dir.path.display().to_string(),
        topics: judged.len(),
        mode: args.mode,
        depth: args.depth,
        kinds: args.kind.clone(),
        systems,
        ratios,
    };
    crate::output::print_report(args.json, &report, |out, r| Ok(write_human(out, r)?))?;
    Ok(Outcome::Found)
}

fn peer_name(peer: Peer) -> &'static str {
    match peer {
        Peer::Fts5 => "fts5",
        Peer::Xapian => "xapian",
    }
}

/// The same topics through FTS5: the protocol's words, quoted, joined by OR (or AND).
fn run_fts5(db: &Fts5Peer, topics: &[&Topic], args: &EvalArgs, kinds: &[RecordKind]) -> Result<SystemRun> {
    let mut run = SystemRun::default();
    for topic in topics {
        let words = eval::topic_words(&topic.text);
        let query = match args.mode {
            QueryMode::Or => fts5::words_query(&words, true),
            QueryMode::And => fts5::words_query(&words, false),
            QueryMode::AsTyped => topic.text.clone(),
        };
        if query.trim().is_empty() {
            run.by_topic.insert(topic.id.clone(), Vec::new());
            continue;
        }
        match db.rank(&query, kinds, args.depth) {
            Ok(rows) => {
                let mut ranked: Vec<Ranked> = rows.into_iter().map(|(doc, score)| Ranked { doc, score }).collect();
                eval::trec_order(&mut ranked);
                run.by_topic.insert(topic.id.clone(), ranked);
            }
            Err(e) if args.mode == QueryMode::AsTyped => {
                run.failures.push((topic.id.clone(), e.to_string()));
                run.by_topic.insert(topic.id.clone(), Vec::new());
            }
            Err(e) => return Err(e),
        }
    }
    Ok(run)
}

fn report_failures(err: &mut impl Write, system: &str, run: &SystemRun) {
    for (topic, reason) in &run.failures {
        let _ = writeln!(err, "warning: {system}: topic {topic} scores 0: {}", reason.replace('\n', " "));
    }
}

/// Warns when relevant documents of the judged topics are not in the index (another
/// collection, or a part of it): every system scores them as missed.
fn warn_of_absent_documents(
    err: &mut impl Write,
    px: &crate::index::PaperdexIndex,
    searcher: &tantivy::Searcher,
    judged: &[&eval::Topic],
    qrels: &std::collections::HashMap<String, eval::Judgments>,
    index: &std::path::Path,
) {
    let mut relevant: Vec<&str> = judged
        .iter()
        .flat_map(|t| qrels[&t.id].iter().filter(|(_, gain)| **gain >= 1).map(|(doc, _)| doc.as_str()))
        .collect();
    relevant.sort_unstable();
    relevant.dedup();
    let absent: Vec<&str> = relevant
        .iter()
        .copied()
        .filter(|doc| searcher.doc_freq(&tantivy::Term::from_field_text(px.fields.id, doc)).unwrap_or(0) == 0)
        .collect();
    if let Some(first) = absent.first() {
        let _ = writeln!(
            err,
            "warning: {} of the {} relevant documents of these topics are not in the index at {} (`{first}` among them): every system scores them as missed",
            absent.len(),
            relevant.len(),
            index.display()
        );
    }
}

/// Reads one metric of a system's figures.
type MetricOf = fn(&Metrics) -> f64;

const METRICS: [(&str, MetricOf); 5] = [
    ("nDCG@10", |m| m.ndcg_10),
    ("MAP", |m| m.map),
    ("MRR@10", |m| m.mrr_10),
    ("P@10", |m| m.p_10),
    ("Recall@100", |m| m.recall_100),
];

fn write_human(out: &mut impl Write, report: &EvalReport) -> std::io::Result<()> {
    let kinds = if report.kinds.is_empty() { "all kinds".to_owned() } else { report.kinds.join(", ") };
    let mode = match report.mode {
        QueryMode::Or => "or",
        QueryMode::And => "and",
        QueryMode::AsTyped => "as-typed",
    };
    writeln!(
        out,
        "{} · mode {mode} · depth {} · {kinds}",
        crate::output::human::count(report.topics, "judged topic", "judged topics"),
        report.depth
    )?;
    write!(out, "{:<12}", "metric")?;
    for s in &report.systems {
        write!(out, " {:>10}", s.system)?;
    }
    for r in &report.ratios {
        write!(out, " {:>16}", format!("paperdex/{}", r.over))?;
    }
    writeln!(out)?;
    for (name, get) in METRICS {
        write!(out, "{name:<12}")?;
        for s in &report.systems {
            write!(out, " {:>10.3}", get(&s.mean))?;
        }
        for r in &report.ratios {
            write!(out, " {:>15.2}x", get(&r.metrics))?;
        }
        writeln!(out)?;
    }
    if report.systems.iter().any(|s| !s.per_topic.is_empty()) {
        writeln!(out)?;
        write!(out, "{:<10}", "topic")?;
        for s in &report.systems {
            write!(out, " {:>18} {:>8}", format!("{} nDCG@10", s.system), "AP")?;
        }
        writeln!(out)?;
        for (i, t) in report.systems[0].per_topic.iter().enumerate() {
            write!(out, "{:<10}", t.topic)?;
            for s in &report.systems {
                let m = &s.per_topic[i].metrics;
                write!(out, " {:>18.3} {:>8.3}", m.ndcg_10, m.map)?;
            }
            writeln!(out)?;
        }
    }
    Ok(())
}
