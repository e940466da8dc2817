//! Ranked faceted search: a text query (or none, to browse) narrowed by filters, top hits
//! by relevance or date, facet counts gathered in the same pass, and snippets.

mod automata;
pub mod browse;
mod docstore;
pub mod expand;
mod facets;
pub mod filter;
mod group;
pub mod ids;
pub mod limits;
mod masked;
mod matched;
pub mod query;
pub mod rank;
pub mod request;
mod snippet;
mod stored;
pub mod syntax;

use std::time::Instant;

use serde::Serialize;
use tantivy::collector::{Collector, Count, MultiCollector, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, EnableScoring, Occur, Query, Weight};
use tantivy::schema::Field;
use tantivy::{DateTime, DocAddress, Order, Searcher};

use crate::error::{Error, Result};
use crate::index::PaperdexIndex;
pub use browse::TermCounts;
pub(crate) use browse::{check_segment_file, write_segment_files};
pub use facets::ChildMaps;
pub use filter::FacetRequest;
pub use request::{DatePath, FacetFilter, FacetSpec, FacetUnit, Group, RecordKind};
pub use snippet::Snippet;
pub use stored::StoreReaders;
use stored::StoredDoc;

/// How hits are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// BM25 score, best first.
    Relevance,
    /// Oldest first.
    Date,
    /// Newest first.
    #[value(name = "-date")]
    #[serde(rename = "-date")]
    DateDesc,
}

/// One search, as the user asked it, in typed values (see [`request`]).
#[derive(Debug, Clone)]
pub struct SearchRequest {
    /// The query text; `None`, empty or `*` browses everything the filters let through.
    pub query: Option<String>,
    /// Only records of these kinds (ORed); none: every kind.
    pub kinds: Vec<RecordKind>,
    /// Values of one field ORed, different fields ANDed.
    pub filters: Vec<FacetFilter>,
    /// Records with any of these values are dropped.
    pub excludes: Vec<FacetFilter>,
    pub facets: Vec<FacetSpec>,
    /// At most this many values per facet (the rest are counted in `facets_more`).
    pub facet_limit: Option<usize>,
    /// What facet counts count: records, or pages with a matching record.
    pub facet_unit: FacetUnit,
    /// One hit per page (its best record), paged by page.
    pub group: Option<Group>,
    pub since: Option<DatePath>,
    pub until: Option<DatePath>,
    /// `None` means relevance for a query and newest first when browsing.
    pub sort: Option<Sort>,
    pub limit: usize,
    pub offset: usize,
    pub fuzzy: bool,
    /// Refuse what is not well-formed query syntax instead of reading it as words.
    pub strict: bool,
    /// Count every match even where the best hits are found without visiting them all;
    /// otherwise such a count stops past [`COUNTED_HITS`] (`total_exact` false).
    pub exact_total: bool,
    pub snippet_chars: usize,
}

/// Where a count that costs a pass of its own stops, as Elasticsearch's
/// `track_total_hits` default: past it, `total_hits` says "at least".
pub const COUNTED_HITS: u32 = 10_000;

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            query: None,
            kinds: Vec::new(),
            filters: Vec::new(),
            excludes: Vec::new(),
            facets: Vec::new(),
            facet_limit: None,
            facet_unit: FacetUnit::Records,
            group: None,
            since: None,
            until: None,
            sort: None,
            limit: 10,
            offset: 0,
            fuzzy: false,
            strict: false,
            exact_total: false,
            snippet_chars: 180,
        }
    }
}

impl SearchRequest {
    /// The query text when there is one to rank by: not when it is only stars (`*`, `**`,
    /// `* *`), which browse everything.
    pub fn text(&self) -> Option<&str> {
        self.query.as_deref().map(str::trim).filter(|q| q.split_whitespace().any(|w| w.bytes().any(|b| b != b'*')))
    }
}

/// One hit, ready to print: the fields every record has, then what its kind adds.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// `page`, `caption/figure`, `caption/chart`, `caption/table` or `method`.
    pub kind: String,
    pub id: String,
    pub page_id: String,
    /// The page's title.
    pub title: String,
    /// BM25 score; `null` when sorted by date or browsing.
    pub score: Option<f32>,
    pub snippet: String,
    /// Byte ranges of `snippet` that matched the query.
    pub highlights: Vec<[usize; 2]>,
    pub lang: String,
    pub date: Option<String>,
    pub source: String,
    /// With one hit per page (`group=page`): the page's other matching records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupInfo>,
    /// The fields of the hit's kind, written beside the common ones.
    #[serde(flatten)]
    pub detail: HitDetail,
}

