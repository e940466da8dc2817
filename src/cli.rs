//! Command-line arguments. The doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::search::{FacetUnit, Group, Sort};

/// Full-text search for AI paper-review pages: ranked, faceted search over pages,
/// figure and table captions, and survey method entries.
///
/// Exit codes: 0 results found, 1 no results, 2 error.
#[derive(Debug, Parser)]
#[command(name = "paperdex", version, about, long_about, args_override_self = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add, update, rebuild or forget folders of review pages in the index.
    Index(IndexArgs),
    /// Search the index: ranked hits, filters, facet counts and snippets.
    Search(SearchArgs),
    /// Print the records one file yields: its page, captions and method entries.
    Inspect(InspectArgs),
    /// Write a synthetic corpus of review pages learned from real ones, for benchmarks.
    Synth(SynthArgs),
    /// Measure query latency and throughput per query class on an index.
    Bench(BenchArgs),
    /// What an index holds: records per kind, folders, files, segments, size, last commit.
    Stats(StatsArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on stdout.
    Completions(CompletionsArgs),
    /// Print a manual page (roff) on stdout: `paperdex man | man -l -`, or one command's
    /// (`paperdex man search`).
    Man(ManArgs),
    /// Measure ranking quality on judged topics (nDCG@10, MAP, MRR@10, P@10, Recall@100).
    Eval(EvalArgs),
    /// Serve the search API and the web page over HTTP (see the README's "Web and API").
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub location: IndexLocation,
    /// The address to listen on; port 0 picks a free port. The address it listens on is
    /// printed on stdout: `listening on http://ADDR`.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:7700", value_parser = socket_address)]
    pub addr: std::net::SocketAddr,
    /// Index the changed files of this folder into the served index while serving
    /// (repeatable); it is brought up to date once at start.
    #[arg(long, value_name = "DIR")]
    pub watch: Vec<PathBuf>,
    /// Let pages from this origin call the API (`http://localhost:3000`, or `*` for any;
    /// repeatable) [default: no CORS].
    #[arg(long, value_name = "ORIGIN")]
    pub cors: Vec<String>,
    /// The time limit of one search, in milliseconds; a search past it is answered 503.
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    pub time_limit_ms: u64,
    /// Searches admitted at once (running or waiting); one more is answered 503 at once.
    #[arg(long, value_name = "N", default_value_t = crate::serve::DEFAULT_MAX_IN_FLIGHT)]
    pub max_in_flight: usize,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// The command whose page to print (index, search, inspect, synth, bench, stats, eval,
    /// serve, completions, man) [default: paperdex's own page].
    pub command: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub location: IndexLocation,
    /// Also check every index file's checksum and name the damaged ones (reads the whole index).
    #[arg(long)]
    pub verify: bool,
    /// Print one JSON object (schema in the README).
    #[arg(long)]
    pub json: bool,
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
    /// Repeat the whole measurement this many times; each class reports the median of
    /// its repeats' percentiles, with the lowest and highest.
    #[arg(long, value_name = "R", default_value_t = 3)]
    pub repeat: usize,
    /// Also run every query in this many fresh `paperdex search` processes per repeat, and
    /// report the first search of a process (`cold p50`) and the whole process (`process
    /// ms`); 0 skips the cold runs.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub cold: usize,
    /// A saved `--json` report to compare with: only changes beyond both runs' spread count.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Also draw the per-class p50 and p99, and the cold p50 with cold runs (log scale),
    /// into this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Also run every query on a peer in the same run, as many times, and report its p50
    /// and p99 beside paperdex's, with the ratio: `fts5` loads the index's records into an
    /// in-memory SQLite FTS5 table first.
    #[arg(long, value_enum, value_name = "PEER")]
    pub peer: Option<BenchPeer>,
    /// Print one JSON object (schema in the README).
    #[arg(long)]
    pub json: bool,
}

/// Where the index lives.
#[derive(Debug, Clone, clap::Args)]
pub struct IndexLocation {
    /// Index folder [default: $PAPERDEX_INDEX when set and not empty, else index/].
    #[arg(long, value_name = "DIR")]
    pub index: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// Folders (or files) of review pages to add or update; records from the index's other
    /// folders stay [default: every folder the index remembers; corpus/ for a new default index].
    #[arg(value_name = "DIR")]
    pub roots: Vec<PathBuf>,
    /// Drop the records of this folder and forget it (repeatable).
    #[arg(long, value_name = "DIR")]
    pub forget: Vec<PathBuf>,
    #[command(flatten)]
    pub location: IndexLocation,
    /// The writer's memory budget in MB (at least 15 per thread; without --threads, as
    /// many threads as it allows).
    #[arg(long, value_name = "MB", default_value_t = 192)]
    pub memory_mb: usize,
    /// Indexing threads [default: the number of cores, at most 8].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bar and no per-file warnings; errors and the summary still print.
    #[arg(long, short)]
    pub quiet: bool,
    /// Build a new index from the folders (named, or remembered) instead of updating the one
    /// there; searches see the old index until the new one is complete. Works on a damaged
    /// index too.
    #[arg(long)]
    pub rebuild: bool,
    /// During an update, commit after this many new or changed files, so that a killed run
    /// loses little.
    #[arg(long, value_name = "FILES", default_value_t = 10_000)]
    pub commit_every: usize,
}

