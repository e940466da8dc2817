//! Cold searches: a bench query run as a CLI user runs it, in a fresh `paperdex search`
//! process, timed by the search itself (`took_us`, the first search of that process) and
//! from spawn to exit.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use clap::ValueEnum;
use serde::Deserialize;

use super::BenchQuery;
use crate::error::{Error, Result};
use crate::search::{FacetUnit, SearchRequest};

/// The `paperdex search` flags that ask for exactly `request`, with JSON output, the query
/// last (after `--` when it starts with `-`). The one place a request becomes flags.
pub fn search_flags(request: &SearchRequest) -> Result<Vec<String>> {
    // Every field named, so a new one cannot be left out unnoticed.
    let SearchRequest {
        query,
        kinds,
        filters,
        excludes,
        facets,
        facet_limit,
        facet_unit,
        group,
        since,
        until,
        sort,
        limit,
        offset,
        fuzzy,
        strict,
        exact_total,
        snippet_chars,
    } = request;
    if *snippet_chars != SearchRequest::default().snippet_chars {
        return Err(Error::Internal(format!(
            "a search of {snippet_chars}-character snippets has no `paperdex search` flags"
        )));
    }
    let mut flags = vec!["--json".to_owned()];
    flags.extend(kinds.iter().map(|k| format!("--kind={k}")));
    flags.extend(filters.iter().map(|f| format!("--filter={}={}", f.field, f.value)));
    flags.extend(excludes.iter().map(|f| format!("--exclude={}={}", f.field, f.value)));
    flags.extend(facets.iter().map(|f| match &f.parent {
        Some(parent) => format!("--facet={}={parent}", f.field),
        None => format!("--facet={}", f.field),
    }));
    if let Some(n) = facet_limit {
        flags.push(format!("--facet-limit={n}"));
    }
    if *facet_unit != FacetUnit::default() {
        flags.push(format!("--facet-count={}", value_name(*facet_unit)));
    }
    if let Some(group) = group {
        flags.push(format!("--group={}", value_name(*group)));
    }
    if let Some(date) = since {
        flags.push(format!("--since={date}"));
    }
    if let Some(date) = until {
        flags.push(format!("--until={date}"));
    }
    if let Some(sort) = sort {
        flags.push(format!("--sort={}", value_name(*sort)));
    }
    flags.push(format!("--limit={limit}"));
    if *offset > 0 {
        flags.push(format!("--offset={offset}"));
    }
    if *fuzzy {
        flags.push("--fuzzy".to_owned());
    }
    if *strict {
        flags.push("--strict".to_owned());
    }
    if *exact_total {
        flags.push("--exact-total".to_owned());
    }
    if let Some(text) = query.as_deref().filter(|q| !q.is_empty()) {
        if text.starts_with('-') {
            flags.push("--".to_owned());
        }
        flags.push(text.to_owned());
    }
    Ok(flags)
}

/// The name a flag takes for a value of a clap value enum (`-date`, `pages`).
fn value_name(value: impl ValueEnum) -> String {
    value.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default()
}

/// One cold search: the process's first search and the whole process.
#[derive(Debug, Clone, Copy)]
pub struct ColdSample {
    /// The search's own `took_us`.
    pub took_us: f64,
    /// From spawn to exit, output read.
    pub process_ms: f64,
}

/// Runs bench queries in fresh `paperdex search` processes of one executable on one index,
/// `runs` processes per query in each repeat of a bench.
#[derive(Debug, Clone)]
pub struct FreshSearch {
    exe: PathBuf,
    index: PathBuf,
    pub runs: usize,
}

/// What a cold run reads from the search's JSON.
#[derive(Deserialize)]
struct SearchOutput {
    total_hits: usize,
    took_us: u64,
}

impl FreshSearch {
    pub fn new(exe: &Path, index: &Path, runs: usize) -> Self {
        FreshSearch { exe: exe.to_path_buf(), index: index.to_path_buf(), runs }
    }

    /// A cold run's command line, for messages.
    fn command_line(&self, flags: &[String]) -> String {
        let mut line = format!("{} search --index {}", self.exe.display(), self.index.display());
        for f in flags {
            if f.contains([' ', '"', '\'', '*']) {
                line.push_str(&format!(" '{}'", f.replace('\'', r"'\''")));
            } else {
                line.push(' ');
                line.push_str(f);
            }
        }
        line
    }

