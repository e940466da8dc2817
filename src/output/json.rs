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

/// The JSON envelope of a search: `search --json` and the HTTP API print it.
#[derive(Serialize)]
pub struct SearchJson<'a> {
    pub query: &'a str,
    /// The matching records; at least that many when `total_exact` is false.
    pub total_hits: usize,
    /// Whether `total_hits` counts every match: a ranked query whose best hits are found
    /// without visiting every match stops counting past 10000 (`--exact-total` counts all).
    pub total_exact: bool,
    /// With one hit per page: how many pages matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_pages: Option<usize>,
    pub took_us: u64,
    pub sort: crate::search::Sort,
    pub offset: usize,
    pub hits: &'a [Hit],
    /// Keyed by field (`date`); a second count of the same field by field and parent
    /// (`date=/2025`).
    pub facets: BTreeMap<String, &'a [FacetCount]>,
    /// Per facet, how many values the facet limit left out (only those with some).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub facets_more: BTreeMap<String, usize>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub warnings: &'a [String],
    /// The query searched instead, when the query as given found nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrected: Option<&'a str>,
}

impl<'a> SearchJson<'a> {
    pub fn new(results: &'a SearchResults) -> Self {
        let keys = facet_keys(&results.facets);
        SearchJson {
            query: &results.query,
            total_hits: results.total_hits,
            total_exact: results.total_exact,
            total_pages: results.total_pages,
            took_us: results.took_us,
            sort: results.sort,
            offset: results.offset,
            hits: &results.hits,
            facets: results.facets.iter().zip(&keys).map(|(f, k)| (k.clone(), f.counts.as_slice())).collect(),
            facets_more: results
                .facets
                .iter()
                .zip(&keys)
                .filter(|(f, _)| f.more > 0)
                .map(|(f, k)| (k.clone(), f.more))
                .collect(),
            warnings: &results.warnings,
            corrected: results.corrected.as_deref(),
        }
    }
}

/// The key of each facet count: its field (`date`); when one field is counted more than
/// once, the counts below a parent are keyed by field and parent (`date=/2025`), so that
/// no count hides another.
fn facet_keys(facets: &[crate::search::FacetResult]) -> Vec<String> {
    let times = |field: &str| facets.iter().filter(|f| f.field == field).count();
    facets
        .iter()
        .map(|f| {
            if f.parent == "/" || times(&f.field) == 1 { f.field.clone() } else { format!("{}={}", f.field, f.parent) }
        })
        .collect()
}

/// `{"query", "total_hits", "total_exact", "took_us", "sort", "offset", "hits": [...], "facets": {FIELD: [...]}}`.
pub fn write_search(out: &mut impl Write, results: &SearchResults) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, &SearchJson::new(results))?;
    writeln!(out)?;
    Ok(())
}

/// One JSON object a line: `{"type": "hit", ...}` per hit (the hit's fields), then
/// `{"type": "facets", "facets": {...}}` when facets were counted, then `{"type":
/// "summary", ...}` with the envelope's other fields.
pub fn write_search_lines(out: &mut impl Write, results: &SearchResults) -> Result<()> {
    #[derive(Serialize)]
    struct Line<'a, T: Serialize> {
        r#type: &'static str,
        #[serde(flatten)]
        body: &'a T,
    }
    for hit in &results.hits {
        serde_json::to_writer(&mut *out, &Line { r#type: "hit", body: hit })?;
        writeln!(out)?;
    }
    let doc = SearchJson::new(results);
    if !doc.facets.is_empty() {
        #[derive(Serialize)]
        struct Facets<'a> {
            facets: &'a BTreeMap<String, &'a [FacetCount]>,
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            facets_more: &'a BTreeMap<String, usize>,
        }
        serde_json::to_writer(
            &mut *out,
            &Line { r#type: "facets", body: &Facets { facets: &doc.facets, facets_more: &doc.facets_more } },
        )?;
        writeln!(out)?;
    }
    #[derive(Serialize)]
    struct Summary<'a> {
        query: &'a str,
        total_hits: usize,
        total_exact: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        total_pages: Option<usize>,
        took_us: u64,
        sort: crate::search::Sort,
        offset: usize,
        hits: usize,
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        warnings: &'a [String],
        #[serde(skip_serializing_if = "Option::is_none")]
        corrected: Option<&'a str>,
    }
    let summary = Summary {
        query: doc.query,
        total_hits: doc.total_hits,
        total_exact: doc.total_exact,
        total_pages: doc.total_pages,
        took_us: doc.took_us,
        sort: doc.sort,
        offset: doc.offset,
        hits: results.hits.len(),
        warnings: doc.warnings,
        corrected: doc.corrected,
    };
    serde_json::to_writer(&mut *out, &Line { r#type: "summary", body: &summary })?;
    writeln!(out)?;
    Ok(())
}

/// The error object scripts read: `{"error": {"kind", "message", "column"}}` (`column`
/// only for query syntax errors).
#[derive(Serialize)]
pub struct ErrorJson {
    pub error: ErrorBody,
}

#[derive(Serialize)]
pub struct ErrorBody {
    pub kind: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl ErrorJson {
    pub fn new(e: &crate::Error) -> Self {
        ErrorJson { error: ErrorBody { kind: e.kind(), message: e.to_string(), column: e.column() } }
    }
}

/// Writes `e` as one JSON line.
pub fn write_error(out: &mut impl Write, e: &crate::Error) -> Result<()> {
    serde_json::to_writer(&mut *out, &ErrorJson::new(e))?;
    writeln!(out)?;
    Ok(())
}