/// What a hit carries beyond the common fields, by record kind. Serialized without a
/// tag: the hit's `kind` says which it is.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum HitDetail {
    Page {
        summary: String,
        categories: Vec<String>,
        topics: Vec<String>,
        affiliations: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        authors: Option<String>,
    },
    /// A figure, chart or table caption.
    Caption {
        #[serde(skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        /// The paper's caption.
        caption: String,
        /// The review's description.
        description: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        image: Option<String>,
    },
    /// A method entry of a taxonomy table.
    Method {
        name: String,
        citation: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        year: Option<u64>,
        category: String,
        mechanism: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        section: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        table_label: Option<String>,
    },
    /// A record of a kind this build does not know (an index written by a newer one).
    Other {},
}

/// One facet value and how many matching records carry it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FacetCount {
    pub path: String,
    pub count: u64,
}

/// The counts of one `--facet` request.
#[derive(Debug, Clone, Serialize)]
pub struct FacetResult {
    pub field: String,
    /// The path whose children were counted (`/` from the top).
    pub parent: String,
    pub counts: Vec<FacetCount>,
    /// Values left out by the request's facet limit.
    pub more: usize,
}

#[derive(Debug, Clone)]
pub struct SearchResults {
    pub query: String,
    /// The matching records; at least that many when `total_exact` is false.
    pub total_hits: usize,
    /// Whether `total_hits` counts every match (false: the count stopped past
    /// [`COUNTED_HITS`], the best hits being found without it).
    pub total_exact: bool,
    pub took_us: u64,
    /// Of `took_us`: parsing the query and collecting hits and facet counts.
    pub search_us: u64,
    /// Of `took_us`: reading the hits' stored fields and making snippets.
    pub fetch_us: u64,
    pub hits: Vec<Hit>,
    /// With one hit per page: how many pages matched.
    pub total_pages: Option<usize>,
    pub facets: Vec<FacetResult>,
    pub sort: Sort,
    pub offset: usize,
    /// What the user should know about how the request was read (a filter value that
    /// matched nothing, with the nearest values).
    pub warnings: Vec<String>,
    /// The query searched instead, when the query as given found nothing.
    pub corrected: Option<String>,
}

/// Runs one search on an open index. A query that finds nothing is tried once more with
/// its misspelt words corrected (one typo each, against the words the index holds), and
/// says so: "no hits for `colorizaton`; showing `colorization`".
pub fn search(px: &PaperdexIndex, searcher: &Searcher, request: &SearchRequest) -> Result<SearchResults> {
    let results = search_once(px, searcher, request)?;
    if results.total_hits > 0 || request.strict {
        return Ok(results);
    }
    let Some(text) = request.text() else { return Ok(results) };
    let Some(corrected) = corrected_query(searcher, &px.fields, text) else { return Ok(results) };
    let retry = SearchRequest { query: Some(corrected.clone()), ..request.clone() };
    let mut again = search_once(px, searcher, &retry)?;
    if again.total_hits == 0 {
        return Ok(results);
    }
    again.warnings.insert(0, format!("no hits for `{text}`; showing `{corrected}`"));
    again.query = text.to_owned();
    again.corrected = Some(corrected);
    again.took_us += results.took_us;
    again.search_us += results.search_us;
    Ok(again)
}

