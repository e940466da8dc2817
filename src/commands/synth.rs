//! `paperdex synth`: writes a synthetic corpus and shows how it compares with the real
//! pages it was learned from (or, without enough of them, with the built-in model's).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::SynthArgs;
use crate::commands::Outcome;
use crate::config::DEFAULT_CORPUS;
use crate::error::{Error, Result};
use crate::ingest;
use crate::synth::{self, CorpusModel, CorpusStats, median};

/// Real pages beside the repository, learned from when present.
const SHARED_REVIEWS: &str = "../shared/corpus/reviews";
/// How many synthetic pages are parsed back to compare with the real ones.
const SAMPLE: usize = 2000;
/// The fewest real pages found by default that synth learns from; with fewer (a fresh
/// clone has the one seed page), or when they hold no captions, it uses the built-in model.
const MIN_PAGES: usize = 10;

/// The most pages one run writes (about 190 GB).
pub const MAX_PAGES: usize = 10_000_000;

pub fn run(args: &SynthArgs) -> Result<Outcome> {
    if args.pages == 0 || args.pages > MAX_PAGES {
        return Err(Error::BadArgument(format!("--pages must be between 1 and {MAX_PAGES}")));
    }
    if std::fs::metadata(&args.out).is_ok_and(|m| !m.is_dir()) {
        return Err(Error::BadArgument(format!(
            "{} is a file; synth writes into an empty or new folder",
            args.out.display()
        )));
    }
    if let Some(missing) = args.learn_from.iter().find(|d| !d.is_dir()) {
        return Err(Error::BadArgument(format!(
            "--learn-from {}: no such folder",
            crate::ingest::path::escape(missing)
        )));
    }
    if std::fs::read_dir(&args.out).is_ok_and(|mut d| d.next().is_some()) {
        return Err(Error::BadArgument(format!(
            "{} is not empty; synth writes into an empty or new folder",
            args.out.display()
        )));
    }
    let mut err = std::io::stderr().lock();
    let model = if args.learn_from.is_empty() {
        let sources: Vec<PathBuf> =
            [DEFAULT_CORPUS, SHARED_REVIEWS].iter().map(PathBuf::from).filter(|p| p.is_dir()).collect();
        let learned = synth::learn(&sources);
        match too_few(&learned, &sources) {
            None => {
                let _ = writeln!(err, "{}", learned_from(&learned, &sources));
                learned
            }
            Some(why) => {
                let builtin = CorpusModel::builtin();
                let _ = writeln!(
                    err,
                    "built-in model (learned from {}: {} English and {} Korean words), as {why}",
                    count(builtin.pages, "real page"),
                    builtin.vocab_en.len(),
                    builtin.vocab_ko.len()
                );
                builtin
            }
        }
    } else {
        // Folders named on purpose are learned from however few pages they hold.
        let learned = synth::learn(&args.learn_from);
        if learned.pages == 0 {
            return Err(Error::BadArgument(format!(
                "no review pages to learn from: none in {}; name others with --learn-from DIR, or none to use the built-in model",
                joined(&args.learn_from)
            )));
        }
        let _ = writeln!(err, "{}", learned_from(&learned, &args.learn_from));
        learned
    };
    let summary = synth::write_corpus(&model, &args.out, args.pages, args.seed)?;
    let _ = writeln!(
        err,
        "wrote {} pages, {:.1} MB, into {} in {:.1} s (seed {})",
        summary.pages,
        summary.bytes as f64 / 1e6,
        args.out.display(),
        summary.seconds,
        args.seed
    );
    let synthetic = measure_sample(&summary.paths);
    let _ = writeln!(err, "{}", comparison(&model.stats, &synthetic));
    Ok(Outcome::Found)
}

/// Why the pages found by default are too few to learn from, or `None` when they will do.
fn too_few(learned: &CorpusModel, sources: &[PathBuf]) -> Option<String> {
    if sources.is_empty() {
        Some(format!("neither {DEFAULT_CORPUS}/ nor {SHARED_REVIEWS} is here"))
    } else if learned.pages < MIN_PAGES {
        Some(format!(
            "{} {} {}, fewer than {MIN_PAGES} to learn from",
            joined(sources),
            if sources.len() == 1 { "holds" } else { "hold" },
            count(learned.pages, "page")
        ))
    } else if learned.stats.words_per_caption.is_empty() {
        Some(format!("the pages in {} hold no captions", joined(sources)))
    } else {
        None
    }
}

fn learned_from(model: &CorpusModel, sources: &[PathBuf]) -> String {
    format!(
        "learned from {} in {}: {} English and {} Korean words",
        count(model.pages, "real page"),
        joined(sources),
        model.vocab_en.len(),
        model.vocab_ko.len()
    )
}

/// `1 page`, `2 pages`.
fn count(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

fn joined(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Parses an evenly spread sample of the written pages.
fn measure_sample(paths: &[PathBuf]) -> CorpusStats {
    let step = (paths.len() / SAMPLE).max(1);
    let sample: Vec<PathBuf> = paths.iter().step_by(step).cloned().collect();
    let corpus = ingest::parse_files(&sample);
    let size = |p: &str| std::fs::metadata(Path::new(p)).map_or(0, |m| m.len() as usize);
    CorpusStats::measure(corpus.pages.iter().map(|r| (r, size(&r.page.source))))
}

/// A table of real against synthetic medians, each marked with how far apart they are.
fn comparison(real: &CorpusStats, synthetic: &CorpusStats) -> String {
    let rows = [
        ("page size (bytes)", median(&real.page_bytes), median(&synthetic.page_bytes)),
        ("captions per page", median(&real.captions_per_page), median(&synthetic.captions_per_page)),
        ("words per caption", median(&real.words_per_caption), median(&synthetic.words_per_caption)),
    ];
    let mut out = format!("{:<20} {:>10} {:>10} {:>8}", "median", "real", "synthetic", "diff");
    for (name, r, s) in rows {
        let diff = if r > 0.0 { (s - r) / r * 100.0 } else { 0.0 };
        let mark = if diff.abs() <= 20.0 { "ok" } else { "off" };
        out.push_str(&format!("\n{name:<20} {r:>10.0} {s:>10.0} {diff:>+7.1}% {mark}"));
    }
    out
}
