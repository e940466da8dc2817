//! Command-line arguments. The doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::search::Sort;

/// Full-text search for AI paper-review pages: ranked, faceted search over pages,
/// figure and table captions, and survey method entries.
///
/// Exit codes: 0 results found, 1 no results, 2 error.
#[derive(Debug, Parser)]
#[command(name = "paperdex", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the index from review pages (default: corpus/ into index/).
    Index(IndexArgs),
    /// Search the index: ranked hits, filters, facet counts and snippets.
    Search(SearchArgs),
    /// Print the records one file yields: its page, captions and method entries.
    Inspect(InspectArgs),
    /// Write a synthetic corpus of review pages learned from real ones, for benchmarks.
    Synth(SynthArgs),
    /// Measure query latency and throughput per query class on an index.
    Bench(BenchArgs),
    /// Measure ranking quality on judged topics (nDCG@10, MAP, MRR@10, P@10, Recall@100).
    Eval(EvalArgs),
}

#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// How many pages to write.
    #[arg(long, value_name = "N")]
    pub pages: usize,
    /// An empty (or new) folder to write them into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The same seed always gives the same pages.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Real pages to learn from [default: corpus/ and ../shared/corpus/reviews when present].
    #[arg(long = "learn-from", value_name = "DIR")]
    pub learn_from: Vec<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub location: IndexLocation,
    /// Queries to run, one per line: `CLASS<TAB>QUERY[<TAB>OPTION...]` (see the README)
    /// [default: a set drawn from the index's own vocabulary].
    #[arg(long, value_name = "FILE")]
    pub queries: Option<PathBuf>,
    /// Untimed runs of every query before measuring.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub warmup: usize,
    /// Timed runs of every query.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub iterations: usize,
    /// Threads for the throughput run [default: the number of cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Print one JSON object (schema in the README).
    #[arg(long)]
    pub json: bool,
}

/// Where the index lives.
#[derive(Debug, Clone, clap::Args)]
pub struct IndexLocation {
    /// Index folder [default: index/, or $PAPERDEX_INDEX when set].
    #[arg(long, value_name = "DIR", env = "PAPERDEX_INDEX")]
    pub index: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// Folders (or files) of review pages [default: corpus/].
    #[arg(value_name = "DIR")]
    pub roots: Vec<PathBuf>,
    #[command(flatten)]
    pub location: IndexLocation,
    /// The writer's memory budget in MB (at least 15 per thread).
    #[arg(long, value_name = "MB", default_value_t = 256)]
    pub memory_mb: usize,
    /// Indexing threads [default: the number of cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bar and no per-file warnings; errors and the summary still print.
    #[arg(long, short)]
    pub quiet: bool,
    /// Start from an empty index instead of updating the one there (by default only new,
    /// changed and removed files are handled).
    #[arg(long)]
    pub rebuild: bool,
    /// Commit after this many new or changed files, so that a killed run loses little.
    #[arg(long, value_name = "FILES", default_value_t = 10_000)]
    pub commit_every: usize,
}

/// Query syntax: words are ANDed; `OR`, `AND`, `NOT`/`-word`, `"a phrase"`, `(groups)`,
/// `field:word` (title, name, label, citation, category, mechanism, summary, topic,
/// affiliation, authors, caption, description, table, body), `prefix*`, `word^2`.
/// A query that starts with `-` goes after `--`: `paperdex search -- -video`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// The query; several words are joined. None (or `*`) browses with filters and facets.
    #[arg(value_name = "QUERY")]
    pub query: Vec<String>,
    #[command(flatten)]
    pub location: IndexLocation,
    /// Only records of this kind: page, caption, figure, chart, table, method (repeatable, ORed).
    #[arg(long, value_name = "KIND")]
    pub kind: Vec<String>,
    /// Only records with FIELD=VALUE: kind, category, mechanism, topic, affiliation, date
    /// (/2025/01), lang. Values of one field are ORed, different fields ANDed.
    #[arg(long, value_name = "FIELD=VALUE")]
    pub filter: Vec<String>,
    /// Count hits per value of FIELD, or per child of FIELD=PATH (`date=/2025`).
    #[arg(long, value_name = "FIELD[=PATH]")]
    pub facet: Vec<String>,
    /// Only records dated on or after YYYY, YYYY-MM or YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only records dated on or before YYYY, YYYY-MM or YYYY-MM-DD (the whole period).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Order of hits [default: relevance with a query, -date when browsing].
    #[arg(long, value_enum, allow_hyphen_values = true)]
    pub sort: Option<Sort>,
    /// How many hits to show.
    #[arg(long, short = 'n', default_value_t = 10)]
    pub limit: usize,
    /// Skip this many hits (for paging).
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Tolerate one typo per word.
    #[arg(long)]
    pub fuzzy: bool,
    /// Print one JSON object (schema in the README).
    #[arg(long)]
    pub json: bool,
    /// Colour highlights: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The review page to read (Hugo Markdown with front matter).
    pub file: PathBuf,
    /// Print one JSON object: {"page", "captions", "methods", "problems"}.
    #[arg(long)]
    pub json: bool,
}

/// A peer system `paperdex eval` can run beside paperdex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Peer {
    /// SQLite FTS5 (bm25, porter stemming) over the index's own records.
    Fts5,
    /// Xapian (BM25, English stemmer) through Debian's python3-xapian; skipped with a
    /// warning where it is not installed.
    Xapian,
}

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Topics, one per line: `TOPIC_ID<TAB>TEXT`.
    #[arg(long, value_name = "FILE")]
    pub topics: PathBuf,
    /// Judgments in TREC format: `TOPIC_ID ITERATION DOC_ID GAIN` (gain 1 or more is relevant).
    #[arg(long, value_name = "FILE")]
    pub qrels: PathBuf,
    #[command(flatten)]
    pub location: IndexLocation,
    /// Rank only records of this kind: page, caption, figure, chart, table, method (repeatable).
    #[arg(long, value_name = "KIND")]
    pub kind: Vec<String>,
    /// How a topic becomes a query: its words joined by OR, all of them (and), or the text
    /// as typed, in paperdex's query syntax.
    #[arg(long, value_enum, default_value_t = crate::eval::QueryMode::Or)]
    pub mode: crate::eval::QueryMode,
    /// How many hits per topic are ranked and scored.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub depth: usize,
    /// Also write paperdex's ranking as a TREC run file (`TOPIC Q0 DOC RANK SCORE RUN`).
    #[arg(long, value_name = "FILE")]
    pub run: Option<PathBuf>,
    /// Run the same topics through a peer in the same run and report both, with ratios.
    #[arg(long, value_enum)]
    pub peer: Vec<Peer>,
    /// Print every topic's figures too.
    #[arg(long)]
    pub per_topic: bool,
    /// Print one JSON object (schema in the README).
    #[arg(long)]
    pub json: bool,
}
