//! Browsing everything (no words, no filter): answered from the term dictionaries
//! instead of a pass over every record.
//!
//! With nothing to narrow, the count is the number of records, a facet child's count is
//! its term's document frequency (a facet is indexed with every one of its ancestors, so
//! `/2025` holds every record dated in 2025), and the newest (or oldest) records are
//! those on the last (first) few dates: the date terms say how many records each date
//! holds, so the top hits are gathered from those dates alone. Deleted records still count
//! in document frequencies until their segment is merged, so a segment with deletions, a
//! record without a date, or counts by page take the full pass instead.
//!
//! What the dictionaries say is kept for the segments it was read from (`TermCounts`, one
//! per open index): a long-lived process (`serve`, `bench`) reads each once per commit.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex};

use tantivy::collector::TopDocs;
use tantivy::columnar::{Cardinality, MonotonicallyMappableToU64};
use tantivy::index::SegmentId;
use tantivy::query::InvertedIndexRangeQuery;
use tantivy::schema::{Facet, Field};
use tantivy::{DateTime, DocAddress, Order, Searcher, Term};

use super::filter::{self, FacetRequest};

/// What browsing everything found: the count, the top records and the facet counts.
pub(super) struct Everything {
    pub count: usize,
    pub top: Vec<DocAddress>,
    pub facets: Vec<Vec<(String, u64)>>,
}

/// Counts read from an index's term dictionaries, kept for the segments they came from.
#[derive(Default)]
pub struct TermCounts {
    kept: Mutex<Kept>,
}

/// A facet field's children of one parent: their paths and record counts.
type Children = Arc<Vec<(String, u64)>>;

#[derive(Default)]
struct Kept {
    segments: Vec<SegmentId>,
    /// Per facet field and parent (encoded): its children's paths and record counts.
    facets: HashMap<(Field, Vec<u8>), Children>,
    /// Records per date (the date's term value), or `None` when some record has no date.
    dates: Option<Arc<Option<BTreeMap<u64, u64>>>>,
}

/// The most facet parents kept per commit: a browsing client can ask for any path.
const MAX_KEPT_PARENTS: usize = 256;

impl TermCounts {
    /// What is kept, emptied first when the searcher reads other segments.
    fn kept(&self, searcher: &Searcher) -> std::sync::MutexGuard<'_, Kept> {
        let mut kept = self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let segments: Vec<SegmentId> = searcher.segment_readers().iter().map(|s| s.segment_id()).collect();
        if kept.segments != segments {
            *kept = Kept { segments, ..Kept::default() };
        }
        kept
    }

    fn children(&self, searcher: &Searcher, field: Field, parent: &Facet) -> tantivy::Result<Children> {
        let key = (field, parent.encoded_str().as_bytes().to_vec());
        if let Some(found) = self.kept(searcher).facets.get(&key) {
            return Ok(found.clone());
        }
        let counted = Arc::new(children(searcher, field, parent)?);
        let mut kept = self.kept(searcher);
        if kept.facets.len() < MAX_KEPT_PARENTS {
            kept.facets.insert(key, counted.clone());
        }
        Ok(counted)
    }

    fn dates(&self, searcher: &Searcher, date: Field) -> tantivy::Result<Arc<Option<BTreeMap<u64, u64>>>> {
        if let Some(found) = &self.kept(searcher).dates {
            return Ok(found.clone());
        }
        let counted = Arc::new(records_per_date(searcher, date)?);
        self.kept(searcher).dates = Some(counted.clone());
        Ok(counted)
    }
}

/// Every record, in date order (`Order::Desc`: newest first), `limit` from `offset`, with
/// per-record counts for `facets`; `None` when the index cannot answer it from its terms.
pub(super) fn everything(
    counts: &TermCounts,
    searcher: &Searcher,
    date: Field,
    facets: &[FacetRequest],
    order: Order,
    limit: usize,
    offset: usize,
) -> tantivy::Result<Option<Everything>> {
    if searcher.segment_readers().iter().any(|s| s.has_deletes()) {
        return Ok(None);
    }
    let top = match newest(counts, searcher, date, order, limit, offset)? {
        Some(top) => top,
        None => return Ok(None),
    };
    let facets = facets
        .iter()
        .map(|r| Ok(counts.children(searcher, r.field, &r.path)?.as_ref().clone()))
        .collect::<tantivy::Result<_>>()?;
    Ok(Some(Everything { count: searcher.num_docs() as usize, top, facets }))
}

/// The records under each child of `parent` in facet field `field`, from the terms.
fn children(searcher: &Searcher, field: Field, parent: &Facet) -> tantivy::Result<Vec<(String, u64)>> {
    let parent = parent.encoded_str().as_bytes();
    let mut start = parent.to_vec();
    if !parent.is_empty() {
        start.push(0);
    }
    // In dictionary order, which a search's facet counts are sorted from.
    let mut counts: std::collections::BTreeMap<Vec<u8>, u64> = Default::default();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let mut stream = inverted.terms().range().ge(&start).into_stream()?;
        while stream.advance() {
            let key = stream.key();
            if !key.starts_with(&start) {
                break;
            }
            let rest = &key[start.len()..];
            // Only the children themselves: their descendants are counted in them.
            if rest.is_empty() || rest.contains(&0) {
                continue;
            }
            *counts.entry(key.to_vec()).or_default() += u64::from(stream.value().doc_freq);
        }
    }
    Ok(counts
        .into_iter()
        .filter(|&(_, count)| count > 0)
        .filter_map(|(key, count)| Some((filter::path_string(&Facet::from_encoded(key).ok()?), count)))
        .collect())
}