/// The search's help: the query syntax with examples (`paperdex search --help`).
const SEARCH_HELP: &str = "\
Query syntax (words are ANDed):
  video generation              all of the words
  \"video generative models\"     the exact phrase
  physics OR fluid              either word; AND, NOT and ( ) group
  diffusion -video              without a word (NOT video)
  title:diffusion               in one field: title, name, label, citation, category, mechanism,
                                summary, topic, affiliation, authors, caption, description, table, body
  id:2501.09038  page_id:2501.09038   a record, or all records of a page, by id
  phys*  \"fine-tun\"*            words (or a phrase) that start so
  robot^2 manipulation          weigh a word more
  name:/gpt.*/                  a regular expression over one field's words
Anything else is read as words, as typed or pasted (`GUI Agents: A Survey`, `ratio 3:1`,
a link, a stray `OR`, an unclosed quote, with a warning for the last); --strict refuses it.
An arXiv id or a link to a paper (`2501.09038`, `arXiv:2501.09038v2`,
`https://huggingface.co/papers/2501.09038`) puts that paper first. A query with no hits is
tried once more with its typos corrected.
A word that starts with `-` is excluded wherever it is typed among the options
(paperdex search -video robot -n 5); one of a single letter or digit, or `-n` and a
number (read as the limit), goes after `--` (paperdex search robot -- -x -n5).

Examples:
  paperdex search \"personalized image generation\" -n 5
  paperdex search --kind method --facet category
  paperdex search --kind method --filter category=\"Personalized MLLM Retrieval\" --facet mechanism
  paperdex search diffusion --since 2025-01 --sort -date --format jsonl
  paperdex search colorizaton --fuzzy

Exit codes: 0 hits found, 1 no hits, 2 error.";

#[derive(Debug, clap::Args)]
#[command(after_long_help = SEARCH_HELP)]
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
    /// (/2025/01), lang. Values of one field are ORed, different fields ANDed; label values
    /// match ignoring case and accents.
    #[arg(long, value_name = "FIELD=VALUE")]
    pub filter: Vec<String>,
    /// Drop records with FIELD=VALUE (repeatable).
    #[arg(long, value_name = "FIELD=VALUE")]
    pub exclude: Vec<String>,
    /// Count hits per value of FIELD, or per child of FIELD=PATH (`date=/2025`).
    #[arg(long, value_name = "FIELD[=PATH]")]
    pub facet: Vec<String>,
    /// At most N values per facet [default: 20 in human output, all in JSON].
    #[arg(long, value_name = "N")]
    pub facet_limit: Option<usize>,
    /// Only records dated on or after YYYY, YYYY-MM or YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only records dated on or before YYYY, YYYY-MM or YYYY-MM-DD (the whole period).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Order of hits [default: relevance with a query, -date when browsing].
    #[arg(long, value_enum, allow_hyphen_values = true, ignore_case = true)]
    pub sort: Option<Sort>,
    /// How many hits to show (at most 10000).
    #[arg(long, short = 'n', default_value_t = 10)]
    pub limit: usize,
    /// Skip this many hits (for paging; at most 100000).
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Tolerate one typo per word.
    #[arg(long)]
    pub fuzzy: bool,
    /// Refuse what is not well-formed query syntax (unknown fields, unbalanced quotes,
    /// stray operators) instead of reading it as words.
    #[arg(long)]
    pub strict: bool,
    /// Count every match: a ranked query whose best hits are found without visiting
    /// every match stops counting past 10000 otherwise, and says "at least".
    #[arg(long)]
    pub exact_total: bool,
    /// One hit per page (its best record, with how many of its records matched), paged by page.
    #[arg(long, value_enum, value_name = "UNIT")]
    pub group: Option<Group>,
    /// What facet counts count: records (default) or pages with a matching record.
    #[arg(long, value_enum, value_name = "UNIT", default_value_t = FacetUnit::Records)]
    pub facet_count: FacetUnit,
    /// Output format: human (default), json (one object), jsonl (one object a line), ids
    /// (one record id a line), paths (one source file a line).
    #[arg(long, value_enum, value_name = "FORMAT", ignore_case = true)]
    pub format: Option<Format>,
    /// The same as `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Colour highlights: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

impl SearchArgs {
    pub fn output_format(&self) -> Format {
        if self.json { Format::Json } else { self.format.unwrap_or(Format::Human) }
    }
}

/// How search results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Jsonl,
    Ids,
    Paths,
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

/// A peer system `paperdex bench` can time beside paperdex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchPeer {
    /// SQLite FTS5 (bm25 with paperdex's field weights, porter stemming), one row per
    /// record, facets in tables beside it: the same top 10, snippets, count and facet
    /// counts per query.
    Fts5,
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

