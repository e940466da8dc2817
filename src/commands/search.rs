//! `paperdex search`: ranked faceted search over the index. Builds the default index from
//! the default corpus the first time; an index the user named must already exist.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use crate::cli::{ColorChoice, SearchArgs};
use crate::commands::Outcome;
use crate::config::{DEFAULT_CORPUS, IndexDir};
use crate::error::{Error, Result};
use crate::index::{self, IndexOptions, PaperdexIndex, UpdateRequest};
use crate::output;
use crate::search::{self, SearchRequest};

pub fn run(args: &SearchArgs) -> Result<Outcome> {
    let dir = IndexDir::from_location(&args.location);
    super::engine_guard(&dir.path, || search(args, &dir))
}

fn search(args: &SearchArgs, dir: &IndexDir) -> Result<Outcome> {
    let px = open_or_build(dir)?;
    let request = SearchRequest {
        query: (!args.query.is_empty()).then(|| args.query.join(" ")),
        kinds: args.kind.clone(),
        filters: args.filter.clone(),
        facets: args.facet.clone(),
        since: args.since.clone(),
        until: args.until.clone(),
        sort: args.sort,
        limit: args.limit,
        offset: args.offset,
        fuzzy: args.fuzzy,
        ..SearchRequest::default()
    };
    super::warn_if_mid_update(&px);
    let searcher = px.searcher();
    let results = search::search(&px, &searcher, &request)?;

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        output::json::write_search(&mut out, &results)?;
    } else {
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        };
        output::human::write_search(&mut out, &results, color)?;
        let _ = writeln!(std::io::stderr(), "{}", output::human::search_summary(&results));
    }
    out.flush()?;
    Ok(if results.total_hits > 0 { Outcome::Found } else { Outcome::NothingFound })
}

/// Opens the index; the default location is built from `corpus/` when it has none.
fn open_or_build(dir: &IndexDir) -> Result<PaperdexIndex> {
    if dir.explicit || index::exists(&dir.path) {
        return index::open(&dir.path, &dir.build_hint());
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
    super::index::build(dir, &request, &IndexOptions::default(), false)?;
    index::open(&dir.path, &dir.build_hint())
}