    /// Runs `query` once in a new process. The process must find `expected_hits`, the warm
    /// search's count, or its flags did not ask for the same search: that is an error.
    pub fn run(&self, query: &BenchQuery, expected_hits: usize) -> Result<ColdSample> {
        let flags = search_flags(&query.request)?;
        let mut args: Vec<OsString> = vec!["search".into(), "--index".into(), self.index.clone().into()];
        args.extend(flags.iter().map(OsString::from));
        let started = Instant::now();
        let output = Command::new(&self.exe).args(&args).stdin(Stdio::null()).output().map_err(|e| {
            Error::BadArgument(format!(
                "cannot start the cold run `{}`: {e}; --cold 0 skips the cold runs",
                self.command_line(&flags)
            ))
        })?;
        let process_ms = started.elapsed().as_secs_f64() * 1000.0;
        let command = || self.command_line(&flags);
        // Exit 1 is a search with no hits: its JSON is there as for any other.
        if !matches!(output.status.code(), Some(0 | 1)) {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(Error::Internal(format!(
                "the cold run `{}` failed ({}) where the same search in the bench's process did not: {}",
                command(),
                output.status,
                stderr.trim()
            )));
        }
        let doc: SearchOutput = serde_json::from_slice(&output.stdout)
            .map_err(|e| Error::Internal(format!("the cold run `{}` printed no search JSON: {e}", command())))?;
        if doc.total_hits != expected_hits {
            return Err(Error::Internal(format!(
                "the cold run `{}` found {} hits, the same search in the bench's process {expected_hits}: \
                 its flags ask for another search",
                command(),
                doc.total_hits
            )));
        }
        Ok(ColdSample { took_us: doc.took_us as f64, process_ms })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command as Subcommand};
    use crate::search::{DatePath, Group, Sort};

    /// The request `paperdex search` builds from `flags`.
    fn parsed(flags: &[String]) -> SearchRequest {
        let argv = ["paperdex", "search"].into_iter().map(str::to_owned).chain(flags.iter().cloned());
        let cli = Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{flags:?}: {e}"));
        let Subcommand::Search(args) = cli.command else { panic!("{flags:?} is not a search") };
        crate::commands::search::request(&args).unwrap()
    }

    #[test]
    fn flags_ask_for_the_same_request() {
        let base = SearchRequest::default;
        let date = |text: &str| Some(text.parse::<DatePath>().unwrap());
        let requests = [
            base(),
            SearchRequest { query: Some("video".into()), ..base() },
            SearchRequest { query: Some("\"video generation\" OR diffusion*".into()), fuzzy: true, ..base() },
            SearchRequest { query: Some("-video model".into()), ..base() },
            SearchRequest { query: Some("--json".into()), strict: true, ..base() },
            SearchRequest {
                query: Some("model".into()),
                kinds: vec!["caption".parse().unwrap(), "method".parse().unwrap()],
                filters: vec!["category=Personalized MLLM Retrieval".parse().unwrap(), "lang=en".parse().unwrap()],
                excludes: vec!["kind=table".parse().unwrap(), "topic=-odd=value".parse().unwrap()],
                facets: vec!["category".parse().unwrap(), "date=/2025".parse().unwrap()],
                facet_limit: Some(5),
                facet_unit: FacetUnit::Pages,
                group: Some(Group::Page),
                since: date("2024-06"),
                until: date("2025-01-31"),
                sort: Some(Sort::DateDesc),
                limit: 0,
                offset: 30,
                ..base()
            },
            SearchRequest { sort: Some(Sort::Relevance), limit: 10_000, ..base() },
            SearchRequest { query: Some("*".into()), sort: Some(Sort::Date), ..base() },
        ];
        for request in requests {
            let flags = search_flags(&request).unwrap();
            assert_eq!(format!("{:?}", parsed(&flags)), format!("{request:?}"), "{flags:?}");
        }
    }

    #[test]
    fn a_query_starting_with_a_dash_goes_after_the_double_dash() {
        let flags = search_flags(&SearchRequest { query: Some("-video".into()), ..SearchRequest::default() }).unwrap();
        assert_eq!(flags[flags.len() - 2..], ["--", "-video"]);
        let browse = search_flags(&SearchRequest::default()).unwrap();
        assert!(browse.iter().all(|f| f.starts_with("--") && f != "--"), "{browse:?}");
    }

    #[test]
    fn a_request_without_flags_is_refused() {
        let request = SearchRequest { snippet_chars: 40, ..SearchRequest::default() };
        assert!(search_flags(&request).is_err());
    }
}