/// The top records by date, gathered from the dates that hold them; `None` when some
/// record has no date (or several), so the dates do not account for every record.
fn newest(
    counts: &TermCounts,
    searcher: &Searcher,
    date: Field,
    order: Order,
    limit: usize,
    offset: usize,
) -> tantivy::Result<Option<Vec<DocAddress>>> {
    let wanted = limit.saturating_add(offset) as u64;
    if limit == 0 {
        return Ok(Some(Vec::new()));
    }
    let per_date = counts.dates(searcher, date)?;
    let Some(per_date) = per_date.as_ref() else { return Ok(None) };
    let Some(range) = dates_holding(per_date, date, order, wanted) else { return Ok(Some(Vec::new())) };
    let top = TopDocs::with_limit(limit).and_offset(offset).order_by_fast_field::<DateTime>("date", order);
    Ok(Some(searcher.search(&range, &top)?.into_iter().map(|(_, address)| address).collect()))
}

/// How many times the records a date-ordered search wants, by its share of all records,
/// the dates searched first hold ([`recent_dates`]); how many times more each next try
/// holds, for records that gather on some dates (a survey's methods on its page's); and
/// the share of all records a try holds at most (a date range's records are gathered
/// one by one: a wider one costs what a pass over the matching records costs).
const RECENT_MARGIN: u64 = 2;
const RECENT_GROWTH: u64 = 8;
const RECENT_SHARE: u64 = 16;

/// The ranges of newest dates (`Order::Asc`: the oldest), each holding `RECENT_GROWTH`
/// times the records of the one before, where a date-ordered search that matches
/// `matched` records of all can be expected to find first `RECENT_MARGIN` times the
/// `limit + offset` it wants, taking it to match as many records of each date. Where it
/// matches that many in a range, its top hits are among them, every other record being
/// older (newer) than all of them. None holds more than a `RECENT_SHARE`th of the
/// records, and there are none when the dates do not account for every record.
pub(super) fn recent_dates(
    counts: &TermCounts,
    searcher: &Searcher,
    date: Field,
    order: Order,
    wanted: usize,
    matched: usize,
) -> tantivy::Result<Vec<InvertedIndexRangeQuery>> {
    let (wanted, matched) = (wanted as u64, matched as u64);
    // Every record, deleted or not, as the dates count them.
    let records: u64 = searcher.segment_readers().iter().map(|s| u64::from(s.max_doc())).sum();
    if wanted == 0 || matched < wanted {
        return Ok(Vec::new());
    }
    let expected = wanted.saturating_mul(RECENT_MARGIN) as u128 * records as u128 / matched as u128;
    let mut held = u64::try_from(expected).unwrap_or(u64::MAX);
    if held > records / RECENT_SHARE {
        return Ok(Vec::new());
    }
    let per_date = counts.dates(searcher, date)?;
    let Some(per_date) = per_date.as_ref() else { return Ok(Vec::new()) };
    let mut ranges = Vec::new();
    while held <= records / RECENT_SHARE {
        ranges.extend(dates_holding(per_date, date, order, held));
        held = held.saturating_mul(RECENT_GROWTH);
    }
    Ok(ranges)
}

/// The range of the newest (`Order::Asc`: oldest) dates that together hold at least
/// `wanted` records (all of them when they hold fewer); `None` when there are none.
fn dates_holding(
    per_date: &BTreeMap<u64, u64>,
    date: Field,
    order: Order,
    wanted: u64,
) -> Option<InvertedIndexRangeQuery> {
    let dates: Box<dyn Iterator<Item = (&u64, &u64)>> = match order {
        Order::Desc => Box::new(per_date.iter().rev()),
        Order::Asc => Box::new(per_date.iter()),
    };
    // The date from which on (newest first: back from which) there are enough records.
    let mut seen = 0;
    let mut from = None;
    for (&value, &records) in dates {
        seen += records;
        from = Some(value);
        if seen >= wanted {
            break;
        }
    }
    let bound = Bound::Included(Term::from_field_date_for_search(date, DateTime::from_u64(from?)));
    Some(match order {
        Order::Desc => InvertedIndexRangeQuery::new(bound, Bound::Unbounded),
        Order::Asc => InvertedIndexRangeQuery::new(Bound::Unbounded, bound),
    })
}

/// Records per date over all segments, in date order (the date terms' values); `None`
/// when some record has no date or several.
fn records_per_date(searcher: &Searcher, date: Field) -> tantivy::Result<Option<BTreeMap<u64, u64>>> {
    let mut per_date: BTreeMap<u64, u64> = BTreeMap::new();
    for segment in searcher.segment_readers() {
        let column = segment.fast_fields().date("date")?;
        if column.get_cardinality() != Cardinality::Full {
            return Ok(None);
        }
        let inverted = segment.inverted_index(date)?;
        let mut stream = inverted.terms().stream()?;
        while stream.advance() {
            let Ok(key) = <[u8; 8]>::try_from(stream.key()) else { return Ok(None) };
            *per_date.entry(u64::from_be_bytes(key)).or_default() += u64::from(stream.value().doc_freq);
        }
    }
    Ok(Some(per_date))
}
