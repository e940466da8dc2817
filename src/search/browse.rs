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
//! A `paperdex search` process reads it once and exits, and a dictionary is slow to walk
//! whole (about half a microsecond a value: 19,402 categories at 100,000 pages took 17 ms),
//! so every run of `paperdex index` also writes, beside each segment, what browsing
//! reads of it: each facet field's top-level values with their counts, and the records
//! per date (`<segment id>.browse`, [`write_segment_files`]). A segment without one, or
//! with one that does not check out, is read from its dictionaries as before.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tantivy::collector::TopDocs;
use tantivy::columnar::{Cardinality, MonotonicallyMappableToU64};
use tantivy::index::SegmentId;
use tantivy::query::InvertedIndexRangeQuery;
use tantivy::schema::{Facet, Field};
use tantivy::{DateTime, DocAddress, Index, Order, Searcher, SegmentReader, Term};

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
    /// The index folder, where the segments' browse files are.
    dir: Option<PathBuf>,
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
    /// Each segment's browse file, `None` when it has none that checks out.
    files: HashMap<SegmentId, Option<Arc<SegmentCounts>>>,
}

/// The most facet parents kept per commit: a browsing client can ask for any path.
const MAX_KEPT_PARENTS: usize = 256;

impl TermCounts {
    /// Counts for the index in `dir`, read from its segments' browse files where they can.
    pub fn in_dir(dir: &Path) -> TermCounts {
        TermCounts { kept: Mutex::default(), dir: Some(dir.to_path_buf()) }
    }

