//! Facet counts per record: how many matching records have a value under each child of
//! a facet path, counted in the same pass as the hits.
//!
//! Each segment's facet values are read once, in dictionary order, from the parent's
//! first value to its last: that gives every value's child and the child's name, so a
//! record is counted with one array lookup per value and naming a child costs nothing
//! at the end (looking names up by ordinal afterwards costs a dictionary block scan per
//! child, more than the counting itself).

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::fastfield::FacetReader;
use tantivy::schema::Facet;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Counts the records under each child of `parent` in the facet field `field`.
pub struct RecordFacetCounts {
    pub field: String,
    pub parent: Facet,
}

pub struct RecordFacetSegment {
    facets: Option<FacetReader>,
    /// Facet ordinal → the index of its child of the parent in `children`, or `NONE`.
    child_of: Vec<u32>,
    /// Each child's encoded facet, in dictionary order.
    children: Vec<Vec<u8>>,
    counts: Vec<u64>,
}

const NONE: u32 = u32::MAX;

impl Collector for RecordFacetCounts {
    type Fruit = Vec<(String, u64)>;
    type Child = RecordFacetSegment;

    fn for_segment(&self, _segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<RecordFacetSegment> {
        let Ok(facets) = reader.facet_reader(&self.field) else {
            return Ok(RecordFacetSegment {
                facets: None,
                child_of: Vec::new(),
                children: Vec::new(),
                counts: Vec::new(),
            });
        };
        let (child_of, children) = children_of(&facets, self.parent.encoded_str().as_bytes())?;
        let counts = vec![0; children.len()];
        Ok(RecordFacetSegment { facets: Some(facets), child_of, children, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, mut fruits: Vec<Vec<(Vec<u8>, u64)>>) -> tantivy::Result<Vec<(String, u64)>> {
        // One segment's children are distinct already; several segments' are summed.
        let counts: Vec<(Vec<u8>, u64)> = if fruits.len() == 1 {
            fruits.pop().unwrap_or_default()
        } else {
            let mut counts: HashMap<Vec<u8>, u64> = HashMap::new();
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
        // A record's ordinals come sorted, so values under one child are side by side and
        // the child is counted once.
        let mut previous = NONE;
        for ord in facets.facet_ords(doc) {
            let child = self.child_of.get(ord as usize).copied().unwrap_or(NONE);
            if child != NONE && child != previous {
                self.counts[child as usize] += 1;
            }
            previous = child;
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.children.into_iter().zip(self.counts).filter(|&(_, count)| count > 0).collect()
    }
}

/// For each facet ordinal of the segment, the index of its child of `parent` (encoded),
/// and the children's encoded facets: one pass over the parent's values.
fn children_of(facets: &FacetReader, parent: &[u8]) -> tantivy::Result<(Vec<u32>, Vec<Vec<u8>>)> {
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
    Ok((child_of, children))
}