/// The query with each plain word the index does not hold replaced by its most frequent
/// neighbour one edit away; `None` when no word needs (or has) a correction.
fn corrected_query(searcher: &Searcher, fields: &crate::index::Fields, text: &str) -> Option<String> {
    let mut changed = false;
    let words: Vec<String> = text
        .split_whitespace()
        .map(|token| {
            // `GUI Agentz:`, `"colorizaton`, `title:colorizaton`: the word inside.
            let (field, rest) = match token.split_once(':') {
                Some((f, r)) if crate::search::syntax::known_field(f) => (Some(f), r),
                _ => (None, token),
            };
            let start = rest.find(|c: char| c.is_alphanumeric()).unwrap_or(rest.len());
            let end = rest
                .rfind(|c: char| c.is_alphanumeric())
                .map_or(start, |e| e + rest[e..].chars().next().map_or(1, char::len_utf8));
            let core = &rest[start..end.max(start)];
            let exact = crate::index::tokenizer::exact_terms(core);
            let fixed = match &exact[..] {
                [one]
                    if one.chars().count() >= expand::shortest_typo_word(one).1
                        && core.chars().all(|c| c.is_alphanumeric() || c == '\'') =>
                {
                    expand::correction(searcher, fields, one)
                }
                _ => None,
            };
            match fixed {
                Some(fixed) => {
                    changed = true;
                    let field = field.map(|f| format!("{f}:")).unwrap_or_default();
                    format!("{field}{}{fixed}{}", &rest[..start], &rest[end.max(start)..])
                }
                None => token.to_owned(),
            }
        })
        .collect();
    changed.then(|| words.join(" "))
}

/// For a browse whose filters pass more than half the records: what browsing everything
/// counts (from the term dictionaries, see [`browse`]) and the filters' masks, so that the
/// filters' facet counts are every record's less those of the few records they turn away,
/// instead of a pass over the many they keep. `None` where the filters pass fewer, where a
/// required filter is not made of terms (a date range: its size is not known before a
/// pass), or where browsing everything takes a pass of its own (a segment with deletions).
fn dense_filter(
    px: &PaperdexIndex,
    searcher: &Searcher,
    facets: &[FacetRequest],
    must: &[Box<dyn Query>],
    must_not: &[Box<dyn Query>],
) -> tantivy::Result<Option<(browse::Everything, std::sync::Arc<masked::Filter>)>> {
    let records = searcher.num_docs();
    let made_of_terms = |q: &dyn Query| {
        let mut any = false;
        q.query_terms(&mut |_, _| any = true);
        any
    };
    if searcher.segment_readers().iter().any(|s| s.has_deletes()) || !must.iter().all(|q| made_of_terms(q.as_ref())) {
        return Ok(None);
    }
    // Each required filter passes at most its terms' records.
    if filter::records_at_most(searcher, must)?.is_some_and(|most| most.saturating_mul(2) <= records) {
        return Ok(None);
    }
    let filter = masked::Filter::of(searcher, must, must_not)?;
    let mut passed = 0;
    for reader in searcher.segment_readers() {
        passed += filter.passed(reader)?;
    }
    if passed.saturating_mul(2) <= records {
        return Ok(None);
    }
    let all = browse::everything(&px.term_counts, searcher, px.fields.date, facets, Order::Desc, 0, 0)?;
    Ok(all.map(|all| (all, std::sync::Arc::new(filter))))
}

/// Facet counts `all` less `rejected` (both per facet request, as paths and counts), the
/// values left with no record dropped, in `all`'s order.
fn less(all: Vec<Vec<(String, u64)>>, rejected: Vec<Vec<(String, u64)>>) -> Vec<Vec<(String, u64)>> {
    all.into_iter()
        .zip(rejected.into_iter().chain(std::iter::repeat_with(Vec::new)))
        .map(|(all, rejected)| {
            let rejected: std::collections::HashMap<String, u64> = rejected.into_iter().collect();
            all.into_iter()
                .filter_map(|(path, count)| {
                    let left = count.saturating_sub(rejected.get(&path).copied().unwrap_or(0));
                    (left > 0).then_some((path, left))
                })
                .collect()
        })
        .collect()
}

/// What `collector` gathers over every segment of `searcher` with a weight already made
/// (as [`Searcher::search`] does with the weight it makes).
fn collect<C: Collector>(searcher: &Searcher, weight: &dyn Weight, collector: &C) -> tantivy::Result<C::Fruit> {
    let mut fruits = Vec::with_capacity(searcher.segment_readers().len());
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        fruits.push(collector.collect_segment(weight, ord as u32, reader)?);
    }
    collector.merge_fruits(fruits)
}

