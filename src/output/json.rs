//! JSON output. Field names are part of paperdex's documented interface.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use crate::error::Result;
use crate::ingest::{Caption, MethodEntry, Page, ParsedFile, Problem};
use crate::search::{FacetCount, Hit, SearchResults};

#[derive(Serialize)]
struct InspectJson<'a> {
    page: Option<&'a Page>,
    captions: &'a [Caption],
    methods: &'a [MethodEntry],
    problems: &'a [Problem],
}

/// `{"page": {...}|null, "captions": [...], "methods": [...], "problems": [...]}`.
pub fn write_inspect(out: &mut impl Write, parsed: &ParsedFile) -> Result<()> {
    let (page, captions, methods) = match &parsed.records {
        Some(r) => (Some(&r.page), r.captions.as_slice(), r.methods.as_slice()),
        None => (None, &[][..], &[][..]),
    };
    let doc = InspectJson { page, captions, methods, problems: &parsed.problems };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}

#[derive(Serialize)]
struct SearchJson<'a> {
    query: &'a str,
    total_hits: usize,
    took_us: u64,
    sort: crate::search::Sort,
    offset: usize,
    hits: &'a [Hit],
    facets: BTreeMap<&'a str, &'a [FacetCount]>,
}

/// `{"query", "total_hits", "took_us", "sort", "offset", "hits": [...], "facets": {FIELD: [...]}}`.
pub fn write_search(out: &mut impl Write, results: &SearchResults) -> Result<()> {
    let doc = SearchJson {
        query: &results.query,
        total_hits: results.total_hits,
        took_us: results.took_us,
        sort: results.sort,
        offset: results.offset,
        hits: &results.hits,
        facets: results.facets.iter().map(|f| (f.field.as_str(), f.counts.as_slice())).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}