/// `paperdex search robot -video`: a word of the query that starts with `-` excludes that
/// word, as the query syntax has it, wherever it stands among the options; clap would take
/// it for an option it does not know. The search's arguments are handed to clap with the
/// query's words last, after `--`, in their order; options and their values stay as they
/// are. A dash and one letter (`-x`) is still read as an option (a mistyped one is an
/// error, not a search), as are `-n 5`, `-n5` and `-n=5`.
pub fn with_query_words_last(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let is_word = |arg: &str| arg.starts_with('-') && !arg.starts_with("--") && arg.chars().count() > 2;
    let before_escape = || args.iter().skip(2).take_while(|a| *a != "--");
    if args.get(1).is_none_or(|a| a != "search") || !before_escape().any(|a| a.to_str().is_some_and(is_word)) {
        return args;
    }
    let command = <Cli as clap::CommandFactory>::command();
    let Some(search) = command.find_subcommand("search") else { return args };
    let takes_value = |arg: &clap::Arg| arg.get_action().takes_values();
    let long = |name: &str| search.get_arguments().find(|a| a.get_long() == Some(name)).is_some_and(takes_value);
    let short = |c: char| search.get_arguments().find(|a| a.get_short() == Some(c)).is_some_and(takes_value);
    let mut rest = args.into_iter();
    let mut options: Vec<std::ffi::OsString> = rest.by_ref().take(2).collect();
    let mut words = Vec::new();
    while let Some(arg) = rest.next() {
        let Some(text) = arg.to_str() else {
            words.push(arg);
            continue;
        };
        if text == "--" {
            words.extend(rest.by_ref());
            break;
        }
        let value_follows = if let Some(name) = text.strip_prefix("--") {
            !name.contains('=') && long(name)
        } else if let Some(body) = text.strip_prefix('-').filter(|b| !b.is_empty()) {
            let mut chars = body.chars();
            let first = chars.next().unwrap_or_default();
            let attached = chars.as_str();
            if !is_word(text) {
                short(first)
            } else if short(first) && (attached.parse::<u64>().is_ok() || attached.starts_with('=')) {
                false
            } else {
                words.push(arg);
                continue;
            }
        } else {
            words.push(arg);
            continue;
        };
        options.push(arg);
        if value_follows && let Some(value) = rest.next() {
            options.push(value);
        }
    }
    if !words.is_empty() {
        options.push("--".into());
        options.extend(words);
    }
    options
}

/// `IP:PORT`, or a host name and port (`localhost:7700`) resolved to its first address.
fn socket_address(text: &str) -> Result<std::net::SocketAddr, String> {
    use std::net::ToSocketAddrs;
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    if !text.contains(':') {
        return Err(format!("`{text}` has no port: write HOST:PORT (127.0.0.1:7700, localhost:7700)"));
    }
    match text.to_socket_addrs() {
        Ok(mut addrs) => addrs.next().ok_or_else(|| format!("`{text}` names no address")),
        Err(e) => Err(format!("`{text}` is not an address to listen on: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(args: &[&str]) -> Vec<String> {
        let args = std::iter::once("paperdex").chain(args.iter().copied()).map(std::ffi::OsString::from).collect();
        with_query_words_last(args).into_iter().skip(1).map(|a| a.into_string().unwrap()).collect()
    }

    #[test]
    fn query_words_that_start_with_a_dash_go_last_in_their_order() {
        assert_eq!(
            rewritten(&["search", "robot", "-video", "--kind", "page", "arm", "-n", "5"]),
            ["search", "--kind", "page", "-n", "5", "--", "robot", "-video", "arm"]
        );
        // Values stay with their options, `-date` and `-n5` among them; after `--`, all are words.
        assert_eq!(
            rewritten(&["search", "--sort", "-date", "-video", "-n5", "--filter=kind=page", "--", "-x", "--json"]),
            ["search", "--sort", "-date", "-n5", "--filter=kind=page", "--", "-video", "-x", "--json"]
        );
        assert_eq!(rewritten(&["search", "-noise", "-n=2"]), ["search", "-n=2", "--", "-noise"]);
        // Nothing to move: the arguments as they came, a mistyped `-x` and other commands too.
        for args in [
            &["search", "robot", "-x"][..],
            &["search", "--", "-video"],
            &["search", "robot", "--kind", "page"],
            &["bench", "-video"],
        ] {
            assert_eq!(rewritten(args), args, "{args:?}");
        }
        // What clap then makes of them.
        let cli = Cli::try_parse_from(with_query_words_last(
            ["paperdex", "search", "robot", "-video", "-n", "3"].map(std::ffi::OsString::from).to_vec(),
        ))
        .unwrap();
        let Command::Search(search) = cli.command else { panic!("a search") };
        assert_eq!((search.query, search.limit), (vec!["robot".to_owned(), "-video".to_owned()], 3));
    }
}