fn search_once(px: &PaperdexIndex, searcher: &Searcher, request: &SearchRequest) -> Result<SearchResults> {
    let started = Instant::now();
    limits::check_paging(request.limit, request.offset)?;
    if let Some(text) = request.text() {
        limits::check_query(text, request.fuzzy)?;
    }
    let f = &px.fields;
    let mut query_warnings = Vec::new();
    // The kinds a search keeps: `--kind` and `--filter kind=` values, ORed (as the kind
    // filter ORs them); the query reads only the fields records of those kinds carry.
    let kept: Vec<RecordKind> = request
        .kinds
        .iter()
        .copied()
        .chain(request.filters.iter().filter(|f| f.field == "kind").filter_map(|f| f.value.parse().ok()))
        .collect();
    let kept = rank::Kinds::of(&kept);
    let text_query = match request.text() {
        // A query that names a paper (an arXiv id, a link) puts that paper first.
        Some(text) => {
            let reading = query::Reading { fuzzy: request.fuzzy, strict: request.strict, kinds: kept };
            match ids::named_paper(text) {
                Some(id) => {
                    let words = query::parse(&px.index, searcher, f, text, reading).ok().map(|p| p.query);
                    Some(ids::paper_query(f, &id, words))
                }
                // An id beside words: that paper first, its records holding the words
                // first among its own, then the words' other hits.
                None if let Some((id, rest)) = ids::paper_among_words(text) => {
                    let parsed = query::parse(&px.index, searcher, f, rest, reading)?;
                    query_warnings = parsed.warnings;
                    Some(ids::paper_query(f, &id, Some(parsed.query)))
                }
                None => {
                    let parsed = query::parse(&px.index, searcher, f, text, reading)?;
                    query_warnings = parsed.warnings;
                    Some(parsed.query)
                }
            }
        }
        None => None,
    };
    // A query that only reaches records of the kinds asked for (their own fields, as
    // `--kind caption` reads) needs no kind filter to intersect with.
    let kinds_implied = !request.kinds.is_empty()
        && request.kinds.iter().all(|k| k.is_top_level())
        && !request.filters.iter().any(|f| f.field == "kind")
        && text_query.as_deref().is_some_and(|q| rank::within_kinds(q, kept));
    let filters = filter::filters(
        searcher,
        f,
        if kinds_implied { &[] } else { &request.kinds },
        &request.filters,
        &request.excludes,
        request.since,
        request.until,
    )?;
    let filters_empty = filters.must.is_empty() && filters.must_not.is_empty();
    // Filters that pass about as many records as the words are on mask the words' own
    // pass; others are intersected with it.
    let masking = match &text_query {
        Some(q) if !filters_empty => {
            let failed = |e| Error::tantivy(&px.path, e);
            let words = masked::postings_of(searcher, q.as_ref()).map_err(failed)?;
            let filtered = filter::records_at_most(searcher, &filters.must).map_err(failed)?;
            words.zip(filtered).is_some_and(|(w, f)| masked::worth_masking(w, f))
        }
        _ => false,
    };
    // A browse (no words) whose filters pass most records counts its facets as every
    // record's counts less those of the records the filters turn away ([`dense_filter`]).
    let browse_filters = (text_query.is_none() && !filters_empty && !request.facets.is_empty()).then(|| {
        let copies = |queries: &[Box<dyn Query>]| queries.iter().map(|q| q.box_clone()).collect::<Vec<_>>();
        (copies(&filters.must), copies(&filters.must_not))
    });
    let full_query: Box<dyn Query> = match &text_query {
        Some(words) if masking => Box::new(masked::Masked::new(words.box_clone(), filters.must, filters.must_not)),
        _ => {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            if let Some(q) = &text_query {
                clauses.push((Occur::Must, q.box_clone()));
            }
            // Filters narrow; they do not score (a kind's own rarity would otherwise lift
            // its records above another kind's when several are asked for).
            clauses.extend(
                filters
                    .must
                    .into_iter()
                    .map(|q| (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)) as Box<dyn Query>)),
            );
            clauses.extend(filters.must_not.into_iter().map(|q| (Occur::MustNot, q)));
            match clauses.len() {
                0 => Box::new(AllQuery),
                1 if text_query.is_some() => clauses.pop().map(|(_, q)| q).expect("one clause"),
                _ => {
                    if text_query.is_none() {
                        clauses.push((Occur::Must, Box::new(AllQuery)));
                    }
                    Box::new(BooleanQuery::new(clauses))
                }
            }
        }
    };
    let mut facet_warnings = Vec::new();
    let facet_requests = filter::facet_requests(searcher, f, &request.facets, &mut facet_warnings)?;
    let sort = match request.sort {
        // Without words there is nothing to be relevant to: browsing's own order.
        Some(Sort::Relevance) if text_query.is_none() => {
            query_warnings.push("sorting by relevance needs words to rank by; browsing shows the newest first".into());
            Sort::DateDesc
        }
        Some(sort) => sort,
        None if text_query.is_some() => Sort::Relevance,
        None => Sort::DateDesc,
    };

    // Facet counts, when asked for, share one pass with the count and the top hits; the
    // count and the top hits are statically dispatched (a record at a time, the hot loop).
    let mut facet_collectors = MultiCollector::new();
    if !facet_requests.is_empty() {
        let segments: Vec<_> = searcher.segment_readers().iter().map(|s| s.segment_id()).collect();
        px.child_maps.retain_segments(&segments);
    }
    let facet_handles: Vec<FacetHandle> = facet_requests
        .iter()
        .map(|r| {
            let name = px.index.schema().get_field_name(r.field).to_owned();
            match request.facet_unit {
                FacetUnit::Records => facet_collectors.add_collector(facets::RecordFacetCounts {
                    field: name,
                    parent: r.path.clone(),
                    maps: px.child_maps.clone(),
                }),
                FacetUnit::Pages => facet_collectors.add_collector(group::PageFacetCounts {
                    field: name,
                    parent: r.path.clone(),
                    maps: px.child_maps.clone(),
                }),
            }
        })
        .collect();
    let facet_collectors = (!facet_handles.is_empty()).then_some(facet_collectors);
    let failed = |e: tantivy::TantivyError| match e {
        // What the query asks of a field that cannot answer it (`title:*` under --strict)
        // is the query's fault, not the index's.
        tantivy::TantivyError::SchemaError(message) | tantivy::TantivyError::InvalidArgument(message) => {
            Error::QuerySyntax { query: request.query.clone().unwrap_or_default(), column: None, message }
        }
        other => Error::tantivy(&px.path, other),
    };
    let (limit, offset) = (request.limit, request.offset);
    let scored = sort == Sort::Relevance && text_query.is_some();
    let q = &*full_query;
    let extract = move |fruits: Option<tantivy::collector::MultiFruit>| -> Vec<Vec<(String, u64)>> {
        let Some(mut fruits) = fruits else { return Vec::new() };
        facet_handles.into_iter().map(|h| h.extract(&mut fruits)).collect()
    };
    // Browsing everything is answered from the term dictionaries where they can.
    let everything = match sort {
        Sort::Date | Sort::DateDesc
            if text_query.is_none()
                && filters_empty
                && request.group.is_none()
                && request.facet_unit == FacetUnit::Records =>
        {
            let order = if sort == Sort::Date { Order::Asc } else { Order::Desc };
            browse::everything(&px.term_counts, searcher, f.date, &facet_requests, order, limit, offset)
                .map_err(failed)?
        }
        _ => None,
    };
    // A ranked query whose best records are found without scoring every record.
    let pruned = q.downcast_ref::<rank::Bm25fQuery>().filter(|b| b.prunes() && facet_collectors.is_none());
    let scored_whole = q.downcast_ref::<rank::Bm25fQuery>().filter(|b| !b.prunes() && facet_collectors.is_none());
    // Masked words that prune: counted apart from the top hits, as unmasked ones are.
    let masked_prunes = facet_collectors.is_none()
        && q.downcast_ref::<masked::Masked>()
            .and_then(|m| m.words().downcast_ref::<rank::Bm25fQuery>())
            .is_some_and(rank::Bm25fQuery::prunes);
    let gathered = match (everything, limit, sort, request.group, pruned) {
        (Some(all), ..) => Gathered {
            count: all.count,
            exact: true,
            top: Top::Docs(all.top.into_iter().map(|a| (None, a)).collect()),
            facets: all.facets,
        },
        (None, _, _, Some(Group::Page), _) => {
            let pages = group::PageGroups { sort, scored };
            let (count, pages, facets) = searcher.search(q, &(Count, pages, facet_collectors)).map_err(failed)?;
            Gathered { count, exact: true, top: Top::Pages(pages), facets: extract(facets) }
        }
        (None, 0, _, None, _) => {
            let (count, facets) = searcher.search(q, &(Count, facet_collectors)).map_err(failed)?;
            Gathered { count, exact: true, top: Top::Docs(Vec::new()), facets: extract(facets) }
        }
        // Words the best records can be found among without scoring every record: the
        // count is taken apart, from the document lists alone, and only as far as asked.
        (None, _, Sort::Relevance, None, Some(bm25f)) => {
            let top = TopDocs::with_limit(limit).and_offset(offset).order_by_score();
            let weight = bm25f.scored_weight(searcher).map_err(failed)?;
            let cap = (!request.exact_total).then_some(COUNTED_HITS);
            let (count, exact) = rank::count_up_to(&weight, searcher, cap, None).map_err(failed)?;
            let hits = collect(searcher, &weight, &top).map_err(failed)?;
            Gathered {
                count,
                exact,
                top: Top::Docs(hits.into_iter().map(|(s, a)| (Some(s), a)).collect()),
                facets: Vec::new(),
            }
        }
        (None, _, Sort::Relevance, None, _) if masked_prunes => {
            let masked = q.downcast_ref::<masked::Masked>().expect("a masked query");
            let bm25f = masked.words().downcast_ref::<rank::Bm25fQuery>().expect("masked BM25F words");
            let filter = masked.filter(searcher).map_err(failed)?;
            let cap = (!request.exact_total).then_some(COUNTED_HITS);
            let words = bm25f.scored_weight(searcher).map_err(failed)?;
            let (count, exact) = rank::count_up_to(&words, searcher, cap, Some(&filter)).map_err(failed)?;
            let top = TopDocs::with_limit(limit).and_offset(offset).order_by_score();
            let weight = masked::Masked::weight_over(Box::new(words), filter);
            let hits = collect(searcher, weight.as_ref(), &top).map_err(failed)?;
            Gathered {
                count,
                exact,
                top: Top::Docs(hits.into_iter().map(|(s, a)| (Some(s), a)).collect()),
                facets: Vec::new(),
            }
        }
        // Words whose every match is scored (one word, or every word required): the matches
        // are counted in the pass that finds the best of them, which hands on a record
        // only when it beats those found so far, instead of every record to a collector.
        (None, _, Sort::Relevance, None, _) if let Some(bm25f) = scored_whole => {
            let weight = bm25f.scored_weight(searcher).map_err(failed)?;
            let top = TopDocs::with_limit(limit).and_offset(offset).order_by_score();
            let hits = collect(searcher, &weight, &top).map_err(failed)?;
            let count = match weight.matches_seen() {
                Some(seen) => usize::try_from(seen).unwrap_or(usize::MAX),
                None => collect(searcher, &weight, &Count).map_err(failed)?,
            };
            Gathered {
                count,
                exact: true,
                top: Top::Docs(hits.into_iter().map(|(s, a)| (Some(s), a)).collect()),
                facets: Vec::new(),
            }
        }
        (None, _, Sort::Relevance, None, _) => {
            let top = TopDocs::with_limit(limit).and_offset(offset).order_by_score();
            let (count, hits, facets) = searcher.search(q, &(Count, top, facet_collectors)).map_err(failed)?;
            Gathered {
                count,
                exact: true,
                top: Top::Docs(hits.into_iter().map(|(s, a)| (Some(s), a)).collect()),
                facets: extract(facets),
            }
        }
        (None, _, Sort::Date | Sort::DateDesc, None, _) => {
            let order = if sort == Sort::Date { Order::Asc } else { Order::Desc };
            let top = || TopDocs::with_limit(limit).and_offset(offset).order_by_fast_field::<DateTime>("date", order);
            // The count and the facets first, without reading any date; then the top hits
            // among the records of the newest dates, as many of them as the count says
            // should hold enough matches (more when they do not), else among all, with the
            // same weight.
            let weight = q.weight(EnableScoring::disabled_from_searcher(searcher)).map_err(failed)?;
            let dense = match &browse_filters {
                Some((must, must_not)) if request.facet_unit == FacetUnit::Records && facet_collectors.is_some() => {
                    dense_filter(px, searcher, &facet_requests, must, must_not).map_err(failed)?
                }
                _ => None,
            };
            let (count, facets) = match (facet_collectors, dense) {
                (Some(facets), Some((all, filter))) => {
                    let rejected = masked::Rejected(filter);
                    let (turned_away, fruits) = collect(searcher, &rejected, &(Count, facets)).map_err(failed)?;
                    (all.count.saturating_sub(turned_away), less(all.facets, extract(Some(fruits))))
                }
                (Some(facets), None) => {
                    let (count, facets) = collect(searcher, weight.as_ref(), &(Count, facets)).map_err(failed)?;
                    (count, extract(Some(facets)))
                }
                (None, _) => (collect(searcher, weight.as_ref(), &Count).map_err(failed)?, Vec::new()),
            };
            let wanted = limit.saturating_add(offset);
            let mut recent = None;
            for range in
                browse::recent_dates(&px.term_counts, searcher, f.date, order, wanted, count).map_err(failed)?
            {
                let within = BooleanQuery::new(vec![(Occur::Must, q.box_clone()), (Occur::Must, Box::new(range))]);
                let (matched, hits) = searcher.search(&within, &(Count, top())).map_err(failed)?;
                if matched >= wanted {
                    recent = Some(hits);
                    break;
                }
            }
            let hits = match recent {
                Some(hits) => hits,
                None => collect(searcher, weight.as_ref(), &top()).map_err(failed)?,
            };
            Gathered { count, exact: true, top: Top::Docs(hits.into_iter().map(|(_, a)| (None, a)).collect()), facets }
        }
    };
    let searched = started.elapsed();
    let (total_hits, total_exact) = (gathered.count, gathered.exact);
    let mut total_pages = None;
    let mut groups: Vec<group::PageGroup> = Vec::new();
    let ranked: Vec<(Option<f32>, DocAddress)> = match gathered.top {
        Top::Docs(docs) => docs,
        Top::Pages(all) => {
            total_pages = Some(all.len());
            groups = all.into_iter().skip(offset).take(limit).collect();
            groups.iter().filter_map(|g| g.top.first().map(|&(s, a)| (scored.then_some(s), a))).collect()
        }
    };
    let facets = facet_requests
        .iter()
        .zip(gathered.facets)
        .map(|(r, counts)| {
            let mut values: Vec<FacetCount> =
                counts.into_iter().map(|(path, count)| FacetCount { path, count }).collect();
            // Most frequent first, then by path. Counts mostly come in path order (a
            // segment's dictionary order): then only the counts need sorting, stably.
            if values.windows(2).all(|w| w[0].path < w[1].path) {
                values.sort_by_key(|v| std::cmp::Reverse(v.count));
            } else {
                values.sort_unstable_by(|a, b| b.count.cmp(&a.count).then_with(|| a.path.cmp(&b.path)));
            }
            let more = request.facet_limit.map_or(0, |n| values.len().saturating_sub(n));
            values.truncate(values.len() - more);
            FacetResult { field: r.name.clone(), parent: filter::path_string(&r.path), counts: values, more }
        })
        .collect();

    let mut snippets = snippet::Snippets::new(searcher, text_query.as_deref(), f, request.snippet_chars);
    let addresses: Vec<DocAddress> = ranked.iter().map(|&(_, a)| a).collect();
    snippets.find_pairs(&addresses, request.text().unwrap_or_default()).map_err(|e| Error::tantivy(&px.path, e))?;
    let mut hits = Vec::with_capacity(ranked.len());
    for (i, (score, address)) in ranked.into_iter().enumerate() {
        let doc = StoredDoc::read(&px.stores, searcher, address).map_err(|e| Error::tantivy(&px.path, e))?;
        let mut hit = hit(px, &doc, address, score, &mut snippets)?;
        if let Some(g) = groups.get(i) {
            let mut also = Vec::new();
            for &(s, a) in g.top.iter().skip(1) {
                let doc = StoredDoc::read(&px.stores, searcher, a).map_err(|e| Error::tantivy(&px.path, e))?;
                also.push(AlsoMatched {
                    id: first(&doc, f.id).unwrap_or_default(),
                    kind: first(&doc, f.kind).unwrap_or_default(),
                    score: score.map(|_| s),
                });
            }
            hit.group = Some(GroupInfo { matched: g.count, also });
        }
        hits.push(hit);
    }
    let took = started.elapsed();
    Ok(SearchResults {
        query: request.query.clone().unwrap_or_default(),
        total_hits,
        total_exact,
        took_us: took.as_micros() as u64,
        search_us: searched.as_micros() as u64,
        fetch_us: (took - searched).as_micros() as u64,
        hits,
        total_pages,
        facets,
        sort,
        offset: request.offset,
        warnings: query_warnings.into_iter().chain(filters.warnings).chain(facet_warnings).fold(
            Vec::new(),
            |mut all, w| {
                // A value both filtered on and counted under warns once.
                if !all.contains(&w) {
                    all.push(w);
                }
                all
            },
        ),
        corrected: None,
    })
}

