//! Facet counts per record: how many matching records have a value under each child of
//! a facet path, counted in the same pass as the hits.
//!
//! Each segment's facet values are read once, in dictionary order, from the parent's
//! first value to its last: that gives every value's child and the child's name, so a
//! record is counted with one array lookup per value and naming a child costs nothing
//! at the end (looking names up by ordinal afterwards costs a dictionary block scan per
//! child, more than the counting itself). A segment's dictionary never changes, so
//! that reading is kept per segment, field and parent for an open index ([`ChildMaps`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::fastfield::FacetReader;
use tantivy::index::SegmentId;
use tantivy::schema::Facet;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Counts the records under each child of `parent` in the facet field `field`.
pub struct RecordFacetCounts {
    pub field: String,
    pub parent: Facet,
    pub maps: Arc<ChildMaps>,
}

pub struct RecordFacetSegment {
    facets: Option<FacetReader>,
    map: Arc<ChildMap>,
    counts: Vec<u64>,
    /// Per set of children ([`ByRecord::Sets`]), the records counted with it.
    set_counts: Vec<u32>,
    counted: u64,
}

/// One segment's facet values under one parent, read from its dictionary.
#[derive(Default)]
pub struct ChildMap {
    /// Facet ordinal → the index of its child of the parent in `children`, or `NONE`.
    child_of: Vec<u32>,
    /// Each child's encoded facet, in dictionary order.
    pub children: Vec<Vec<u8>>,
    /// Records counted with this map so far, over all searches.
    counted: AtomicU64,
    /// Per record, the children it falls under, built once the searches have counted
    /// twice the segment's records with this map: a record is then counted from one
    /// slice instead of its values read from the column and mapped one by one. One
    /// search never builds it; building costs at most half of what counting has cost.
    by_record: OnceLock<ByRecord>,
}

/// Each record's distinct children, kept per record. Records mostly share a few sets of
/// children (a date's one year, a caption's page's categories), so a record holds the
/// number of its set, two bytes, and counting a record is one increment of its set's
/// count; the sets' counts are spread to their children at the end. Only the most
/// frequent sets are numbered: a record of another set has its children listed apart.
/// Where sets are so many that a good part of the records would be listed apart (a
/// page's topics, which its captions share), every record's children are listed.
struct ByRecord {
    of_record: Box<[u16]>,
    sets: Box<[Box<[u16]>]>,
    listed: Listed,
}

enum Listed {
    /// The few records of a set not numbered.
    Some(rustc_hash::FxHashMap<DocId, Box<[u16]>>),
    /// Every record: record `d`'s children are `children[starts[d]..starts[d + 1]]`.
    All { starts: Box<[u32]>, children: Box<[u16]> },
}

impl Listed {
    fn of(&self, doc: DocId) -> &[u16] {
        match self {
            Listed::Some(listed) => listed.get(&doc).map_or(&[], |c| c),
            Listed::All { starts, children } => {
                let d = doc as usize;
                match (starts.get(d), starts.get(d + 1)) {
                    (Some(&from), Some(&to)) => children.get(from as usize..to as usize).unwrap_or_default(),
                    _ => &[],
                }
            }
        }
    }
}

/// The share of a segment's records (one in this many) that may be listed apart.
const LISTED_SHARE: u32 = 16;

/// In [`ByRecord::of_record`]: the record's children are listed apart.
const LISTED: u16 = u16::MAX;

/// The most sets of children [`ByRecord`] numbers (all but [`LISTED`]).
const MAX_SETS: usize = LISTED as usize;

