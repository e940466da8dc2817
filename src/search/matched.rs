//! A query's matches found once and searched again as a list of records: a query that
//! must first be run to tell whether it matches anything (a phrase as written) is not
//! run a second time by the search.

use std::fmt;
use std::sync::Arc;

use tantivy::index::SegmentId;
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED, TantivyError, Term};

/// The live records a query matched, per segment, in record order. It matches them
/// and scores nothing: it narrows.
#[derive(Clone)]
pub struct Matched {
    /// The query, for the terms it searches (snippets mark them).
    query: Arc<dyn Query>,
    docs: Arc<Vec<(SegmentId, Arc<[DocId]>)>>,
}

impl fmt::Debug for Matched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count: usize = self.docs.iter().map(|(_, docs)| docs.len()).sum();
        f.debug_struct("Matched").field("query", &self.query).field("records", &count).finish()
    }
}

impl Matched {
    /// Runs `query` over `searcher`'s segments: its matches, `None` when it matches no
    /// live record.
    pub fn find(searcher: &Searcher, query: Box<dyn Query>) -> tantivy::Result<Option<Matched>> {
        let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
        let mut docs = Vec::with_capacity(searcher.segment_readers().len());
        for reader in searcher.segment_readers() {
            let mut found: Vec<DocId> = Vec::new();
            weight.for_each_no_score(reader, &mut |batch| match reader.alive_bitset() {
                Some(alive) => found.extend(batch.iter().filter(|&&d| alive.is_alive(d))),
                None => found.extend_from_slice(batch),
            })?;
            if !found.is_empty() {
                docs.push((reader.segment_id(), found.into()));
            }
        }
        Ok((!docs.is_empty()).then(|| Matched { query: query.into(), docs: Arc::new(docs) }))
    }

    fn of(&self, reader: &SegmentReader) -> Arc<[DocId]> {
        let id = reader.segment_id();
        self.docs.iter().find(|(segment, _)| *segment == id).map_or_else(|| Arc::from([]), |(_, docs)| docs.clone())
    }
}

impl Query for Matched {
    fn weight(&self, _scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.query.query_terms(visitor);
    }
}

impl Weight for Matched {
    fn scorer(&self, reader: &SegmentReader, _boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(Listed { docs: self.of(reader), at: 0 }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        if self.of(reader).binary_search(&doc).is_ok() {
            Ok(Explanation::new("matched", 0.0))
        } else {
            Err(TantivyError::InvalidArgument(format!("record {doc} does not match")))
        }
    }
}

/// A segment's matched records, walked in order.
struct Listed {
    docs: Arc<[DocId]>,
    at: usize,
}

impl DocSet for Listed {
    fn advance(&mut self) -> DocId {
        self.at = (self.at + 1).min(self.docs.len());
        self.doc()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.at += self.docs[self.at..].partition_point(|&d| d < target);
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.docs.get(self.at).copied().unwrap_or(TERMINATED)
    }

    fn size_hint(&self) -> u32 {
        (self.docs.len() - self.at) as u32
    }
}

impl Scorer for Listed {
    fn score(&mut self) -> Score {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::{Count, DocSetCollector};
    use tantivy::query::TermQuery;
    use tantivy::schema::{IndexRecordOption, STRING, Schema};
    use tantivy::{Index, TantivyDocument};

    #[test]
    fn matched_records_are_the_querys_live_ones_in_every_segment() {
        let mut b = Schema::builder();
        let tag = b.add_text_field("tag", STRING);
        let id = b.add_text_field("id", STRING);
        let index = Index::create_in_ram(b.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for segment in 0..3 {
            for i in 0..500u32 {
                let mut doc = TantivyDocument::new();
                doc.add_text(tag, if (i + segment) % 7 == 0 { "seven" } else { "other" });
                doc.add_text(id, format!("{segment}-{i}"));
                writer.add_document(doc).unwrap();
            }
            writer.commit().unwrap();
        }
        // Some matches deleted, in two of the segments: they are not matched.
        for deleted in ["0-7", "0-14", "2-5", "2-12", "2-19"] {
            writer.delete_term(Term::from_field_text(id, deleted));
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let seven = || -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(tag, "seven"), IndexRecordOption::Basic))
        };
        let matched = Matched::find(&searcher, seven()).unwrap().unwrap();
        let direct = searcher.search(seven().as_ref(), &DocSetCollector).unwrap();
        assert_eq!(direct.len(), 72 + 71 + 71 - 5);
        assert_eq!(searcher.search(&matched, &DocSetCollector).unwrap(), direct);
        assert_eq!(searcher.search(&matched, &Count).unwrap(), direct.len());
        // Sought to, as an intersection seeks: the same records.
        let both = tantivy::query::BooleanQuery::intersection(vec![Box::new(matched.clone()), seven()]);
        assert_eq!(searcher.search(&both, &DocSetCollector).unwrap(), direct);
        let none = TermQuery::new(Term::from_field_text(tag, "none"), IndexRecordOption::Basic);
        assert!(Matched::find(&searcher, Box::new(none)).unwrap().is_none());
    }
}