/// What one pass over the matching records gathers.
struct Gathered {
    count: usize,
    /// Whether `count` is every match.
    exact: bool,
    top: Top,
    /// Per facet request, its children's paths and counts.
    facets: Vec<Vec<(String, u64)>>,
}

enum Top {
    /// The top records, with their scores when ranked by relevance.
    Docs(Vec<(Option<f32>, DocAddress)>),
    /// Every matching page's group, best first.
    Pages(Vec<group::PageGroup>),
}

/// One facet field's counts, as child paths and counts, by records or by pages.
type FacetHandle = tantivy::collector::FruitHandle<Vec<(String, u64)>>;

/// With one hit per page: how many of the page's records matched, and the next best.
#[derive(Debug, Clone, Serialize)]
pub struct GroupInfo {
    pub matched: u64,
    pub also: Vec<AlsoMatched>,
}

/// Another matching record of a grouped hit's page.
#[derive(Debug, Clone, Serialize)]
pub struct AlsoMatched {
    pub id: String,
    pub kind: String,
    pub score: Option<f32>,
}

fn first(doc: &StoredDoc, field: Field) -> Option<String> {
    doc.first(field).map(str::to_owned)
}

fn all(doc: &StoredDoc, field: Field) -> Vec<String> {
    doc.all(field).map(str::to_owned).collect()
}