impl ByRecord {
    /// `map`'s children of every record of the segment.
    fn build(map: &ChildMap, facets: &FacetReader, max_doc: u32, max_sets: usize) -> ByRecord {
        // Every distinct set, how many records have it, and each record's.
        let mut interned: rustc_hash::FxHashMap<Box<[u16]>, u32> = Default::default();
        let mut distinct: Vec<(Box<[u16]>, u32)> = Vec::new();
        let mut set_of: Vec<u32> = Vec::with_capacity(max_doc as usize);
        let mut children: Vec<u16> = Vec::new();
        for doc in 0..max_doc {
            children.clear();
            map.each_child(facets, doc, |child| children.push(child as u16));
            let i = match interned.get(children.as_slice()) {
                Some(&i) => i,
                None => {
                    let i = distinct.len() as u32;
                    interned.insert(children.as_slice().into(), i);
                    distinct.push((children.as_slice().into(), 0));
                    i
                }
            };
            distinct[i as usize].1 += 1;
            set_of.push(i);
        }
        // The most frequent sets are numbered, most frequent first.
        let mut by_frequency: Vec<u32> = (0..distinct.len() as u32).collect();
        by_frequency.sort_by_key(|&i| std::cmp::Reverse(distinct[i as usize].1));
        let mut number = vec![LISTED; distinct.len()];
        for (n, &i) in by_frequency.iter().take(max_sets).enumerate() {
            number[i as usize] = n as u16;
        }
        let sets = by_frequency.iter().take(max_sets).map(|&i| distinct[i as usize].0.clone()).collect();
        let of_record: Box<[u16]> = set_of.iter().map(|&i| number[i as usize]).collect();
        let unnumbered = of_record.iter().filter(|&&n| n == LISTED).count();
        let listed = if unnumbered as u64 <= u64::from(max_doc / LISTED_SHARE) {
            let docs = of_record.iter().enumerate().filter(|&(_, &n)| n == LISTED);
            Listed::Some(docs.map(|(doc, _)| (doc as DocId, distinct[set_of[doc] as usize].0.clone())).collect())
        } else {
            let mut starts = Vec::with_capacity(set_of.len() + 1);
            let mut children = Vec::new();
            starts.push(0u32);
            for &i in &set_of {
                children.extend_from_slice(&distinct[i as usize].0);
                starts.push(u32::try_from(children.len()).unwrap_or(u32::MAX));
            }
            Listed::All { starts: starts.into(), children: children.into() }
        };
        ByRecord { of_record, sets, listed }
    }
}

/// The most records of a segment whose children are kept per record, and the most maps
/// of an index that keep them (2 bytes a record, and where sets of values are many 4
/// more and 2 a value each: for a million records of two values, 160 MiB at most).
const BY_RECORD_MAPS: usize = 16;
const BY_RECORD_DOCS: u32 = 1 << 20;

impl ChildMap {
    /// Calls `f` with each distinct child record `doc` has a value under.
    fn each_child(&self, facets: &FacetReader, doc: DocId, mut f: impl FnMut(u32)) {
        // A record's ordinals come sorted, so values under one child are side by side and
        // the child is counted once.
        let mut previous = NONE;
        for ord in facets.facet_ords(doc) {
            let child = self.child_of.get(ord as usize).copied().unwrap_or(NONE);
            if child != NONE && child != previous {
                f(child);
            }
            previous = child;
        }
    }

    /// The index in `children` of the child that ordinal `ord` falls under, if any.
    pub fn child(&self, ord: u64) -> Option<usize> {
        let child = *self.child_of.get(usize::try_from(ord).ok()?)?;
        (child != NONE).then_some(child as usize)
    }
}

const NONE: u32 = u32::MAX;

/// The child maps of an open index, kept while their segments are searched: a facet
/// request costs one dictionary read per segment, field and parent, not one per search.
pub struct ChildMaps {
    kept: Mutex<HashMap<MapKey, Arc<ChildMap>>>,
    /// How many of the kept maps hold their children per record.
    by_record: AtomicUsize,
    /// The most sets of children a map kept per record numbers.
    max_sets: usize,
}

impl Default for ChildMaps {
    fn default() -> Self {
        ChildMaps { kept: Mutex::default(), by_record: AtomicUsize::default(), max_sets: MAX_SETS }
    }
}

/// A segment, a facet field's name and a parent's encoded path.
type MapKey = (SegmentId, String, Vec<u8>);

/// Maps kept at most; past it all are forgotten and read again as needed (drilling into a
/// thousand date paths must not hold a thousand maps).
const KEPT_MAPS: usize = 256;

impl ChildMaps {
    /// The map of `parent`'s children in `field` for one segment, read on first use.
    pub fn get(
        &self,
        reader: &SegmentReader,
        field: &str,
        facets: &FacetReader,
        parent: &Facet,
    ) -> tantivy::Result<Arc<ChildMap>> {
        let key = (reader.segment_id(), field.to_owned(), parent.encoded_str().as_bytes().to_vec());
        if let Some(map) = self.lock().get(&key) {
            return Ok(map.clone());
        }
        let map = Arc::new(children_of(facets, &key.2)?);
        let mut kept = self.lock();
        if kept.len() >= KEPT_MAPS {
            kept.clear();
            self.by_record.store(0, Ordering::Relaxed);
        }
        kept.insert(key, map.clone());
        Ok(map)
    }

