//! `paperdex search`: ranked faceted search over the index. Builds the default index from
//! the default corpus the first time; an index the user named must already exist.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use crate::cli::{ColorChoice, Format, SearchArgs};
use crate::commands::Outcome;
use crate::config::{DEFAULT_CORPUS, IndexDir};
use crate::error::{Error, Result};
use crate::index::cut_short::{self, OnCutShort};
use crate::index::{self, IndexOptions, PaperdexIndex, UpdateRequest};
use crate::output;
use crate::search::{self, DatePath, SearchRequest};

pub fn run(args: &SearchArgs) -> Result<Outcome> {
    let dir = IndexDir::from_location(&args.location);
    let format = args.output_format();
    request(args).and_then(|request| super::engine_guard(&dir.path, || search(args, &request, &dir, format)))
}

/// The search the flags ask for: each value parsed once, here.
pub fn request(args: &SearchArgs) -> Result<SearchRequest> {
    fn parse<T: std::str::FromStr<Err = String>>(flag: &str, values: &[String]) -> Result<Vec<T>> {
        values.iter().map(|v| v.parse().map_err(|e| Error::BadArgument(format!("--{flag} {v}: {e}")))).collect()
    }
    let date =
        |flag: &str, value: &Option<String>| -> Result<Option<DatePath>> { Ok(parse(flag, value.as_slice())?.pop()) };
    let human = args.output_format() == Format::Human;
    Ok(SearchRequest {
        query: (!args.query.is_empty()).then(|| args.query.join(" ")),
        kinds: parse("kind", &args.kind)?,
        filters: parse("filter", &args.filter)?,
        excludes: parse("exclude", &args.exclude)?,
        facets: parse("facet", &args.facet)?,
        facet_limit: args.facet_limit.or(human.then_some(HUMAN_FACET_LIMIT)),
        facet_unit: args.facet_count,
        group: args.group,
        since: date("since", &args.since)?,
        until: date("until", &args.until)?,
        sort: args.sort,
        limit: args.limit,
        offset: args.offset,
        fuzzy: args.fuzzy,
        strict: args.strict,
        exact_total: args.exact_total,
        ..SearchRequest::default()
    })
}

/// Facet values a terminal shows by default.
const HUMAN_FACET_LIMIT: usize = 20;

fn search(args: &SearchArgs, request: &SearchRequest, dir: &IndexDir, format: Format) -> Result<Outcome> {
    let px = open_or_build(dir)?;
    super::warn_if_mid_update(&px);
    let searcher = px.searcher();
    let results = search::search(&px, &searcher, request)?;
    for warning in &results.warnings {
        let _ = writeln!(std::io::stderr(), "paperdex: warning: {}", output::human::terminal_safe(warning));
    }

    let mut out = output::stdout();
    match format {
        Format::Json => output::json::write_search(&mut out, &results)?,
        Format::Jsonl => output::json::write_search_lines(&mut out, &results)?,
        Format::Ids => output::human::write_ids(&mut out, &results)?,
        Format::Paths => output::human::write_paths(&mut out, &results, &px.info.roots)?,
        Format::Human => {
            let color = match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            };
            output::human::write_search(&mut out, &results, color)?;
            // The summary follows the results, also where both streams are one.
            out.flush()?;
            let _ = writeln!(std::io::stderr(), "{}", output::human::search_summary(&results));
        }
    }
    out.flush()?;
    Ok(if results.total_hits > 0 { Outcome::Found } else { Outcome::NothingFound })
}

/// Opens the index; the default location is built from `corpus/` when it has none.
fn open_or_build(dir: &IndexDir) -> Result<PaperdexIndex> {
    if dir.explicit || index::exists(&dir.path) {
        return index::open_once(&dir.path, &dir.build_hint());
    }
    let corpus = PathBuf::from(DEFAULT_CORPUS);
    if !corpus.is_dir() {
        return Err(Error::NoIndex {
            path: dir.path.clone(),
            hint: format!("there is no {DEFAULT_CORPUS}/ here to build it from; run `paperdex index DIR`"),
        });
    }
    let _ =
        writeln!(std::io::stderr(), "no index at {}: building it from {}/ (once)", dir.path.display(), DEFAULT_CORPUS);
    let request = UpdateRequest { roots: vec![corpus], ..UpdateRequest::default() };
    // Building writes: a file cut short under it stops it rather than read as zeros.
    cut_short::install(OnCutShort::Stop);
    super::index::build(dir, &request, &IndexOptions::default(), false)?;
    cut_short::install(OnCutShort::ReadZeros);
    index::open_once(&dir.path, &dir.build_hint())
}