fn hit(
    px: &PaperdexIndex,
    doc: &StoredDoc,
    address: DocAddress,
    score: Option<f32>,
    snippets: &mut snippet::Snippets,
) -> Result<Hit> {
    let f = &px.fields;
    let kind = first(doc, f.kind).unwrap_or_default();
    let date = doc.date(f.date).map(format_date);
    let snippet = snippets.for_doc(doc, &kind, address).map_err(|e| Error::tantivy(&px.path, e))?;
    // `caption/table` is a caption: the kind or its first path segment.
    let detail = match kind.split('/').next().unwrap_or_default() {
        "page" => HitDetail::Page {
            summary: first(doc, f.summary).unwrap_or_default(),
            categories: all(doc, f.category),
            topics: all(doc, f.topic),
            affiliations: all(doc, f.affiliation),
            authors: first(doc, f.authors),
        },
        "caption" => HitDetail::Caption {
            label: first(doc, f.label),
            caption: first(doc, f.caption).unwrap_or_default(),
            description: first(doc, f.description).unwrap_or_default(),
            image: first(doc, f.image),
        },
        "method" => HitDetail::Method {
            name: first(doc, f.name).unwrap_or_default(),
            citation: first(doc, f.citation).unwrap_or_default(),
            year: doc.u64(f.year),
            category: first(doc, f.category).unwrap_or_default(),
            mechanism: first(doc, f.mechanism).unwrap_or_default(),
            section: first(doc, f.section),
            table_label: first(doc, f.table_label),
        },
        _ => HitDetail::Other {},
    };
    Ok(Hit {
        id: first(doc, f.id).unwrap_or_default(),
        page_id: first(doc, f.page_id).unwrap_or_default(),
        title: first(doc, f.page_title).unwrap_or_default(),
        score,
        snippet: snippet.text,
        highlights: snippet.highlights,
        lang: first(doc, f.lang).unwrap_or_default(),
        date,
        source: first(doc, f.source).unwrap_or_default(),
        group: None,
        detail,
        kind,
    })
}

/// `YYYY-MM-DD` of a stored date.
fn format_date(date: DateTime) -> String {
    crate::index::document::civil_date(date.into_timestamp_secs().div_euclid(86_400))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::document::date_value;

    #[test]
    fn dates_round_trip() {
        for d in ["1970-01-01", "2024-02-29", "2024-12-03", "2025-01-17", "2000-03-01"] {
            assert_eq!(format_date(date_value(d).unwrap()), d);
        }
    }
}