    /// Forgets the maps of segments no longer searched (after a commit or a merge).
    pub fn retain_segments(&self, segments: &[SegmentId]) {
        let mut kept = self.lock();
        kept.retain(|(segment, _, _), _| segments.contains(segment));
        let by_record = kept.values().filter(|m| m.by_record.get().is_some()).count();
        self.by_record.store(by_record, Ordering::Relaxed);
    }

    /// Builds `map`'s children per record if the searches so far have counted enough
    /// records with it to pay for it and the budget allows.
    fn keep_by_record(&self, map: &ChildMap, facets: &FacetReader, max_doc: u32) {
        let worth = map.counted.load(Ordering::Relaxed) >= 2 * u64::from(max_doc);
        let fits = max_doc <= BY_RECORD_DOCS && map.children.len() <= usize::from(u16::MAX);
        if map.by_record.get().is_some()
            || !worth
            || !fits
            || self.by_record.fetch_add(1, Ordering::Relaxed) >= BY_RECORD_MAPS
        {
            return;
        }
        let _ = map.by_record.set(ByRecord::build(map, facets, max_doc, self.max_sets));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<MapKey, Arc<ChildMap>>> {
        self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Collector for RecordFacetCounts {
    type Fruit = Vec<(String, u64)>;
    type Child = RecordFacetSegment;

    fn for_segment(&self, _segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<RecordFacetSegment> {
        let Ok(facets) = reader.facet_reader(&self.field) else {
            return Ok(RecordFacetSegment {
                facets: None,
                map: Arc::default(),
                counts: Vec::new(),
                set_counts: Vec::new(),
                counted: 0,
            });
        };
        let map = self.maps.get(reader, &self.field, &facets, &self.parent)?;
        let counts = vec![0; map.children.len()];
        self.maps.keep_by_record(&map, &facets, reader.max_doc());
        let set_counts = map.by_record.get().map_or_else(Vec::new, |by_record| vec![0; by_record.sets.len()]);
        Ok(RecordFacetSegment { facets: Some(facets), map, counts, set_counts, counted: 0 })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, mut fruits: Vec<Vec<(Vec<u8>, u64)>>) -> tantivy::Result<Vec<(String, u64)>> {
        // One segment's children are distinct already; several segments' are summed.
        let counts: Vec<(Vec<u8>, u64)> = if fruits.len() == 1 {
            fruits.pop().unwrap_or_default()
        } else {
            // In dictionary order, as one segment's come.
            let mut counts: std::collections::BTreeMap<Vec<u8>, u64> = Default::default();
            for (child, count) in fruits.into_iter().flatten() {
                *counts.entry(child).or_default() += count;
            }
            counts.into_iter().collect()
        };
        Ok(counts
            .into_iter()
            .filter_map(|(child, count)| Some((super::filter::path_string(&Facet::from_encoded(child).ok()?), count)))
            .collect())
    }
}

impl SegmentCollector for RecordFacetSegment {
    type Fruit = Vec<(Vec<u8>, u64)>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        let Some(facets) = &self.facets else { return };
        self.counted += 1;
        // (Kept by another search after this one began: counted value by value.)
        if let Some(by_record) = self.map.by_record.get().filter(|_| !self.set_counts.is_empty()) {
            match by_record.of_record.get(doc as usize) {
                Some(&LISTED) => {
                    for &child in by_record.listed.of(doc) {
                        self.counts[usize::from(child)] += 1;
                    }
                }
                Some(&set) => self.set_counts[usize::from(set)] += 1,
                None => {}
            }
            return;
        }
        let counts = &mut self.counts;
        self.map.each_child(facets, doc, |child| counts[child as usize] += 1);
    }

    fn harvest(mut self) -> Self::Fruit {
        self.map.counted.fetch_add(self.counted, Ordering::Relaxed);
        if let Some(by_record) = self.map.by_record.get() {
            for (set, &count) in by_record.sets.iter().zip(&self.set_counts).filter(|&(_, &count)| count > 0) {
                for &child in set.iter() {
                    self.counts[usize::from(child)] += u64::from(count);
                }
            }
        }
        let children = &self.map.children;
        children
            .iter()
            .zip(self.counts)
            .filter(|&(_, count)| count > 0)
            .map(|(child, count)| (child.clone(), count))
            .collect()
    }
}

/// For each facet ordinal of the segment, the index of its child of `parent` (encoded),
/// and the children's encoded facets: one pass over the parent's values.
fn children_of(facets: &FacetReader, parent: &[u8]) -> tantivy::Result<ChildMap> {
    let dict = facets.facet_dict();
    let mut child_of = vec![NONE; dict.num_terms()];
    let mut children: Vec<Vec<u8>> = Vec::new();
    // The root's children start every value; another parent's, the values after `parent\0`.
    let mut start = parent.to_vec();
    if !parent.is_empty() {
        start.push(0);
    }
    let range = if start.is_empty() { dict.range() } else { dict.range().ge(&start) };
    let mut stream = range.into_stream()?;
    while stream.advance() {
        let key = stream.key();
        if !key.starts_with(&start) {
            break;
        }
        let rest = &key[start.len()..];
        let step = memchr::memchr(0, rest).unwrap_or(rest.len());
        if step == 0 {
            continue;
        }
        let child = &key[..start.len() + step];
        // Values come in order, so a child's values follow one another.
        if children.last().is_none_or(|last| last.len() != child.len() || !key.starts_with(last)) {
            children.push(child.to_vec());
        }
        if let Some(slot) = child_of.get_mut(stream.term_ord() as usize) {
            *slot = (children.len() - 1) as u32;
        }
    }
    Ok(ChildMap { child_of, children, ..ChildMap::default() })
}

#[cfg(test)]
mod tests {
    use tantivy::schema::{FacetOptions, Schema};
    use tantivy::{Index, TantivyDocument};

    use super::*;

    fn children(index: &Index, parent: &str) -> Vec<String> {
        let searcher = index.reader().unwrap().searcher();
        let segment = &searcher.segment_readers()[0];
        let facets = segment.facet_reader("date").unwrap();
        let maps = ChildMaps::default();
        let map = maps.get(segment, "date", &facets, &Facet::from(parent)).unwrap();
        // Every ordinal maps to the child its value lies under, or to none.
        for ord in 0..facets.facet_dict().num_terms() as u64 {
            let mut value = Facet::root();
            facets.facet_from_ord(ord, &mut value).unwrap();
            let expected = map.children.iter().position(|c| {
                let c = Facet::from_encoded(c.clone()).unwrap();
                c == value || c.is_prefix_of(&value)
            });
            assert_eq!(map.child(ord), expected, "{value} under {parent}");
        }
        map.children.iter().map(|c| Facet::from_encoded(c.clone()).unwrap().to_string()).collect()
    }

    #[test]
    fn counts_per_record_kept_count_as_values_read() {
        let mut b = Schema::builder();
        let topic = b.add_facet_field("topic", FacetOptions::default());
        let index = Index::create_in_ram(b.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let values: [&[&str]; 6] =
            [&["/a/x"], &["/a/x", "/a/y"], &["/b"], &[], &["/a/y", "/c/z", "/c/w"], &["/a/x", "/a/x/deeper"]];
        for i in 0..600 {
            let mut doc = TantivyDocument::new();
            for v in values[i % values.len()] {
                doc.add_facet(topic, Facet::from(*v));
            }
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let maps = Arc::new(ChildMaps::default());
        for parent in ["/", "/a", "/c"] {
            let counts = || {
                let collector =
                    RecordFacetCounts { field: "topic".into(), parent: Facet::from(parent), maps: maps.clone() };
                let mut counts = searcher.search(&tantivy::query::AllQuery, &collector).unwrap();
                counts.sort();
                counts
            };
            let first = counts();
            let expected: Vec<(String, u64)> = match parent {
                "/" => vec![("/a".into(), 400), ("/b".into(), 100), ("/c".into(), 100)],
                "/a" => vec![("/a/x".into(), 300), ("/a/y".into(), 200)],
                _ => vec![("/c/w".into(), 100), ("/c/z".into(), 100)],
            };
            assert_eq!(first, expected, "{parent}");
            // Twice the records counted: the next search keeps them per record, and
            // counts the same.
            assert_eq!(counts(), expected, "{parent}");
            assert_eq!(counts(), expected, "{parent}");
            let segment = &searcher.segment_readers()[0];
            let facets = segment.facet_reader("topic").unwrap();
            let map = maps.get(segment, "topic", &facets, &Facet::from(parent)).unwrap();
            let numbered = |b: &ByRecord| matches!(&b.listed, Listed::Some(listed) if listed.is_empty());
            assert!(map.by_record.get().is_some_and(numbered), "{parent}");
        }
    }

    /// Counts `values` (each record's topics) three times, the last two from the values
    /// kept per record; checks them against a plain count; returns how they were kept.
    fn counted_per_record(values: &[Vec<String>], max_sets: usize) -> Arc<ChildMap> {
        let mut b = Schema::builder();
        let topic = b.add_facet_field("topic", FacetOptions::default());
        let index = Index::create_in_ram(b.build());
        let mut writer = index.writer_with_num_threads(1, 50_000_000).unwrap();
        let mut expected: std::collections::BTreeMap<String, u64> = Default::default();
        for record in values {
            let mut doc = TantivyDocument::new();
            for value in record {
                doc.add_facet(topic, Facet::from(value.as_str()));
                *expected.entry(value.clone()).or_default() += 1;
            }
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        let expected: Vec<(String, u64)> = expected.into_iter().collect();
        let searcher = index.reader().unwrap().searcher();
        let maps = Arc::new(ChildMaps { max_sets, ..ChildMaps::default() });
        for _ in 0..3 {
            let collector = RecordFacetCounts { field: "topic".into(), parent: Facet::root(), maps: maps.clone() };
            let mut counts = searcher.search(&tantivy::query::AllQuery, &collector).unwrap();
            counts.sort();
            assert_eq!(counts, expected);
        }
        let segment = &searcher.segment_readers()[0];
        let facets = segment.facet_reader("topic").unwrap();
        maps.get(segment, "topic", &facets, &Facet::root()).unwrap()
    }

    #[test]
    fn records_of_sets_of_values_not_numbered_are_counted_from_their_lists() {
        // Each record has the topics of its number's set bits: near 10,000 sets of 14
        // values; with 4,096 numbered, most records are of a set not numbered: every
        // record's values are listed.
        let many: Vec<Vec<String>> = (0..10_000u32)
            .map(|i| {
                let bits = i.wrapping_mul(2_654_435_761) >> 18;
                (0..14).filter(|t| bits & (1 << t) != 0).map(|t| format!("/t{t:02}")).collect()
            })
            .collect();
        let map = counted_per_record(&many, 4096);
        let by_record = map.by_record.get().unwrap();
        assert!(matches!(by_record.listed, Listed::All { .. }));
        // Most records of a few sets, and 4,500 of a set each: the least frequent sets
        // past the numbered ones are listed apart, the only records that are.
        let few: Vec<Vec<String>> = (0..70_000u32)
            .map(|i| match i % 14 {
                0 if i / 14 < 4_500 => vec![format!("/u{}", i / 14)],
                k => vec![format!("/a{}", k % 6), "/b".to_owned()],
            })
            .collect();
        let map = counted_per_record(&few, 4096);
        let by_record = map.by_record.get().unwrap();
        assert_eq!(by_record.sets.len(), 4096);
        assert!(matches!(&by_record.listed, Listed::Some(listed) if listed.len() == 6 + 4_500 - 4096));
        // Every set numbered where the numbers allow it.
        let map = counted_per_record(&few, MAX_SETS);
        let by_record = map.by_record.get().unwrap();
        assert_eq!(by_record.sets.len(), 6 + 4_500);
        assert!(matches!(&by_record.listed, Listed::Some(listed) if listed.is_empty()));
    }

    #[test]
    fn children_of_a_parent_in_the_dictionary() {
        let mut b = Schema::builder();
        let date = b.add_facet_field("date", FacetOptions::default());
        let index = Index::create_in_ram(b.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for day in ["/2025/01/17", "/2025/01/18", "/2025/02/01", "/2024/12/31", "/20251/01/01"] {
            let mut doc = TantivyDocument::new();
            doc.add_facet(date, Facet::from(day));
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        assert_eq!(children(&index, "/"), ["/2024", "/2025", "/20251"]);
        assert_eq!(children(&index, "/2025"), ["/2025/01", "/2025/02"]);
        assert_eq!(children(&index, "/2025/01"), ["/2025/01/17", "/2025/01/18"]);
        assert!(children(&index, "/2023").is_empty());
        assert!(children(&index, "/2025/01/17").is_empty());
    }
}