    /// The browse file of `segment`, read once per commit.
    fn file(&self, searcher: &Searcher, segment: &SegmentReader) -> Option<Arc<SegmentCounts>> {
        let dir = self.dir.as_ref()?;
        let id = segment.segment_id();
        let mut kept = self.kept(searcher);
        kept.files
            .entry(id)
            .or_insert_with(|| {
                let bytes = std::fs::read(dir.join(segment_file_name(id))).ok()?;
                SegmentCounts::decode(&bytes).filter(|c| c.records == segment.max_doc()).map(Arc::new)
            })
            .clone()
    }

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
        let counted = Arc::new(self.count_children(searcher, field, parent)?);
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
        let counted = Arc::new(self.records_per_date(searcher, date)?);
        self.kept(searcher).dates = Some(counted.clone());
        Ok(counted)
    }

    /// The records under each child of `parent` in facet field `field`, in dictionary
    /// order (which a search's facet counts are sorted from): from the segments' browse
    /// files for the top level, else from the terms.
    fn count_children(&self, searcher: &Searcher, field: Field, parent: &Facet) -> tantivy::Result<Vec<(String, u64)>> {
        let name = searcher.schema().get_field_name(field);
        // Each segment's in dictionary order: sorting them together costs a pass over
        // them when there is one segment.
        let mut listed: Vec<(Vec<u8>, u64)> = Vec::new();
        for segment in searcher.segment_readers() {
            let file = if parent.is_root() { self.file(searcher, segment) } else { None };
            match file.as_ref().and_then(|f| f.facet(name)) {
                Some(values) => listed.extend(values.iter().cloned()),
                None => segment_children(segment, field, parent, |key, count| listed.push((key.to_vec(), count)))?,
            }
        }
        listed.sort_by(|a, b| a.0.cmp(&b.0));
        let mut counts: Vec<(Vec<u8>, u64)> = Vec::with_capacity(listed.len());
        for (key, count) in listed {
            match counts.last_mut() {
                Some((last, total)) if *last == key => *total += count,
                _ => counts.push((key, count)),
            }
        }
        Ok(counts
            .into_iter()
            .filter(|&(_, count)| count > 0)
            .filter_map(|(key, count)| Some((filter::encoded_path_string(std::str::from_utf8(&key).ok()?), count)))
            .collect())
    }

    /// Records per date over all segments, in date order (the date terms' values); `None`
    /// when some record has no date or several.
    fn records_per_date(&self, searcher: &Searcher, date: Field) -> tantivy::Result<Option<BTreeMap<u64, u64>>> {
        let mut per_date: BTreeMap<u64, u64> = BTreeMap::new();
        for segment in searcher.segment_readers() {
            let listed = match self.file(searcher, segment) {
                Some(file) => file.dates.clone(),
                None => segment_dates(segment, date)?,
            };
            let Some(listed) = listed else { return Ok(None) };
            for (value, count) in listed {
                *per_date.entry(value).or_default() += count;
            }
        }
        Ok(Some(per_date))
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

/// Each child of `parent` in facet field `field` that `segment`'s terms hold, with its
/// records (deleted ones too), in dictionary order.
fn segment_children(
    segment: &SegmentReader,
    field: Field,
    parent: &Facet,
    mut each: impl FnMut(&[u8], u64),
) -> tantivy::Result<()> {
    let parent = parent.encoded_str().as_bytes();
    let mut start = parent.to_vec();
    if !parent.is_empty() {
        start.push(0);
    }
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
        each(key, u64::from(stream.value().doc_freq));
    }
    Ok(())
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

/// Records per date in `segment` (deleted ones too), in date order; `None` when some
/// record has no date or several.
fn segment_dates(segment: &SegmentReader, date: Field) -> tantivy::Result<Option<Vec<(u64, u64)>>> {
    let column = segment.fast_fields().date("date")?;
    if column.get_cardinality() != Cardinality::Full {
        return Ok(None);
    }
    let inverted = segment.inverted_index(date)?;
    let mut stream = inverted.terms().stream()?;
    let mut out = Vec::new();
    while stream.advance() {
        let Ok(key) = <[u8; 8]>::try_from(stream.key()) else { return Ok(None) };
        out.push((u64::from_be_bytes(key), u64::from(stream.value().doc_freq)));
    }
    Ok(Some(out))
}

/// The browse file of a segment.
fn segment_file_name(id: SegmentId) -> String {
    format!("{}.{SEGMENT_FILE_EXTENSION}", id.uuid_string())
}

/// A segment's browse file: named as the segment's own files are, so that it is kept and
/// cleaned up with them.
pub const SEGMENT_FILE_EXTENSION: &str = "browse";

/// What a browse file starts with.
const MAGIC: &[u8] = b"paperdex browse 1\n";

/// A facet field's top-level values (as encoded) and their records, in dictionary order.
type Values = Vec<(Vec<u8>, u64)>;

/// What browsing everything reads of one segment's term dictionaries.
#[derive(Debug, PartialEq)]
struct SegmentCounts {
    /// The segment's records, deleted ones too (a check that the file is the segment's).
    records: u32,
    /// Per facet field (by name): its top-level values (as encoded) and their records.
    facets: Vec<(String, Values)>,
    /// Records per date, `None` when some record has no date or several.
    dates: Option<Vec<(u64, u64)>>,
}

impl SegmentCounts {
    fn of(segment: &SegmentReader, date: Field) -> tantivy::Result<SegmentCounts> {
        let schema = segment.schema();
        let mut facets = Vec::new();
        for (field, entry) in schema.fields() {
            if !matches!(entry.field_type(), tantivy::schema::FieldType::Facet(_)) {
                continue;
            }
            let mut values = Vec::new();
            segment_children(segment, field, &Facet::root(), |key, count| values.push((key.to_vec(), count)))?;
            facets.push((entry.name().to_owned(), values));
        }
        Ok(SegmentCounts { records: segment.max_doc(), facets, dates: segment_dates(segment, date)? })
    }

    fn facet(&self, name: &str) -> Option<&[(Vec<u8>, u64)]> {
        self.facets.iter().find(|(n, _)| n == name).map(|(_, values)| values.as_slice())
    }

    /// Little-endian: the magic, the records, the facet fields (a name, then its values:
    /// a key and a count each), the dates (a flag, then a value and a count each), and a
    /// [`checksum`] of all that.
    fn encode(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        let bytes = |out: &mut Vec<u8>, b: &[u8]| {
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b);
        };
        out.extend_from_slice(&self.records.to_le_bytes());
        out.extend_from_slice(&(self.facets.len() as u32).to_le_bytes());
        for (name, values) in &self.facets {
            bytes(&mut out, name.as_bytes());
            out.extend_from_slice(&(values.len() as u32).to_le_bytes());
            for (key, count) in values {
                bytes(&mut out, key);
                out.extend_from_slice(&count.to_le_bytes());
            }
        }
        match &self.dates {
            None => out.push(0),
            Some(dates) => {
                out.push(1);
                out.extend_from_slice(&(dates.len() as u32).to_le_bytes());
                for (value, count) in dates {
                    out.extend_from_slice(&value.to_le_bytes());
                    out.extend_from_slice(&count.to_le_bytes());
                }
            }
        }
        let sum = checksum(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// The counts `bytes` hold; `None` for bytes that are not a whole browse file.
    fn decode(bytes: &[u8]) -> Option<SegmentCounts> {
        let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
        if checksum(body).to_le_bytes() != sum {
            return None;
        }
        let mut rest = body.strip_prefix(MAGIC)?;
        let mut take = |n: usize| -> Option<&[u8]> {
            let (head, tail) = rest.split_at_checked(n)?;
            rest = tail;
            Some(head)
        };
        fn u32_of(b: &[u8]) -> u32 {
            u32::from_le_bytes(b.try_into().unwrap_or_default())
        }
        fn u64_of(b: &[u8]) -> u64 {
            u64::from_le_bytes(b.try_into().unwrap_or_default())
        }
        let records = u32_of(take(4)?);
        let fields = u32_of(take(4)?);
        let mut facets = Vec::new();
        for _ in 0..fields {
            let len = u32_of(take(4)?) as usize;
            let name = String::from_utf8(take(len)?.to_vec()).ok()?;
            let n = u32_of(take(4)?) as usize;
            let mut values = Vec::with_capacity(n.min(body.len() / 12));
            for _ in 0..n {
                let len = u32_of(take(4)?) as usize;
                let key = take(len)?.to_vec();
                values.push((key, u64_of(take(8)?)));
            }
            facets.push((name, values));
        }
        let dates = match take(1)? {
            [0] => None,
            [1] => {
                let n = u32_of(take(4)?) as usize;
                let mut dates = Vec::with_capacity(n.min(body.len() / 16));
                for _ in 0..n {
                    dates.push((u64_of(take(8)?), u64_of(take(8)?)));
                }
                Some(dates)
            }
            _ => return None,
        };
        rest.is_empty().then_some(SegmentCounts { records, facets, dates })
    }
}

/// Checks the browse file of the segment `id` of `records` records in `dir`: whether it is
/// there, or its name and why it does not check out (`paperdex stats --verify`).
pub(crate) fn check_segment_file(dir: &Path, id: SegmentId, records: u32) -> Result<bool, (PathBuf, String)> {
    let name = segment_file_name(id);
    let reason = match std::fs::read(dir.join(&name)) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => e.to_string(),
        Ok(bytes) => match check(&bytes, records) {
            None => return Ok(true),
            Some(reason) => reason.to_owned(),
        },
    };
    Err((PathBuf::from(name), reason))
}

/// Why `bytes` are not the browse file of a segment of `records` records, if they are not.
fn check(bytes: &[u8], records: u32) -> Option<&'static str> {
    match SegmentCounts::decode(bytes) {
        None => Some("checksum mismatch"),
        Some(counts) if counts.records != records => Some("counts of another segment"),
        Some(_) => None,
    }
}

