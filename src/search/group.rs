//! Counting by page: one hit per page (its best records and how many matched), and
//! facet counts of pages rather than records. Both key records by their page's
//! `page_key` fast field, so a page's records count once however many match.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::schema::Facet;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use super::Sort;
use super::facets::{ChildMap, ChildMaps};

/// How many of a page's records a grouped hit lists beside its best one.
pub const GROUP_ALSO: usize = 3;

/// One page's matching records.
#[derive(Debug, Clone)]
pub struct PageGroup {
    pub key: String,
    /// Matching records of the page.
    pub count: u64,
    /// Its best records, best first (at most 1 + [`GROUP_ALSO`]).
    pub top: Vec<(Score, DocAddress)>,
    /// The page's date (seconds), for ordering by date.
    pub date: Option<i64>,
}

/// Collects matching records into one group per page.
pub struct PageGroups {
    pub sort: Sort,
    pub scored: bool,
}

pub struct PageGroupsSegment {
    segment: SegmentOrdinal,
    keys: Option<StrColumn>,
    dates: Option<tantivy::columnar::Column<tantivy::DateTime>>,
    groups: HashMap<u64, (u64, Vec<(Score, DocId)>)>,
}

impl Collector for PageGroups {
    type Fruit = Vec<PageGroup>;
    type Child = PageGroupsSegment;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<PageGroupsSegment> {
        let fast = reader.fast_fields();
        Ok(PageGroupsSegment {
            segment,
            keys: fast.str("page_key")?,
            dates: fast.date("date").ok(),
            groups: HashMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.scored
    }

    fn merge_fruits(&self, fruits: Vec<Vec<PageGroup>>) -> tantivy::Result<Vec<PageGroup>> {
        let mut merged: HashMap<String, PageGroup> = HashMap::new();
        for group in fruits.into_iter().flatten() {
            match merged.get_mut(&group.key) {
                Some(m) => {
                    m.count += group.count;
                    m.top.extend(group.top);
                    keep_best(&mut m.top);
                    m.date = m.date.or(group.date);
                }
                None => {
                    merged.insert(group.key.clone(), group);
                }
            }
        }
        let mut groups: Vec<PageGroup> = merged.into_values().collect();
        let best = |g: &PageGroup| g.top.first().map_or(0.0, |t| t.0);
        match self.sort {
            Sort::Relevance => groups.sort_by(|a, b| best(b).total_cmp(&best(a)).then_with(|| a.key.cmp(&b.key))),
            Sort::Date => groups.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.key.cmp(&b.key))),
            Sort::DateDesc => groups.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.key.cmp(&b.key))),
        }
        Ok(groups)
    }
}

/// Best first, ties in corpus order (document address), at most 1 + `GROUP_ALSO`.
fn keep_best<T: PartialOrd + Copy>(top: &mut Vec<(Score, T)>) {
    top.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal)));
    top.truncate(1 + GROUP_ALSO);
}

impl SegmentCollector for PageGroupsSegment {
    type Fruit = Vec<PageGroup>;

    fn collect(&mut self, doc: DocId, score: Score) {
        let Some(ord) = self.keys.as_ref().and_then(|k| k.term_ords(doc).next()) else { return };
        let group = self.groups.entry(ord).or_insert_with(|| (0, Vec::new()));
        group.0 += 1;
        group.1.push((score, doc));
        if group.1.len() > 4 * (1 + GROUP_ALSO) {
            keep_best(&mut group.1);
        }
    }

    fn harvest(self) -> Vec<PageGroup> {
        let Some(keys) = self.keys else { return Vec::new() };
        let mut out = Vec::with_capacity(self.groups.len());
        for (ord, (count, mut top)) in self.groups {
            let mut key = String::new();
            if !keys.ord_to_str(ord, &mut key).unwrap_or(false) {
                continue;
            }
            keep_best(&mut top);
            let date = top
                .first()
                .and_then(|(_, doc)| self.dates.as_ref().and_then(|d| d.first(*doc)))
                .map(|d| d.into_timestamp_secs());
            let top = top.into_iter().map(|(s, doc)| (s, DocAddress::new(self.segment, doc))).collect();
            out.push(PageGroup { key, count, top, date });
        }
        out
    }
}

/// Counts the pages (not records) per child of `parent` in a facet field.
pub struct PageFacetCounts {
    pub field: String,
    pub parent: Facet,
    pub maps: Arc<ChildMaps>,
}

pub struct PageFacetSegment {
    keys: Option<StrColumn>,
    facets: Option<tantivy::fastfield::FacetReader>,
    map: Arc<ChildMap>,
    /// (child index, page key ordinal) pairs seen.
    seen: HashSet<(usize, u64)>,
}

impl Collector for PageFacetCounts {
    type Fruit = Vec<(String, u64)>;
    type Child = PageFacetSegment;

    fn for_segment(&self, _segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<PageFacetSegment> {
        let facets = reader.facet_reader(&self.field).ok();
        let map = match &facets {
            Some(facets) => self.maps.get(reader, &self.field, facets, &self.parent)?,
            None => Arc::default(),
        };
        Ok(PageFacetSegment { keys: reader.fast_fields().str("page_key")?, facets, map, seen: HashSet::new() })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(String, String)>>) -> tantivy::Result<Vec<(String, u64)>> {
        let pairs: HashSet<(String, String)> = fruits.into_iter().flatten().collect();
        let mut counts: HashMap<String, u64> = HashMap::new();
        for (child, _) in pairs {
            *counts.entry(child).or_default() += 1;
        }
        Ok(counts.into_iter().collect())
    }
}

impl SegmentCollector for PageFacetSegment {
    type Fruit = Vec<(String, String)>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        let (Some(keys), Some(facets)) = (&self.keys, &self.facets) else { return };
        let Some(page) = keys.term_ords(doc).next() else { return };
        for ord in facets.facet_ords(doc) {
            if let Some(child) = self.map.child(ord) {
                self.seen.insert((child, page));
            }
        }
    }

    fn harvest(self) -> Vec<(String, String)> {
        let Some(keys) = self.keys else { return Vec::new() };
        let children: Vec<Option<String>> = self
            .map
            .children
            .iter()
            .map(|c| Some(super::filter::path_string(&Facet::from_encoded(c.clone()).ok()?)))
            .collect();
        let mut names: HashMap<u64, String> = HashMap::new();
        self.seen
            .into_iter()
            .filter_map(|(child, page)| {
                let key = names.entry(page).or_insert_with(|| {
                    let mut s = String::new();
                    let _ = keys.ord_to_str(page, &mut s);
                    s
                });
                Some((children.get(child)?.clone()?, key.clone()))
            })
            .collect()
    }
}