/// A 64-bit checksum of `bytes`, eight at a time (a multiply and a rotation each: a
/// fraction of a nanosecond a byte, with no CPU probe in the process for an instruction
/// set, as a CRC library makes: a `paperdex search` process that browses reads one file
/// of each segment and exits).
fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        h = (h ^ word).wrapping_mul(K).rotate_left(29);
    }
    let mut last = [0u8; 8];
    last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = (h ^ u64::from_le_bytes(last)).wrapping_mul(K).rotate_left(29);
    h ^ (h >> 32)
}

/// Writes the browse file of every segment of the index in `dir` that has none: after a
/// run of `paperdex index`, once its segments are final.
pub(crate) fn write_segment_files(index: &Index, dir: &Path, date: Field) -> std::io::Result<()> {
    let failed = |e: tantivy::TantivyError| std::io::Error::other(e.to_string());
    let reader = index.reader_builder().reload_policy(tantivy::ReloadPolicy::Manual).try_into().map_err(failed)?;
    let searcher = reader.searcher();
    for segment in searcher.segment_readers() {
        let path = dir.join(segment_file_name(segment.segment_id()));
        // A file already there stays unless it does not check out: then it is written again.
        if std::fs::read(&path).is_ok_and(|bytes| check(&bytes, segment.max_doc()).is_none()) {
            continue;
        }
        let counts = SegmentCounts::of(segment, date).map_err(failed)?;
        crate::index::directory::atomic_write(&path, &counts.encode())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::TantivyDocument;
    use tantivy::schema::{DateOptions, FacetOptions, Schema};

    /// An index in `dir` of two segments: records with topics (some several, some the same
    /// twice, some none, some deeper) and a date each.
    fn index_in(dir: &Path) -> (Index, Field, Field) {
        let mut b = Schema::builder();
        let topic = b.add_facet_field("topic_facet", FacetOptions::default());
        let date = b.add_date_field("date", DateOptions::default().set_indexed().set_fast());
        let index = Index::create_in_dir(dir, b.build()).unwrap();
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let values: [&[&str]; 5] = [&["/Daily Papers"], &["/a", "/b"], &["/a", "/a"], &[], &["/a/deeper", "/모델"]];
        for segment in 0..2 {
            for i in 0..300u64 {
                let mut doc = TantivyDocument::new();
                for v in values[(i as usize + segment) % values.len()] {
                    doc.add_facet(topic, Facet::from(*v));
                }
                doc.add_date(date, DateTime::from_timestamp_secs(1_700_000_000 + (i % 7) as i64 * 86_400));
                writer.add_document(doc).unwrap();
            }
            writer.commit().unwrap();
        }
        (index, topic, date)
    }

    fn answers(counts: &TermCounts, searcher: &Searcher, topic: Field, date: Field) -> (Children, Children) {
        let root = counts.children(searcher, topic, &Facet::root()).unwrap();
        let dates = counts.dates(searcher, date).unwrap();
        let dates = (*dates).clone().unwrap().into_iter().map(|(v, c)| (v.to_string(), c)).collect();
        (root, Arc::new(dates))
    }

    #[test]
    fn browse_files_hold_what_the_dictionaries_say() {
        let dir = tempfile::tempdir().unwrap();
        let (index, topic, date) = index_in(dir.path());
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 2);
        let walked = answers(&TermCounts::default(), &searcher, topic, date);
        assert_eq!(
            walked.0.as_ref(),
            &[
                ("/Daily Papers".to_owned(), 120),
                ("/a".to_owned(), 360),
                ("/b".to_owned(), 120),
                ("/모델".to_owned(), 120)
            ]
        );
        assert_eq!(walked.1.iter().map(|(_, c)| c).sum::<u64>(), 600);

        write_segment_files(&index, dir.path(), date).unwrap();
        let files: Vec<PathBuf> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == SEGMENT_FILE_EXTENSION))
            .collect();
        assert_eq!(files.len(), 2);
        assert_eq!(answers(&TermCounts::in_dir(dir.path()), &searcher, topic, date), walked);

        // The files are what is read: a count changed in one (its checksum made again)
        // shows; a byte changed (checksum not) or a file cut short reads the terms again.
        let file = &files[0];
        let good = std::fs::read(file).unwrap();
        let mut counts = SegmentCounts::decode(&good).unwrap();
        let (_, values) = counts.facets.iter_mut().find(|(name, _)| name == "topic_facet").unwrap();
        values[0].1 += 1000;
        std::fs::write(file, counts.encode()).unwrap();
        let read = answers(&TermCounts::in_dir(dir.path()), &searcher, topic, date);
        assert_eq!(read.0[0].1, walked.0[0].1 + 1000);
        let mut flipped = counts.encode();
        flipped[MAGIC.len() + 9] ^= 1;
        for bad in [flipped, good[..good.len() - 1].to_vec(), Vec::new()] {
            std::fs::write(file, bad).unwrap();
            assert_eq!(answers(&TermCounts::in_dir(dir.path()), &searcher, topic, date), walked);
        }
        // A file of another segment's size is not taken for this one's.
        std::fs::write(file, SegmentCounts { records: 1, ..SegmentCounts::decode(&good).unwrap() }.encode()).unwrap();
        assert_eq!(answers(&TermCounts::in_dir(dir.path()), &searcher, topic, date), walked);
    }

    #[test]
    fn browse_files_read_back_whole_or_not_at_all() {
        let counts = SegmentCounts {
            records: 7,
            facets: vec![("kind_facet".into(), vec![(b"page".to_vec(), 3), (Vec::new(), 0)]), ("lang".into(), vec![])],
            dates: Some(vec![(1, 2), (u64::MAX, 5)]),
        };
        let bytes = counts.encode();
        assert_eq!(SegmentCounts::decode(&bytes), Some(counts));
        for cut in 0..bytes.len() {
            assert_eq!(SegmentCounts::decode(&bytes[..cut]), None, "cut at {cut}");
        }
        let undated = SegmentCounts { records: 0, facets: Vec::new(), dates: None };
        assert_eq!(SegmentCounts::decode(&undated.encode()), Some(undated));
    }
}
